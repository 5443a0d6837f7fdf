//! Writing a trace file: an [`EventSink`] that renders each event as a JSON line.
//!
//! The header names what swarm testing chose, which is known only when the run ends, so event
//! lines are kept as text until [`TraceWriter::finish`] writes the whole file at once (temp file
//! and rename: a trace on disk is always complete). Sweeps hash only, and use this sink just to
//! re-run the seeds whose trace they keep.

use std::io;
use std::path::Path;

use super::run_record::{RunConfig, RunReport};

use super::event::{Event, EventSink};
use super::format::{header_hash, SummaryLine, TraceHeader, TraceSummary};
use super::hash::TraceHasher;
use super::output::write_atomically;

/// Collects a run's events as JSON lines and hashes them as they arrive.
#[derive(Default)]
pub struct TraceWriter {
    body: Vec<u8>,
    hasher: TraceHasher,
}

impl TraceWriter {
    /// A writer that has seen no event.
    pub fn new() -> TraceWriter {
        TraceWriter::default()
    }

    /// The full trace text of the run of `config` that produced `report` and this writer's events.
    ///
    /// Panics if the engine's `report.trace_hash` is not the hash of the events it emitted: that
    /// would be a harness bug, and the trace could never replay.
    pub fn render(&self, config: &RunConfig, report: &RunReport) -> String {
        assert_eq!(
            self.hasher.events(),
            report.events,
            "the report counts every emitted event"
        );
        assert_eq!(
            self.hasher.hex(),
            report.trace_hash,
            "the report hashes every emitted event"
        );
        let header = serde_json::to_string(&TraceHeader::new(config, report))
            .expect("a trace header always serializes");
        let summary = SummaryLine {
            summary: TraceSummary::new(report),
            header_hash: header_hash(&header),
            trace_hash: report.trace_hash.clone(),
        };
        let summary = serde_json::to_string(&summary).expect("a summary always serializes");
        let body = std::str::from_utf8(&self.body).expect("JSON is UTF-8");
        let mut text = String::with_capacity(header.len() + body.len() + summary.len() + 2);
        text.push_str(&header);
        text.push('\n');
        text.push_str(body);
        text.push_str(&summary);
        text.push('\n');
        text
    }

    /// Writes the trace to `path` atomically (creating its directory), replacing what is there;
    /// see [`TraceWriter::render`].
    pub fn finish(&self, config: &RunConfig, report: &RunReport, path: &Path) -> io::Result<()> {
        write_atomically(path, self.render(config, report).as_bytes())
    }

    /// Writes the trace to a path the user named: through a symlink, into a FIFO or a
    /// character device, atomically into a regular file (see [`write_output`](super::write_output)).
    pub fn finish_to(&self, config: &RunConfig, report: &RunReport, path: &Path) -> io::Result<()> {
        super::output::write_output(path, self.render(config, report).as_bytes())
    }
}

impl EventSink for TraceWriter {
    fn record(&mut self, event: &Event) {
        self.hasher.record(event);
        serde_json::to_writer(&mut self.body, event).expect("an event always serializes");
        self.body.push(b'\n');
    }
}
