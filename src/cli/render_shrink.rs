//! Rendering a shrink: before and after sizes, the minimal run as a short listing of its
//! operations, faults, crashes and violations, and the stable `--json` shape.

use std::fmt::Write;
use std::path::Path;

use serde::Serialize;

use crate::bugs::BugSet;
use crate::run::{RunReport, ShrinkOutcome};
use crate::trace::{Event, EventKind};
use crate::workload::Decisions;

use super::text::{escape_controls, path_text};

/// Most listing lines shown up to the first violation; the trace holds the rest.
const LISTING_LINES_MAX: usize = 60;
/// Longest evidence shown in the listing, in characters.
const EVIDENCE_CHARS_MAX: usize = 300;

/// The size of one run, as the shrink reports it, and the scenario's number of each of its
/// tasks (the run's task `t{i}` is the scenario's task `task_numbers[i]`).
#[derive(Clone, Debug, Serialize)]
pub struct RunSize {
    events: u64,
    ops: u64,
    actions: usize,
    faults: u64,
    crashes: u32,
    tasks: u32,
    task_numbers: Vec<u32>,
}

impl RunSize {
    fn of(report: &RunReport, decisions: &Decisions) -> RunSize {
        let task_numbers = decisions.numbers();
        assert_eq!(
            task_numbers.len(),
            decisions.tasks as usize,
            "one number per task"
        );
        RunSize {
            events: report.events,
            ops: report.total_ops(),
            actions: decisions.action_count(),
            faults: report.faults.values().sum(),
            crashes: report.crashes,
            tasks: decisions.tasks,
            task_numbers,
        }
    }
}

/// The line naming the scenario's tasks a run kept, when they are not its first ones (a task
/// was left out from the middle): `None` otherwise.
fn kept_tasks_line(decisions: &Decisions) -> Option<String> {
    if decisions.task_numbers.is_empty() {
        return None;
    }
    let pairs: Vec<String> = decisions
        .numbers()
        .iter()
        .enumerate()
        .map(|(task, number)| format!("t{task} = task {number}"))
        .collect();
    Some(format!(
        "  tasks kept, by their number in the scenario: {}",
        pairs.join(", ")
    ))
}

/// The `dst shrink --json` document. `invariant`, `original_events`, `shrunk_events`,
/// `original_ops`, `shrunk_ops`, `trace` and `repro` are stable; the rest may grow.
#[derive(Serialize)]
pub struct ShrinkJson<'a> {
    seed: u64,
    scenario: &'a str,
    bugs: Vec<&'static str>,
    invariant: &'a str,
    original_events: u64,
    shrunk_events: u64,
    original_ops: u64,
    shrunk_ops: u64,
    original: RunSize,
    shrunk: RunSize,
    attempts: u64,
    cut_short: bool,
    trace: String,
    repro: &'a str,
}

impl<'a> ShrinkJson<'a> {
    /// The document of `outcome` (of a run with `bugs`), whose minimal trace is at `trace`.
    pub fn new(
        outcome: &'a ShrinkOutcome,
        bugs: BugSet,
        trace: &Path,
        repro: &'a str,
    ) -> ShrinkJson<'a> {
        let original = RunSize::of(&outcome.original, &outcome.original_decisions);
        let shrunk = RunSize::of(&outcome.shrunk, &outcome.decisions);
        ShrinkJson {
            seed: outcome.original.seed,
            scenario: &outcome.original.scenario,
            bugs: bugs.iter().map(|b| b.name()).collect(),
            invariant: &outcome.invariant,
            original_events: original.events,
            shrunk_events: shrunk.events,
            original_ops: original.ops,
            shrunk_ops: shrunk.ops,
            original,
            shrunk,
            attempts: outcome.attempts,
            cut_short: outcome.cut_short,
            trace: path_text(trace),
            repro,
        }
    }
}

fn truncated(text: &str, chars: usize) -> String {
    let mut shown: String = text.chars().take(chars).collect();
    if shown.len() < text.len() {
        shown.push_str("...");
    }
    escape_controls(&shown).into_owned()
}

/// One listing line for `event`, if it is worth one (ops, faults, crashes, violations).
fn listing_line(event: &Event) -> Option<String> {
    let task = event.task.map_or("  ".to_string(), |t| format!("t{t}"));
    let at = format!("{:>7} ms {task}", event.time_ms);
    Some(match &event.kind {
        EventKind::OpStart { op_id, op, args } => {
            format!("{at}  op#{op_id} {op}({})", truncated(args, 80))
        }
        EventKind::OpResult {
            op_id,
            outcome,
            detail,
        } => {
            let detail = if detail.is_empty() {
                String::new()
            } else {
                format!(": {}", truncated(detail, 100))
            };
            format!("{at}  op#{op_id} -> {outcome:?}{detail}")
        }
        EventKind::Fault { fault, op, key, .. } => format!(
            "{at}    fault {} on {} of '{}'",
            fault.name(),
            op.name(),
            truncated(key, 60)
        ),
        EventKind::Crash { crash, .. } => format!("{at}  CRASH {crash}"),
        EventKind::Restart { crash, .. } => format!("{at}  restart after crash {crash}"),
        EventKind::Violation {
            invariant,
            evidence,
        } => format!(
            "{at}  VIOLATION {invariant}: {}",
            truncated(evidence, EVIDENCE_CHARS_MAX)
        ),
        EventKind::Phase { phase } => format!("{at}  -- {phase:?} phase --"),
        EventKind::Check { .. } => return None,
    })
}

/// The human report: sizes before and after, the listing, the trace and the replay line.
pub fn render_shrink(
    outcome: &ShrinkOutcome,
    events: &[Event],
    trace: &Path,
    repro: &str,
) -> String {
    let original = RunSize::of(&outcome.original, &outcome.original_decisions);
    let shrunk = RunSize::of(&outcome.shrunk, &outcome.decisions);
    let mut out = String::new();
    let w = &mut out;
    writeln!(
        w,
        "shrunk seed {} of {}, keeping {} failing ({} runs{})",
        outcome.original.seed,
        escape_controls(&outcome.original.scenario),
        outcome.invariant,
        outcome.attempts,
        if outcome.cut_short { ", cut short" } else { "" }
    )
    .unwrap();
    writeln!(w, "             {:>8} {:>8}", "before", "after").unwrap();
    let rows: [(&str, u64, u64); 6] = [
        ("events", original.events, shrunk.events),
        ("operations", original.ops, shrunk.ops),
        ("actions", original.actions as u64, shrunk.actions as u64),
        ("faults", original.faults, shrunk.faults),
        ("crashes", original.crashes.into(), shrunk.crashes.into()),
        ("tasks", original.tasks.into(), shrunk.tasks.into()),
    ];
    for (name, before, after) in rows {
        writeln!(w, "  {name:<10} {before:>8} {after:>8}").unwrap();
    }
    if let Some(line) = kept_tasks_line(&outcome.decisions) {
        writeln!(w, "{line}").unwrap();
    }
    let violation = events
        .iter()
        .position(|e| matches!(e.kind, EventKind::Violation { .. }))
        .map_or(events.len(), |at| at + 1);
    let lines: Vec<String> = events[..violation]
        .iter()
        .filter_map(listing_line)
        .collect();
    writeln!(w, "minimal run, up to its first violation:").unwrap();
    let skipped = lines.len().saturating_sub(LISTING_LINES_MAX);
    if skipped > 0 {
        writeln!(w, "  ... {skipped} earlier lines in the trace").unwrap();
    }
    for line in &lines[skipped..] {
        writeln!(w, "{line}").unwrap();
    }
    let after = events[violation..].iter().filter_map(listing_line).count();
    if after > 0 {
        writeln!(w, "  ... {after} more lines in the trace").unwrap();
    }
    writeln!(w, "trace: {}", path_text(trace)).unwrap();
    writeln!(w, "repro: {repro}").unwrap();
    out
}
