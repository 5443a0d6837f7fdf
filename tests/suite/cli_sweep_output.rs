//! What a sweep prints: one header; each failing seed's kept violations counted by name as
//! `dst run` counts them; the cap on written traces stated when it applies; `--jobs` above the
//! cores warned about; memory per job in `--help`; `-v` log lines tagged with their seed; an
//! invalid `RUST_LOG` reported; memory that does not grow with the number of seeds.

use crate::sweep_support;

use std::process::Command;

use std::time::Duration;

use sweep_support::{dst, dst_env, finish, scenario_file, spawn, Scratch};

/// The peak resident memory (VmHWM, KB) of `dst ARGS`, read from /proc while it runs.
fn peak_kb(dir: &std::path::Path, args: &[&str]) -> u64 {
    let child = spawn(dir, args);
    let status = format!("/proc/{}/status", child.id());
    let mut peak = 0;
    let mut child = Some(child);
    while let Some(running) = child.take() {
        if let Ok(text) = std::fs::read_to_string(&status) {
            if let Some(kb) = text
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            {
                peak = peak.max(kb);
            }
        }
        let mut running = running;
        if running.try_wait().unwrap().is_none() {
            std::thread::sleep(Duration::from_millis(5));
            child = Some(running);
        } else {
            let (run, _, code) = finish(running, Duration::from_secs(1));
            assert_eq!(code, Some(0), "{}", run.stderr);
        }
    }
    assert!(peak > 0, "read no memory figure for dst {args:?}");
    peak
}

#[test]
fn failures_are_counted_by_invariant_with_one_header_and_the_trace_cap_stated() {
    let scratch = Scratch::new("output-failures");
    let dir = &scratch.path;
    let run = dst(
        dir,
        &[
            "sweep",
            "--seeds",
            "1..41",
            "--bug",
            "ack-before-durable",
            "--out",
            "o",
        ],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let headers = run
        .stdout
        .lines()
        .filter(|l| l.starts_with("sweep:"))
        .count();
    assert_eq!(headers, 1, "{}", run.stdout);
    assert!(
        run.stdout
            .starts_with("sweep: 40 seeds (1..=40), scenario default, bugs ack-before-durable"),
        "{}",
        run.stdout
    );
    let fail = run
        .stdout
        .lines()
        .find(|l| l.starts_with("  FAIL seed 1 "))
        .unwrap();
    assert!(fail.contains("[acknowledged_durability x"), "{fail}");
    let single = dst(dir, &["run", "--seed", "1", "--bug", "ack-before-durable"]);
    let counts = single
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("violations: "))
        .and_then(|l| {
            l.split_once('(')
                .map(|(_, c)| c.trim_end_matches(')').to_string())
        })
        .unwrap();
    assert!(
        fail.contains(&format!("[{counts}]")),
        "sweep '{fail}' vs run '({counts})'"
    );
    assert!(
        run.stdout
            .contains("traces: written for the first 32 of 40 failing seeds (at most 32)"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("failures by invariant, then by signature")
            && run
                .stdout
                .lines()
                .any(|l| l.starts_with("  acknowledged_durability: ")
                    && l.ends_with(" seeds, first seed 1"))
            && run.stdout.contains("40 failing seeds in all"),
        "one group per invariant, each with its first seed's repro: {}",
        run.stdout
    );
    let fails = run.stdout.lines().filter(|l| l.starts_with("  FAIL seed "));
    assert_eq!(fails.count(), 2, "one repro line per invariant");
    assert_eq!(std::fs::read_dir(dir.join("o/traces")).unwrap().count(), 32);
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("o/summary.json")).unwrap())
            .unwrap();
    assert_eq!(summary["traces_written"], 32);
    assert_eq!(summary["failures"].as_array().unwrap().len(), 40);
    let groups = summary["groups"].as_array().unwrap();
    let grouped: u64 = groups.iter().map(|g| g["seeds"].as_u64().unwrap()).sum();
    assert_eq!(grouped, 40, "every failing seed is in one signature group");
    assert!(groups
        .iter()
        .all(|g| g["repro"].as_str().unwrap().starts_with("dst run --seed ")));
    assert!(
        summary.get("results").is_none(),
        "summary.json keeps no per-seed list"
    );
}

#[test]
fn jobs_above_the_cores_warn_and_help_states_memory_per_job() {
    let scratch = Scratch::new("output-jobs");
    let run = dst(
        &scratch.path,
        &["sweep", "--seeds", "1..3", "--jobs", "1024"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("warning: --jobs 1024 exceeds the"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("MB"), "{}", run.stderr);
    let quiet = dst(&scratch.path, &["sweep", "--seeds", "1..3", "--jobs", "1"]);
    assert!(!quiet.stderr.contains("warning"), "{}", quiet.stderr);
    let help = Command::new(env!("CARGO_BIN_EXE_dst"))
        .args(["sweep", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(help.contains("about 10 MB"), "{help}");
    assert!(
        help.contains("--resume") && help.contains("--shard-index-from-env"),
        "{help}"
    );
}

#[test]
fn verbose_log_lines_carry_their_seed_and_a_bad_rust_log_is_reported() {
    let scratch = Scratch::new("output-logs");
    let run = dst_env(
        &scratch.path,
        &["-v", "sweep", "--seeds", "1..3", "--jobs", "2"],
        &[("RUST_LOG", "dst=debug")],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    for seed in [1, 2] {
        assert!(
            run.stderr.contains(&format!("seed{{seed={seed}}}: dst::")),
            "{}",
            &run.stderr[..2000.min(run.stderr.len())]
        );
    }
    let bad = dst_env(
        &scratch.path,
        &["-v", "run", "--seed", "1"],
        &[("RUST_LOG", "dst=loud")],
    );
    assert_eq!(bad.code, 0);
    assert!(
        bad.stderr
            .contains("warning: RUST_LOG 'dst=loud' is not a valid filter"),
        "{}",
        bad.stderr
    );
}

#[test]
fn memory_does_not_grow_with_the_number_of_seeds() {
    let scratch = Scratch::new("output-memory");
    let dir = &scratch.path;
    let tiny = scenario_file(dir, "default", "tiny", |s| {
        s["operations"] = serde_json::Value::from(5);
        s["agents"] = serde_json::Value::from(1);
        s["tasks"] = serde_json::Value::from(1);
    });
    let tiny = tiny.to_str().unwrap();
    let few = peak_kb(
        dir,
        &[
            "sweep",
            "--scenario",
            tiny,
            "--seeds",
            "1..5001",
            "--jobs",
            "1",
            "--out",
            "few",
        ],
    );
    let many = peak_kb(
        dir,
        &[
            "sweep",
            "--scenario",
            tiny,
            "--seeds",
            "1..40001",
            "--jobs",
            "1",
            "--out",
            "many",
        ],
    );
    assert!(
        many <= few + 6 * 1024,
        "40,000 seeds peaked at {many} KB, 5,000 at {few} KB: results must stay on disk"
    );
}
