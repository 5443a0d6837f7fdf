//! Traces: the events of a run, their canonical encoding and streaming hash, and trace files.
//! A sink: nothing here runs a seed (replaying a trace is the runner's, in `crate::run`).

mod event;
mod format;
mod hash;
mod output;
mod reader;
mod run_record;
mod writer;

pub use event::{Event, EventKind, EventSink, NullSink, Outcome, Phase, VecSink};
pub use format::{
    header_hash, HarnessVersion, SummaryLine, TraceHeader, TraceSummary, TRACE_FORMAT,
};
pub use hash::{encode_event, TraceHasher};
pub use output::{write_atomically, write_output};
pub use reader::{read_trace, TraceError, TraceFile};

pub use run_record::{OutcomeCounts, RunConfig, RunReport, SwarmOptions, Verdict, Violation};
pub use writer::TraceWriter;
