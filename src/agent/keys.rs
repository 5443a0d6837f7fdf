//! The hierarchical key layout under the `kelpie:server` actor, and its parser.
//!
//! `agents/{id}`, `blocks/{agent_id}`, `sessions/{agent_id}/{session_id}`,
//! `messages/{agent_id}/{sequence:020}`, `message_seq/{agent_id}` (the next sequence number),
//! `tools/{name}`. Ids contain no `/`, so every prefix below names exactly one owner, and
//! zero-padded sequences make message keys sort in append order.

use super::StorageError;

/// Namespace and id of the actor all agent storage lives under.
pub const SERVER_ACTOR: (&str, &str) = ("kelpie", "server");

/// Longest id of any entity, in bytes.
pub const ID_BYTES_MAX: usize = 256;

/// Refuses ids that would break the key layout: empty, containing `/`, or too long.
pub fn check_id(what: &'static str, id: &str) -> Result<(), StorageError> {
    if id.is_empty() || id.contains('/') {
        return Err(StorageError::Internal {
            reason: format!("invalid {what} '{id}': must be non-empty and contain no '/'"),
        });
    }
    if id.len() > ID_BYTES_MAX {
        return Err(StorageError::LimitExceeded {
            what,
            value: id.len() as u64,
            limit: ID_BYTES_MAX as u64,
        });
    }
    Ok(())
}

/// `agents/{id}`.
pub fn agent_key(id: &str) -> Vec<u8> {
    format!("agents/{id}").into_bytes()
}

/// Prefix of every agent key.
pub const AGENTS_PREFIX: &[u8] = b"agents/";

/// `blocks/{agent_id}`.
pub fn blocks_key(agent_id: &str) -> Vec<u8> {
    format!("blocks/{agent_id}").into_bytes()
}

/// `sessions/{agent_id}/{session_id}`.
pub fn session_key(agent_id: &str, session_id: &str) -> Vec<u8> {
    format!("sessions/{agent_id}/{session_id}").into_bytes()
}

/// `sessions/{agent_id}/`.
pub fn sessions_prefix(agent_id: &str) -> Vec<u8> {
    format!("sessions/{agent_id}/").into_bytes()
}

/// `messages/{agent_id}/{sequence:020}`.
pub fn message_key(agent_id: &str, sequence: u64) -> Vec<u8> {
    format!("messages/{agent_id}/{sequence:020}").into_bytes()
}

/// `messages/{agent_id}/`.
pub fn messages_prefix(agent_id: &str) -> Vec<u8> {
    format!("messages/{agent_id}/").into_bytes()
}

/// `message_seq/{agent_id}`: holds the sequence number of the agent's next message.
pub fn message_seq_key(agent_id: &str) -> Vec<u8> {
    format!("message_seq/{agent_id}").into_bytes()
}

/// `tools/{name}`.
pub fn tool_key(name: &str) -> Vec<u8> {
    format!("tools/{name}").into_bytes()
}

/// Prefix of every tool key.
pub const TOOLS_PREFIX: &[u8] = b"tools/";

/// A parsed storage key: which record lives there.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum RecordKey {
    /// `agents/{id}`.
    Agent {
        /// Id of the agent.
        agent_id: String,
    },
    /// `blocks/{agent_id}`.
    Blocks {
        /// Agent whose memory blocks the record holds.
        agent_id: String,
    },
    /// `sessions/{agent_id}/{session_id}`.
    Session {
        /// Agent the session belongs to.
        agent_id: String,
        /// Id of the session within the agent.
        session_id: String,
    },
    /// `messages/{agent_id}/{sequence}`.
    Message {
        /// Agent whose history holds the message.
        agent_id: String,
        /// Position of the message in the agent's history, from 0.
        sequence: u64,
    },
    /// `message_seq/{agent_id}`.
    MessageSeq {
        /// Agent whose next message sequence number the record holds.
        agent_id: String,
    },
    /// `tools/{name}`.
    Tool {
        /// Name of the custom tool.
        name: String,
    },
}

impl RecordKey {
    /// Parses a key of the layout; `None` for anything else.
    pub fn parse(key: &[u8]) -> Option<RecordKey> {
        let key = std::str::from_utf8(key).ok()?;
        let (family, rest) = key.split_once('/')?;
        let single = |s: &str| (!s.is_empty() && !s.contains('/')).then(|| s.to_string());
        let pair = |s: &str| {
            let (a, b) = s.split_once('/')?;
            Some((single(a)?, single(b)?))
        };
        match family {
            "agents" => Some(RecordKey::Agent {
                agent_id: single(rest)?,
            }),
            "blocks" => Some(RecordKey::Blocks {
                agent_id: single(rest)?,
            }),
            "message_seq" => Some(RecordKey::MessageSeq {
                agent_id: single(rest)?,
            }),
            "tools" => Some(RecordKey::Tool {
                name: single(rest)?,
            }),
            "sessions" => {
                let (agent_id, session_id) = pair(rest)?;
                Some(RecordKey::Session {
                    agent_id,
                    session_id,
                })
            }
            "messages" => {
                let (agent_id, sequence) = pair(rest)?;
                let sequence = sequence.parse().ok()?;
                Some(RecordKey::Message { agent_id, sequence })
            }
            _ => None,
        }
    }

    /// The agent that owns the record, if it belongs to one.
    pub fn owner(&self) -> Option<&str> {
        match self {
            RecordKey::Agent { .. } | RecordKey::Tool { .. } => None,
            RecordKey::Blocks { agent_id }
            | RecordKey::Session { agent_id, .. }
            | RecordKey::Message { agent_id, .. }
            | RecordKey::MessageSeq { agent_id } => Some(agent_id),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_parses_back() {
        assert_eq!(
            RecordKey::parse(&message_key("a1", 7)),
            Some(RecordKey::Message {
                agent_id: "a1".into(),
                sequence: 7
            })
        );
        assert_eq!(
            RecordKey::parse(&session_key("a1", "s1")),
            Some(RecordKey::Session {
                agent_id: "a1".into(),
                session_id: "s1".into()
            })
        );
        assert_eq!(
            RecordKey::parse(&agent_key("a1")),
            Some(RecordKey::Agent {
                agent_id: "a1".into()
            })
        );
        assert_eq!(
            RecordKey::parse(&blocks_key("a1")).unwrap().owner(),
            Some("a1")
        );
        assert_eq!(RecordKey::parse(&tool_key("t")).unwrap().owner(), None);
        assert_eq!(RecordKey::parse(b"agents/a/b"), None);
        assert_eq!(RecordKey::parse(b"other/x"), None);
    }

    #[test]
    fn message_keys_sort_in_append_order() {
        let mut keys: Vec<Vec<u8>> = [10u64, 9, 100, 1]
            .iter()
            .map(|s| message_key("a", *s))
            .collect();
        keys.sort();
        assert_eq!(
            keys,
            vec![
                message_key("a", 1),
                message_key("a", 9),
                message_key("a", 10),
                message_key("a", 100)
            ]
        );
    }

    #[test]
    fn ids_that_break_the_layout_are_refused() {
        assert!(check_id("agent id", "a/b").is_err());
        assert!(check_id("agent id", "").is_err());
        assert!(check_id("agent id", &"x".repeat(300)).is_err());
        assert!(check_id("agent id", "agent-1").is_ok());
    }
}
