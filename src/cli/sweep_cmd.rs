//! `dst sweep`: many seeds across workers, progress on stderr, results on disk, a summary.

use std::path::Path;

use crate::run::sweep::{sweep, SeedResult};
use crate::run::Verdict;
use crate::trace::write_atomically;

use super::exit::Exit;
use super::progress::Progress;
use super::render_sweep::{SeedLine, SweepOutcome};
use super::request::SweepRequest;
use super::sweep_files::{write_failure_traces, SeedsLog};

/// Runs the sweep and prints its summary; the error is an output file that cannot be written.
pub fn run(request: &SweepRequest) -> Result<Exit, String> {
    let spec = &request.spec;
    let mut log = SeedsLog::create(&request.out)?;
    let mut progress = Progress::new(spec.count());
    eprintln!(
        "sweep: {} seeds ({}), {} jobs",
        spec.count(),
        request.seeds_arg,
        spec.jobs
    );
    let mut results: Vec<SeedLine> = Vec::new();
    let mut failures: Vec<SeedResult> = Vec::new();
    let mut log_error = None;
    let stats = sweep(spec, &mut |result| {
        if log_error.is_none() {
            log_error = log.write(result).err();
        }
        results.push(SeedLine {
            seed: result.seed,
            verdict: result.verdict,
            trace_hash: result.trace_hash.clone(),
        });
        if result.verdict == Verdict::Fail {
            failures.push(result.clone());
        }
        progress.tick(result.verdict == Verdict::Fail);
    });
    progress.finish();
    if let Some(error) = log_error {
        return Err(error);
    }
    let traces = write_failure_traces(spec, &failures, &request.out);
    let outcome = SweepOutcome {
        request,
        stats: &stats,
        results: &results,
        failures: &failures,
        traces: &traces,
    };
    let json = serde_json::to_string_pretty(&outcome.json()).expect("a summary serializes");
    let summary = request.out.join("summary.json");
    write_atomically(Path::new(&summary), json.as_bytes())
        .map_err(|e| format!("cannot write '{}': {e}", summary.display()))?;
    if request.json {
        println!("{json}");
    } else {
        print!("{}", outcome.human());
    }
    Ok(if stats.failed == 0 {
        Exit::Pass
    } else {
        Exit::Failure
    })
}
