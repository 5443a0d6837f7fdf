//! Reading a trace file back: structure first (header, consecutive events, summary), then its
//! integrity (the recorded hashes against the recorded lines).
//!
//! Every error names the file, the line and what is wrong: a foreign format version, a malformed
//! line, a gap in the event indices, a missing summary (a truncated file).

use std::fmt;
use std::path::Path;

use super::event::{Event, EventSink};
use super::format::{header_hash, SummaryLine, TraceHeader, TRACE_FORMAT};
use super::hash::TraceHasher;

/// A trace file that could not be read: which file, which line, what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceError {
    /// The path as given.
    pub path: String,
    /// The 1-based line, when the problem is on one line.
    pub line: Option<usize>,
    /// What is wrong, with the offending value.
    pub message: String,
}

impl fmt::Display for TraceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "trace {}:{line}: {}", self.path, self.message),
            None => write!(f, "trace {}: {}", self.path, self.message),
        }
    }
}

impl std::error::Error for TraceError {}

/// A structurally valid trace, with the hashes recomputed from its lines.
#[derive(Clone, Debug)]
pub struct TraceFile {
    /// Line 1.
    pub header: TraceHeader,
    /// The event lines, in order; `events[i].index == i`.
    pub events: Vec<Event>,
    /// The last line.
    pub summary: SummaryLine,
    /// The hash of line 1 as read.
    pub header_hash_read: String,
    /// The trace hash of the events as read.
    pub trace_hash_read: String,
}

impl TraceFile {
    /// Every way the recorded lines disagree with the recorded hashes and counts (empty when the
    /// file is exactly as written). A non-empty list means the file was edited or damaged.
    pub fn integrity_problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if self.header_hash_read != self.summary.header_hash {
            problems.push(format!(
                "the header line hashes to {} but the summary records {}: the header was edited",
                self.header_hash_read, self.summary.header_hash
            ));
        }
        if self.summary.summary.events != self.events.len() as u64 {
            problems.push(format!(
                "the summary records {} events but the trace holds {}",
                self.summary.summary.events,
                self.events.len()
            ));
        }
        if self.trace_hash_read != self.summary.trace_hash {
            problems.push(format!(
                "the events hash to {} but the summary records {}: an event line was edited",
                self.trace_hash_read, self.summary.trace_hash
            ));
        }
        problems
    }
}

fn parse_header(line: &str) -> Result<TraceHeader, String> {
    let value: serde_json::Value = serde_json::from_str(line)
        .map_err(|e| format!("line 1 is not a trace header (not JSON: {e})"))?;
    let format = value
        .get("trace_format")
        .ok_or("line 1 is not a trace header (no 'trace_format' field)")?;
    if format.as_u64() != Some(u64::from(TRACE_FORMAT)) {
        return Err(format!(
            "trace format version {format} is not supported (this dst reads version {TRACE_FORMAT})"
        ));
    }
    serde_json::from_value(value).map_err(|e| format!("malformed header: {e}"))
}

/// Reads and checks the structure of the trace at `path` (see the module doc).
pub fn read_trace(path: &Path) -> Result<TraceFile, TraceError> {
    let error = |line: Option<usize>, message: String| TraceError {
        path: path.display().to_string(),
        line,
        message,
    };
    let text = std::fs::read_to_string(path).map_err(|e| {
        error(
            None,
            format!("cannot read: {}", e.to_string().to_lowercase()),
        )
    })?;
    let mut lines = text.lines().enumerate().map(|(i, l)| (i + 1, l));
    let (_, first) = lines
        .next()
        .ok_or_else(|| error(None, "the file is empty".to_string()))?;
    let header = parse_header(first).map_err(|m| error(Some(1), m))?;
    let mut hasher = TraceHasher::new();
    let mut events = Vec::new();
    for (number, line) in lines {
        if line.starts_with("{\"summary\":") {
            let summary: SummaryLine = serde_json::from_str(line)
                .map_err(|e| error(Some(number), format!("malformed summary: {e}")))?;
            if number != text.lines().count() {
                return Err(error(Some(number), "lines follow the summary".to_string()));
            }
            return Ok(TraceFile {
                header_hash_read: header_hash(first),
                trace_hash_read: hasher.hex(),
                header,
                events,
                summary,
            });
        }
        let event: Event = serde_json::from_str(line)
            .map_err(|e| error(Some(number), format!("malformed event: {e}")))?;
        if event.index != events.len() as u64 {
            return Err(error(
                Some(number),
                format!("event index {}, expected {}", event.index, events.len()),
            ));
        }
        hasher.record(&event);
        events.push(event);
    }
    Err(error(
        None,
        format!(
            "truncated: no summary line after {} events (a complete trace ends with one)",
            events.len()
        ),
    ))
}
