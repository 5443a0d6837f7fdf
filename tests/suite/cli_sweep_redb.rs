//! `dst sweep --backend redb`: a sweep on a real database file per seed, judged as on
//! `SimStorage`, whose failures reproduce on redb and whose shards merge as redb shards.

use std::path::Path;

use serde_json::Value;

use crate::sweep_support::{dst, seed_results, summary, Scratch};

/// Each seed's trace hash, in seed order.
fn hashes(dir: &Path) -> Vec<(u64, String)> {
    seed_results(dir)
        .iter()
        .map(|line| {
            let seed = line["seed"].as_u64().expect("a seed number");
            let hash = line["trace_hash"].as_str().expect("a trace hash");
            (seed, hash.to_string())
        })
        .collect()
}

#[test]
fn a_sweep_on_redb_hashes_as_on_sim_storage_when_redb_takes_every_fault() {
    let scratch = Scratch::new("sweep-redb-hashes");
    let seeds = ["sweep", "--seeds", "1..5", "--jobs", "2"];
    let sim = dst(&scratch.path, &[&seeds[..], &["--out", "sim"]].concat());
    assert_eq!(sim.code, 0, "{}", sim.stderr);
    let redb = dst(
        &scratch.path,
        &[&seeds[..], &["--backend", "redb", "--out", "redb"]].concat(),
    );
    assert_eq!(redb.code, 0, "{}{}", redb.stdout, redb.stderr);
    assert!(
        redb.stdout.contains("scenario default on redb,"),
        "{}",
        redb.stdout
    );
    let on_redb = hashes(&scratch.join("redb"));
    assert_eq!(on_redb.len(), 4, "every seed swept");
    assert_eq!(on_redb, hashes(&scratch.join("sim")));
}

#[test]
fn failures_on_redb_reproduce_on_redb_and_offer_no_shrink_also_after_a_merge() {
    let scratch = Scratch::new("sweep-redb-failures");
    let sweep = ["sweep", "--seeds", "1..5", "--bug", "since-inclusive"];
    let redb = ["--backend", "redb", "--jobs", "2"];
    let whole = dst(
        &scratch.path,
        &[&sweep[..], &redb[..], &["--json", "--out", "whole"]].concat(),
    );
    assert_eq!(whole.code, 1, "{}", whole.stderr);
    let json = whole.json();
    let failures = json["failures"].as_array().expect("failures");
    assert!(!failures.is_empty(), "{json}");
    for failure in failures {
        let seed = failure["seed"].as_u64().unwrap();
        let repro = format!(
            "dst run --seed {seed} --scenario default --bug since-inclusive --backend redb"
        );
        assert_eq!(failure["repro"], Value::from(repro));
        assert_eq!(failure["shrink"], Value::Null, "redb cannot shrink");
    }
    let human = dst(
        &scratch.path,
        &[&sweep[..], &redb[..], &["--out", "human"]].concat(),
    );
    assert_eq!(human.code, 1, "{}", human.stderr);
    assert!(human.stdout.contains("--backend redb"), "{}", human.stdout);
    assert!(!human.stdout.contains("shrink:"), "{}", human.stdout);
    for shard in ["1/2", "2/2"] {
        let out = format!("shard{}", &shard[..1]);
        let run = dst(
            &scratch.path,
            &[&sweep[..], &redb[..], &["--shard", shard, "--out", &out]].concat(),
        );
        assert!(run.code <= 1, "{}", run.stderr);
    }
    let merged = dst(
        &scratch.path,
        &["merge", "shard1", "shard2", "--out", "merged"],
    );
    assert_eq!(merged.code, 1, "{}", merged.stderr);
    let merged = failing_seeds(&summary(&scratch.join("merged")));
    assert_eq!(merged, failing_seeds(&summary(&scratch.join("whole"))));
    assert!(merged
        .iter()
        .all(|(_, repro, shrink)| repro.ends_with(" --backend redb") && shrink.is_null()));
}

/// Each failure of a summary: its seed, repro line and shrink line.
fn failing_seeds(summary: &Value) -> Vec<(u64, String, Value)> {
    let failures = summary["failures"].as_array().expect("failures");
    failures
        .iter()
        .map(|f| {
            let repro = f["repro"].as_str().expect("a repro line");
            let seed = f["seed"].as_u64().expect("a seed number");
            (seed, repro.to_string(), f["shrink"].clone())
        })
        .collect()
}

#[test]
fn a_sweep_on_redb_notes_faults_left_out_and_refuses_what_redb_cannot_take() {
    let scratch = Scratch::new("sweep-redb-refusals");
    let lossy = dst(
        &scratch.path,
        &[
            "sweep",
            "--seeds",
            "1..3",
            "--scenario",
            "lossy-disk",
            "--backend",
            "redb",
            "--out",
            "lossy",
        ],
    );
    assert_eq!(lossy.code, 0, "{}{}", lossy.stdout, lossy.stderr);
    assert!(
        lossy
            .stderr
            .contains("note: redb: left out unflushed_loss, fsync_fail"),
        "{}",
        lossy.stderr
    );
    let planted = dst(
        &scratch.path,
        &[
            "sweep",
            "--seeds",
            "1..3",
            "--backend",
            "redb",
            "--bug",
            "torn-commit",
        ],
    );
    planted.assert_refused("bug 'torn-commit' lives in SimStorage");
    let unknown = dst(
        &scratch.path,
        &["sweep", "--seeds", "1..3", "--backend", "fdb"],
    );
    unknown.assert_refused("backend 'fdb' must be 'sim' or 'redb'");
}
