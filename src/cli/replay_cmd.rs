//! `dst replay TRACE`: re-execute a trace and say `identical` with the recorded verdict and
//! violations, or show the first divergent event both ways. An edited trace (header, event or
//! summary line) is bad input (exit 2) even when replay shows where; so is a trace recorded by
//! another harness version, which this one cannot be expected to re-run alike.

use std::fmt::Write;
use std::path::Path;

use crate::run::Verdict;
use crate::run::{replay, Divergence};
use crate::trace::{read_trace, HarnessVersion, TraceFile, TraceSummary};

use super::exit::Exit;
use super::render_run::render_violations;
use super::render_sweep::invariant_counts;
use super::request::ReplayRequest;
use super::text::{escape_controls, path_text};

fn show(event: &Option<crate::trace::Event>) -> String {
    match event {
        Some(e) => serde_json::to_string(e).expect("an event serializes"),
        None => "(no event: the run ended)".to_string(),
    }
}

/// The first divergent event, both versions and the fields that differ.
pub fn render_divergence(divergence: &Divergence) -> String {
    let mut out = String::new();
    // Line 1 is the header, so event i is on line i + 2.
    writeln!(
        out,
        "divergent at event {} (trace line {})",
        divergence.index,
        divergence.index + 2
    )
    .unwrap();
    writeln!(out, "  recorded: {}", show(&divergence.recorded)).unwrap();
    writeln!(out, "  replayed: {}", show(&divergence.replayed)).unwrap();
    for (field, recorded, replayed) in divergence.field_differences() {
        writeln!(out, "  {field}: recorded {recorded}, replayed {replayed}").unwrap();
    }
    out
}

/// Refuses a trace recorded by another harness version, naming both.
fn refuse_foreign_harness(trace: &TraceFile, path: &Path) -> Result<(), String> {
    let current = HarnessVersion::current();
    let recorded = &trace.header.harness;
    if *recorded == current {
        return Ok(());
    }
    let checkout = recorded
        .git_commit
        .as_ref()
        .map_or(String::new(), |commit| {
            format!(" (git checkout {})", escape_controls(commit))
        });
    Err(format!(
        "trace {} was recorded by dst {}, this is dst {current}: another harness may run the seed differently, so it is not replayed; replay it with the dst that recorded it{checkout}",
        path_text(path),
        escape_controls(&recorded.to_string()),
    ))
}

/// The fields of the recorded summary that differ from the replayed run's, if any.
fn summary_difference(recorded: &TraceSummary, replayed: &TraceSummary) -> Option<String> {
    let fields = |summary: &TraceSummary| match serde_json::to_value(summary) {
        Ok(serde_json::Value::Object(map)) => map,
        _ => unreachable!("a summary serializes as an object"),
    };
    let (recorded, replayed) = (fields(recorded), fields(replayed));
    let differing: Vec<String> = recorded
        .iter()
        .filter(|(name, value)| replayed.get(*name) != Some(value))
        .map(|(name, value)| {
            let show = |v: Option<&serde_json::Value>| {
                let text = v.map_or("-".to_string(), |v| v.to_string());
                let short: String = text.chars().take(60).collect();
                escape_controls(&short).into_owned()
            };
            format!(
                "{name} records {} but the run gives {}",
                show(Some(value)),
                show(replayed.get(name))
            )
        })
        .collect();
    (!differing.is_empty())
        .then(|| format!("the summary line was edited: {}", differing.join("; ")))
}

/// The recorded verdict and violations, as `dst run` prints them.
fn recorded_outcome(trace: &TraceFile) -> String {
    let summary = &trace.summary.summary;
    let mut out = String::new();
    let verdict = match summary.verdict {
        Verdict::Pass => "PASS",
        Verdict::Fail => "FAIL",
    };
    writeln!(out, "recorded verdict: {verdict}").unwrap();
    if !summary.violations.is_empty() {
        writeln!(
            out,
            "violations: {} found, {} kept ({})",
            summary.violations_total,
            summary.violations.len(),
            invariant_counts(&summary.violations)
        )
        .unwrap();
        render_violations(&mut out, &summary.violations);
    }
    out
}

/// Replays the request's trace; the error is a trace that cannot be read or run.
pub fn run(request: &ReplayRequest) -> Result<Exit, String> {
    let trace = read_trace(&request.trace).map_err(|e| e.to_string())?;
    refuse_foreign_harness(&trace, &request.trace)?;
    let replayed =
        replay(&trace).map_err(|e| format!("trace {}: {e}", path_text(&request.trace)))?;
    let mut problems = trace.integrity_problems();
    if problems.is_empty() && replayed.identical(&trace) {
        let summary = TraceSummary::new(&replayed.report);
        problems.extend(summary_difference(&trace.summary.summary, &summary));
    }
    let divergence = replayed.divergence.as_ref().map(render_divergence);
    if !problems.is_empty() {
        for problem in &problems {
            eprintln!(
                "error: trace {} was edited or damaged: {problem}",
                path_text(&request.trace)
            );
        }
        if let Some(divergence) = divergence {
            eprint!("{divergence}");
        }
        return Ok(Exit::BadInput);
    }
    if let Some(divergence) = divergence {
        print!("{divergence}");
        println!(
            "recorded hash {}, replayed hash {}",
            trace.summary.trace_hash, replayed.report.trace_hash
        );
        print!("{}", recorded_outcome(&trace));
        return Ok(Exit::Failure);
    }
    if replayed.swarm_differs {
        println!("divergent: the replay chose different swarm options than the header records");
        return Ok(Exit::Failure);
    }
    assert!(
        replayed.identical(&trace),
        "no divergence and intact hashes mean identical"
    );
    println!(
        "identical {} ({} events, seed {}, scenario {})",
        replayed.report.trace_hash,
        trace.events.len(),
        trace.header.seed,
        escape_controls(&trace.header.scenario.name)
    );
    print!("{}", recorded_outcome(&trace));
    Ok(Exit::Pass)
}
