//! `dst sweep`: same per-seed hashes for any `--jobs` and sweep position, seed counts as in
//! Rust ranges, shards that partition the seeds, and the files under `--out`.

use crate::common;

use common::{dst, Scratch};
use serde_json::Value;

fn results(json: &Value) -> Vec<(u64, String)> {
    json["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| {
            (
                r["seed"].as_u64().unwrap(),
                r["trace_hash"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn sweep(scratch: &Scratch, extra: &[&str]) -> Value {
    let out = dst(
        &scratch.path,
        &[&["sweep", "--scenario", "crash-heavy", "--json"], extra].concat(),
    );
    assert!(out.code == 0 || out.code == 1, "{}", out.stderr);
    out.json()
}

#[test]
fn hashes_are_the_same_for_any_jobs_and_position() {
    let scratch = Scratch::new("sweep-jobs");
    let one = sweep(&scratch, &["--seeds", "1..17", "--jobs", "1"]);
    let two = sweep(&scratch, &["--seeds", "1..17", "--jobs", "2"]);
    assert_eq!(one["total"], 16);
    assert_eq!(results(&one), results(&two));
    let seeds: Vec<u64> = results(&one).iter().map(|r| r.0).collect();
    assert_eq!(
        seeds,
        (1..17).collect::<Vec<u64>>(),
        "results come in seed order"
    );
    let alone = sweep(&scratch, &["--seeds", "13,3", "--jobs", "2"]);
    let by_seed = |seed: u64| results(&one).into_iter().find(|r| r.0 == seed).unwrap().1;
    assert_eq!(results(&alone), vec![(3, by_seed(3)), (13, by_seed(13))]);
    assert_eq!(sweep(&scratch, &["--seeds", "1..=4"])["total"], 4);
}

#[test]
fn shards_partition_the_seeds_and_files_are_written() {
    let scratch = Scratch::new("sweep-shard");
    let whole = results(&sweep(&scratch, &["--seeds", "1..10", "--out", "whole"]));
    let mut parts = Vec::new();
    for shard in ["1/3", "2/3", "3/3"] {
        parts.extend(results(&sweep(
            &scratch,
            &["--seeds", "1..10", "--shard", shard],
        )));
    }
    parts.sort();
    assert_eq!(parts, whole);
    let lines = std::fs::read_to_string(scratch.join("whole/seeds.jsonl")).unwrap();
    assert_eq!(lines.lines().count(), 9);
    let summary: Value =
        serde_json::from_str(&std::fs::read_to_string(scratch.join("whole/summary.json")).unwrap())
            .unwrap();
    assert_eq!(summary["total"], 9);
}
