//! `dst run`: one seed, its report, and its trace when asked for or when it fails.

use crate::run::{run_seed, Verdict};
use crate::trace::TraceWriter;

use super::exit::Exit;
use super::render_run::{render_run, run_json};
use super::repro::{default_trace_path, repro_line};
use super::request::RunRequest;

/// Runs the request's seed and prints its report; the error is a trace file that cannot be written.
pub fn run(request: &RunRequest) -> Result<Exit, String> {
    let config = &request.config;
    tracing::debug!(seed = config.seed, scenario = %config.scenario.name, "run");
    let mut writer = TraceWriter::new();
    let report = run_seed(config, &mut writer);
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
    if let Some(path) = &trace {
        writer
            .finish(config, &report, path)
            .map_err(|e| format!("cannot write trace '{}': {e}", path.display()))?;
    }
    if request.json {
        let json = run_json(&report, &request.origin, trace.as_deref(), &repro);
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
    Ok(match report.verdict {
        Verdict::Pass => Exit::Pass,
        Verdict::Fail => Exit::Failure,
    })
}
