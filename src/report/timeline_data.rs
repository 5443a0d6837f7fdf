//! The timeline as the page's script reads it: compact rows (arrays, not objects) so a trace of
//! 100,000 events stays a few megabytes, with operation names interned.

use serde::Serialize;

use crate::trace::{Outcome, Phase};

use super::timeline::{Instant, Timeline};

/// Most bars drawn one per operation; beyond it the script downsamples each lane into blocks.
pub const BARS_MAX: usize = 5_000;

/// `[id, lane, name, args, start_ms, end_ms, start_index, end_index, outcome, detail]`, the
/// outcome as 0 ok, 1 failed, 2 indeterminate, 3 never returned.
type OpRow<'a> = (u64, usize, usize, &'a str, u64, u64, u64, u64, u8, &'a str);

/// `[index, time_ms, task, fault, kv_op, key, effect, op]`.
type FaultRow<'a> = (
    u64,
    u64,
    Option<u32>,
    &'a str,
    &'a str,
    &'a str,
    &'a str,
    Option<u64>,
);

/// `[index, time_ms, crash, count]`.
type InstantRow = (u64, u64, u32, u64);

/// `[phase, start_ms, start_index]`.
type PhaseRow = (&'static str, u64, u64);

/// A violation for the script: where it is, its key and the operations its evidence names.
#[derive(Serialize)]
struct ViolationRow<'a> {
    invariant: &'a str,
    index: u64,
    time_ms: u64,
    key: Option<&'a str>,
    history: &'a [u64],
}

/// The document in `<script id="timeline-data">`.
#[derive(Serialize)]
pub struct TimelineData<'a> {
    end_ms: u64,
    events: u64,
    bars_max: usize,
    tasks: &'a [u32],
    names: Vec<&'a str>,
    ops: Vec<OpRow<'a>>,
    faults: Vec<FaultRow<'a>>,
    crashes: Vec<InstantRow>,
    restarts: Vec<InstantRow>,
    phases: Vec<PhaseRow>,
    violations: Vec<ViolationRow<'a>>,
}

fn outcome_code(outcome: Option<Outcome>) -> u8 {
    match outcome {
        Some(Outcome::Ok) => 0,
        Some(Outcome::Failed) => 1,
        Some(Outcome::Indeterminate) => 2,
        None => 3,
    }
}

/// The stable name of a phase, as traces write it.
pub fn phase_name(phase: Phase) -> &'static str {
    match phase {
        Phase::Safety => "safety",
        Phase::Liveness => "liveness",
        Phase::Final => "final",
    }
}

fn instants(list: &[Instant]) -> Vec<InstantRow> {
    list.iter()
        .map(|i| (i.index, i.time_ms, i.crash, i.count))
        .collect()
}

fn op_rows<'a>(timeline: &'a Timeline, names: &[&str]) -> Vec<OpRow<'a>> {
    let lane = |task: u32| {
        timeline
            .tasks
            .binary_search(&task)
            .expect("every task of an op has a lane")
    };
    timeline
        .ops
        .iter()
        .map(|op| {
            let name = names
                .binary_search(&op.name.as_str())
                .expect("every op name is interned");
            (
                op.id,
                lane(op.task),
                name,
                op.args.as_str(),
                op.start_ms,
                op.end_ms,
                op.start_index,
                op.end_index,
                outcome_code(op.outcome),
                op.detail.as_str(),
            )
        })
        .collect()
}

fn fault_rows(timeline: &Timeline) -> Vec<FaultRow<'_>> {
    timeline
        .faults
        .iter()
        .map(|f| {
            (
                f.index,
                f.time_ms,
                f.task,
                f.fault,
                f.kv_op,
                f.key.as_str(),
                f.effect.as_str(),
                f.op,
            )
        })
        .collect()
}

impl<'a> TimelineData<'a> {
    /// The script's view of `timeline`.
    pub fn new(timeline: &'a Timeline) -> TimelineData<'a> {
        let mut names: Vec<&str> = timeline.ops.iter().map(|op| op.name.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        TimelineData {
            end_ms: timeline.end_ms,
            events: timeline.events,
            bars_max: BARS_MAX,
            tasks: &timeline.tasks,
            ops: op_rows(timeline, &names),
            names,
            faults: fault_rows(timeline),
            crashes: instants(&timeline.crashes),
            restarts: instants(&timeline.restarts),
            phases: timeline
                .phases
                .iter()
                .map(|p| (phase_name(p.phase), p.start_ms, p.start_index))
                .collect(),
            violations: timeline
                .violations
                .iter()
                .map(|v| ViolationRow {
                    invariant: &v.invariant,
                    index: v.index,
                    time_ms: v.time_ms,
                    key: v.key.as_deref(),
                    history: &v.history,
                })
                .collect(),
        }
    }
}
