//! Whole runs: the correct system passes its scenarios, a run is a pure function of its seed,
//! and a scenario outside the envelope is reported.

use dst::run::{run_seed, RunConfig, RunReport, Verdict};
use dst::trace::NullSink;
use dst::workload::Scenario;
use dst::BugSet;

fn run(scenario: &str, seed: u64) -> RunReport {
    let config = RunConfig {
        seed,
        scenario: Scenario::built_in(scenario).unwrap(),
        bugs: BugSet::none(),
        decisions: None,
    };
    run_seed(&config, &mut NullSink)
}

fn assert_passes(scenario: &str, seeds: std::ops::Range<u64>) {
    for seed in seeds {
        let report = run(scenario, seed);
        assert_eq!(
            report.verdict,
            Verdict::Pass,
            "{scenario} seed {seed}: {:#?}",
            report.violations
        );
        assert!(
            report.total_ops() > 100,
            "{scenario} seed {seed} ran only {} ops",
            report.total_ops()
        );
    }
}

#[test]
fn default_scenario_passes_and_crashes() {
    assert_passes("default", 1..21);
    let crashes: u32 = (1..21).map(|seed| run("default", seed).crashes).sum();
    assert!(crashes > 20, "only {crashes} crashes in 20 default seeds");
}

#[test]
fn every_in_envelope_scenario_passes() {
    for scenario in [
        "no-faults",
        "crash-heavy",
        "read-faults",
        "contention",
        "corruption",
    ] {
        assert_passes(scenario, 1..8);
    }
}

#[test]
fn same_seed_same_run_different_seed_different_run() {
    let a = run("default", 42);
    let b = run("default", 42);
    let c = run("default", 43);
    assert_eq!(a.trace_hash, b.trace_hash);
    assert_eq!(a.total_ops(), b.total_ops());
    assert_ne!(a.trace_hash, c.trace_hash);
}

#[test]
fn lossy_disk_reports_lost_acknowledged_writes() {
    let failing = (1..30)
        .map(|seed| run("lossy-disk", seed))
        .filter(|r| r.verdict == Verdict::Fail)
        .collect::<Vec<_>>();
    assert!(!failing.is_empty(), "lossy-disk never failed in 29 seeds");
    assert!(failing.iter().any(|r| r
        .violations
        .iter()
        .any(|v| v.invariant == "acknowledged_durability")));
}

#[test]
fn an_exhausted_budget_is_a_liveness_violation_not_a_hang() {
    let mut scenario = Scenario::built_in("default").unwrap();
    scenario.time_ms_max = 5;
    let config = RunConfig {
        seed: 5,
        scenario,
        bugs: BugSet::none(),
        decisions: None,
    };
    let report = run_seed(&config, &mut NullSink);
    assert_eq!(report.verdict, Verdict::Fail);
    let liveness = report.violations.iter().find(|v| v.invariant == "liveness");
    let liveness =
        liveness.unwrap_or_else(|| panic!("no liveness violation: {:?}", report.violations));
    assert!(
        liveness.evidence.contains("simulated-time budget"),
        "{}",
        liveness.evidence
    );
}

/// The actions each of 3 tasks draws when they ask in `schedule` order (budget: 10 in all).
fn actions_by_task(schedule: &[u32]) -> Vec<Vec<dst::workload::OpKind>> {
    use dst::sim::{DeterministicRng, SimClock};
    use dst::workload::{IdClasses, IdPool, OpKind, World};
    let rng = DeterministicRng::new(9).fork("workload");
    let ids = IdPool::new(2, 2, IdClasses::default());
    let mut world = World::new(
        SimClock::new(),
        &rng,
        vec![0, 1, 2],
        ids,
        10,
        vec![1; OpKind::ALL.len()],
    );
    let mut by_task = vec![Vec::new(); 3];
    for task in schedule {
        by_task[*task as usize].extend(world.next_action(*task));
    }
    by_task
}

/// Faults change how tasks interleave; they must not change what each task does.
#[test]
fn a_tasks_actions_do_not_depend_on_scheduling() {
    let interleaved = actions_by_task(&[2, 0, 0, 1, 2, 1, 0, 2, 1, 0, 0, 0]);
    let one_by_one = actions_by_task(&[0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2]);
    assert_eq!(
        interleaved.iter().map(Vec::len).collect::<Vec<_>>(),
        vec![4, 3, 3]
    );
    assert_eq!(interleaved, one_by_one);
}
