//! `dst run`: a failure's printed repro line reproduces the same violation and hash; the same
//! seed hashes the same in two processes; `--json` has the stable fields.

use crate::common;

use common::{dst, Scratch};

/// Finds a failing seed of a planted bug with a fail-fast sweep; returns (seed, trace hash).
fn first_failing_seed(dir: &std::path::Path) -> (u64, String) {
    let out = dst(
        dir,
        &[
            "sweep",
            "--seeds",
            "1..201",
            "--scenario",
            "contention",
            "--bug",
            "occ-disabled",
            "--jobs",
            "1",
            "--fail-fast",
            "--json",
        ],
    );
    assert_eq!(
        out.code, 1,
        "occ-disabled under contention must be caught:\n{}",
        out.stderr
    );
    let json = out.json();
    let failed = json["results"]
        .as_array()
        .expect("results")
        .iter()
        .find(|r| r["verdict"] == "fail")
        .expect("a failing seed");
    (
        failed["seed"].as_u64().unwrap(),
        failed["trace_hash"].as_str().unwrap().to_string(),
    )
}

#[test]
fn printed_repro_line_reproduces_the_violation_and_hash() {
    let scratch = Scratch::new("repro");
    let (seed, sweep_hash) = first_failing_seed(&scratch.path);
    let seed = seed.to_string();
    let first = dst(
        &scratch.path,
        &[
            "run",
            "--seed",
            &seed,
            "--scenario",
            "contention",
            "--bug",
            "occ-disabled",
        ],
    );
    assert_eq!(first.code, 1, "{}", first.stdout);
    let repro = first
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("repro: "))
        .expect("a failing run prints a repro line");
    let trace = first
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("trace: "))
        .expect("a failing run writes a trace");
    assert!(trace.starts_with("results/"), "{trace}");
    assert!(scratch.join(trace).exists(), "{trace}");
    let words: Vec<&str> = repro.split_whitespace().collect();
    assert_eq!(words[0], "dst");
    let again = dst(&scratch.path, &[&words[1..], &["--json"]].concat());
    assert_eq!(again.code, 1);
    let json = again.json();
    assert_eq!(json["trace_hash"], sweep_hash.as_str());
    let first_invariant = first
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("violation: "))
        .expect("a violation line");
    assert_eq!(json["violations"][0]["invariant"], first_invariant);
    assert_eq!(json["repro"], repro);
}

#[test]
fn same_seed_two_processes_same_hash_and_stable_json_fields() {
    let scratch = Scratch::new("run-json");
    let a = dst(&scratch.path, &["run", "--seed", "7", "--json"]).json();
    let b = dst(&scratch.path, &["run", "--seed", "7", "--json"]).json();
    for field in [
        "seed",
        "scenario",
        "verdict",
        "trace_hash",
        "ops",
        "faults",
        "crashes",
        "violations",
        "repro",
    ] {
        assert!(a.get(field).is_some(), "run --json lacks '{field}'");
    }
    assert_eq!(a["trace_hash"], b["trace_hash"]);
    assert_eq!(a["trace_hash"].as_str().unwrap().len(), 16);
    assert_eq!(a["seed"], 7);
}
