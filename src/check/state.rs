//! The reference state: plain ordered maps of typed records, one [`AgentState`] per agent and
//! one [`ToolState`] per tool. No keys, no JSON.
//!
//! Containers are `Rc`-shared, so a candidate state (one possible outcome of indeterminate
//! operations) costs a few pointer copies until it diverges (`Rc::make_mut`).

use std::collections::BTreeMap;
use std::rc::Rc;

use super::call::Id;
use crate::agent::{AgentMetadata, Block, CustomToolRecord, Message, SessionState};

/// One stored record as the model knows it.
#[derive(Clone, Debug, PartialEq)]
pub enum Slot<T> {
    /// Nothing is stored.
    Absent,
    /// This record is stored.
    Present(Rc<T>),
    /// Something is stored that a fault damaged: it exists, and reading it must fail
    /// verification.
    Damaged,
}

impl<T> Slot<T> {
    /// Whether anything is stored (a damaged record counts).
    pub fn exists(&self) -> bool {
        !matches!(self, Slot::Absent)
    }

    /// The record, when stored intact.
    pub fn record(&self) -> Option<&T> {
        match self {
            Slot::Present(record) => Some(record),
            _ => None,
        }
    }

    /// The same slot by pointer, for cheap equality of shared records.
    fn same(&self, other: &Slot<T>) -> bool
    where
        T: PartialEq,
    {
        match (self, other) {
            (Slot::Present(a), Slot::Present(b)) => Rc::ptr_eq(a, b) || a == b,
            (Slot::Absent, Slot::Absent) | (Slot::Damaged, Slot::Damaged) => true,
            _ => false,
        }
    }
}

/// A time the model knows only within bounds: the adapter stamps blocks with its clock while
/// an operation runs, so the model knows the operation's window until it sees the stamp.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stamp {
    /// Earliest possible value, ms.
    pub low_ms: u64,
    /// Latest possible value, ms.
    pub high_ms: u64,
}

impl Stamp {
    /// A known time.
    pub fn exact(ms: u64) -> Stamp {
        Stamp {
            low_ms: ms,
            high_ms: ms,
        }
    }

    /// A time within `low_ms..=high_ms`.
    pub fn within(low_ms: u64, high_ms: u64) -> Stamp {
        assert!(low_ms <= high_ms, "a stamp window runs forward");
        Stamp { low_ms, high_ms }
    }

    /// Whether `ms` is a possible value.
    pub fn admits(&self, ms: u64) -> bool {
        (self.low_ms..=self.high_ms).contains(&ms)
    }
}

/// A core memory block as the model knows it: exact but for the adapter's time stamps. Its
/// texts are shared with the blocks it was made from.
#[derive(Clone, Debug, PartialEq)]
pub struct ModelBlock {
    /// Block id.
    pub id: Rc<str>,
    /// Label, unique within the agent.
    pub label: Rc<str>,
    /// Contents.
    pub value: Rc<str>,
    /// Free text.
    pub description: Option<Rc<str>>,
    /// Largest allowed value length.
    pub limit: Option<u64>,
    /// Creation time.
    pub created_at: Stamp,
    /// Last update time.
    pub updated_at: Stamp,
}

impl ModelBlock {
    /// A block the caller gave in full.
    pub fn given(block: &Block) -> ModelBlock {
        ModelBlock {
            id: block.id.clone(),
            label: block.label.clone(),
            value: block.value.clone(),
            description: block.description.clone(),
            limit: block.limit,
            created_at: Stamp::exact(block.created_at_ms),
            updated_at: Stamp::exact(block.updated_at_ms),
        }
    }

    /// Whether `block` is a possible reading of this block.
    pub fn admits(&self, block: &Block) -> bool {
        self.id == block.id
            && self.label == block.label
            && self.value == block.value
            && self.description == block.description
            && self.limit == block.limit
            && self.created_at.admits(block.created_at_ms)
            && self.updated_at.admits(block.updated_at_ms)
    }

    /// This block with its stamps narrowed to what `block` (admitted) showed.
    pub fn narrowed_to(&self, block: &Block) -> ModelBlock {
        assert!(self.admits(block), "only an admitted reading narrows");
        ModelBlock {
            created_at: Stamp::exact(block.created_at_ms),
            updated_at: Stamp::exact(block.updated_at_ms),
            ..self.clone()
        }
    }
}

/// One message of an agent's history.
#[derive(Clone, Debug, PartialEq)]
pub struct ModelMessage {
    /// The message; `None` once a fault damaged its stored copy.
    pub message: Option<Rc<Message>>,
    /// Creation time (also known when damaged: it is part of the key).
    pub created_at_ms: u64,
    /// Position in the model's linearization order, for ties of `created_at_ms`.
    pub order: u64,
}

impl ModelMessage {
    /// Whether `self` and `other` are the same message at the same place: equal as values,
    /// checked by pointer first.
    fn same(&self, other: &ModelMessage) -> bool {
        let message = match (&self.message, &other.message) {
            (Some(a), Some(b)) => Rc::ptr_eq(a, b) || a == b,
            (None, None) => true,
            _ => false,
        };
        self.created_at_ms == other.created_at_ms && self.order == other.order && message
    }
}

/// Everything stored for one agent id.
#[derive(Clone, Debug)]
pub struct AgentState {
    /// The agent record.
    pub record: Slot<AgentMetadata>,
    /// The blocks record (`Absent` reads as no blocks).
    pub blocks: Slot<Vec<ModelBlock>>,
    /// Sessions by id.
    pub sessions: Rc<BTreeMap<Id, Slot<SessionState>>>,
    /// Messages by (`created_at_ms`, `order`), ascending.
    pub messages: Rc<Vec<ModelMessage>>,
}

impl Default for AgentState {
    fn default() -> Self {
        AgentState {
            record: Slot::Absent,
            blocks: Slot::Absent,
            sessions: Rc::new(BTreeMap::new()),
            messages: Rc::new(Vec::new()),
        }
    }
}

impl AgentState {
    /// Whether anything at all is stored for the agent.
    pub fn is_empty(&self) -> bool {
        !self.record.exists()
            && !self.blocks.exists()
            && self.sessions.is_empty()
            && self.messages.is_empty()
    }

    /// The blocks, read as a list (`Absent` is empty); `None` when damaged.
    pub fn block_list(&self) -> Option<&[ModelBlock]> {
        match &self.blocks {
            Slot::Absent => Some(&[]),
            Slot::Present(blocks) => Some(blocks),
            Slot::Damaged => None,
        }
    }

    /// Whether `self` and `other` hold the same records. Cheapest comparisons first; shared
    /// records compare by pointer before by value.
    pub fn same(&self, other: &AgentState) -> bool {
        let sessions = || {
            Rc::ptr_eq(&self.sessions, &other.sessions)
                || (self.sessions.len() == other.sessions.len()
                    && self
                        .sessions
                        .iter()
                        .zip(other.sessions.iter())
                        .all(|((a, x), (b, y))| a == b && x.same(y)))
        };
        let messages = || {
            Rc::ptr_eq(&self.messages, &other.messages)
                || (self.messages.len() == other.messages.len()
                    && self
                        .messages
                        .iter()
                        .zip(other.messages.iter())
                        .all(|(a, b)| a.same(b)))
        };
        self.record.same(&other.record)
            && self.blocks.same(&other.blocks)
            && sessions()
            && messages()
    }

    /// A digest of what [`AgentState::same`] compares, coarser than it: candidates that are the
    /// same have equal digests, so only candidates with equal digests need comparing. It
    /// covers the record's presence, name and update time; each block's label, value and
    /// stamps; each session's id, presence, iteration, pending calls, last result, stop and
    /// checkpoint time; the number of messages and the place, id and presence of the last
    /// [`MESSAGES_DIGESTED`] (where candidates' histories differ).
    pub fn fingerprint(&self) -> u64 {
        let mut digest = Digest::default();
        digest.slot(&self.record, |digest, agent| {
            digest.text(&agent.name);
            digest.number(agent.updated_at_ms);
        });
        digest.slot(&self.blocks, |digest, blocks| {
            for block in blocks.iter() {
                digest.text(&block.label);
                digest.text(&block.value);
                for stamp in [block.created_at, block.updated_at] {
                    digest.number(stamp.low_ms);
                    digest.number(stamp.high_ms);
                }
            }
        });
        digest.number(self.sessions.len() as u64);
        for (id, session) in self.sessions.iter() {
            digest.text(id);
            digest.slot(session, |digest, session| {
                digest.number(session.iteration);
                digest.number(session.pending_tool_calls.len() as u64);
                digest.text(session.last_tool_result.as_deref().unwrap_or(""));
                digest.number(u64::from(session.stop_reason.is_some()));
                digest.number(session.checkpointed_at_ms);
            });
        }
        digest.number(self.messages.len() as u64);
        let recent = self.messages.len().saturating_sub(MESSAGES_DIGESTED);
        for message in &self.messages[recent..] {
            digest.number(message.created_at_ms);
            digest.number(message.order);
            match &message.message {
                Some(message) => digest.text(&message.id),
                None => digest.number(u64::MAX),
            }
        }
        digest.0
    }

    /// Inserts `message` at its place: after every message created no later than it.
    pub fn insert_message(&mut self, message: Rc<Message>, order: u64) {
        let created_at_ms = message.created_at_ms;
        let messages = Rc::make_mut(&mut self.messages);
        let at = messages.partition_point(|m| m.created_at_ms <= created_at_ms);
        messages.insert(
            at,
            ModelMessage {
                message: Some(message),
                created_at_ms,
                order,
            },
        );
        assert!(messages
            .windows(2)
            .all(|pair| (pair[0].created_at_ms, pair[0].order)
                <= (pair[1].created_at_ms, pair[1].order)));
    }
}

/// Everything stored for one tool name.
#[derive(Clone, Debug, PartialEq)]
pub struct ToolState {
    /// The tool record.
    pub record: Slot<CustomToolRecord>,
}

impl Default for ToolState {
    fn default() -> Self {
        ToolState {
            record: Slot::Absent,
        }
    }
}

impl ToolState {
    /// Whether `self` and `other` hold the same record.
    pub fn same(&self, other: &ToolState) -> bool {
        self.record.same(&other.record)
    }

    /// A digest of what [`ToolState::same`] compares, coarser than it (see
    /// [`AgentState::fingerprint`]): the record's presence and description.
    pub fn fingerprint(&self) -> u64 {
        let mut digest = Digest::default();
        digest.slot(&self.record, |digest, tool| digest.text(&tool.description));
        digest.0
    }
}

/// Messages at the end of a history that [`AgentState::fingerprint`] digests.
pub const MESSAGES_DIGESTED: usize = 8;

/// Folds numbers and texts into a 64-bit digest (FNV-style mixing; texts by xxh3). Only ever
/// compared for equality within one run, never stored or ordered on.
#[derive(Default)]
struct Digest(u64);

impl Digest {
    fn number(&mut self, n: u64) {
        self.0 = (self.0 ^ n)
            .wrapping_mul(0x0000_0100_0000_01b3)
            .rotate_left(29);
    }

    fn text(&mut self, text: &str) {
        self.number(xxhash_rust::xxh3::xxh3_64(text.as_bytes()));
    }

    /// The slot's kind, then (when present) what `record` folds in.
    fn slot<T>(&mut self, slot: &Slot<T>, record: impl FnOnce(&mut Digest, &T)) {
        match slot {
            Slot::Absent => self.number(0),
            Slot::Damaged => self.number(1),
            Slot::Present(present) => {
                self.number(2);
                record(self, present);
            }
        }
    }
}
