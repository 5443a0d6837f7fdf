//! Running one seed. Temporary stand-in for the engine on `main`: it emits a few events derived
//! from the seed so the trace, CLI and sweep code can be built and tested before the engine lands.

mod report;
pub mod sweep;

pub use report::*;

use std::collections::BTreeMap;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::bugs::Bug;
use crate::kv::{FaultType, KvOp};
use crate::trace::{Event, EventKind, EventSink, Outcome, Phase, TraceHasher};

/// Runs one seed: a pure function of `config`; every event goes to `sink` and into the hash.
pub fn run_seed(config: &RunConfig, sink: &mut dyn EventSink) -> RunReport {
    let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
    let mut hasher = TraceHasher::new();
    let mut events: Vec<EventKind> = vec![EventKind::Phase {
        phase: Phase::Safety,
    }];
    let mut ops: BTreeMap<String, OutcomeCounts> = BTreeMap::new();
    let mut faults: BTreeMap<String, u64> = BTreeMap::new();
    let mut latency: BTreeMap<String, hdrhistogram::Histogram<u64>> = BTreeMap::new();
    let names = ["append_message", "checkpoint", "load_agent"];
    for op_id in 0..(5 + config.seed % 7) {
        let op = names[rng.gen_range(0..names.len())].to_string();
        events.push(EventKind::OpStart {
            op_id,
            op: op.clone(),
            args: format!("agent-{}", rng.gen_range(0..3)),
        });
        let fail = rng.gen_bool(0.2);
        if fail {
            events.push(EventKind::Fault {
                fault: FaultType::StorageWriteFail,
                op: KvOp::Set,
                key: "k".into(),
                effect: "error".into(),
            });
            *faults.entry("storage_write_fail".into()).or_default() += 1;
        }
        let outcome = if fail { Outcome::Failed } else { Outcome::Ok };
        events.push(EventKind::OpResult {
            op_id,
            outcome,
            detail: String::new(),
        });
        let counts = ops.entry(op.clone()).or_default();
        if fail {
            counts.failed += 1
        } else {
            counts.ok += 1
        }
        latency
            .entry(op)
            .or_insert_with(|| hdrhistogram::Histogram::new(3).expect("valid sigfig"))
            .record(rng.gen_range(1..20))
            .expect("in range");
    }
    events.push(EventKind::Check {
        invariant: "no_orphans".into(),
        at: "final".into(),
    });
    let mut violations = Vec::new();
    if config.bugs.has(Bug::OccDisabled) && config.seed.is_multiple_of(3) {
        let violation = Violation {
            invariant: "no_lost_updates".into(),
            evidence: format!("block b{} lost an append", config.seed),
        };
        events.push(EventKind::Violation {
            invariant: violation.invariant.clone(),
            evidence: violation.evidence.clone(),
        });
        violations.push(violation);
    }
    for (index, kind) in events.into_iter().enumerate() {
        let event = Event {
            index: index as u64,
            time_ms: index as u64 * 3,
            task: Some((index % 4) as u32),
            kind,
        };
        hasher.record(&event);
        sink.record(&event);
    }
    RunReport {
        seed: config.seed,
        scenario: config.scenario.name.clone(),
        verdict: if violations.is_empty() {
            Verdict::Pass
        } else {
            Verdict::Fail
        },
        trace_hash: hasher.hex(),
        events: hasher.events(),
        ops,
        faults,
        crashes: 0,
        checks: 1,
        sim_time_ms: hasher.events() * 3,
        steps: hasher.events() * 2,
        swarm: SwarmOptions {
            enabled: config.scenario.swarm,
            ..SwarmOptions::default()
        },
        violations,
        latency_ms: latency,
    }
}
