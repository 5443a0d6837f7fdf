//! Interruption and resume: Ctrl-C and SIGTERM write a partial summary and exit 130 / 143; a
//! second Ctrl-C exits at once; `--resume` after kill -9 (or a signal) ends with the summary of
//! an uninterrupted sweep; a reused `--out` is cleared, never mixed; another sweep's folder is
//! not resumed; two processes never share a folder; default `--out` names never collide.

use crate::sweep_support;

use std::time::Duration;

use sweep_support::{
    differing_fields, dst, finish, scenario_file, seed_lines, seed_results, signal, slow_scenario,
    spawn, summary, temp_files, wait_for, Scratch,
};

const SEEDS: &str = "1..81";

fn args<'a>(out: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    [
        &["sweep", "--seeds", SEEDS, "--jobs", "2", "--out", out][..],
        extra,
    ]
    .concat()
}

fn checkpointed(dir: &std::path::Path) -> u64 {
    std::fs::read_to_string(dir.join("checkpoint.json"))
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .and_then(|v| v["seeds_done"].as_u64())
        .unwrap_or(0)
}

#[test]
fn resume_after_kill_9_or_a_signal_equals_an_uninterrupted_sweep() {
    let scratch = Scratch::new("resume");
    let dir = &scratch.path;
    // Seeds of about a quarter of a second, so the sweep is still running at its first
    // checkpoint (twice a second) even on a fast machine.
    let medium = scenario_file(dir, "default", "medium", |s| {
        s["operations"] = serde_json::Value::from(20_000);
        s["steps_max"] = serde_json::Value::from(40_000_000);
        s["time_ms_max"] = serde_json::Value::from(2_592_000_000u64);
    });
    let medium = medium.to_str().unwrap();
    let args = |out: &'static str, extra: &[&'static str]| -> Vec<&str> {
        let base = [
            "sweep",
            "--scenario",
            medium,
            "--seeds",
            "1..25",
            "--jobs",
            "2",
        ];
        [&base[..], &["--out", out], extra].concat()
    };
    let whole = dst(dir, &args("whole", &[]));
    assert_eq!(whole.code, 0, "{}", whole.stderr);

    let child = spawn(dir, &args("killed", &[]));
    wait_for("a checkpoint", Duration::from_secs(60), || {
        checkpointed(&dir.join("killed")) >= 2
    });
    signal(&child, "KILL");
    let (_, _, code) = finish(child, Duration::from_secs(10));
    assert_eq!(code, None, "kill -9 leaves no exit code");
    assert!(
        seed_lines(&dir.join("killed")) < 24,
        "killed before the end"
    );
    let resumed = dst(dir, &args("killed", &["--resume"]));
    assert_eq!(resumed.code, 0, "{}", resumed.stderr);
    assert!(
        resumed.stdout.contains("resuming after"),
        "{}",
        resumed.stdout
    );

    let child = spawn(dir, &args("stopped", &[]));
    wait_for("a few seeds", Duration::from_secs(60), || {
        seed_lines(&dir.join("stopped")) >= 2
    });
    signal(&child, "INT");
    let (run, _, code) = finish(child, Duration::from_secs(30));
    assert_eq!(code, Some(130), "{}", run.stderr);
    let partial = summary(&dir.join("stopped"));
    assert_eq!(partial["partial"], true);
    assert_eq!(partial["stop"], "interrupted");
    assert_eq!(partial["interrupted_by"], "SIGINT");
    let total = partial["total"].as_u64().unwrap() as usize;
    assert_eq!(total, seed_lines(&dir.join("stopped")));
    assert!(
        run.stdout.contains("partial: interrupted by SIGINT after"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("--resume"), "{}", run.stdout);
    let resumed = dst(dir, &args("stopped", &["--resume"]));
    assert_eq!(resumed.code, 0, "{}", resumed.stderr);

    let expected = summary(&dir.join("whole"));
    for folder in ["killed", "stopped"] {
        let got = summary(&dir.join(folder));
        let differ = differing_fields(&expected, &got);
        assert!(differ.is_empty(), "{folder}: {differ:?}");
        assert_eq!(
            seed_results(&dir.join("whole")),
            seed_results(&dir.join(folder))
        );
        assert!(temp_files(&dir.join(folder)).is_empty());
    }
}

#[test]
fn sigterm_exits_143_and_a_second_ctrl_c_exits_at_once() {
    let scratch = Scratch::new("signals");
    let dir = &scratch.path;
    let child = spawn(dir, &args("term", &[]));
    wait_for("a few seeds", Duration::from_secs(60), || {
        seed_lines(&dir.join("term")) >= 3
    });
    signal(&child, "TERM");
    let (run, _, code) = finish(child, Duration::from_secs(30));
    assert_eq!(code, Some(143), "{}", run.stderr);
    assert_eq!(summary(&dir.join("term"))["interrupted_by"], "SIGTERM");

    let slow = slow_scenario(dir);
    let child = spawn(
        dir,
        &[
            "sweep",
            "--scenario",
            &slow,
            "--seeds",
            "1..5",
            "--jobs",
            "1",
            "--out",
            "slow",
        ],
    );
    wait_for("the sweep to start", Duration::from_secs(30), || {
        dir.join("slow/sweep.json").exists()
    });
    std::thread::sleep(Duration::from_millis(300));
    signal(&child, "INT");
    std::thread::sleep(Duration::from_millis(300));
    signal(&child, "INT");
    let (run, took, code) = finish(child, Duration::from_secs(60));
    assert_eq!(code, Some(130), "{}", run.stderr);
    assert!(
        took < Duration::from_secs(2),
        "the second Ctrl-C took {took:?}"
    );
    assert!(
        run.stderr.contains("Ctrl-C again to exit at once"),
        "{}",
        run.stderr
    );
    assert!(
        !dir.join("slow/summary.json").exists(),
        "no summary after the second Ctrl-C"
    );
}

#[test]
fn a_reused_out_is_cleared_and_never_mixed() {
    let scratch = Scratch::new("reuse");
    let dir = &scratch.path;
    let first = dst(
        dir,
        &[
            "sweep",
            "--seeds",
            "1..4",
            "--bug",
            "ack-before-durable",
            "--out",
            "o",
        ],
    );
    assert_eq!(first.code, 1, "{}", first.stderr);
    assert!(dir.join("o/traces/seed-1.jsonl").exists());
    std::fs::write(dir.join("o/notes.txt"), "mine").unwrap();
    let second = dst(dir, &["sweep", "--seeds", "10..12", "--out", "o", "--json"]);
    assert_eq!(second.code, 0, "{}", second.stderr);
    assert!(
        second.stderr.contains("removed the previous sweep's files"),
        "{}",
        second.stderr
    );
    let seeds: Vec<u64> = seed_results(&dir.join("o"))
        .iter()
        .map(|r| r["seed"].as_u64().unwrap())
        .collect();
    assert_eq!(seeds, vec![10, 11]);
    assert_eq!(summary(&dir.join("o"))["total"], 2);
    assert!(
        !dir.join("o/traces/seed-1.jsonl").exists(),
        "old traces are removed"
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("o/notes.txt")).unwrap(),
        "mine"
    );

    let other = dst(
        dir,
        &["sweep", "--seeds", "10..13", "--out", "o", "--resume"],
    );
    other.assert_refused("holds another sweep (seeds 10..=11 and 10..=12)");
    let fresh = dst(
        dir,
        &["sweep", "--seeds", "10..12", "--out", "new", "--resume"],
    );
    assert_eq!(fresh.code, 0);
    assert!(
        fresh.stderr.contains("nothing to resume"),
        "{}",
        fresh.stderr
    );
    let done = dst(
        dir,
        &[
            "sweep", "--seeds", "10..12", "--out", "new", "--resume", "--json",
        ],
    );
    assert_eq!(done.code, 0);
    assert_eq!(
        done.json()["total"],
        2,
        "resuming a finished sweep reports it again"
    );
}

#[test]
fn two_processes_never_write_one_folder() {
    let scratch = Scratch::new("lock");
    let dir = &scratch.path;
    let slow = slow_scenario(dir);
    let child = spawn(
        dir,
        &[
            "sweep",
            "--scenario",
            &slow,
            "--seeds",
            "1..3",
            "--jobs",
            "1",
            "--out",
            "busy",
        ],
    );
    wait_for("the sweep to start", Duration::from_secs(30), || {
        dir.join("busy/sweep.json").exists()
    });
    let second = dst(dir, &["sweep", "--seeds", "1..3", "--out", "busy"]);
    signal(&child, "KILL");
    let _ = finish(child, Duration::from_secs(10));
    assert_eq!(second.code, 2, "{}", second.stderr);
    assert!(
        second.stderr.contains("in use by another dst process"),
        "{}",
        second.stderr
    );
}

#[test]
fn default_out_names_never_collide_for_different_sweeps() {
    let scratch = Scratch::new("default-out");
    let dir = &scratch.path;
    let mut outs = Vec::new();
    for seeds in ["1,5,9", "1,9", "1..4", "1..=3"] {
        let run = dst(dir, &["sweep", "--seeds", seeds, "--json"]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        outs.push(run.json()["out"].as_str().unwrap().to_string());
    }
    for (name, ops) in [("a", 100), ("b", 200)] {
        let file = sweep_support::scenario_file(dir, "default", "same-name", |s| {
            s["operations"] = serde_json::Value::from(ops);
        });
        let copy = dir.join(format!("{name}.json"));
        std::fs::rename(file, &copy).unwrap();
        let run = dst(
            dir,
            &[
                "sweep",
                "--seeds",
                "1..3",
                "--scenario",
                copy.to_str().unwrap(),
                "--json",
            ],
        );
        assert_eq!(run.code, 0, "{}", run.stderr);
        outs.push(run.json()["out"].as_str().unwrap().to_string());
    }
    assert_eq!(
        outs[2], outs[3],
        "the same seeds, written two ways, share a folder (for --resume)"
    );
    outs.remove(3);
    let mut distinct = outs.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), outs.len(), "{outs:?}");
    assert!(
        outs.iter().all(|o| o.starts_with("results/sweeps/")),
        "{outs:?}"
    );
}
