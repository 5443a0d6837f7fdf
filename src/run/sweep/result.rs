//! What a sweep keeps of one seed's run: enough to report it, never its events.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::run::{RunReport, Verdict, Violation};

/// One seed's outcome in a sweep (one line of `seeds.jsonl`). Every field but `wall_us` is a
/// deterministic function of the seed and the sweep's configuration.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SeedResult {
    /// The seed.
    pub seed: u64,
    /// Pass or fail.
    pub verdict: Verdict,
    /// The trace hash, 16 hex digits (`none` if the run panicked before reporting one).
    pub trace_hash: String,
    /// Events in the trace.
    pub events: u64,
    /// Storage calls made.
    pub ops: u64,
    /// Injected faults by type name.
    pub faults: BTreeMap<String, u64>,
    /// Crashes.
    pub crashes: u32,
    /// Violations kept, in the order found.
    pub violations: Vec<Violation>,
    /// Violations found in all, kept or not.
    pub violations_total: u64,
    /// Wall time of the run, microseconds (the one field that varies between runs).
    pub wall_us: u64,
    /// The coverage marks that fired, with how often (absent when none did).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub coverage: BTreeMap<String, u64>,
}

impl SeedResult {
    /// The result of a run that reported.
    pub fn from_report(report: &RunReport, wall_us: u64) -> SeedResult {
        SeedResult {
            seed: report.seed,
            verdict: report.verdict,
            trace_hash: report.trace_hash.clone(),
            events: report.events,
            ops: report.total_ops(),
            faults: report.faults.clone(),
            crashes: report.crashes,
            violations: report.violations.clone(),
            violations_total: report.violations_total,
            wall_us,
            coverage: report.coverage.clone(),
        }
    }

    /// The result of a run that panicked outside any task (a harness bug), with its message.
    pub fn from_panic(seed: u64, message: String, wall_us: u64) -> SeedResult {
        SeedResult {
            seed,
            verdict: Verdict::Fail,
            trace_hash: "none".to_string(),
            events: 0,
            ops: 0,
            faults: BTreeMap::new(),
            crashes: 0,
            violations: vec![Violation {
                invariant: "panic".to_string(),
                evidence: message,
            }],
            violations_total: 1,
            wall_us,
            coverage: BTreeMap::new(),
        }
    }
}
