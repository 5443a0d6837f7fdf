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

/// The `(op, args)` of every operation `task` started in the safety phase of `config`'s run.
fn safety_ops_of(config: &RunConfig, task: u32) -> Vec<(String, String)> {
    use dst::trace::{EventKind, Phase, VecSink};
    let mut sink = VecSink::default();
    run_seed(config, &mut sink);
    sink.events
        .iter()
        .take_while(|event| {
            !matches!(
                event.kind,
                EventKind::Phase {
                    phase: Phase::Liveness
                }
            )
        })
        .filter(|event| event.task == Some(task))
        .filter_map(|event| match &event.kind {
            EventKind::OpStart { op, args, .. } => Some((op.to_string(), args.clone())),
            _ => None,
        })
        .collect()
}

/// A task's number in the scenario, not its place in the run, names its random stream and
/// its home agent: the scenario's task 3 run alone does what it does as the fourth of four
/// tasks whose others only read.
#[test]
fn a_task_numbered_in_the_decisions_does_what_the_scenarios_task_of_that_number_does() {
    use dst::workload::{Decisions, OpKind};
    let plain = config("no-faults", 1, BugSet::none());
    let (_, recorded) = run_recorded(&plain, &mut NullSink);
    let reads = vec![
        OpKind::LoadAgent,
        OpKind::AgentExists,
        OpKind::LoadBlocks,
        OpKind::ListSessions,
        OpKind::LoadAgent,
        OpKind::LoadBlocks,
    ];
    let script = |tasks: u32, actions: Vec<Vec<OpKind>>, numbers: Vec<u32>| RunConfig {
        decisions: Some(
            Decisions {
                tasks,
                task_numbers: Vec::new(),
                actions,
                faults: Vec::new(),
                picks: Vec::new(),
                ..recorded.clone()
            }
            .renumbered(numbers),
        ),
        ..plain.clone()
    };
    let fourth = script(
        4,
        vec![vec![], vec![], vec![], reads.clone()],
        vec![0, 1, 2, 3],
    );
    let alone = script(1, vec![reads.clone()], vec![3]);
    let first = script(1, vec![reads], vec![0]);
    let expected = safety_ops_of(&fourth, 3);
    assert_eq!(
        expected.len(),
        7,
        "the recovery read and six actions: {expected:?}"
    );
    assert_eq!(
        expected[0],
        ("load_latest_session".to_string(), "agent-3".to_string())
    );
    assert_eq!(safety_ops_of(&alone, 0), expected);
    assert_ne!(safety_ops_of(&first, 0), expected);
}
