//! The differential test: two hundred seeds (100 each of `no-faults` and `contention`), faults
//! off, run on `SimStorage` and on redb, must agree on every operation's result and answer,
//! every event and the final durable state, and pass every check on both. No seed has disagreed
//! so far; a seed that does becomes a regression seed here, named with the bug it found.

use std::process::Command;

use dst::run::{diff_backends, RunConfig, Verdict};
use dst::workload::Scenario;
use dst::BugSet;

/// Seeds of each scenario (two threads share them).
const SEEDS: u64 = 100;

fn config(scenario: &str, seed: u64) -> RunConfig {
    RunConfig {
        seed,
        scenario: Scenario::built_in(scenario).unwrap(),
        bugs: BugSet::none(),
        decisions: None,
    }
}

/// Compares `seeds` of `scenario`; returns the failures as text.
fn compare(scenario: &str, seeds: impl Iterator<Item = u64>) -> Vec<String> {
    let mut failures = Vec::new();
    for seed in seeds {
        let diff = diff_backends(&config(scenario, seed));
        assert!(
            diff.ops_compared > 1000,
            "seed {seed} compared its operations"
        );
        if let Some(difference) = diff.difference {
            failures.push(format!("{scenario} seed {seed}: {difference:?}"));
        }
        for report in [&diff.sim, &diff.redb] {
            if report.verdict == Verdict::Fail {
                failures.push(format!("{scenario} seed {seed}: {:?}", report.violations));
            }
        }
    }
    failures
}

#[test]
fn sim_storage_and_redb_agree_on_hundreds_of_seeds() {
    let failures: Vec<String> = std::thread::scope(|scope| {
        let workers: Vec<_> = [0, 1]
            .into_iter()
            .map(|odd| {
                scope.spawn(move || {
                    let mine = move |seed: &u64| seed % 2 == odd;
                    let mut failures = compare("no-faults", (1..=SEEDS).filter(mine));
                    failures.extend(compare("contention", (1..=SEEDS).filter(mine)));
                    failures
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect()
    });
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_command_reports_agreement_and_refuses_bad_seeds() {
    let dst = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_dst"))
            .args(args)
            .output()
            .unwrap()
    };
    let out = dst(&[
        "diff-backends",
        "--seeds",
        "1..3",
        "--scenario",
        "contention",
    ]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains("2 seeds (1..=2), scenario contention, faults off"),
        "{text}"
    );
    assert!(text.contains("agree 2, differ 0"), "{text}");
    let out = dst(&["diff-backends", "--seeds", "5..2"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("'5..2'"), "{err}");
}
