//! Replay: re-execute a trace's run from its header and compare the new events with the recorded
//! ones, one by one. The first difference is kept with both versions of the event.

use serde_json::Value;

use crate::trace::{Event, EventSink, TraceFile};

use super::{run_judged, RunReport};

/// The first event where a replay and its trace differ. `None` on a side means that side ended.
#[derive(Clone, Debug, PartialEq)]
pub struct Divergence {
    /// Index of the first differing event.
    pub index: u64,
    /// The event as recorded in the trace.
    pub recorded: Option<Event>,
    /// The event as the replay produced it.
    pub replayed: Option<Event>,
}

impl Divergence {
    /// The fields that differ, as `(field, recorded, replayed)` in field-name order; a missing
    /// side or field shows as `-`.
    pub fn field_differences(&self) -> Vec<(String, String, String)> {
        let fields = |event: &Option<Event>| match event {
            Some(e) => match serde_json::to_value(e).expect("an event always serializes") {
                Value::Object(map) => map,
                other => panic!("an event serializes as an object, not {other}"),
            },
            None => serde_json::Map::new(),
        };
        let (recorded, replayed) = (fields(&self.recorded), fields(&self.replayed));
        let mut names: Vec<&String> = recorded.keys().chain(replayed.keys()).collect();
        names.sort();
        names.dedup();
        let show = |v: Option<&Value>| v.map_or("-".to_string(), Value::to_string);
        names
            .into_iter()
            .filter(|n| recorded.get(*n) != replayed.get(*n))
            .map(|n| (n.clone(), show(recorded.get(n)), show(replayed.get(n))))
            .collect()
    }
}

/// What a replay found.
#[derive(Clone, Debug)]
pub struct ReplayReport {
    /// The replayed run's report.
    pub report: RunReport,
    /// The first differing event, if any.
    pub divergence: Option<Divergence>,
    /// Whether the replay derived different swarm options than the header records.
    pub swarm_differs: bool,
}

impl ReplayReport {
    /// Whether the replay matched the trace exactly: every event, the swarm options and the hash.
    pub fn identical(&self, trace: &TraceFile) -> bool {
        self.divergence.is_none()
            && !self.swarm_differs
            && self.report.trace_hash == trace.summary.trace_hash
    }
}

struct CompareSink<'a> {
    recorded: &'a [Event],
    seen: usize,
    first: Option<Divergence>,
}

impl EventSink for CompareSink<'_> {
    fn record(&mut self, event: &Event) {
        if self.first.is_none() {
            let recorded = self.recorded.get(self.seen);
            if recorded != Some(event) {
                self.first = Some(Divergence {
                    index: event.index,
                    recorded: recorded.cloned(),
                    replayed: Some(event.clone()),
                });
            }
        }
        self.seen += 1;
    }
}

/// Re-runs `trace` from its header; the error names a header field that cannot be run.
pub fn replay(trace: &TraceFile) -> Result<ReplayReport, String> {
    let config = trace.header.run_config()?;
    let mut sink = CompareSink {
        recorded: &trace.events,
        seen: 0,
        first: None,
    };
    let report = run_judged(&config, &mut sink);
    let mut divergence = sink.first;
    if divergence.is_none() && sink.seen < trace.events.len() {
        divergence = Some(Divergence {
            index: sink.seen as u64,
            recorded: Some(trace.events[sink.seen].clone()),
            replayed: None,
        });
    }
    Ok(ReplayReport {
        swarm_differs: report.swarm != trace.header.swarm,
        report,
        divergence,
    })
}
