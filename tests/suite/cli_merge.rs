//! `dst merge` and `--shard-index-from-env`: shards merged equal the unsharded sweep in every
//! field but wall times; a shard given twice, a missing shard, shards of different sweeps, an
//! unfinished shard and a folder that is no sweep are refused (exit 2) with a message naming
//! the folders and seeds; `scripts/scale-out/local.sh` runs shards as processes and merges them.

use crate::sweep_support;

use std::path::Path;
use std::process::Command;

use serde_json::Value;
use sweep_support::{differing_fields, dst, dst_env, seed_results, summary, Scratch};

const SEEDS: &str = "1..31";

fn sweep(dir: &Path, out: &str, extra: &[&str]) -> Value {
    let args = [
        &[
            "sweep",
            "--seeds",
            SEEDS,
            "--scenario",
            "contention",
            "--bug",
            "occ-disabled",
        ][..],
        &["--jobs", "2", "--out", out, "--json"],
        extra,
    ]
    .concat();
    let run = dst(dir, &args);
    assert_eq!(
        run.code, 1,
        "occ-disabled fails some seeds:\n{}",
        run.stderr
    );
    run.json()
}

fn shards(dir: &Path) {
    for k in 1..=3 {
        sweep(dir, &format!("s{k}"), &["--shard", &format!("{k}/3")]);
    }
}

#[test]
fn merged_shards_equal_the_unsharded_sweep_but_for_wall_times() {
    let scratch = Scratch::new("merge-equal");
    let dir = &scratch.path;
    let whole = sweep(dir, "whole", &[]);
    shards(dir);
    let merged = dst(
        dir,
        &["merge", "s1", "s2", "s3", "--out", "merged", "--json"],
    );
    assert_eq!(merged.code, 1, "a failure was found: {}", merged.stderr);
    let merged_json = merged.json();
    assert_eq!(
        merged_json["results"], whole["results"],
        "results in seed order"
    );
    let (a, b) = (summary(&dir.join("whole")), summary(&dir.join("merged")));
    assert!(a["failed"].as_u64().unwrap() > 0);
    let differ = differing_fields(&a, &b);
    let differ: Vec<&String> = differ.iter().filter(|f| *f != "failures").collect();
    assert!(differ.is_empty(), "merged differs in {differ:?}");
    let strip = |v: &Value| {
        let mut v = v.clone();
        for failure in v.as_array_mut().unwrap() {
            failure.as_object_mut().unwrap().remove("trace");
        }
        v
    };
    assert_eq!(strip(&a["failures"]), strip(&b["failures"]));
    assert_eq!(
        seed_results(&dir.join("whole")),
        seed_results(&dir.join("merged"))
    );
    let first = a["failures"][0]["seed"].as_u64().unwrap();
    assert!(dir
        .join(format!("merged/traces/seed-{first}.jsonl"))
        .is_file());
    let replay = dst(
        dir,
        &["replay", &format!("merged/traces/seed-{first}.jsonl")],
    );
    assert_eq!(replay.code, 0, "{}", replay.stderr);
    assert_eq!(b["merged_from"].as_array().unwrap().len(), 3);
}

#[test]
fn shards_that_do_not_make_one_sweep_are_refused_naming_why() {
    let scratch = Scratch::new("merge-refuse");
    let dir = &scratch.path;
    shards(dir);
    let twice = dst(dir, &["merge", "s1", "s1", "s2", "s3", "--out", "m"]);
    assert_eq!(twice.code, 2, "{}", twice.stderr);
    assert!(
        twice.stderr.contains("shard 1/3 is given twice"),
        "{}",
        twice.stderr
    );
    let gap = dst(dir, &["merge", "s1", "s3", "--out", "m"]);
    gap.assert_refused("seed 2 is missing");
    assert!(
        !dir.join("m/summary.json").exists(),
        "a failed merge leaves no summary"
    );
    sweep(
        dir,
        "other",
        &["--shard", "1/3", "--until-failures", "1000"],
    );
    let other = dst(dir, &["merge", "s1", "other", "--out", "m"]);
    other.assert_refused("not shards of one sweep");
    let not_a_sweep = dst(dir, &["merge", "s1", "nowhere", "--out", "m"]);
    not_a_sweep.assert_refused("'nowhere' is not a sweep output folder");
    let onto_input = dst(dir, &["merge", "s1", "s2", "s3", "--out", "s2"]);
    onto_input.assert_refused("is one of the shards");
    let partial = dst(
        dir,
        &[
            "sweep",
            "--seeds",
            SEEDS,
            "--scenario",
            "contention",
            "--bug",
            "occ-disabled",
            "--shard",
            "2/3",
            "--fail-fast",
            "--out",
            "p2",
        ],
    );
    assert_eq!(partial.code, 1);
    let unfinished = dst(dir, &["merge", "s1", "p2", "s3", "--out", "m"]);
    unfinished.assert_refused("stopped early");
}

#[test]
fn the_shard_index_comes_from_job_completion_index() {
    let scratch = Scratch::new("merge-env");
    let dir = &scratch.path;
    let args = [
        "sweep",
        "--seeds",
        "1..10",
        "--shard-count",
        "3",
        "--shard-index-from-env",
        "--out",
        "e",
        "--json",
    ];
    let run = dst_env(dir, &args, &[("JOB_COMPLETION_INDEX", "1")]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.json()["shard"], "2/3");
    let seeds: Vec<u64> = run.json()["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["seed"].as_u64().unwrap())
        .collect();
    assert_eq!(seeds, vec![2, 5, 8]);
    let unset = dst_env(dir, &args, &[]);
    unset.assert_refused("JOB_COMPLETION_INDEX is not set");
    let beyond = dst_env(dir, &args, &[("JOB_COMPLETION_INDEX", "3")]);
    beyond.assert_refused("JOB_COMPLETION_INDEX 3 is not below --shard-count 3");
    let bad = dst_env(dir, &args, &[("JOB_COMPLETION_INDEX", "x1")]);
    bad.assert_refused("'x1'");
}

#[test]
fn the_local_scale_out_script_runs_shards_as_processes_and_merges_them() {
    let scratch = Scratch::new("scale-out");
    let dir = &scratch.path;
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/scale-out/local.sh");
    let output = Command::new("bash")
        .arg(&script)
        .args([
            "3",
            "three",
            "--seeds",
            "1..22",
            "--scenario",
            "crash-heavy",
        ])
        .current_dir(dir)
        .env("DST", env!("CARGO_BIN_EXE_dst"))
        .env_remove("JOB_COMPLETION_INDEX")
        .output()
        .expect("bash runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let whole = dst(
        dir,
        &[
            "sweep",
            "--seeds",
            "1..22",
            "--scenario",
            "crash-heavy",
            "--out",
            "whole",
        ],
    );
    assert_eq!(whole.code, 0, "{}", whole.stderr);
    let (a, b) = (
        summary(&dir.join("whole")),
        summary(&dir.join("three/merged")),
    );
    assert_eq!(a["total"], 21);
    assert!(
        differing_fields(&a, &b).is_empty(),
        "{:?}",
        differing_fields(&a, &b)
    );
    for k in 1..=3 {
        let shard = summary(&dir.join(format!("three/shards/{}", k - 1)));
        assert_eq!(shard["shard"], format!("{k}/3"));
    }
}
