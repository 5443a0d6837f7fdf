//! A run's trace as a timeline: one lane per task, each operation a span from its start event
//! to its result, with the faults that hit it, the crashes and restarts, the phases and the
//! violations. Built from the events alone, in event order.

use std::collections::{BTreeMap, BTreeSet};

use crate::kv::{FaultType, KvOp};
use crate::trace::{Event, EventKind, Outcome, Phase};

use super::evidence::{referenced_ops, subject_key};

/// One storage call, from its `op_start` to its `op_result`.
#[derive(Clone, Debug, PartialEq)]
pub struct OpSpan {
    /// The operation id.
    pub id: u64,
    /// The task that issued it.
    pub task: u32,
    /// The `AgentStorage` call.
    pub name: String,
    /// Its arguments as the trace records them.
    pub args: String,
    /// Simulated start and end, ms.
    pub start_ms: u64,
    /// The end: its result, the crash that ended it, or the trace's end if neither came.
    pub end_ms: u64,
    /// Event index of the start.
    pub start_index: u64,
    /// Event index of the end.
    pub end_index: u64,
    /// How it ended (indeterminate when a crash ended it); `None` if the trace ends first.
    pub outcome: Option<Outcome>,
    /// The error text (or the crash that ended it), empty on success.
    pub detail: String,
}

/// A fault the injector fired, and the operation it hit (the one in flight on its task).
#[derive(Clone, Debug, PartialEq)]
pub struct FaultMark {
    /// Event index.
    pub index: u64,
    /// Simulated time, ms.
    pub time_ms: u64,
    /// The task, if the fault fired inside one.
    pub task: Option<u32>,
    /// The fault's name.
    pub fault: &'static str,
    /// The KV operation it fired on.
    pub kv_op: &'static str,
    /// The key it addressed.
    pub key: String,
    /// What it did.
    pub effect: String,
    /// The operation it hit, if one was in flight on its task.
    pub op: Option<u64>,
}

/// A crash or a restart: an instant across every lane.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Instant {
    /// Event index.
    pub index: u64,
    /// Simulated time, ms.
    pub time_ms: u64,
    /// The crash number (a restart carries the number of the crash it recovers from).
    pub crash: u32,
    /// Operations in flight (crash) or durable keys (restart).
    pub count: u64,
}

/// A phase of the run, from its event to the next phase or the end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PhaseBand {
    /// Which phase.
    pub phase: Phase,
    /// Start, ms and event index.
    pub start_ms: u64,
    /// Start event index.
    pub start_index: u64,
}

/// A violation as the picture shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct ViolationMark {
    /// Event index.
    pub index: u64,
    /// Simulated time, ms.
    pub time_ms: u64,
    /// The invariant.
    pub invariant: String,
    /// The evidence text.
    pub evidence: String,
    /// The key it is about, when the evidence names one.
    pub key: Option<String>,
    /// The operations the evidence names that are in the trace, judged operation first.
    pub history: Vec<u64>,
}

/// Everything the timeline draws.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Timeline {
    /// The lanes: every task that issued an operation or met a fault, ascending.
    pub tasks: Vec<u32>,
    /// Operations in start order.
    pub ops: Vec<OpSpan>,
    /// Faults in event order.
    pub faults: Vec<FaultMark>,
    /// Crashes in event order.
    pub crashes: Vec<Instant>,
    /// Restarts in event order.
    pub restarts: Vec<Instant>,
    /// Phases in event order.
    pub phases: Vec<PhaseBand>,
    /// Violations in event order.
    pub violations: Vec<ViolationMark>,
    /// Invariant checks that held.
    pub checks: u64,
    /// Simulated time of the last event, ms.
    pub end_ms: u64,
    /// Number of events.
    pub events: u64,
}

/// The state of a build: the timeline so far, where each op is, and which op each task runs.
struct Builder {
    timeline: Timeline,
    by_id: BTreeMap<u64, usize>,
    in_flight: BTreeMap<u32, u64>,
}

impl Builder {
    fn start_op(&mut self, event: &Event, op_id: u64, name: &str, args: &str) {
        let task = event.task.expect("an operation runs in a task");
        self.by_id.insert(op_id, self.timeline.ops.len());
        self.in_flight.insert(task, op_id);
        self.timeline.ops.push(OpSpan {
            id: op_id,
            task,
            name: name.to_string(),
            args: args.to_string(),
            start_ms: event.time_ms,
            end_ms: event.time_ms,
            start_index: event.index,
            end_index: event.index,
            outcome: None,
            detail: String::new(),
        });
    }

    fn end_op(&mut self, event: &Event, op_id: u64, outcome: Outcome, detail: &str) {
        let Some(at) = self.by_id.get(&op_id) else {
            return;
        };
        let op = &mut self.timeline.ops[*at];
        op.end_ms = event.time_ms;
        op.end_index = event.index;
        op.outcome = Some(outcome);
        op.detail = detail.to_string();
        if self.in_flight.get(&op.task) == Some(&op_id) {
            self.in_flight.remove(&op.task);
        }
    }

    /// A crash ends every operation in flight: indeterminate, with no result event of its own.
    fn crash(&mut self, event: &Event, crash: u32, in_flight_ops: u32) {
        for op_id in std::mem::take(&mut self.in_flight).into_values() {
            let detail = format!("in flight at crash {crash}");
            self.end_op(event, op_id, Outcome::Indeterminate, &detail);
        }
        self.timeline.crashes.push(Instant {
            index: event.index,
            time_ms: event.time_ms,
            crash,
            count: u64::from(in_flight_ops),
        });
    }

    fn fault(&mut self, event: &Event, fault: FaultType, kv_op: KvOp, key: &str, effect: &str) {
        self.timeline.faults.push(FaultMark {
            index: event.index,
            time_ms: event.time_ms,
            task: event.task,
            fault: fault.name(),
            kv_op: kv_op.name(),
            key: key.to_string(),
            effect: effect.to_string(),
            op: event
                .task
                .and_then(|task| self.in_flight.get(&task).copied()),
        });
    }

    fn add(&mut self, event: &Event) {
        let (index, time_ms) = (event.index, event.time_ms);
        let timeline = &mut self.timeline;
        match &event.kind {
            EventKind::Phase { phase } => timeline.phases.push(PhaseBand {
                phase: *phase,
                start_ms: time_ms,
                start_index: index,
            }),
            EventKind::OpStart { op_id, op, args } => self.start_op(event, *op_id, op, args),
            EventKind::OpResult {
                op_id,
                outcome,
                detail,
            } => self.end_op(event, *op_id, *outcome, detail),
            EventKind::Fault {
                fault,
                op,
                key,
                effect,
            } => self.fault(event, *fault, *op, key, effect),
            EventKind::Crash {
                crash,
                in_flight_ops,
            } => self.crash(event, *crash, *in_flight_ops),
            EventKind::Restart {
                crash,
                durable_keys,
            } => timeline.restarts.push(Instant {
                index,
                time_ms,
                crash: *crash,
                count: *durable_keys,
            }),
            EventKind::Check { .. } => timeline.checks += 1,
            EventKind::Violation {
                invariant,
                evidence,
            } => timeline.violations.push(ViolationMark {
                index,
                time_ms,
                invariant: invariant.clone(),
                evidence: evidence.clone(),
                key: subject_key(evidence),
                history: Vec::new(),
            }),
        }
    }
}

impl Timeline {
    /// The timeline of `events` (a trace's events, in order).
    pub fn build(events: &[Event]) -> Timeline {
        let mut builder = Builder {
            timeline: Timeline {
                events: events.len() as u64,
                end_ms: events.last().map_or(0, |e| e.time_ms),
                ..Timeline::default()
            },
            by_id: BTreeMap::new(),
            in_flight: BTreeMap::new(),
        };
        let mut tasks = BTreeSet::new();
        for event in events {
            tasks.extend(event.task);
            builder.add(event);
        }
        let Builder {
            mut timeline,
            by_id,
            ..
        } = builder;
        let last_index = timeline.events.saturating_sub(1);
        for op in timeline.ops.iter_mut().filter(|op| op.outcome.is_none()) {
            op.end_ms = timeline.end_ms;
            op.end_index = last_index;
        }
        for violation in &mut timeline.violations {
            violation.history = referenced_ops(&violation.evidence)
                .into_iter()
                .filter(|op| by_id.contains_key(op))
                .collect();
        }
        timeline.tasks = tasks.into_iter().collect();
        timeline
    }

    /// The operation with id `id`.
    pub fn op(&self, id: u64) -> Option<&OpSpan> {
        self.ops.iter().find(|op| op.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(index: u64, time_ms: u64, task: Option<u32>, kind: EventKind) -> Event {
        Event {
            index,
            time_ms,
            task,
            kind,
        }
    }

    fn start(op_id: u64, args: &str) -> EventKind {
        EventKind::OpStart {
            op_id,
            op: "load_agent".into(),
            args: args.to_string(),
        }
    }

    #[test]
    fn faults_hit_the_op_in_flight_and_a_crash_ends_every_op_in_flight() {
        let events = vec![
            event(
                0,
                0,
                None,
                EventKind::Phase {
                    phase: Phase::Safety,
                },
            ),
            event(1, 0, Some(2), start(0, "a")),
            event(2, 1, Some(5), start(1, "b")),
            event(
                3,
                2,
                Some(5),
                EventKind::Fault {
                    fault: FaultType::StorageReadFail,
                    op: KvOp::Get,
                    key: "agents/b".to_string(),
                    effect: "Fail".to_string(),
                },
            ),
            event(
                4,
                3,
                Some(2),
                EventKind::OpResult {
                    op_id: 0,
                    outcome: Outcome::Failed,
                    detail: "not found".to_string(),
                },
            ),
            event(
                5,
                4,
                None,
                EventKind::Crash {
                    crash: 1,
                    in_flight_ops: 1,
                },
            ),
            event(6, 9, Some(2), start(2, "c")),
            event(
                7,
                9,
                None,
                EventKind::Violation {
                    invariant: "read_consistency".to_string(),
                    evidence: "op#1 load_agent('b') task=5 [1,4 ms] ok: x; history: op#0 op#99"
                        .to_string(),
                },
            ),
        ];
        let timeline = Timeline::build(&events);
        assert_eq!(timeline.tasks, vec![2, 5]);
        assert_eq!(timeline.faults[0].op, Some(1));
        let ended: Vec<(Option<Outcome>, u64)> = timeline
            .ops
            .iter()
            .map(|op| (op.outcome, op.end_index))
            .collect();
        assert_eq!(
            ended,
            vec![
                (Some(Outcome::Failed), 4),
                (Some(Outcome::Indeterminate), 5),
                (None, 7)
            ]
        );
        assert_eq!(timeline.ops[1].detail, "in flight at crash 1");
        let violation = &timeline.violations[0];
        assert_eq!(violation.key.as_deref(), Some("b"));
        assert_eq!(violation.history, vec![1, 0], "op#99 is not in the trace");
    }
}
