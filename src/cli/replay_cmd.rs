//! `dst replay TRACE`: re-execute a trace and say `identical`, or show the first divergent
//! event both ways. An edited trace is bad input (exit 2) even when replay shows where.

use std::fmt::Write;

use crate::trace::{read_trace, replay, Divergence, HarnessVersion, TraceFile};

use super::exit::Exit;
use super::request::ReplayRequest;

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

fn note_foreign_harness(trace: &TraceFile) {
    let current = HarnessVersion::current();
    if trace.header.harness != current {
        eprintln!(
            "note: trace written by dst {}, replaying with dst {current}",
            trace.header.harness
        );
    }
}

/// Replays the request's trace; the error is a trace that cannot be read or run.
pub fn run(request: &ReplayRequest) -> Result<Exit, String> {
    let trace = read_trace(&request.trace).map_err(|e| e.to_string())?;
    note_foreign_harness(&trace);
    let replayed = replay(&trace).map_err(|e| format!("trace {}: {e}", request.trace.display()))?;
    let problems = trace.integrity_problems();
    let divergence = replayed.divergence.as_ref().map(render_divergence);
    if !problems.is_empty() {
        for problem in &problems {
            eprintln!(
                "error: trace {} was edited or damaged: {problem}",
                request.trace.display()
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
        trace.header.scenario.name
    );
    Ok(Exit::Pass)
}
