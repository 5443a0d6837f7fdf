//! The checker's own reading of the documented key layout (README, "Durable format"),
//! independent of the adapter's key functions: which record a stored key names.
//!
//! `agents/{id}`, `blocks/{agent_id}`, `sessions/{agent_id}/{session_id}`,
//! `messages/{agent_id}/{created_at_ms}/{n}` (both numbers exactly 20 decimal digits),
//! `tools/{name}`; ids are non-empty and contain no `/`.

/// The record a stored key names.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum StoredKey {
    /// An agent record.
    Agent(String),
    /// An agent's blocks.
    Blocks(String),
    /// A session of an agent: (agent id, session id).
    Session(String, String),
    /// A message of an agent.
    Message {
        /// Owning agent.
        agent: String,
        /// Creation time, ms.
        created_at_ms: u64,
        /// Append number within the ms.
        n: u64,
    },
    /// A custom tool.
    Tool(String),
}

impl StoredKey {
    /// The agent that owns the record, if any.
    pub fn owner(&self) -> Option<&str> {
        match self {
            StoredKey::Blocks(agent) | StoredKey::Session(agent, _) => Some(agent),
            StoredKey::Message { agent, .. } => Some(agent),
            StoredKey::Agent(_) | StoredKey::Tool(_) => None,
        }
    }
}

/// Reads `key` as the layout documents it; `None` for a key outside the layout.
pub fn parse_key(key: &[u8]) -> Option<StoredKey> {
    let text = std::str::from_utf8(key).ok()?;
    let mut parts = text.split('/');
    let family = parts.next()?;
    let fields: Vec<&str> = parts.collect();
    if fields.iter().any(|f| f.is_empty()) {
        return None;
    }
    match (family, fields.as_slice()) {
        ("agents", [id]) => Some(StoredKey::Agent(id.to_string())),
        ("blocks", [agent]) => Some(StoredKey::Blocks(agent.to_string())),
        ("sessions", [agent, session]) => {
            Some(StoredKey::Session(agent.to_string(), session.to_string()))
        }
        ("tools", [name]) => Some(StoredKey::Tool(name.to_string())),
        ("messages", [agent, time, n]) => Some(StoredKey::Message {
            agent: agent.to_string(),
            created_at_ms: twenty_digits(time)?,
            n: twenty_digits(n)?,
        }),
        _ => None,
    }
}

fn twenty_digits(text: &str) -> Option<u64> {
    if text.len() != 20 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_keys_parse_and_others_do_not() {
        assert_eq!(
            parse_key(b"agents/a:b#c"),
            Some(StoredKey::Agent("a:b#c".into()))
        );
        assert_eq!(
            parse_key("sessions/агент/s1".as_bytes()),
            Some(StoredKey::Session("агент".into(), "s1".into()))
        );
        let message = b"messages/a/00000000000000000012/00000000000000000003";
        assert_eq!(
            parse_key(message),
            Some(StoredKey::Message {
                agent: "a".into(),
                created_at_ms: 12,
                n: 3
            })
        );
        assert_eq!(parse_key(b"messages/a/12/3"), None);
        assert_eq!(parse_key(b"agents/a/b"), None);
        assert_eq!(parse_key(b"agents/"), None);
        assert_eq!(parse_key(b"message_seq/a"), None);
        assert_eq!(parse_key(&[0xff, b'/']), None);
    }
}
