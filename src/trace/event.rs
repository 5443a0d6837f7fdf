//! Trace events: everything a run does that matters, in the order it happened.
//!
//! Events are plain data with a fixed field order; the same seed and scenario produce the same
//! event sequence on every machine, build and run. The trace hash is computed over them.

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
    Phase { phase: Phase },
    /// A task issued an `AgentStorage` call.
    OpStart {
        op_id: u64,
        op: String,
        args: String,
    },
    /// The call returned (indeterminate ops are resolved at the crash that ended them).
    OpResult {
        op_id: u64,
        outcome: Outcome,
        detail: String,
    },
    /// The fault injector fired.
    Fault {
        fault: FaultType,
        op: KvOp,
        key: String,
        effect: String,
    },
    /// The process died; every task was dropped.
    Crash { crash: u32, in_flight_ops: u32 },
    /// A fresh process started over the durable state.
    Restart { crash: u32, durable_keys: u64 },
    /// An invariant was checked and held.
    Check { invariant: String, at: String },
    /// An invariant was violated.
    Violation { invariant: String, evidence: String },
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
}
