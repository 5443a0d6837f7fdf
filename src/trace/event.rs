//! Trace events: everything a run does that matters, in the order it happened.
//!
//! Events are plain data with a fixed field order; the same seed and scenario produce the same
//! event sequence on every machine, build and run. The trace hash is computed over them.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use crate::kv::{FaultType, KvOp};

/// A phase of one seed's run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Workload under faults and crashes.
    Safety,
    /// Faults off, one last crash and recovery, every task must finish.
    Liveness,
    /// Final checks.
    Final,
}

/// How an operation ended, classified as Jepsen does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Took effect.
    Ok,
    /// Did not take effect.
    Failed,
    /// May or may not have taken effect (crash, unknown commit result).
    Indeterminate,
}

/// What happened.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EventKind {
    /// A phase began.
    Phase {
        /// The phase that began.
        phase: Phase,
    },
    /// A task issued an `AgentStorage` call.
    OpStart {
        /// Id of the operation, unique within the run, from 0.
        op_id: u64,
        /// Name of the `AgentStorage` call (borrowed from the program when it is recorded,
        /// owned when it is read back from a trace).
        op: Cow<'static, str>,
        /// The call's arguments as short text, e.g. the agent id.
        args: String,
    },
    /// The call returned (indeterminate ops are resolved at the crash that ended them).
    OpResult {
        /// Id of the operation, as in its `OpStart`.
        op_id: u64,
        /// How the call ended.
        outcome: Outcome,
        /// The error message; empty if the call succeeded.
        detail: String,
    },
    /// The fault injector fired.
    Fault {
        /// The fault that fired.
        fault: FaultType,
        /// The KV operation it fired on.
        op: KvOp,
        /// Actor-relative key the operation addressed, as lossy UTF-8.
        key: String,
        /// What the fault did: its `FaultEffect`, Debug-formatted.
        effect: String,
    },
    /// The process died; every task was dropped.
    Crash {
        /// Number of this crash in the run, from 1.
        crash: u32,
        /// Operations in flight at the crash, now indeterminate.
        in_flight_ops: u32,
    },
    /// A fresh process started over the durable state.
    Restart {
        /// Number of the crash this restart recovers from.
        crash: u32,
        /// Keys in the durable state the new process starts from.
        durable_keys: u64,
    },
    /// An invariant was checked and held.
    Check {
        /// The invariant checked (`all` for a full state check).
        invariant: String,
        /// When it was checked, e.g. `recovery 1` or `final`.
        at: String,
    },
    /// An invariant was violated.
    Violation {
        /// Stable name of the violated invariant.
        invariant: String,
        /// What was observed, for a human reader.
        evidence: String,
    },
}

/// One trace event.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Position in the run, from 0.
    pub index: u64,
    /// Simulated time, ms.
    pub time_ms: u64,
    /// The workload task involved, if any.
    pub task: Option<u32>,
    /// What happened.
    #[serde(flatten)]
    pub kind: EventKind,
}

/// Receives a run's events in order. Sinks decide what to keep: a hash, a file, a vector.
pub trait EventSink {
    /// Takes the next event.
    fn record(&mut self, event: &Event);

    /// Whether the sink looks at events at all. A run whose sink does not keeps none (it
    /// only hashes them), and never calls [`EventSink::record`].
    fn wants_events(&self) -> bool {
        true
    }
}

/// A sink that keeps every event (tests, replay).
#[derive(Default)]
pub struct VecSink {
    /// The events received, in order.
    pub events: Vec<Event>,
}

impl EventSink for VecSink {
    fn record(&mut self, event: &Event) {
        self.events.push(event.clone());
    }
}

/// A sink that discards everything.
pub struct NullSink;

impl EventSink for NullSink {
    fn record(&mut self, _event: &Event) {}

    fn wants_events(&self) -> bool {
        false
    }
}
