//! The identifiers a run uses, with the adversarial classes swarm switches on and off: ids
//! that are prefixes of one another, ids with unusual characters (reserved punctuation,
//! whitespace, escapes, non-ASCII), ids at the length limit, invalid ids (the key separator,
//! empty, one byte over the limit) that must be refused, and message ids that do not sort in
//! append order.

use serde::{Deserialize, Serialize};

use super::text::{concat, hex16, zero_padded, Part};
use crate::check::Id;

/// Longest valid id, in bytes.
const ID_BYTES_MAX: usize = 256;
/// Longest valid session id, in bytes.
const SESSION_ID_BYTES_MAX: usize = 64;

/// Which adversarial identifier classes a seed uses.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdClasses {
    /// Agent and tool ids that are prefixes of one another (`agent-1`, `agent-10`, ...).
    pub prefixes: bool,
    /// Ids with reserved punctuation, whitespace, escapes and non-ASCII characters.
    pub unusual_chars: bool,
    /// Ids exactly at the length limits.
    pub at_length_limit: bool,
    /// Now and then an invalid id (containing `/`, empty, over the limit) or load limit.
    pub invalid: bool,
    /// Message ids that do not sort in append order, and messages stamped in the past.
    pub unordered_messages: bool,
}

impl IdClasses {
    /// The class names, in a fixed order, with whether each is on.
    pub fn named(&self) -> [(&'static str, bool); 5] {
        [
            ("prefixes", self.prefixes),
            ("unusual_chars", self.unusual_chars),
            ("at_length_limit", self.at_length_limit),
            ("invalid", self.invalid),
            ("unordered_messages", self.unordered_messages),
        ]
    }
}

const UNUSUAL: [&str; 12] = [
    "agent:1",
    "agent#1",
    "agent 1",
    "agënt-1",
    "агент-1",
    "🤖-1",
    "agent\\1",
    "agent%2F1",
    "..",
    "agent\n1",
    "agent\"1",
    "a\u{0}b",
];

const INVALID: [&str; 4] = ["agent/1", "/", "agent-1/", ""];

/// The ids of one run: valid agent and tool ids (as many as asked), and invalid ones to try
/// now and then when the `invalid` class is on.
#[derive(Clone, Debug)]
pub struct IdPool {
    /// Valid agent ids, distinct.
    pub agents: Vec<Id>,
    /// Valid tool names, distinct.
    pub tools: Vec<Id>,
    /// Invalid ids (agents and tools alike); empty unless the `invalid` class is on.
    pub invalid: Vec<Id>,
    /// The classes in force.
    pub classes: IdClasses,
}

fn padded(stem: &str, filler: char, bytes: usize) -> String {
    let mut id = stem.to_string();
    while id.len() + filler.len_utf8() <= bytes {
        id.push(filler);
    }
    while id.len() < bytes {
        id.push('x');
    }
    assert_eq!(id.len(), bytes, "padding reaches the length exactly");
    id
}

fn names(stem: &str, count: usize, classes: IdClasses) -> Vec<Id> {
    let mut ids: Vec<String> = (0..count)
        .map(|i| match classes.prefixes {
            true => format!("{stem}-{}{}", 1 + i / 3, "0".repeat(i % 3)),
            false => format!("{stem}-{i}"),
        })
        .collect();
    if classes.unusual_chars {
        for (slot, unusual) in ids.iter_mut().skip(1).step_by(2).zip(UNUSUAL) {
            *slot = unusual.replace("agent", stem);
        }
    }
    if classes.at_length_limit && count > 2 {
        let filler = if classes.unusual_chars { 'é' } else { 'x' };
        ids[count - 1] = padded(stem, filler, ID_BYTES_MAX);
    }
    let unique: std::collections::BTreeSet<&String> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "ids of a pool are distinct");
    ids.into_iter().map(Id::from).collect()
}

impl IdPool {
    /// `agents` agent ids and `tools` tool names under `classes`.
    pub fn new(agents: usize, tools: usize, classes: IdClasses) -> IdPool {
        assert!(agents > 0 && tools > 0, "a pool has ids");
        let invalid = match classes.invalid {
            true => INVALID
                .iter()
                .map(|s| s.to_string())
                .chain([padded("agent", 'x', ID_BYTES_MAX + 1)])
                .map(Id::from)
                .collect(),
            false => Vec::new(),
        };
        IdPool {
            agents: names("agent", agents, classes),
            tools: names("tool", tools, classes),
            invalid,
            classes,
        }
    }

    /// The id of session number `n` (an op id): `s{n}`, or at the length limits when that
    /// class is on (`variant` picks: 0 exactly at the limit, 1 one byte over, others plain).
    pub fn session_id(&self, n: u64, variant: u64) -> Id {
        let plain = concat(&[Part::Text("s"), Part::Number(n)]);
        let id = match (self.classes.at_length_limit, variant) {
            (true, 0) => padded(&plain, '-', SESSION_ID_BYTES_MAX),
            (true, 1) => padded(&plain, '-', SESSION_ID_BYTES_MAX + 1),
            _ if self.classes.unusual_chars && variant == 2 => format!("s:{n}#ü"),
            _ if self.classes.invalid && variant == 3 => format!("s/{n}"),
            _ => plain,
        };
        id.into()
    }

    /// Whether `id` is a prefix of another valid agent or tool id of the pool.
    pub fn is_prefix_of_another(&self, id: &str) -> bool {
        self.agents
            .iter()
            .chain(&self.tools)
            .any(|other| other.len() > id.len() && other.starts_with(id))
    }

    /// Whether `id` holds anything but ASCII letters, digits, `-` and `_`.
    pub fn is_unusual(id: &str) -> bool {
        !id.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    }

    /// Whether `id` is exactly at the length limit of an agent or tool id (`session`: false)
    /// or of a session id (`session`: true).
    pub fn is_at_length_limit(id: &str, session: bool) -> bool {
        let limit = if session {
            SESSION_ID_BYTES_MAX
        } else {
            ID_BYTES_MAX
        };
        id.len() == limit
    }

    /// The id of the message appended by op `op`: `m-{op:012}` (sorting in append order), or
    /// scrambled when messages are unordered.
    pub fn message_id(&self, op: u64) -> String {
        match self.classes.unordered_messages {
            true => hex16("m-", op.wrapping_mul(0x9E37_79B9_7F4A_7C15)),
            false => zero_padded("m-", op, 12),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_ids_extend_one_another() {
        let classes = IdClasses {
            prefixes: true,
            ..IdClasses::default()
        };
        let pool = IdPool::new(6, 4, classes);
        let agents: Vec<&str> = pool.agents.iter().map(|a| a.as_ref()).collect();
        assert_eq!(
            agents,
            [
                "agent-1",
                "agent-10",
                "agent-100",
                "agent-2",
                "agent-20",
                "agent-200"
            ]
        );
        assert!(pool.invalid.is_empty());
    }

    #[test]
    fn every_class_keeps_valid_ids_valid_and_invalid_ids_invalid() {
        let classes = IdClasses {
            prefixes: true,
            unusual_chars: true,
            at_length_limit: true,
            invalid: true,
            unordered_messages: true,
        };
        let pool = IdPool::new(16, 6, classes);
        for id in pool.agents.iter().chain(&pool.tools) {
            assert!(
                !id.is_empty() && !id.contains('/') && id.len() <= ID_BYTES_MAX,
                "{id:?}"
            );
        }
        assert_eq!(pool.agents[15].len(), ID_BYTES_MAX);
        for id in &pool.invalid {
            assert!(
                id.is_empty() || id.contains('/') || id.len() > ID_BYTES_MAX,
                "{id:?}"
            );
        }
        assert_eq!(pool.session_id(7, 0).len(), SESSION_ID_BYTES_MAX);
        assert_eq!(pool.session_id(7, 1).len(), SESSION_ID_BYTES_MAX + 1);
        assert!(pool.message_id(2) > pool.message_id(3) || pool.message_id(3) > pool.message_id(4));
    }
}
