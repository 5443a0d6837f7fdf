//! The hierarchical key layout under the `kelpie:server` actor, and its parser.
//!
//! `agents/{id}`, `blocks/{agent_id}`, `sessions/{agent_id}/{session_id}`,
//! `messages/{agent_id}/{created_at_ms:020}/{n:020}`, `tools/{name}`. Ids contain no `/`, so
//! every prefix below names exactly one owner. Message keys sort by creation time, then by `n`,
//! which numbers the messages of one agent created in the same millisecond in append order
//! (from 0, one more than the largest `n` in that millisecond).

use std::cell::RefCell;

use super::StorageError;
use crate::kv::Key;

/// Namespace and id of the actor all agent storage lives under.
pub const SERVER_ACTOR: (&str, &str) = ("kelpie", "server");

/// Longest id of any entity, in bytes.
pub const ID_BYTES_MAX: usize = 256;

/// Digits of the zero-padded numbers in message keys.
const NUMBER_DIGITS: usize = 20;

/// Refuses ids that would break the key layout: empty or containing `/` (invalid), or longer
/// than [`ID_BYTES_MAX`] bytes (over the limit).
pub fn check_id(what: &'static str, id: &str) -> Result<(), StorageError> {
    if id.is_empty() || id.contains('/') {
        return Err(StorageError::InvalidArgument {
            what,
            value: id.to_string(),
            reason: "must be non-empty and contain no '/'",
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

thread_local! {
    /// The buffer each key is built in, reused: a key costs one allocation, its own.
    static KEY_SCRATCH: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// The key of `len` bytes that `build` writes into an empty buffer, in one shared allocation
/// of exactly that size. `build` must not build another key.
fn built(len: usize, build: impl FnOnce(&mut Vec<u8>)) -> Key {
    KEY_SCRATCH.with_borrow_mut(|scratch| {
        scratch.clear();
        build(scratch);
        assert_eq!(scratch.len(), len, "the length was exact");
        let key = Key::from(scratch.as_slice());
        assert_eq!(key.len(), len, "the key holds every byte built");
        key
    })
}

/// `family` followed by each part, the parts separated by `/`: no formatting.
fn key(family: &str, parts: &[&[u8]]) -> Key {
    assert!(!parts.is_empty(), "a key names at least one part");
    let separators = parts.len() - 1;
    let len = family.len() + parts.iter().map(|p| p.len()).sum::<usize>() + separators;
    built(len, |key| {
        key.extend_from_slice(family.as_bytes());
        for (i, part) in parts.iter().enumerate() {
            if i > 0 {
                key.push(b'/');
            }
            key.extend_from_slice(part);
        }
    })
}

/// Appends `/` and `number` zero-padded to [`NUMBER_DIGITS`] digits, two digits a step.
fn push_number(key: &mut Vec<u8>, number: u64) {
    let mut digits = [b'0'; NUMBER_DIGITS];
    let mut rest = number;
    let mut end = NUMBER_DIGITS;
    while rest > 0 {
        let pair = (rest % 100) as usize;
        rest /= 100;
        digits[end - 2] = b'0' + (pair / 10) as u8;
        digits[end - 1] = b'0' + (pair % 10) as u8;
        end -= 2;
    }
    assert!(
        digits.iter().all(u8::is_ascii_digit),
        "twenty decimal digits"
    );
    key.push(b'/');
    key.extend_from_slice(&digits);
}

/// `agents/{id}`.
pub fn agent_key(id: &str) -> Key {
    key("agents/", &[id.as_bytes()])
}

/// Prefix of every agent key.
pub const AGENTS_PREFIX: &[u8] = b"agents/";

/// `blocks/{agent_id}`.
pub fn blocks_key(agent_id: &str) -> Key {
    key("blocks/", &[agent_id.as_bytes()])
}

/// `sessions/{agent_id}/{session_id}`.
pub fn session_key(agent_id: &str, session_id: &str) -> Key {
    key("sessions/", &[agent_id.as_bytes(), session_id.as_bytes()])
}

/// `sessions/{agent_id}/`.
pub fn sessions_prefix(agent_id: &str) -> Key {
    key("sessions/", &[agent_id.as_bytes(), b""])
}

/// `messages/{agent_id}` followed by `/{number:020}` for each of `numbers`, then `/` when
/// `open`: one allocation of the exact size.
fn message_path(agent_id: &str, numbers: &[u64], open: bool) -> Key {
    let family = b"messages/";
    let len =
        family.len() + agent_id.len() + numbers.len() * (1 + NUMBER_DIGITS) + usize::from(open);
    built(len, |key| {
        key.extend_from_slice(family);
        key.extend_from_slice(agent_id.as_bytes());
        for number in numbers {
            push_number(key, *number);
        }
        if open {
            key.push(b'/');
        }
    })
}

/// `messages/{agent_id}/{created_at_ms:020}/{n:020}`.
pub fn message_key(agent_id: &str, created_at_ms: u64, n: u64) -> Key {
    message_path(agent_id, &[created_at_ms, n], false)
}

/// `messages/{agent_id}/`: every message of the agent.
pub fn messages_prefix(agent_id: &str) -> Key {
    key("messages/", &[agent_id.as_bytes(), b""])
}

/// `messages/{agent_id}/{created_at_ms:020}/`: the agent's messages created in that ms.
pub fn message_bucket(agent_id: &str, created_at_ms: u64) -> Key {
    message_path(agent_id, &[created_at_ms], true)
}

/// `messages/{agent_id}/{since_ms + 1:020}`: the first key of a message created after
/// `since_ms`; `None` when no time is later.
pub fn messages_after(agent_id: &str, since_ms: u64) -> Option<Key> {
    Some(message_path(agent_id, &[since_ms.checked_add(1)?], false))
}

/// `tools/{name}`.
pub fn tool_key(name: &str) -> Key {
    key("tools/", &[name.as_bytes()])
}

/// Prefix of every tool key.
pub const TOOLS_PREFIX: &[u8] = b"tools/";

/// The `n` of a message key (its last 20 digits), if it is one.
pub fn message_number(key: &[u8]) -> Option<u64> {
    let digits = key.get(key.len().checked_sub(NUMBER_DIGITS)?..)?;
    digits.iter().try_fold(0u64, |number, &digit| {
        let value = u64::from(digit.wrapping_sub(b'0'));
        (value < 10).then_some(())?;
        number.checked_mul(10)?.checked_add(value)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_follow_the_layout() {
        assert_eq!(&agent_key("a1")[..], b"agents/a1");
        assert_eq!(&blocks_key("a1")[..], b"blocks/a1");
        assert_eq!(&session_key("a1", "s1")[..], b"sessions/a1/s1");
        assert_eq!(&sessions_prefix("a1")[..], b"sessions/a1/");
        assert_eq!(&tool_key("t")[..], b"tools/t");
        assert_eq!(
            &message_key("a1", 7, 2)[..],
            b"messages/a1/00000000000000000007/00000000000000000002"
        );
        assert_eq!(message_number(&message_key("a1", 7, 2)), Some(2));
        assert_eq!(message_number(b"x"), None);
        assert_eq!(
            message_number(&message_key("a", 0, u64::MAX)),
            Some(u64::MAX)
        );
        assert_eq!(message_number(b"messages/a/0/99999999999999999999"), None);
        assert_eq!(message_number(b"messages/a/0/0000000000000000000x"), None);
        assert_eq!(message_number(b"messages/a/0/-0000000000000000001"), None);
    }

    #[test]
    fn message_keys_sort_by_time_then_append_number() {
        let mut keys: Vec<Key> = [(10u64, 0u64), (9, 3), (100, 0), (10, 1)]
            .iter()
            .map(|(t, n)| message_key("a", *t, *n))
            .collect();
        keys.sort();
        let expected: Vec<Key> = [(9, 3), (10, 0), (10, 1), (100, 0)]
            .iter()
            .map(|(t, n)| message_key("a", *t, *n))
            .collect();
        assert_eq!(keys, expected);
        assert!(message_key("a", 10, 0).starts_with(&message_bucket("a", 10)));
        assert!(messages_after("a", 9).unwrap() <= message_key("a", 10, 0));
        assert!(messages_after("a", 10).unwrap() > message_key("a", 10, 5));
        assert_eq!(messages_after("a", u64::MAX), None);
    }

    #[test]
    fn prefixes_of_prefix_related_ids_do_not_overlap() {
        assert!(!message_key("agent-10", 1, 0).starts_with(&messages_prefix("agent-1")));
        assert!(!session_key("agent-10", "s").starts_with(&sessions_prefix("agent-1")));
    }

    #[test]
    fn ids_that_break_the_layout_are_refused() {
        assert_eq!(
            check_id("agent id", "a/b").unwrap_err().kind(),
            "invalid_argument"
        );
        assert!(check_id("agent id", "").is_err());
        assert_eq!(
            check_id("agent id", &"x".repeat(257)).unwrap_err().kind(),
            "limit_exceeded"
        );
        assert!(check_id("agent id", &"x".repeat(256)).is_ok());
        assert!(check_id("agent id", "agent-1").is_ok());
    }
}
