//! `dst crash-test`: real crashes. For each kill point the seed chooses, a child `dst` process
//! (the hidden `crash-child` command) runs the seed's workload on a redb file, fsyncing every
//! commit and writing every event to its stdout as it happens; the parent reads the lines,
//! kills the child with SIGKILL once it has read as many as the kill point says, keeps every
//! line the child wrote before it died (its acknowledgement log, also written to
//! `kill-N/child.jsonl` beside the file), and judges the file the child left (see
//! `run::run_cut`). The files of a failing run are kept for inspection. Any kill point whose recovery breaks an invariant, or where the
//! re-run does not match the child's log, is a failure (exit 1) with the line to repro it.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::run::{
    kill_points, reaches_liveness, run_child, run_cut, safety_events, CutReport, RunConfig, Verdict,
};

use super::exit::Exit;

/// SIGKILL's number on every Unix.
const SIGKILL: i32 = 9;
use super::repro::shell_quote;
use super::request::{CrashChildRequest, CrashTestRequest};
use super::text::{escape_controls, path_text};

/// The line that re-runs the crash test (the kill points are the same; where the child
/// actually dies after each SIGKILL is up to the operating system).
fn crash_repro(request: &CrashTestRequest) -> String {
    format!(
        "dst crash-test --seed {} --kills {} --scenario {}",
        request.config.seed,
        request.kills,
        shell_quote(&request.scenario_arg)
    )
}

/// The hidden child: runs the seed on the redb file, every event on stdout as a line.
pub fn run_child_cmd(request: &CrashChildRequest) -> Result<Exit, String> {
    let report = run_child(&request.config, &request.db, Box::new(std::io::stdout()));
    Ok(match report.verdict {
        Verdict::Pass => Exit::Pass,
        Verdict::Fail => Exit::Failure,
    })
}

/// A killed child: the complete lines it wrote, or why it did not die as planned.
fn kill_child(request: &CrashTestRequest, db: &Path, target: u64) -> Result<Vec<String>, String> {
    let dir = db.parent().expect("the database lies in a directory");
    let stderr = File::create(dir.join("child.stderr")).map_err(|e| e.to_string())?;
    let exe = std::env::current_exe().map_err(|e| format!("cannot find dst itself: {e}"))?;
    let mut child = Command::new(exe)
        .arg("crash-child")
        .args(["--seed", &request.config.seed.to_string()])
        .args(["--scenario", &request.scenario_arg])
        .arg("--db")
        .arg(db)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .map_err(|e| format!("cannot start the child: {e}"))?;
    let mut out = BufReader::new(child.stdout.take().expect("stdout is piped"));
    let mut lines = Vec::new();
    let mut killed = false;
    loop {
        let mut line = String::new();
        let read = out.read_line(&mut line).map_err(|e| e.to_string())?;
        if read == 0 {
            break;
        }
        let Some(complete) = line.strip_suffix('\n') else {
            break;
        };
        lines.push(complete.to_string());
        if !killed && lines.len() as u64 >= target {
            child
                .kill()
                .map_err(|e| format!("cannot kill the child: {e}"))?;
            killed = true;
        }
    }
    let status = child.wait().map_err(|e| e.to_string())?;
    if status.signal() != Some(SIGKILL) {
        let stderr = std::fs::read_to_string(dir.join("child.stderr")).unwrap_or_default();
        let tail: Vec<&str> = stderr.lines().rev().take(3).collect();
        return Err(format!(
            "the child was to die by SIGKILL after {target} events, but it ended with {status} after {} (stderr: {})",
            lines.len(),
            escape_controls(&tail.into_iter().rev().collect::<Vec<_>>().join(" / "))
        ));
    }
    Ok(lines)
}

/// One kill point: the child killed, its file judged. Returns the failure's text, if any.
fn one_kill(
    request: &CrashTestRequest,
    n: usize,
    target: u64,
    base: &Path,
) -> Result<Option<String>, String> {
    let dir = base.join(format!("kill-{n}"));
    std::fs::create_dir_all(&dir)
        .map_err(|e| format!("cannot create '{}': {e}", path_text(&dir)))?;
    let db = dir.join("store.redb");
    let lines = kill_child(request, &db, target)?;
    let logged = lines.len();
    let log = dir.join("child.jsonl");
    std::fs::write(&log, lines.join("\n") + "\n")
        .map_err(|e| format!("cannot write '{}': {e}", path_text(&log)))?;
    if reaches_liveness(&lines) {
        println!("kill {n}: target event {target}, the child died after {logged} events, in its liveness phase: not judged");
        return Ok(None);
    }
    let integrity = match crate::kv::check_file(&db) {
        Ok(true) => "intact",
        Ok(false) => "repaired by redb",
        Err(e) => return Ok(Some(format!("kill {n}: {}\n", escape_controls(&e)))),
    };
    let cut: CutReport = run_cut(&request.config, lines, &db);
    let verdict = match (&cut.divergence, cut.report.verdict) {
        (None, Verdict::Pass) => "PASS",
        _ => "FAIL",
    };
    println!(
        "kill {n}: target event {target}, the child died after {logged} events ({} operations acknowledged, {} in flight); file {integrity}; recovery and the rest of the run: {verdict}",
        cut.acknowledged, cut.in_flight
    );
    let mut failure = String::new();
    if let Some(divergence) = &cut.divergence {
        failure.push_str(&format!(
            "  the re-run differs from the child's log: {}\n",
            escape_controls(divergence)
        ));
    }
    for violation in &cut.report.violations {
        failure.push_str(&format!(
            "  violation: {}: {}\n",
            violation.invariant,
            escape_controls(&violation.evidence)
        ));
    }
    Ok((!failure.is_empty()).then(|| format!("kill {n} ({}):\n{failure}", path_text(&dir))))
}

/// Runs the request's kill points and prints a line per kill, then the verdict.
pub fn run(request: &CrashTestRequest) -> Result<Exit, String> {
    let config: &RunConfig = &request.config;
    let events = safety_events(config);
    let points = kill_points(config, request.kills, events);
    let base: PathBuf = std::env::temp_dir().join(format!(
        "dst-crash-{}-seed-{}",
        std::process::id(),
        config.seed
    ));
    println!(
        "crash-test: seed {}, scenario {} (faults off), {} kills by SIGKILL among the {events} events of the safety phase, files under {}",
        config.seed,
        config.scenario.name,
        request.kills,
        path_text(&base)
    );
    let mut failures = Vec::new();
    for (i, target) in points.into_iter().enumerate() {
        if let Some(failure) = one_kill(request, i + 1, target, &base)? {
            print!("{failure}");
            failures.push(failure);
        }
    }
    println!("kills {}, failed {}", request.kills, failures.len());
    if failures.is_empty() {
        let _ = std::fs::remove_dir_all(&base);
        return Ok(Exit::Pass);
    }
    println!("files kept for inspection under {}", path_text(&base));
    println!("repro: {}", crash_repro(request));
    Ok(Exit::Failure)
}
