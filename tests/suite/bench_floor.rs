//! The benchmark floor (`run_floor`) is the same workload as a full run, with the harness off:
//! on a scenario without faults it makes exactly the same storage calls with the same
//! outcomes, and it records no event, check or violation; under faults it makes no fault fire.

use dst::run::{run_floor, run_seed, RunConfig};
use dst::trace::NullSink;
use dst::workload::Scenario;
use dst::{Bug, BugSet};

fn config(scenario: &str, seed: u64) -> RunConfig {
    RunConfig {
        seed,
        scenario: Scenario::built_in(scenario).unwrap(),
        bugs: BugSet::none(),
        decisions: None,
    }
}

#[test]
fn without_faults_the_floor_makes_the_same_calls_as_a_full_run() {
    for seed in 1..6 {
        let config = config("no-faults", seed);
        let full = run_seed(&config, &mut NullSink);
        let floor = run_floor(&config);
        assert!(full.total_ops() > 100, "seed {seed} ran a workload");
        assert_eq!(
            floor.ops, full.ops,
            "seed {seed}: calls by name and outcome"
        );
        assert_eq!(floor.steps, full.steps, "seed {seed}: the same schedule");
        assert_eq!(floor.sim_time_ms, full.sim_time_ms, "seed {seed}");
        assert!(full.events > 0 && full.checks > 0, "the full run judges");
        assert_eq!(
            (floor.events, floor.checks),
            (0, 0),
            "the floor judges nothing"
        );
    }
}

#[test]
fn the_floor_injects_no_fault_and_judges_nothing_even_with_a_planted_bug() {
    for seed in 1..4 {
        let mut config = config("crash-heavy", seed);
        config.bugs = BugSet::of(&[Bug::NonAtomicCheckpoint]);
        let floor = run_floor(&config);
        assert!(floor.faults.values().all(|&n| n == 0), "{:?}", floor.faults);
        assert_eq!(
            floor.crashes, 1,
            "only the restart before the liveness phase"
        );
        assert!(floor.violations.is_empty() && floor.violations_total == 0);
        assert!(floor.total_ops() > 100);
    }
}
