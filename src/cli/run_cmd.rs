//! `dst run`: one seed, its report, and its trace when asked for or when it fails.
//!
//! A trace that cannot be written never hides the result: the report (verdict, violations,
//! repro line) is printed, the problem follows as a warning, and the exit code is 1 when the
//! run failed, else 2. A `--trace` path that is a symlink, a FIFO or a character device is
//! written through; the default path under `results/traces/` is replaced only if it is a file.

use std::path::{Path, PathBuf};

use crate::run::{run_judged, RunConfig, RunReport, Verdict};
use crate::trace::TraceWriter;

use super::exit::Exit;
use super::render_run::{render_run, run_json};
use super::report_cmd;
use super::repro::{default_trace_path, repro_line};
use super::request::RunRequest;
use super::sweep_dir::irregular_kind;
use super::text::{escape_controls, path_text};

/// Writes the run's trace to `path` (named by the user or not); the error says why it could not.
fn write_trace(
    writer: &TraceWriter,
    config: &RunConfig,
    report: &RunReport,
    path: &Path,
    named_by_user: bool,
) -> Result<(), String> {
    let cannot = |why: String| format!("cannot write trace '{}': {why}", path_text(path));
    if named_by_user {
        return writer
            .finish_to(config, report, path)
            .map_err(|e| cannot(e.to_string()));
    }
    if let Some(kind) = irregular_kind(path) {
        return Err(cannot(format!(
            "it is a {kind}, and dst replaces only regular files under results/"
        )));
    }
    writer
        .finish(config, report, path)
        .map_err(|e| cannot(e.to_string()))
}

/// Runs the request's seed and prints its report; output problems are warnings after it.
pub fn run(request: &RunRequest) -> Result<Exit, String> {
    let config = &request.config;
    let span = tracing::debug_span!("seed", seed = config.seed);
    let _entered = span.enter();
    tracing::debug!(scenario = %config.scenario.name, "run");
    for note in &request.notes {
        eprintln!("note: {note}");
    }
    let mut writer = TraceWriter::new();
    let report = run_judged(config, &mut writer);
    assert_eq!(
        report.seed, config.seed,
        "the report is of the seed that ran"
    );
    let repro = repro_line(config.seed, &request.origin);
    let trace = match (&request.trace, report.verdict) {
        (Some(path), _) => Some(path.clone()),
        (None, Verdict::Fail) => Some(default_trace_path(config.seed, &request.origin)),
        (None, Verdict::Pass) => None,
    };
    let mut warnings = Vec::new();
    let trace: Option<PathBuf> = trace.filter(|path| {
        write_trace(&writer, config, &report, path, request.trace.is_some())
            .map_err(|e| warnings.push(e))
            .is_ok()
    });
    let html = match (&trace, report.verdict) {
        (Some(path), Verdict::Fail) => {
            report_cmd::run_html(request, path, &repro).unwrap_or_else(|e| {
                warnings.push(e);
                None
            })
        }
        _ => None,
    };
    if request.json {
        let json = run_json(
            &report,
            &request.origin,
            trace.as_deref(),
            &repro,
            &warnings,
        );
        println!(
            "{}",
            serde_json::to_string_pretty(&json).expect("a report serializes")
        );
    } else {
        print!(
            "{}",
            render_run(&report, &request.origin, trace.as_deref(), &repro)
        );
    }
    if let Some(page) = html {
        eprintln!("html: {}", path_text(&page));
    }
    for warning in &warnings {
        eprintln!("warning: {}", escape_controls(warning));
    }
    Ok(match report.verdict {
        Verdict::Fail => Exit::Failure,
        Verdict::Pass if warnings.is_empty() => Exit::Pass,
        Verdict::Pass => Exit::BadInput,
    })
}
