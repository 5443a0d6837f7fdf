//! A run's recorded decisions drive the same engine to the same run: recording changes
//! nothing, and replaying the decisions gives the same trace hash, event for event.

use dst::run::{run_recorded, run_seed, RunConfig};
use dst::trace::NullSink;
use dst::workload::Scenario;
use dst::{Bug, BugSet};

fn config(scenario: &str, seed: u64, bugs: BugSet) -> RunConfig {
    RunConfig {
        seed,
        scenario: Scenario::built_in(scenario).unwrap(),
        bugs,
        decisions: None,
    }
}

#[test]
fn recorded_decisions_replay_every_scenario_exactly() {
    for scenario in [
        "default",
        "crash-heavy",
        "contention",
        "corruption",
        "read-faults",
    ] {
        for seed in 1..4 {
            let plain = config(scenario, seed, BugSet::none());
            let unrecorded = run_seed(&plain, &mut NullSink);
            let (recorded, decisions) = run_recorded(&plain, &mut NullSink);
            assert_eq!(
                recorded.trace_hash, unrecorded.trace_hash,
                "{scenario} {seed}"
            );
            assert_eq!(decisions.action_count() as u64, plain.scenario.operations);
            let scripted = RunConfig {
                decisions: Some(decisions),
                ..plain
            };
            let replayed = run_seed(&scripted, &mut NullSink);
            assert_eq!(
                replayed.trace_hash, recorded.trace_hash,
                "{scenario} {seed}"
            );
            assert_eq!(replayed.faults, recorded.faults);
        }
    }
}

#[test]
fn edited_decisions_change_the_run_and_an_empty_script_runs_only_recovery_and_liveness() {
    let plain = config("crash-heavy", 2, BugSet::of(&[Bug::NonAtomicCheckpoint]));
    let (recorded, decisions) = run_recorded(&plain, &mut NullSink);
    assert!(!decisions.faults.is_empty() && !decisions.picks.is_empty());
    let no_faults = RunConfig {
        decisions: Some(dst::workload::Decisions {
            faults: Vec::new(),
            ..decisions.clone()
        }),
        ..plain.clone()
    };
    let report = run_seed(&no_faults, &mut NullSink);
    assert!(report.faults.is_empty(), "{:?}", report.faults);
    assert_eq!(
        report.crashes, 1,
        "only the restart before the liveness phase"
    );
    let idle = RunConfig {
        decisions: Some(dst::workload::Decisions {
            actions: vec![Vec::new(); decisions.tasks as usize],
            ..decisions
        }),
        ..plain
    };
    let report = run_seed(&idle, &mut NullSink);
    assert!(
        report.events * 10 < recorded.events,
        "{} events",
        report.events
    );
}
