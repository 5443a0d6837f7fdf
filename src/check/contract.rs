//! The argument rules of the `AgentStorage` contract, restated independently of the adapter:
//! which error kinds a call's arguments alone make the right answer.
//!
//! Limits (REFERENCE.md): ids at most 256 bytes, non-empty and free of `/`; agent names at most
//! 256 bytes; session ids at most 64 bytes (checked when a session is stored); at most 10
//! pending tool calls of at most 1 MiB of JSON input each; a message load limit in 1..=1000; a
//! stored message belongs to the agent it is stored under.

use serde_json::Value;

use super::call::Call;
use crate::agent::{Message, SessionState};

const ID_BYTES_MAX: usize = 256;
const AGENT_NAME_BYTES_MAX: usize = 256;
const SESSION_ID_BYTES_MAX: usize = 64;
const PENDING_TOOL_CALLS_MAX: usize = 10;
const TOOL_INPUT_BYTES_MAX: usize = 1024 * 1024;
const MESSAGE_LOAD_LIMIT_MAX: usize = 1000;

/// Error kinds a call's arguments make admissible, as a small set.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ArgumentErrors {
    /// An argument is malformed (`invalid_argument`).
    pub invalid: bool,
    /// An argument is over a limit (`limit_exceeded`).
    pub over_limit: bool,
}

impl ArgumentErrors {
    /// Whether the arguments are valid: the call must not fail for them.
    pub fn none(self) -> bool {
        !self.invalid && !self.over_limit
    }

    /// Whether an error of stable kind `kind` is one of these.
    pub fn admits(self, kind: &str) -> bool {
        (self.invalid && kind == "invalid_argument")
            || (self.over_limit && kind == "limit_exceeded")
    }

    fn id(&mut self, id: &str) {
        if id.is_empty() || id.contains('/') {
            self.invalid = true;
        } else if id.len() > ID_BYTES_MAX {
            self.over_limit = true;
        }
    }

    fn over(&mut self, value: usize, limit: usize) {
        self.over_limit |= value > limit;
    }

    fn session(&mut self, session: &SessionState) {
        self.id(&session.agent_id);
        self.id(&session.session_id);
        self.over(session.session_id.len(), SESSION_ID_BYTES_MAX);
        self.over(session.pending_tool_calls.len(), PENDING_TOOL_CALLS_MAX);
        for call in session.pending_tool_calls.iter() {
            let input = &call.tool_input;
            if json_len_floor(input) > TOOL_INPUT_BYTES_MAX {
                self.over_limit = true;
            } else if json_len_bound(input) > TOOL_INPUT_BYTES_MAX {
                self.over(json_len(input), TOOL_INPUT_BYTES_MAX);
            }
        }
    }

    fn message(&mut self, agent: &str, message: &Message) {
        self.id(agent);
        self.invalid |= *message.agent_id != *agent;
    }
}

/// The error kinds `call`'s arguments make admissible; [`ArgumentErrors::none`] when every
/// argument is valid.
pub fn argument_errors(call: &Call) -> ArgumentErrors {
    let mut errors = ArgumentErrors::default();
    match call {
        Call::SaveAgent(agent) => {
            errors.id(&agent.id);
            errors.over(agent.name.len(), AGENT_NAME_BYTES_MAX);
        }
        Call::LoadAgent(id)
        | Call::DeleteAgent(id)
        | Call::AgentExists(id)
        | Call::LoadBlocks(id)
        | Call::ListSessions(id)
        | Call::LoadLatestSession(id)
        | Call::CountMessages(id)
        | Call::DeleteMessages(id)
        | Call::SaveBlocks { agent: id, .. }
        | Call::UpdateBlock { agent: id, .. }
        | Call::AppendBlock { agent: id, .. }
        | Call::LoadMessagesSince { agent: id, .. }
        | Call::LoadTool(id)
        | Call::DeleteTool(id) => errors.id(id),
        Call::LoadSession { agent, session } | Call::DeleteSession { agent, session } => {
            errors.id(agent);
            errors.id(session);
        }
        Call::SaveSession(session) => errors.session(session),
        Call::AppendMessage { agent, message } => errors.message(agent, message),
        Call::LoadMessages { agent, limit } => {
            errors.id(agent);
            errors.over_limit |= *limit == 0 || *limit > MESSAGE_LOAD_LIMIT_MAX;
        }
        Call::SaveTool(tool) => errors.id(&tool.name),
        Call::Checkpoint { session, message } => {
            errors.session(session);
            if let Some(message) = message {
                errors.message(&session.agent_id, message);
            }
        }
        Call::ListAgents | Call::ListTools => {}
    }
    errors
}

/// How to size the leaves of a JSON value: its strings and its numbers.
struct LeafSizes<S: Fn(&str) -> usize, N: Fn(&serde_json::Number) -> usize> {
    string: S,
    number: N,
}

/// The length of `value`'s compact JSON encoding with its leaves sized by `leaves`: exact
/// punctuation and literals, so exact, lower or upper leaf sizes give an exact length or a
/// bound of the same kind.
fn sized<S, N>(value: &Value, leaves: &LeafSizes<S, N>) -> usize
where
    S: Fn(&str) -> usize,
    N: Fn(&serde_json::Number) -> usize,
{
    match value {
        Value::Null => 4,
        Value::Bool(true) => 4,
        Value::Bool(false) => 5,
        Value::Number(number) => (leaves.number)(number),
        Value::String(text) => (leaves.string)(text),
        Value::Array(items) => {
            let commas = items.len().saturating_sub(1);
            2 + commas + items.iter().map(|item| sized(item, leaves)).sum::<usize>()
        }
        Value::Object(fields) => {
            let commas = fields.len().saturating_sub(1);
            let pairs: usize = fields
                .iter()
                .map(|(k, v)| (leaves.string)(k) + 1 + sized(v, leaves))
                .sum();
            2 + commas + pairs
        }
    }
}

/// The length of `value`'s compact JSON encoding, counted without encoding it.
pub fn json_len(value: &Value) -> usize {
    let exact = LeafSizes {
        string: string_len,
        number: |number: &serde_json::Number| number.to_string().len(),
    };
    sized(value, &exact)
}

/// Longest `value`'s JSON encoding can be, from its shape and its strings' byte lengths alone
/// (every byte escaped as `\u00XX`, every number at its longest): a bound that costs nothing
/// per byte, so only values near a limit are measured exactly.
fn json_len_bound(value: &Value) -> usize {
    /// Longest JSON number serde_json writes (an f64 in scientific notation, signed).
    const NUMBER_CHARS_MAX: usize = 32;
    let longest = LeafSizes {
        string: |text: &str| 2 + 6 * text.len(),
        number: |_: &serde_json::Number| NUMBER_CHARS_MAX,
    };
    sized(value, &longest)
}

/// Shortest `value`'s JSON encoding can be, from its shape and its strings' byte lengths alone
/// (nothing escaped, every number one digit): a value whose floor is over a limit is over it
/// without a pass over its bytes.
fn json_len_floor(value: &Value) -> usize {
    let shortest = LeafSizes {
        string: |text: &str| 2 + text.len(),
        number: |_: &serde_json::Number| 1,
    };
    sized(value, &shortest)
}

/// Length of `text` as a JSON string: quotes, and escapes for `"`, `\` and control characters.
/// Tool inputs reach a megabyte, so eight bytes are tested at once (a word with no byte to
/// escape costs a few instructions); only words holding one are sized byte by byte.
fn string_len(text: &str) -> usize {
    let bytes = text.as_bytes();
    let mut words = bytes.chunks_exact(8);
    let mut extra: usize = words
        .by_ref()
        .filter(|word| word_may_escape(u64::from_le_bytes((*word).try_into().expect("8 bytes"))))
        .map(|word| word.iter().map(|&b| escape_extra(b)).sum::<usize>())
        .sum();
    extra += words
        .remainder()
        .iter()
        .map(|&b| escape_extra(b))
        .sum::<usize>();
    2 + text.len() + extra
}

/// Whether some byte of `word` is below 0x20, `"` or `\` (exact: no byte of a word that
/// answers `false` needs escaping; a `true` word is sized byte by byte).
fn word_may_escape(word: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let below = |x: u64, n: u64| x.wrapping_sub(ONES * n) & !x & HIGHS;
    let zero_byte = |x: u64| below(x, 1);
    below(word, 0x20)
        | zero_byte(word ^ (ONES * u64::from(b'"')))
        | zero_byte(word ^ (ONES * u64::from(b'\\')))
        != 0
}

/// Bytes the JSON escape of `byte` adds: 1 for the two-character escapes, 5 for `\u00XX`.
fn escape_extra(byte: u8) -> usize {
    match byte {
        b'"' | b'\\' | b'\n' | b'\r' | b'\t' | 0x08 | 0x0c => 1,
        0..=0x1f => 5,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_len_matches_the_encoder() {
        let samples = [
            json!(null),
            json!({"query": "q1-0", "n": [1, 2.5, -3], "ok": true, "no": false}),
            json!("quote \" backslash \\ newline \n tab \t bell \u{7} é"),
            json!([]),
            json!({}),
        ];
        for value in samples {
            let encoded = serde_json::to_vec(&value).unwrap().len();
            assert_eq!(json_len(&value), encoded);
            assert!(json_len_bound(&value) >= encoded, "{value}");
            assert!(json_len_floor(&value) <= encoded, "{value}");
        }
        for special in ["\"", "\\", "\u{0}", "\u{1f}", "\n", " ", "\u{7f}", "é"] {
            for at in [0, 7, 8, 15, 63, 64, 100] {
                let mut text = "x".repeat(101);
                text.replace_range(at..=at, special);
                let value = json!(text);
                assert_eq!(json_len(&value), serde_json::to_vec(&value).unwrap().len());
            }
        }
        let worst = json!({"\u{1}": ["\u{0}\u{1f}", -1.7976931348623157e308, null, false]});
        assert!(json_len_bound(&worst) >= serde_json::to_vec(&worst).unwrap().len());
    }

    #[test]
    fn a_tool_input_is_over_its_limit_from_one_byte_past_it() {
        let session_with = |input: Value| {
            let session = SessionState {
                session_id: "s".into(),
                agent_id: "a".into(),
                iteration: 0,
                pause_until_ms: None,
                pending_tool_calls: vec![crate::agent::PendingToolCall {
                    id: "c".to_string(),
                    tool_name: "t".to_string(),
                    tool_input: input,
                    started_at_ms: 0,
                    completed: false,
                    result: None,
                }]
                .into(),
                last_tool_result: None,
                stop_reason: None,
                started_at_ms: 0,
                checkpointed_at_ms: 0,
            };
            argument_errors(&Call::SaveSession(std::rc::Rc::new(session)))
        };
        let quotes = 2;
        let at_limit = json!("x".repeat(TOOL_INPUT_BYTES_MAX - quotes));
        let past_limit = json!("x".repeat(TOOL_INPUT_BYTES_MAX - quotes + 1));
        let escaped_past = json!(format!(
            "\n{}",
            "x".repeat(TOOL_INPUT_BYTES_MAX - quotes - 1)
        ));
        assert!(session_with(at_limit).none());
        assert!(session_with(past_limit).over_limit);
        assert!(
            session_with(escaped_past).over_limit,
            "an escape's extra byte counts"
        );
    }

    #[test]
    fn ids_are_checked_for_the_separator_and_length() {
        let check = |id: &str| argument_errors(&Call::LoadAgent(id.into()));
        assert!(check("agent-1").none());
        assert!(check("a/b").invalid && check("").invalid);
        assert!(check(&"x".repeat(257)).over_limit);
        assert!(check(&"é".repeat(128)).none());
        assert!(check("a/b").admits("invalid_argument"));
        assert!(!check("a/b").admits("not_found"));
    }
}
