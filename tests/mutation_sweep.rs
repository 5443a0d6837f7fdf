//! The sweep `scripts/mutants.sh` runs against every mutant, and nothing else: a bounded sweep
//! of every shipped scenario, in process. An in-envelope scenario must pass every seed; a
//! scenario that expects a violation (outside the fault envelope) must find one in some seed;
//! and every regression seed of `seeds/regressions.txt` must still do what it pins (a planted
//! bug's seed fails with its invariant, so a mutant that defuses a bug switch is seen too).
//! Every fault rule of a scenario must also have fired with an effect (not inert) on an
//! operation it targets somewhere in the sweep: a mutant that silences a fault, or makes it
//! do nothing, leaves the system correct but the sweep blind, and is caught here.
//! Ignored by `cargo test` (the determinism gate sweeps the same scenarios); run it with
//! `cargo test --test mutation_sweep -- --ignored`. `DST_MUTATION_SEEDS` sets the seeds per
//! scenario (default 24).

use std::collections::BTreeSet;

use dst::kv::{FaultConfig, FaultType, KvOp};
use dst::run::{run_seed, RunConfig, Verdict};
use dst::trace::{Event, EventKind, EventSink, NullSink};
use dst::workload::{Expectation, Scenario, BUILT_IN};
use dst::{Bug, BugSet};

/// The (fault, operation) pairs that fired with an effect.
#[derive(Default)]
struct EffectiveFaults(BTreeSet<(FaultType, KvOp)>);

impl EventSink for EffectiveFaults {
    fn record(&mut self, event: &Event) {
        if let EventKind::Fault {
            fault, op, effect, ..
        } = &event.kind
        {
            if effect != "Inert" {
                self.0.insert((*fault, *op));
            }
        }
    }
}

/// Whether `rule` fired with an effect on one of the operations it targets.
fn rule_fired(rule: &FaultConfig, fired: &EffectiveFaults) -> bool {
    fired
        .0
        .iter()
        .any(|(fault, op)| *fault == rule.fault && rule.matches(*op))
}

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
        let mut fired = EffectiveFaults::default();
        for seed in 1..=seeds {
            let config = RunConfig {
                seed,
                scenario: scenario.clone(),
                bugs: BugSet::none(),
                decisions: None,
            };
            let report = run_seed(&config, &mut fired);
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
        for rule in scenario.fault_rules() {
            assert!(
                !rule.enabled || rule.probability == 0.0 || rule_fired(&rule, &fired),
                "{name}: the {:?} rule on {:?} never fired with an effect in {seeds} seeds",
                rule.fault,
                rule.operations
            );
        }
        if scenario.expect == Expectation::Violation {
            assert!(
                failed > 0,
                "{name} expects a violation; {seeds} seeds found none"
            );
        }
    }
}

#[test]
#[ignore = "the mutation-testing sweep: run by scripts/mutants.sh"]
fn every_regression_seed_still_does_what_it_pins() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/seeds/regressions.txt");
    let text = std::fs::read_to_string(path).expect("seeds/regressions.txt is readable");
    let lines = text
        .lines()
        .map(|l| l.split('#').next().unwrap_or_default().trim());
    let mut pinned = 0;
    for line in lines.filter(|l| !l.is_empty()) {
        let words: Vec<&str> = line.split_whitespace().collect();
        let scenario = Scenario::built_in(words[0]).expect("a built-in scenario");
        let seed: u64 = words[1].parse().expect("a seed");
        let bugs = match words.get(2) {
            Some(name) => BugSet::of(&[name.parse::<Bug>().expect("a planted bug")]),
            None => BugSet::none(),
        };
        let config = RunConfig {
            seed,
            scenario,
            bugs,
            decisions: None,
        };
        let report = run_seed(&config, &mut NullSink);
        match words.get(3) {
            Some(invariant) => assert!(
                report.violations.iter().any(|v| v.invariant == *invariant),
                "{line}: no {invariant} in {:?}",
                report.violations
            ),
            None => assert_eq!(
                report.verdict,
                Verdict::Pass,
                "{line}: {:?}",
                report.violations
            ),
        }
        pinned += 1;
    }
    assert!(pinned > 0, "seeds/regressions.txt pins some seeds");
}
