//! Continuous sweeps: `--for DURATION` draws fresh seeds from a base seed until the time is up;
//! `--until-failures N` stops at the N-th failure in seed order, the same seeds for any --jobs;
//! bad budgets are refused naming the value.

use crate::sweep_support;

use serde_json::Value;
use sweep_support::{dst, Scratch};

fn seeds(json: &Value) -> Vec<u64> {
    json["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["seed"].as_u64().unwrap())
        .collect()
}

#[test]
fn for_a_duration_draws_fresh_seeds_from_the_base_seed() {
    let scratch = Scratch::new("for");
    let dir = &scratch.path;
    let run = |out: &str| {
        let run = dst(
            dir,
            &[
                "sweep",
                "--for",
                "2s",
                "--base-seed",
                "7",
                "--jobs",
                "1",
                "--out",
                out,
                "--json",
            ],
        );
        assert_eq!(run.code, 0, "{}", run.stderr);
        run.json()
    };
    let (a, b) = (run("a"), run("b"));
    assert_eq!(a["stop"], "time_budget");
    assert_eq!(a["partial"], true);
    assert_eq!(a["seeds"], "fresh seeds from base seed 7");
    assert_eq!(a["planned"], Value::Null);
    let (a, b) = (seeds(&a), seeds(&b));
    assert!(a.len() >= 2, "{a:?}");
    let common = a.len().min(b.len());
    assert_eq!(
        a[..common],
        b[..common],
        "the same base draws the same seeds"
    );
    assert!(
        a.windows(2).any(|w| w[1] != w[0] + 1),
        "seeds are spread, not consecutive: {a:?}"
    );
    let other = dst(
        dir,
        &[
            "sweep",
            "--for",
            "1s",
            "--base-seed",
            "8",
            "--jobs",
            "1",
            "--json",
            "--out",
            "c",
        ],
    );
    assert_ne!(seeds(&other.json())[0], a[0]);
}

#[test]
fn until_failures_stops_at_the_same_failure_for_any_jobs() {
    let scratch = Scratch::new("until");
    let dir = &scratch.path;
    let run = |jobs: &str, out: &str| {
        let run = dst(
            dir,
            &[
                "sweep",
                "--until-failures",
                "3",
                "--base-seed",
                "1",
                "--scenario",
                "contention",
                "--bug",
                "occ-disabled",
                "--jobs",
                jobs,
                "--out",
                out,
                "--json",
            ],
        );
        assert_eq!(run.code, 1, "{}", run.stderr);
        run.json()
    };
    let (one, two) = (run("1", "one"), run("2", "two"));
    assert_eq!(one["failed"], 3);
    assert_eq!(one["stop"], "failure_budget");
    assert_eq!(
        one["results"], two["results"],
        "the same seeds for --jobs 1 and 2"
    );
    let last = one["results"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        last["verdict"], "fail",
        "the sweep ends at its third failure"
    );
    let ranged = dst(
        dir,
        &[
            "sweep",
            "--seeds",
            "1..201",
            "--until-failures",
            "2",
            "--scenario",
            "contention",
            "--bug",
            "occ-disabled",
            "--out",
            "r",
        ],
    );
    assert_eq!(ranged.code, 1);
    assert!(
        ranged
            .stdout
            .contains("partial: stopped at the 2nd failure (--until-failures 2)"),
        "{}",
        ranged.stdout
    );
}

#[test]
fn bad_budgets_are_refused_naming_the_value() {
    let scratch = Scratch::new("budgets");
    let cases: [(&[&str], &str); 6] = [
        (
            &["sweep", "--for", "10"],
            "duration '10' ends in a number without a unit",
        ),
        (&["sweep", "--for", "5x"], "duration '5x'"),
        (&["sweep", "--until-failures", "0"], "--until-failures '0'"),
        (
            &["sweep", "--for", "1m", "--shard", "1/2"],
            "an endless stream cannot be split",
        ),
        (
            &[
                "sweep",
                "--seeds",
                "1..5",
                "--until-failures",
                "2",
                "--fail-fast",
            ],
            "cannot be used with",
        ),
        (&["sweep"], "--seeds"),
    ];
    for (args, needle) in cases {
        let run = dst(&scratch.path, args);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains(needle), "{args:?}: {}", run.stderr);
    }
}
