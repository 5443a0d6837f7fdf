//! The checker's own reading of the documented key layout (README, "Durable format"),
//! independent of the adapter's key functions: which record a stored key names.
//!
//! `agents/{id}`, `blocks/{agent_id}`, `sessions/{agent_id}/{session_id}`,
//! `messages/{agent_id}/{created_at_ms}/{n}` (both numbers exactly 20 decimal digits),
//! `tools/{name}`; ids are non-empty and contain no `/`.

/// The record a stored key names, borrowing the ids from the key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum StoredKey<'a> {
    /// An agent record.
    Agent(&'a str),
    /// An agent's blocks.
    Blocks(&'a str),
    /// A session of an agent: (agent id, session id).
    Session(&'a str, &'a str),
    /// A message of an agent.
    Message {
        /// Owning agent.
        agent: &'a str,
        /// Creation time, ms.
        created_at_ms: u64,
        /// Append number within the ms.
        n: u64,
    },
    /// A custom tool.
    Tool(&'a str),
}

impl<'a> StoredKey<'a> {
    /// The agent that owns the record, if any.
    pub fn owner(&self) -> Option<&'a str> {
        match *self {
            StoredKey::Blocks(agent) | StoredKey::Session(agent, _) => Some(agent),
            StoredKey::Message { agent, .. } => Some(agent),
            StoredKey::Agent(_) | StoredKey::Tool(_) => None,
        }
    }
}

/// Reads `key` as the layout documents it; `None` for a key outside the layout.
pub fn parse_key(key: &[u8]) -> Option<StoredKey<'_>> {
    let text = std::str::from_utf8(key).ok()?;
    let mut fields = Fields { rest: Some(text) };
    let family = fields.next_raw()?;
    let mut field = || fields.next_raw().filter(|f| !f.is_empty());
    let parsed = match family {
        "agents" => StoredKey::Agent(field()?),
        "blocks" => StoredKey::Blocks(field()?),
        "tools" => StoredKey::Tool(field()?),
        "sessions" => StoredKey::Session(field()?, field()?),
        "messages" => StoredKey::Message {
            agent: field()?,
            created_at_ms: twenty_digits(field()?)?,
            n: twenty_digits(field()?)?,
        },
        _ => return None,
    };
    fields.rest.is_none().then_some(parsed)
}

/// The `/`-separated fields of a key, found by a byte scan (`/` is one byte in UTF-8, so
/// every field is a whole `str`).
struct Fields<'a> {
    /// What follows the last field taken; `None` once the last field is taken.
    rest: Option<&'a str>,
}

impl<'a> Fields<'a> {
    /// The next field, possibly empty; `None` once every field is taken.
    fn next_raw(&mut self) -> Option<&'a str> {
        let rest = self.rest?;
        match rest.bytes().position(|byte| byte == b'/') {
            Some(at) => {
                self.rest = Some(&rest[at + 1..]);
                Some(&rest[..at])
            }
            None => {
                self.rest = None;
                Some(rest)
            }
        }
    }
}

/// The number `text` spells in exactly 20 decimal digits, if it fits in a `u64`.
fn twenty_digits(text: &str) -> Option<u64> {
    let digits: &[u8; 20] = text.as_bytes().try_into().ok()?;
    if !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let (high, low) = digits.split_at(10);
    let number = |part: &[u8]| {
        part.iter()
            .fold(0u64, |number, byte| number * 10 + u64::from(byte - b'0'))
    };
    number(high)
        .checked_mul(10_000_000_000)?
        .checked_add(number(low))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_keys_parse_and_others_do_not() {
        assert_eq!(parse_key(b"agents/a:b#c"), Some(StoredKey::Agent("a:b#c")));
        assert_eq!(
            parse_key("sessions/агент/s1".as_bytes()),
            Some(StoredKey::Session("агент", "s1"))
        );
        let message = b"messages/a/00000000000000000012/00000000000000000003";
        assert_eq!(
            parse_key(message),
            Some(StoredKey::Message {
                agent: "a",
                created_at_ms: 12,
                n: 3
            })
        );
        assert_eq!(parse_key(b"messages/a/12/3"), None);
        let largest = b"messages/a/18446744073709551615/00000000000000000000";
        assert!(matches!(
            parse_key(largest),
            Some(StoredKey::Message {
                created_at_ms: u64::MAX,
                n: 0,
                ..
            })
        ));
        assert_eq!(
            parse_key(b"messages/a/18446744073709551616/00000000000000000000"),
            None
        );
        assert_eq!(
            parse_key(b"messages/a/0000000000000000000+/00000000000000000000"),
            None
        );
        assert_eq!(parse_key(b"agents/a/b"), None);
        assert_eq!(parse_key(b"agents/"), None);
        assert_eq!(parse_key(b"message_seq/a"), None);
        assert_eq!(parse_key(&[0xff, b'/']), None);
    }
}
