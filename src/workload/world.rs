//! The world shared by every workload task of one run: the model, the event buffer, the
//! identifiers, per-task action budgets and random streams, and the counters the report needs.

use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::rc::Rc;

use crate::agent::{display_key, StorageError};
use crate::check::{Answer, Call, Finding, Model, OpOutcome};
use crate::kv::KvEvent;
use crate::sim::{DeterministicRng, SimClock};
use crate::trace::{Event, EventKind, EventSink, Outcome, TraceHasher};

use super::coverage_watch::CoverageWatch;
use super::text::fault_effect_text;
use super::{CallTally, IdPool, OpKind, OpPoint, Violation};

/// Most violations one run keeps with their evidence (and emits into the trace).
pub const VIOLATIONS_KEPT_MAX: usize = 16;

/// Shared, single-threaded handle on the world.
pub type SharedWorld = Rc<RefCell<World>>;

/// Watches a run from inside, as it goes: every event as it is emitted, every answer as it
/// comes back. It sees what the trace sees, and changes nothing.
pub trait Probe {
    /// `event` was just emitted.
    fn event(&mut self, event: &Event);
    /// The operation `op_id` returned `result` (before its `OpResult` event).
    fn answer(&mut self, op_id: u64, result: &Result<Answer, StorageError>);
}

/// Mutable state of one run that tasks and the run loop share.
pub struct World {
    /// The oracle.
    pub model: Model,
    /// Simulated clock.
    pub clock: SimClock,
    /// Events not yet handed to the sink (none are kept when the sink does not look at them).
    pub events: Vec<Event>,
    /// Whether events are kept for the sink, besides being hashed.
    keep_events: bool,
    /// The hash of every event so far, fed as each is emitted.
    hasher: TraceHasher,
    /// Room to render an operation's trace arguments in when its event is hashed unbuilt.
    args: String,
    next_index: u64,
    /// Actions each task has left in the safety phase. Budgets are per task, so the kinds of
    /// action a task draws never depend on how fast other tasks (or faults) make it run.
    actions_left: Vec<u64>,
    /// Each task's scripted actions still to take, when a script drives the run.
    scripted_actions: Option<Vec<std::vec::IntoIter<OpKind>>>,
    /// Each task's actions so far, when the run is recorded.
    recorded_actions: Option<Vec<Vec<OpKind>>>,
    /// Each task's actions drawn so far and storage operations issued since the latest.
    cursors: Vec<(u32, u32)>,
    /// Each task's random stream, named by the scenario's number of the task.
    task_rngs: Vec<DeterministicRng>,
    /// The scenario's number of each task, ascending.
    task_numbers: Vec<u32>,
    weights: Vec<u64>,
    /// The identifiers of the run.
    pub ids: IdPool,
    /// Outcomes and simulated latency by method.
    pub calls: CallTally,
    /// Violations found so far.
    pub violations: Vec<Violation>,
    /// Violations found so far, kept or not.
    pub violations_total: u64,
    /// Violations found so far by invariant, kept or not.
    pub violated: BTreeMap<String, u64>,
    /// Checks run so far, besides the model's judgement of each operation.
    pub checks: u64,
    /// The task being polled (set by the task wrapper).
    pub current_task: Rc<Cell<Option<u32>>>,
    /// Which coverage marks fired, and the state that decides them.
    pub coverage: CoverageWatch,
    /// Whether operations are judged and events recorded (false: the benchmark floor).
    judging: bool,
    /// Watches events and answers as they happen, if set.
    probe: Option<Box<dyn Probe>>,
}

/// Logs an event through `tracing` (`dst -v`): operations and faults at `trace`, crashes,
/// restarts, phases and checks at `debug`, violations at `warn`. Costs one level check when no
/// subscriber listens.
fn log_event(event: &Event) {
    let (index, time_ms, task) = (event.index, event.time_ms, event.task);
    match &event.kind {
        EventKind::OpStart { .. } | EventKind::OpResult { .. } | EventKind::Fault { .. } => {
            tracing::trace!(index, time_ms, ?task, kind = ?event.kind, "event");
        }
        EventKind::Violation {
            invariant,
            evidence,
        } => {
            tracing::warn!(index, time_ms, invariant = %invariant, "violation: {evidence}");
        }
        kind => tracing::debug!(index, time_ms, ?kind, "event"),
    }
}

/// Operations a workload action issues, rounded up from what the shipped scenarios show
/// (about 1.3): room reserved so that the model's history is rarely copied as it grows.
const OPS_PER_ACTION: usize = 2;
/// Events a workload action leads to, rounded up from the shipped scenarios (about 2.7).
const EVENTS_PER_ACTION: usize = 3;
/// Most actions room is reserved for up front (8x the `default` scenario's is 12,000); a
/// longer run grows its history as it goes.
const RESERVED_ACTIONS_MAX: u64 = 1 << 16;

impl World {
    /// A world for one task per entry of `task_numbers` (the scenario's number of each task,
    /// ascending: it names the task's random stream and home agent) over the identifiers
    /// `ids`, with `actions` actions to spend, shared out evenly among the tasks (the first
    /// `actions % tasks` get one more).
    pub fn new(
        clock: SimClock,
        workload_rng: &DeterministicRng,
        task_numbers: Vec<u32>,
        ids: IdPool,
        actions: u64,
        weights: Vec<u64>,
    ) -> Self {
        let tasks = u32::try_from(task_numbers.len()).expect("tasks fit a u32");
        assert!(tasks > 0, "a run has tasks");
        assert!(
            task_numbers.windows(2).all(|pair| pair[0] < pair[1]),
            "task numbers ascend"
        );
        assert_eq!(weights.len(), OpKind::ALL.len(), "one weight per op kind");
        let actions_room = usize::try_from(actions.min(RESERVED_ACTIONS_MAX)).expect("fits");
        World {
            model: Model::with_capacity(actions_room.saturating_mul(OPS_PER_ACTION)),
            clock,
            events: Vec::with_capacity(actions_room.saturating_mul(EVENTS_PER_ACTION)),
            keep_events: true,
            hasher: TraceHasher::new(),
            args: String::new(),
            next_index: 0,
            actions_left: (0..u64::from(tasks))
                .map(|t| actions / u64::from(tasks) + u64::from(t < actions % u64::from(tasks)))
                .collect(),
            scripted_actions: None,
            recorded_actions: None,
            cursors: vec![(0, 0); tasks as usize],
            task_rngs: task_numbers
                .iter()
                .map(|number| workload_rng.fork(&format!("task-{number}")))
                .collect(),
            task_numbers,
            weights,
            ids,
            calls: CallTally::default(),
            violations: Vec::new(),
            violations_total: 0,
            violated: BTreeMap::new(),
            checks: 0,
            current_task: Rc::new(Cell::new(None)),
            coverage: CoverageWatch::new(tasks),
            judging: true,
            probe: None,
        }
    }

    /// Shows every event and answer from now on to `probe` (replacing any earlier one).
    pub fn set_probe(&mut self, probe: Box<dyn Probe>) {
        self.probe = Some(probe);
    }

    /// Hashes events from now on without keeping them: the run's sink does not look at them.
    pub fn discard_events(&mut self) {
        assert!(self.events.is_empty(), "no kept event is discarded");
        self.keep_events = false;
        self.events = Vec::new();
    }

    /// The hash of every event emitted so far, and their number.
    pub fn trace_hash(&self) -> (String, u64) {
        assert_eq!(
            self.hasher.events(),
            self.next_index,
            "every event is hashed"
        );
        (self.hasher.hex(), self.hasher.events())
    }

    /// Stops judging operations and recording events for the rest of the run: the benchmark
    /// floor, the workload alone. Operations are still counted by name and outcome.
    pub fn stop_judging(&mut self) {
        assert!(self.events.is_empty(), "the floor records no event at all");
        self.judging = false;
    }

    /// Appends an event stamped with the next index and the current simulated time.
    /// Records nothing when the run does not judge (the floor).
    pub fn emit(&mut self, task: Option<u32>, kind: EventKind) {
        if !self.judging {
            return;
        }
        let event = Event {
            index: self.next_index,
            time_ms: self.clock.now_ms(),
            task,
            kind,
        };
        self.next_index += 1;
        log_event(&event);
        if let Some(probe) = &mut self.probe {
            probe.event(&event);
        }
        self.hasher.record(&event);
        if self.keep_events {
            self.events.push(event);
        }
    }

    /// The scenario's number of `task`: what names its random stream and its home agent.
    pub fn task_number(&self, task: u32) -> u32 {
        self.task_numbers[task as usize]
    }

    /// The random stream of `task`.
    pub fn rng(&mut self, task: u32) -> &mut DeterministicRng {
        &mut self.task_rngs[task as usize]
    }

    /// Spends one action of `task`'s budget and draws its kind from the task's stream; `None`
    /// when the budget is spent. Under a script, the next scripted action instead (the kind is
    /// still drawn, so an unchanged script replays its run exactly); `None` when spent.
    pub fn next_action(&mut self, task: u32) -> Option<OpKind> {
        let slot = task as usize;
        let scripted = match &mut self.scripted_actions {
            Some(script) => Some(script[slot].next()?),
            None => {
                let left = &mut self.actions_left[slot];
                if *left == 0 {
                    return None;
                }
                *left -= 1;
                None
            }
        };
        let index = self.task_rngs[slot]
            .weighted_index(&self.weights)
            .expect("some op kind has weight");
        let action = scripted.unwrap_or(OpKind::ALL[index]);
        if let Some(recorded) = &mut self.recorded_actions {
            recorded[slot].push(action);
        }
        let cursor = &mut self.cursors[slot];
        *cursor = (cursor.0 + 1, 0);
        Some(action)
    }

    /// Takes each task's actions from `actions` (one list per task) instead of its budget.
    pub fn script_actions(&mut self, actions: Vec<Vec<OpKind>>) {
        assert_eq!(
            actions.len(),
            self.task_rngs.len(),
            "one action list per task"
        );
        self.scripted_actions = Some(actions.into_iter().map(Vec::into_iter).collect());
    }

    /// Records each task's actions from now on (see [`World::take_recorded_actions`]).
    pub fn record_actions(&mut self) {
        self.recorded_actions = Some(vec![Vec::new(); self.task_rngs.len()]);
    }

    /// Each task's actions since [`World::record_actions`] (empty lists when not recording).
    pub fn take_recorded_actions(&mut self) -> Vec<Vec<OpKind>> {
        let tasks = self.task_rngs.len();
        self.recorded_actions
            .take()
            .unwrap_or_else(|| vec![Vec::new(); tasks])
    }

    /// Where the storage operation the task being polled is about to issue stands (and counts
    /// it); `None` outside any task.
    pub fn next_op_point(&mut self) -> Option<OpPoint> {
        let task = self.current_task.get()?;
        let cursor = &mut self.cursors[task as usize];
        let point = OpPoint {
            task,
            action: cursor.0,
            step: cursor.1,
        };
        cursor.1 += 1;
        Some(point)
    }

    /// Starts a storage call: model and event bookkeeping. Returns the op id. When nothing
    /// looks at events (no kept events, no probe, no `trace` logging), its `OpStart` event is
    /// hashed from its fields without being built.
    pub fn begin_op(&mut self, task: u32, call: Call) -> u64 {
        if !self.judging {
            return self.model.begin(task, call, self.clock.now_ms());
        }
        let model = &self.model;
        let in_flight = (0..self.task_rngs.len() as u32)
            .filter(|&other| other != task)
            .filter_map(|other| model.in_flight_of(other))
            .map(|op| &model.op(op).call);
        self.coverage.on_begin(&call, in_flight);
        let name = call.name();
        self.args.clear();
        call.write_trace_args(&mut self.args);
        let now_ms = self.clock.now_ms();
        let op_id = self.model.begin(task, call, now_ms);
        let watched =
            self.keep_events || self.probe.is_some() || tracing::enabled!(tracing::Level::TRACE);
        match watched {
            true => {
                let args = self.args.clone();
                let op = Cow::Borrowed(name);
                self.emit(Some(task), EventKind::OpStart { op_id, op, args });
            }
            false => {
                let header = (self.next_index, now_ms, Some(task));
                self.hasher
                    .record_op_start(header, (op_id, name, &self.args));
                self.next_index += 1;
            }
        }
        op_id
    }

    /// Ends a storage call with its result: the model judges it, and what it finds is recorded.
    pub fn end_op(&mut self, op_id: u64, result: &Result<Answer, StorageError>) {
        if !self.judging {
            let now_ms = self.clock.now_ms();
            self.model.end_unjudged(op_id, result.is_ok(), now_ms);
            let kind = self.model.op(op_id).call.kind();
            let outcome = if result.is_ok() {
                Outcome::Ok
            } else {
                Outcome::Failed
            };
            self.calls.count(kind, outcome);
            return;
        }
        if let Some(probe) = &mut self.probe {
            probe.answer(op_id, result);
        }
        let detail = match result {
            Ok(_) => String::new(),
            Err(error) => error.to_string(),
        };
        let now_ms = self.clock.now_ms();
        let findings = self.model.end(op_id, result.as_ref(), &detail, now_ms);
        let op = self.model.op(op_id);
        let (kind, task, started_ms, outcome) = (op.call.kind(), op.task, op.start_ms, op.outcome);
        self.coverage
            .on_end(task, &op.call, result.as_ref(), &self.ids);
        let outcome = match outcome {
            OpOutcome::Ok => Outcome::Ok,
            OpOutcome::Failed => Outcome::Failed,
            OpOutcome::Unknown | OpOutcome::InFlight => Outcome::Indeterminate,
        };
        self.calls.count(kind, outcome);
        self.calls.record_latency(kind, now_ms - started_ms);
        self.emit(
            Some(task),
            EventKind::OpResult {
                op_id,
                outcome,
                detail,
            },
        );
        for finding in findings {
            self.violation(finding.invariant, finding.evidence);
        }
    }

    /// The process died: every op in flight may or may not have taken effect. Returns how
    /// many there were.
    pub fn crash(&mut self) -> u32 {
        let ended = self.model.crash(self.clock.now_ms());
        self.coverage.on_crash();
        for id in &ended {
            let kind = self.model.op(*id).call.kind();
            self.calls.count(kind, Outcome::Indeterminate);
        }
        ended.len() as u32
    }

    /// Records what storage reported: a fault (attributed to the op of the task being polled)
    /// goes to the model and the trace; a conflict to the model.
    pub fn on_storage_event(&mut self, event: &KvEvent) {
        let task = self.current_task.get();
        match event {
            KvEvent::Fault { fault, .. } => {
                if let Some(task) = task {
                    self.model.note_fault(task, fault);
                }
                self.coverage.on_fault(task, fault);
                let effect = fault_effect_text(&fault.effect);
                let key = display_key(&fault.key);
                self.emit(
                    task,
                    EventKind::Fault {
                        fault: fault.fault,
                        op: fault.op,
                        key,
                        effect,
                    },
                );
            }
            KvEvent::Conflict { .. } => {
                if let Some(task) = task {
                    self.model.note_conflict(task);
                    self.coverage.on_conflict(task);
                }
            }
        }
    }

    /// Records the findings of a check made `at` some point, which ran `checks` checks.
    pub fn record_findings(&mut self, findings: Vec<Finding>, checks: u64, at: &str) {
        self.checks += checks;
        if findings.is_empty() {
            self.emit(
                None,
                EventKind::Check {
                    invariant: "all".to_string(),
                    at: at.to_string(),
                },
            );
        }
        for finding in findings {
            self.violation(finding.invariant, format!("{at}: {}", finding.evidence));
        }
    }

    /// Records one violation; past [`VIOLATIONS_KEPT_MAX`] only the count grows.
    pub fn violation(&mut self, invariant: &str, evidence: String) {
        self.violations_total += 1;
        *self.violated.entry(invariant.to_string()).or_default() += 1;
        if self.violations.len() >= VIOLATIONS_KEPT_MAX {
            return;
        }
        let kind = EventKind::Violation {
            invariant: invariant.to_string(),
            evidence: evidence.clone(),
        };
        self.emit(None, kind);
        self.violations.push(Violation {
            invariant: invariant.to_string(),
            evidence,
        });
    }
}
