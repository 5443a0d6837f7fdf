//! The trace hash: xxh3-64 streamed over a canonical binary encoding of each event.
//!
//! The encoding is fixed-width little-endian integers and length-prefixed UTF-8, field by field
//! in declaration order, with a one-byte tag per variant. It never passes through `format!` or
//! JSON, so it is the same on every platform and cheap enough for sweeps that keep no events.

use xxhash_rust::xxh3::Xxh3;

use super::event::{Event, EventKind, EventSink, Outcome, Phase};

/// Bytes of encoded events gathered before they are fed to the hash in one update (a streamed
/// hash does not depend on how its input is split; one update per event costs more).
const PENDING_BYTES: usize = 4096;

/// Streams events into an xxh3-64 hash.
pub struct TraceHasher {
    state: Xxh3,
    events: u64,
    /// Encoded events not yet fed to `state`, fewer than [`PENDING_BYTES`] between events.
    pending: Vec<u8>,
}

impl Default for TraceHasher {
    fn default() -> Self {
        TraceHasher {
            state: Xxh3::new(),
            events: 0,
            pending: Vec::with_capacity(2 * PENDING_BYTES),
        }
    }
}

fn put_u64(out: &mut Vec<u8>, value: u64) {
    out.extend_from_slice(&value.to_le_bytes());
}

fn put_str(out: &mut Vec<u8>, text: &str) {
    put_u64(out, text.len() as u64);
    out.extend_from_slice(text.as_bytes());
}

/// Appends the header every event's encoding starts with: its index, time and task.
fn put_header(out: &mut Vec<u8>, index: u64, time_ms: u64, task: Option<u32>) {
    put_u64(out, index);
    put_u64(out, time_ms);
    put_u64(out, task.map_or(u64::MAX, u64::from));
}

/// Appends an `OpStart` event's fields after its header.
fn put_op_start(out: &mut Vec<u8>, op_id: u64, op: &str, args: &str) {
    out.push(1);
    put_u64(out, op_id);
    put_str(out, op);
    put_str(out, args);
}

/// Appends the canonical encoding of `event` to `out`.
pub fn encode_event(event: &Event, out: &mut Vec<u8>) {
    let start = out.len();
    put_header(out, event.index, event.time_ms, event.task);
    match &event.kind {
        EventKind::Phase { phase } => {
            out.push(0);
            out.push(match phase {
                Phase::Safety => 0,
                Phase::Liveness => 1,
                Phase::Final => 2,
            });
        }
        EventKind::OpStart { op_id, op, args } => put_op_start(out, *op_id, op, args),
        EventKind::OpResult {
            op_id,
            outcome,
            detail,
        } => {
            out.push(2);
            put_u64(out, *op_id);
            out.push(match outcome {
                Outcome::Ok => 0,
                Outcome::Failed => 1,
                Outcome::Indeterminate => 2,
            });
            put_str(out, detail);
        }
        EventKind::Fault {
            fault,
            op,
            key,
            effect,
        } => {
            out.push(3);
            put_str(out, fault.name());
            put_str(out, op.name());
            put_str(out, key);
            put_str(out, effect);
        }
        EventKind::Crash {
            crash,
            in_flight_ops,
        } => {
            out.push(4);
            put_u64(out, u64::from(*crash));
            put_u64(out, u64::from(*in_flight_ops));
        }
        EventKind::Restart {
            crash,
            durable_keys,
        } => {
            out.push(5);
            put_u64(out, u64::from(*crash));
            put_u64(out, *durable_keys);
        }
        EventKind::Check { invariant, at } => {
            out.push(6);
            put_str(out, invariant);
            put_str(out, at);
        }
        EventKind::Violation {
            invariant,
            evidence,
        } => {
            out.push(7);
            put_str(out, invariant);
            put_str(out, evidence);
        }
    }
    assert!(
        out.len() > start + 24,
        "every event encodes its header and a tag"
    );
}

impl TraceHasher {
    /// A hasher that has seen no event.
    pub fn new() -> Self {
        TraceHasher::default()
    }

    /// Number of events hashed so far.
    pub fn events(&self) -> u64 {
        self.events
    }

    /// The hash of the events so far, as 16 lowercase hex digits.
    pub fn hex(&self) -> String {
        let mut state = self.state.clone();
        state.update(&self.pending);
        format!("{:016x}", state.digest())
    }

    /// Hashes the `OpStart` event these fields make, as [`EventSink::record`] would hash it,
    /// without the event being built.
    pub fn record_op_start(&mut self, header: (u64, u64, Option<u32>), op: (u64, &str, &str)) {
        let (index, time_ms, task) = header;
        assert_eq!(index, self.events, "events arrive in index order");
        put_header(&mut self.pending, index, time_ms, task);
        put_op_start(&mut self.pending, op.0, op.1, op.2);
        self.recorded();
    }

    /// Counts the event just encoded into `pending`, and hashes a full batch.
    fn recorded(&mut self) {
        if self.pending.len() >= PENDING_BYTES {
            self.state.update(&self.pending);
            self.pending.clear();
        }
        self.events += 1;
        assert!(
            self.pending.len() < PENDING_BYTES,
            "full batches are hashed"
        );
    }
}

impl EventSink for TraceHasher {
    fn record(&mut self, event: &Event) {
        assert_eq!(event.index, self.events, "events arrive in index order");
        encode_event(event, &mut self.pending);
        self.recorded();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(index: u64, detail: &str) -> Event {
        Event {
            index,
            time_ms: 5,
            task: Some(1),
            kind: EventKind::OpResult {
                op_id: 9,
                outcome: Outcome::Ok,
                detail: detail.to_string(),
            },
        }
    }

    #[test]
    fn hash_is_pinned_and_sensitive_to_every_byte() {
        let mut a = TraceHasher::new();
        a.record(&event(0, "x"));
        let mut b = TraceHasher::new();
        b.record(&event(0, "y"));
        assert_ne!(a.hex(), b.hex());
        assert_eq!(a.hex(), PINNED);
        assert_eq!(a.events(), 1);
    }

    #[test]
    fn an_op_start_hashed_from_its_fields_hashes_as_the_event() {
        let (mut from_events, mut from_fields) = (TraceHasher::new(), TraceHasher::new());
        for index in 0..2000u64 {
            let task = (index % 3 != 0).then_some(index as u32 % 7);
            let args = "a".repeat(index as usize % 300);
            let event = Event {
                index,
                time_ms: index * 3,
                task,
                kind: EventKind::OpStart {
                    op_id: index / 2,
                    op: "append_message".into(),
                    args: args.clone(),
                },
            };
            from_events.record(&event);
            from_fields.record_op_start(
                (index, index * 3, task),
                (index / 2, "append_message", &args),
            );
            assert_eq!(from_events.hex(), from_fields.hex(), "after event {index}");
        }
        assert_eq!(from_events.events(), from_fields.events());
    }

    #[test]
    fn batching_does_not_change_the_hash() {
        let mut hasher = TraceHasher::new();
        let mut encoded = Vec::new();
        for index in 0..3000 {
            let detail = "d".repeat(index as usize % 7 * 1500);
            let event = event(index, &detail);
            encode_event(&event, &mut encoded);
            hasher.record(&event);
            if index % 500 == 0 {
                let whole = xxhash_rust::xxh3::xxh3_64(&encoded);
                assert_eq!(hasher.hex(), format!("{whole:016x}"), "after event {index}");
            }
        }
        assert_eq!(hasher.events(), 3000);
        let whole = xxhash_rust::xxh3::xxh3_64(&encoded);
        assert_eq!(hasher.hex(), format!("{whole:016x}"));
    }

    const PINNED: &str = "beadfc2e9ebb7a66";
}
