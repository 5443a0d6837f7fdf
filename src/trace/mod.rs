//! Traces: the events of a run, their canonical encoding and streaming hash, and trace files.

mod event;
mod hash;

pub use event::{Event, EventKind, EventSink, NullSink, Outcome, Phase, VecSink};
pub use hash::{encode_event, TraceHasher};
