//! `dst shrink`: shrink a failing run, write the minimal run as a trace, and show it.
//!
//! Progress goes to stderr (at most one line a second); the outcome to stdout, as text or
//! JSON. The minimal trace is written with the same writer as `dst run`, from a run of the
//! shrunk decisions judged as `dst replay` judges it, so replaying it reproduces it exactly.

use std::time::{Duration, Instant};

use crate::run::{run_judged, shrink, RunConfig, ShrinkOutcome, ShrinkProgress};
use crate::trace::{EventSink, TraceWriter, VecSink};

use super::exit::Exit;
use super::render_shrink::{render_shrink, ShrinkJson};
use super::repro::shell_quote;
use super::request::ShrinkRequest;
use super::text::path_text;

/// Least time between two progress lines.
const PROGRESS_EVERY: Duration = Duration::from_secs(1);

/// Shrinks the request's run and prints the outcome; errors (exit 2): the run does not fail,
/// or the minimal trace cannot be written.
pub fn run(request: &ShrinkRequest) -> Result<Exit, String> {
    let config = &request.config;
    eprintln!(
        "shrink: seed {} of {}: at most {} runs or {} s",
        config.seed, config.scenario.name, request.max_attempts, request.max_seconds
    );
    let started = Instant::now();
    let deadline = Duration::from_secs(request.max_seconds);
    let mut shown = Instant::now();
    let mut keep_going = |progress: &ShrinkProgress| {
        if shown.elapsed() >= PROGRESS_EVERY {
            shown = Instant::now();
            eprintln!(
                "shrink: {} runs, smallest failing run so far: {} events, {} actions, {} faults",
                progress.attempts, progress.events, progress.actions, progress.faults
            );
        }
        progress.attempts < request.max_attempts && started.elapsed() < deadline
    };
    let outcome = shrink(config, request.invariant.as_deref(), &mut keep_going)?;
    let shrunk = RunConfig {
        decisions: Some(outcome.decisions.clone()),
        ..config.clone()
    };
    let listing = write_minimal_trace(&shrunk, request)?;
    let repro = format!("dst replay {}", shell_quote(&path_text(&request.output)));
    let elapsed = started.elapsed().as_secs_f64();
    eprintln!(
        "shrink: done after {} runs in {elapsed:.1} s{}",
        outcome.attempts,
        if outcome.cut_short {
            " (cut short by the budget: the run may shrink further)"
        } else {
            ""
        }
    );
    print_outcome(request, &outcome, &listing, &repro);
    Ok(Exit::Pass)
}

/// Runs the minimal run once and writes its trace; returns its events for the listing.
fn write_minimal_trace(shrunk: &RunConfig, request: &ShrinkRequest) -> Result<VecSink, String> {
    let mut listing = VecSink::default();
    let report = run_judged(shrunk, &mut listing);
    let mut writer = TraceWriter::new();
    for event in &listing.events {
        writer.record(event);
    }
    writer
        .finish_to(shrunk, &report, &request.output)
        .map(|()| listing)
        .map_err(|e| {
            format!(
                "cannot write the minimal trace '{}': {e}",
                path_text(&request.output)
            )
        })
}

fn print_outcome(request: &ShrinkRequest, outcome: &ShrinkOutcome, listing: &VecSink, repro: &str) {
    if request.json {
        let json = ShrinkJson::new(outcome, request.config.bugs, &request.output, repro);
        println!(
            "{}",
            serde_json::to_string_pretty(&json).expect("a shrink outcome serializes")
        );
    } else {
        print!(
            "{}",
            render_shrink(outcome, &listing.events, &request.output, repro)
        );
    }
}
