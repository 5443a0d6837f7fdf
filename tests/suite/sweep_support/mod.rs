//! Helpers for the sweep tests: `dst` with an environment, a `dst` left running (to signal or
//! kill), sweep folders read back, and summaries compared in all but their wall times.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

pub use crate::common::{dst, Run, Scratch};

/// Summary fields that vary between runs of the same sweep: wall times and where it ran.
pub const WALL_FIELDS: [&str; 6] = [
    "wall_us",
    "elapsed_s",
    "seeds_per_s",
    "out",
    "jobs",
    "merged_from",
];

/// Runs `dst ARGS` in `dir` with extra environment variables.
pub fn dst_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_dst"));
    command.args(args).current_dir(dir).env_remove("RUST_LOG");
    command.env_remove("JOB_COMPLETION_INDEX");
    for (name, value) in env {
        command.env(name, value);
    }
    let Output {
        status,
        stdout,
        stderr,
    } = command.output().expect("the dst binary runs");
    Run {
        code: status.code().expect("dst exits with a code, not a signal"),
        stdout: String::from_utf8(stdout).expect("utf-8 stdout"),
        stderr: String::from_utf8(stderr).expect("utf-8 stderr"),
    }
}

/// Starts `dst ARGS` in `dir`, output discarded.
pub fn spawn(dir: &Path, args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_dst"))
        .args(args)
        .current_dir(dir)
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the dst binary starts")
}

/// Sends `signal` (a `kill` name: INT, TERM, KILL) to `child`.
pub fn signal(child: &Child, signal: &str) {
    let status = Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success(), "kill -{signal} failed");
}

/// Waits until `ready()` holds, at most `limit`; panics naming `what` otherwise.
pub fn wait_for(what: &str, limit: Duration, mut ready: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ready() {
        assert!(start.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Waits for `child` to exit, at most `limit`; returns its output and how long it took.
pub fn finish(mut child: Child, limit: Duration) -> (Run, Duration, Option<i32>) {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait on dst") {
            let took = start.elapsed();
            let output = child.wait_with_output().expect("dst output");
            let run = Run {
                code: status.code().unwrap_or(-1),
                stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
                stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            };
            return (run, took, status.code());
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            panic!("dst did not exit within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Lines in `DIR/seeds.jsonl` (0 if absent).
pub fn seed_lines(dir: &Path) -> usize {
    std::fs::read_to_string(dir.join("seeds.jsonl")).map_or(0, |t| t.lines().count())
}

/// `DIR/summary.json`, parsed.
pub fn summary(dir: &Path) -> Value {
    let text = std::fs::read_to_string(dir.join("summary.json"))
        .unwrap_or_else(|e| panic!("{}/summary.json: {e}", dir.display()));
    serde_json::from_str(&text).expect("summary.json is JSON")
}

/// The fields of two summaries that differ, wall-time fields aside.
pub fn differing_fields(a: &Value, b: &Value) -> Vec<String> {
    let (a, b) = (a.as_object().unwrap(), b.as_object().unwrap());
    let mut names: Vec<&String> = a.keys().chain(b.keys()).collect();
    names.sort();
    names.dedup();
    names
        .into_iter()
        .filter(|n| !WALL_FIELDS.contains(&n.as_str()))
        .filter(|n| a.get(*n) != b.get(*n))
        .cloned()
        .collect()
}

/// `DIR/seeds.jsonl` without the wall time of each line.
pub fn seed_results(dir: &Path) -> Vec<Value> {
    std::fs::read_to_string(dir.join("seeds.jsonl"))
        .unwrap()
        .lines()
        .map(|line| {
            let mut value: Value = serde_json::from_str(line).unwrap();
            value.as_object_mut().unwrap().remove("wall_us");
            value
        })
        .collect()
}

/// Writes a copy of built-in scenario `base` with `edit` applied, as `DIR/NAME.json`.
pub fn scenario_file(dir: &Path, base: &str, name: &str, edit: impl FnOnce(&mut Value)) -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(format!("{base}.json"));
    let mut scenario: Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    scenario["name"] = Value::from(name);
    edit(&mut scenario);
    let file = dir.join(format!("{name}.json"));
    std::fs::write(&file, serde_json::to_string_pretty(&scenario).unwrap()).unwrap();
    file
}

/// A scenario whose seeds each take seconds: 300,000 operations.
pub fn slow_scenario(dir: &Path) -> String {
    let file = scenario_file(dir, "default", "slow", |s| {
        s["operations"] = Value::from(300_000);
        s["steps_max"] = Value::from(100_000_000);
        s["time_ms_max"] = Value::from(2_592_000_000u64);
    });
    file.to_str().unwrap().to_string()
}

/// Files under `dir` (recursively) whose name ends with `.tmp`.
pub fn temp_files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return found;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(temp_files(&path));
        } else if path.to_string_lossy().ends_with(".tmp") {
            found.push(path);
        }
    }
    found
}
