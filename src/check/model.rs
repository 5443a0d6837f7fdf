//! The model (oracle): every operation with its interval in logical time and its outcome, the
//! keys it writes, and what faults did to keys. Invariant checks read it; it never re-parses
//! storage values itself.
//!
//! Operations are classified as Jepsen does: `ok` took effect, `failed` did not,
//! `indeterminate` (crash, or a write a fault sent astray) may or may not have. Logical time
//! ticks once per operation start and end, so "A finished before B started" is exact.

use std::collections::{BTreeMap, BTreeSet};

use crate::trace::Outcome;

/// Logical time of an operation that has not ended or whose end is unknown.
pub const OPEN_END: u64 = u64::MAX;

/// What an operation intends to do to storage, declared when it starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Effect {
    /// Writes a record whose identity is (`token` = op id, `fingerprint`) under `key`.
    Put {
        /// Actor-relative key written.
        key: Vec<u8>,
        /// Fingerprint of the record written (xxh3 of its JSON).
        fingerprint: u64,
    },
    /// Removes `key`.
    Delete {
        /// Actor-relative key removed.
        key: Vec<u8>,
    },
    /// Removes every key under `prefix`.
    DeletePrefix {
        /// Actor-relative prefix of the keys removed.
        prefix: Vec<u8>,
    },
    /// Appends the message `message_id` to `agent_id`'s history.
    Message {
        /// Agent whose history grows.
        agent_id: String,
        /// Id of the appended message.
        message_id: String,
        /// Fingerprint of the message record (xxh3 of its JSON).
        fingerprint: u64,
    },
    /// Changes block `label` of `agent_id` (create, update or append).
    Block {
        /// Agent that owns the block.
        agent_id: String,
        /// Label of the changed block.
        label: String,
    },
    /// Removes every message of `agent_id`.
    ClearMessages {
        /// Agent whose messages are removed.
        agent_id: String,
    },
}

/// One operation as the model knows it.
#[derive(Clone, Debug)]
pub struct OpInfo {
    /// `AgentStorage` call name.
    pub name: &'static str,
    /// Workload task that issued it.
    pub task: u32,
    /// Logical start time.
    pub start: u64,
    /// Logical end time, [`OPEN_END`] while running or if indeterminate.
    pub end: u64,
    /// Outcome once known.
    pub outcome: Option<Outcome>,
    /// A fault sent this write astray or tore it: its effect is unknown.
    pub fault_touched: bool,
    /// What it writes.
    pub effects: Vec<Effect>,
}

impl OpInfo {
    /// Whether the op certainly did not take effect.
    pub fn failed(&self) -> bool {
        self.outcome == Some(Outcome::Failed) && !self.fault_touched
    }

    /// Whether the op certainly took effect.
    pub fn ok(&self) -> bool {
        self.outcome == Some(Outcome::Ok) && !self.fault_touched
    }

    /// End time as the checks must see it: open if the effect is unknown.
    pub fn effective_end(&self) -> u64 {
        if self.fault_touched {
            OPEN_END
        } else {
            self.end
        }
    }

    /// Whether this op certainly ended before `other` started.
    pub fn before(&self, other: &OpInfo) -> bool {
        self.effective_end() < other.start
    }
}

/// Everything the checks need to know about the run so far.
#[derive(Default)]
pub struct Model {
    ops: Vec<OpInfo>,
    tick: u64,
    in_flight: BTreeMap<u32, u64>,
    key_writers: BTreeMap<Vec<u8>, Vec<u64>>,
    prefix_deleters: Vec<(Vec<u8>, u64)>,
    messages: BTreeMap<String, u64>,
    message_clearers: BTreeMap<String, Vec<u64>>,
    block_writers: BTreeMap<(String, String), Vec<u64>>,
    checkpoints: Vec<u64>,
    damaged: BTreeSet<Vec<u8>>,
}

impl Model {
    /// An empty model.
    pub fn new() -> Self {
        Model::default()
    }

    /// Current logical time.
    pub fn now(&self) -> u64 {
        self.tick
    }

    /// Records the start of an operation by `task`; returns its op id. A task has at most one
    /// operation in flight.
    pub fn begin(&mut self, task: u32, name: &'static str, effects: Vec<Effect>) -> u64 {
        assert!(
            !self.in_flight.contains_key(&task),
            "task {task} already has an op in flight"
        );
        let id = self.ops.len() as u64;
        self.tick += 1;
        for effect in &effects {
            self.index_effect(id, name, effect);
        }
        self.ops.push(OpInfo {
            name,
            task,
            start: self.tick,
            end: OPEN_END,
            outcome: None,
            fault_touched: false,
            effects,
        });
        self.in_flight.insert(task, id);
        id
    }

    fn index_effect(&mut self, id: u64, name: &'static str, effect: &Effect) {
        match effect {
            Effect::Put { key, .. } | Effect::Delete { key } => {
                self.key_writers.entry(key.clone()).or_default().push(id);
            }
            Effect::DeletePrefix { prefix } => self.prefix_deleters.push((prefix.clone(), id)),
            Effect::Message { message_id, .. } => {
                self.messages.insert(message_id.clone(), id);
                if name == "checkpoint" {
                    self.checkpoints.push(id);
                }
            }
            Effect::Block { agent_id, label } => {
                let writers = self.block_writers.entry((agent_id.clone(), label.clone()));
                writers.or_default().push(id);
            }
            Effect::ClearMessages { agent_id } => {
                self.message_clearers
                    .entry(agent_id.clone())
                    .or_default()
                    .push(id);
            }
        }
    }

    /// Records how operation `id` ended.
    pub fn end(&mut self, id: u64, outcome: Outcome) {
        self.tick += 1;
        let op = &mut self.ops[id as usize];
        assert!(op.outcome.is_none(), "op {id} ended twice");
        op.outcome = Some(outcome);
        op.end = if outcome == Outcome::Indeterminate {
            OPEN_END
        } else {
            self.tick
        };
        let removed = self.in_flight.remove(&op.task);
        assert_eq!(
            removed,
            Some(id),
            "op {id} was the in-flight op of its task"
        );
    }

    /// The process died: every op in flight becomes indeterminate. Returns their op ids, in
    /// task order.
    pub fn crash(&mut self) -> Vec<u64> {
        let in_flight: Vec<u64> = self.in_flight.values().copied().collect();
        for id in &in_flight {
            self.end(*id, Outcome::Indeterminate);
        }
        assert!(self.in_flight.is_empty());
        in_flight
    }

    /// The op `task` has in flight, if any.
    pub fn in_flight_of(&self, task: u32) -> Option<u64> {
        self.in_flight.get(&task).copied()
    }

    /// A fault tore or misdirected the write of op `id`: its effect becomes unknown.
    pub fn mark_fault_touched(&mut self, id: u64) {
        self.ops[id as usize].fault_touched = true;
    }

    /// A fault left `key` holding a value that must fail verification.
    pub fn mark_damaged(&mut self, key: Vec<u8>) {
        self.damaged.insert(key);
    }

    /// Whether a fault ever damaged `key`.
    pub fn is_damaged(&self, key: &[u8]) -> bool {
        self.damaged.contains(key)
    }

    /// Whether a fault damaged any key under `prefix`.
    pub fn any_damaged_under(&self, prefix: &[u8]) -> bool {
        self.damaged
            .range(prefix.to_vec()..)
            .next()
            .is_some_and(|k| k.starts_with(prefix))
    }

    /// Operation `id`.
    pub fn op(&self, id: u64) -> &OpInfo {
        &self.ops[id as usize]
    }

    /// Every op that writes or deletes `key`, directly or through a prefix delete, by start.
    pub fn writers_of(&self, key: &[u8]) -> Vec<u64> {
        let mut ids: Vec<u64> = self.key_writers.get(key).cloned().unwrap_or_default();
        ids.extend(
            self.prefix_deleters
                .iter()
                .filter(|(p, _)| key.starts_with(p))
                .map(|(_, id)| *id),
        );
        ids.sort_unstable();
        ids
    }

    /// Every key some op writes or deletes directly.
    pub fn written_keys(&self) -> impl Iterator<Item = &Vec<u8>> {
        self.key_writers.keys()
    }

    /// The op id the next `begin` will return.
    pub fn next_op_id(&self) -> u64 {
        self.ops.len() as u64
    }

    /// The fingerprint op `id` puts under `key`, or `None` if it deletes it.
    pub fn put_fingerprint(&self, id: u64, key: &[u8]) -> Option<u64> {
        self.op(id).effects.iter().find_map(|e| match e {
            Effect::Put {
                key: k,
                fingerprint,
            } if k == key => Some(*fingerprint),
            _ => None,
        })
    }

    /// The op that appends message `message_id`, if any.
    pub fn message_op(&self, message_id: &str) -> Option<u64> {
        self.messages.get(message_id).copied()
    }

    /// Every message-appending op, by message id.
    pub fn messages(&self) -> &BTreeMap<String, u64> {
        &self.messages
    }

    /// Ops that remove all of `agent_id`'s messages.
    pub fn message_clearers(&self, agent_id: &str) -> &[u64] {
        self.message_clearers
            .get(agent_id)
            .map_or(&[], Vec::as_slice)
    }

    /// Ops that change block `label` of `agent_id`.
    pub fn block_writers(&self, agent_id: &str, label: &str) -> &[u64] {
        let key = (agent_id.to_string(), label.to_string());
        self.block_writers.get(&key).map_or(&[], Vec::as_slice)
    }

    /// Every checkpoint op carrying a message.
    pub fn checkpoints(&self) -> &[u64] {
        &self.checkpoints
    }

    /// Renders the history of the given ops for evidence.
    pub fn history(&self, ids: &[u64]) -> String {
        let lines: Vec<String> = ids.iter().map(|id| self.describe(*id)).collect();
        lines.join("; ")
    }

    /// One op for evidence: `op#ID name task=T [start,end] outcome`.
    pub fn describe(&self, id: u64) -> String {
        let op = self.op(id);
        let end = if op.end == OPEN_END {
            "open".to_string()
        } else {
            op.end.to_string()
        };
        let outcome = match (op.outcome, op.fault_touched) {
            (_, true) => "fault-touched",
            (Some(Outcome::Ok), _) => "ok",
            (Some(Outcome::Failed), _) => "failed",
            (Some(Outcome::Indeterminate), _) => "indeterminate",
            (None, _) => "in-flight",
        };
        format!(
            "op#{id} {} task={} [{},{end}] {outcome}",
            op.name, op.task, op.start
        )
    }
}
