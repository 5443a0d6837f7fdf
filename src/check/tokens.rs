//! Write tokens: every record the workload writes names the op that wrote it, so a check can
//! tell which write a stored or returned value came from.
//!
//! Agents carry `{"w": op}` in `metadata`; sessions carry `w{op}` in `last_tool_result`; tools
//! carry `w{op}` in `description`; messages have id `m{op}`; block values are sequences of
//! `c{op};` (created), `u{op};` (updated) and `a{op};` (appended).

use serde::Serialize;
use xxhash_rust::xxh3::xxh3_64;

use crate::agent::{AgentMetadata, CustomToolRecord, Message, SessionState};

/// The fingerprint of a record: xxh3 of its JSON encoding.
pub fn fingerprint<T: Serialize>(record: &T) -> u64 {
    xxh3_64(&serde_json::to_vec(record).expect("records always serialize"))
}

fn numbered(prefix: char, text: &str) -> Option<u64> {
    text.strip_prefix(prefix)?.parse().ok()
}

/// `w{op}`.
pub fn write_token(op: u64) -> String {
    format!("w{op}")
}

/// `m{op}`.
pub fn message_id(op: u64) -> String {
    format!("m{op}")
}

/// The op that wrote an agent record.
pub fn agent_token(agent: &AgentMetadata) -> Option<u64> {
    agent.metadata.get("w")?.as_u64()
}

/// The op that wrote a session record.
pub fn session_token(session: &SessionState) -> Option<u64> {
    numbered('w', session.last_tool_result.as_deref()?)
}

/// The op that wrote a tool record.
pub fn tool_token(tool: &CustomToolRecord) -> Option<u64> {
    numbered('w', &tool.description)
}

/// The op that appended a message.
pub fn message_token(message: &Message) -> Option<u64> {
    numbered('m', &message.id)
}

/// The ops named in a block value, in order, with their kind letter; `None` if malformed.
pub fn block_tokens(value: &str) -> Option<Vec<(char, u64)>> {
    value
        .split_terminator(';')
        .map(|token| {
            let kind = token.chars().next()?;
            matches!(kind, 'c' | 'u' | 'a').then_some(())?;
            Some((kind, token[1..].parse().ok()?))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_tokens_parse_and_refuse_garbage() {
        assert_eq!(
            block_tokens("c1;a5;u7;"),
            Some(vec![('c', 1), ('a', 5), ('u', 7)])
        );
        assert_eq!(block_tokens(""), Some(vec![]));
        assert_eq!(block_tokens("x1;"), None);
        assert_eq!(block_tokens("a1;a"), None);
    }
}
