//! The sweep `scripts/mutants.sh` runs against every mutant, and nothing else: a bounded sweep
//! of every shipped scenario, in process. An in-envelope scenario must pass every seed; a
//! scenario that expects a violation (outside the fault envelope) must find one in some seed.
//! Ignored by `cargo test` (the determinism gate sweeps the same scenarios); run it with
//! `cargo test --test mutation_sweep -- --ignored`. `DST_MUTATION_SEEDS` sets the seeds per
//! scenario (default 24).

use dst::run::{run_seed, RunConfig, Verdict};
use dst::trace::NullSink;
use dst::workload::{Expectation, Scenario, BUILT_IN};
use dst::BugSet;

fn seeds_per_scenario() -> u64 {
    match std::env::var("DST_MUTATION_SEEDS") {
        Ok(text) => text
            .parse()
            .unwrap_or_else(|_| panic!("DST_MUTATION_SEEDS is '{text}', not a number")),
        Err(_) => 24,
    }
}

#[test]
#[ignore = "the mutation-testing sweep: run by scripts/mutants.sh"]
fn every_shipped_scenario_holds_its_expectation() {
    let seeds = seeds_per_scenario();
    assert!(seeds > 0, "a sweep runs at least one seed");
    for (name, _) in BUILT_IN {
        let scenario = Scenario::built_in(name).expect("built-in scenarios are valid");
        let mut failed = 0;
        for seed in 1..=seeds {
            let config = RunConfig {
                seed,
                scenario: scenario.clone(),
                bugs: BugSet::none(),
            };
            let report = run_seed(&config, &mut NullSink);
            if report.verdict == Verdict::Fail {
                failed += 1;
                assert_ne!(
                    scenario.expect,
                    Expectation::Pass,
                    "dst run --seed {seed} --scenario {name}: {:?}",
                    report.violations.first()
                );
            }
        }
        if scenario.expect == Expectation::Violation {
            assert!(
                failed > 0,
                "{name} expects a violation; {seeds} seeds found none"
            );
        }
    }
}
