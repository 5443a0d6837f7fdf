//! `RecordJson`: the compact JSON of the stored records, written straight into a byte buffer,
//! byte for byte as `serde_json` writes them (tested in `codec`).
//!
//! Storage encodes every record it writes, so this is the hot path of a write: fields are
//! written in declaration order with their names as literals, and a string is copied eight
//! bytes at a time until a byte it must escape. `serde_json` stays the reference and writes
//! numbers inside arbitrary JSON values, where its exact float format matters. The same field
//! lists give each record its `ReadJson` (in `record_json_read`).

use std::rc::Rc;

use serde_json::Value;

use super::record_json_read::{JsonReader, ReadJson};
use super::records::{
    AgentMetadata, Block, CustomToolRecord, Message, MessageRole, PendingToolCall, SessionState,
};

/// A value with a compact JSON encoding identical to `serde_json::to_writer`'s.
pub trait RecordJson {
    /// Appends this value's JSON to `out`, leaving what `out` held before untouched.
    fn write_json(&self, out: &mut Vec<u8>);
}

/// Every byte of `ONES` is 1; multiples of it repeat a byte across a word.
const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
const HIGH_BITS: u64 = ONES * 0x80;

/// A flag (the high bit) in each byte of `word` that is below 0x20, a quote or a backslash:
/// the bytes JSON escapes. The lowest flag is exact, so the first escaped byte in little-endian
/// order is found; flags above it may be wrong (a borrow runs upward), and none is set when no
/// byte escapes.
fn escape_flags(word: u64) -> u64 {
    let below_space = word.wrapping_sub(ONES * 0x20) & !word;
    let quote = word ^ (ONES * u64::from(b'"'));
    let backslash = word ^ (ONES * u64::from(b'\\'));
    let is_quote = quote.wrapping_sub(ONES) & !quote;
    let is_backslash = backslash.wrapping_sub(ONES) & !backslash;
    (below_space | is_quote | is_backslash) & HIGH_BITS
}

/// Whether JSON escapes `byte` inside a string.
fn byte_escapes(byte: u8) -> bool {
    byte < 0x20 || byte == b'"' || byte == b'\\'
}

/// Appends the escape of `byte`, which [`byte_escapes`]: the short forms `serde_json` uses,
/// else `\u00XX` in lowercase hex.
fn push_escape(out: &mut Vec<u8>, byte: u8) {
    assert!(byte_escapes(byte), "only escaped bytes have an escape");
    let short = match byte {
        b'"' => b'"',
        b'\\' => b'\\',
        b'\n' => b'n',
        b'\r' => b'r',
        b'\t' => b't',
        0x08 => b'b',
        0x0c => b'f',
        _ => 0,
    };
    if short != 0 {
        out.extend_from_slice(&[b'\\', short]);
    } else {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        out.extend_from_slice(b"\\u00");
        out.extend_from_slice(&[HEX[usize::from(byte >> 4)], HEX[usize::from(byte & 0xf)]]);
    }
}

/// The position of the first byte in `bytes` that JSON escapes, looking eight bytes at a time
/// (the last few padded with a byte that needs no escape).
pub(crate) fn first_escaped(bytes: &[u8]) -> Option<usize> {
    let first_in = |at: usize, word: u64| {
        let flags = escape_flags(word);
        (flags != 0).then(|| at + (flags.trailing_zeros() / 8) as usize)
    };
    let mut chunks = bytes.chunks_exact(8);
    for (index, chunk) in (&mut chunks).enumerate() {
        let word = u64::from_le_bytes(chunk.try_into().expect("a chunk of eight bytes"));
        if let Some(found) = first_in(index * 8, word) {
            return Some(found);
        }
    }
    let tail = chunks.remainder();
    let mut padded = [b'a'; 8];
    padded[..tail.len()].copy_from_slice(tail);
    let found = first_in(bytes.len() - tail.len(), u64::from_le_bytes(padded));
    assert!(
        found.is_none_or(|at| at < bytes.len()),
        "padding never escapes"
    );
    found
}

/// Appends `bytes` as a JSON string: quoted, with every byte JSON escapes escaped. The bytes
/// are UTF-8 (a `str`, or a key built from them), and bytes of 0x80 and above pass unchanged.
pub fn write_str_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    let len_before = out.len();
    out.push(b'"');
    let mut rest = bytes;
    while let Some(at) = first_escaped(rest) {
        out.extend_from_slice(&rest[..at]);
        push_escape(out, rest[at]);
        rest = &rest[at + 1..];
    }
    out.extend_from_slice(rest);
    out.push(b'"');
    assert!(
        out.len() >= len_before + bytes.len() + 2,
        "escaping only lengthens a string"
    );
}

impl RecordJson for str {
    fn write_json(&self, out: &mut Vec<u8>) {
        write_str_bytes(out, self.as_bytes());
    }
}

impl RecordJson for String {
    fn write_json(&self, out: &mut Vec<u8>) {
        self.as_str().write_json(out);
    }
}

impl RecordJson for Rc<str> {
    fn write_json(&self, out: &mut Vec<u8>) {
        self.as_ref().write_json(out);
    }
}

impl RecordJson for u64 {
    fn write_json(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(itoa::Buffer::new().format(*self).as_bytes());
    }
}

impl RecordJson for bool {
    fn write_json(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(if *self { b"true" } else { b"false" });
    }
}

impl<T: RecordJson> RecordJson for Option<T> {
    fn write_json(&self, out: &mut Vec<u8>) {
        match self {
            Some(value) => value.write_json(out),
            None => out.extend_from_slice(b"null"),
        }
    }
}

impl<T: RecordJson> RecordJson for Vec<T> {
    fn write_json(&self, out: &mut Vec<u8>) {
        self.as_slice().write_json(out);
    }
}

impl<T: RecordJson> RecordJson for Rc<[T]> {
    fn write_json(&self, out: &mut Vec<u8>) {
        self.as_ref().write_json(out);
    }
}

impl<T: RecordJson> RecordJson for [T] {
    fn write_json(&self, out: &mut Vec<u8>) {
        out.push(b'[');
        for (index, item) in self.iter().enumerate() {
            if index > 0 {
                out.push(b',');
            }
            item.write_json(out);
        }
        out.push(b']');
    }
}

impl RecordJson for Value {
    fn write_json(&self, out: &mut Vec<u8>) {
        match self {
            Value::Null => out.extend_from_slice(b"null"),
            Value::Bool(flag) => flag.write_json(out),
            Value::Number(number) => {
                serde_json::to_writer(&mut *out, number).expect("writing to a Vec cannot fail")
            }
            Value::String(text) => text.write_json(out),
            Value::Array(items) => items.write_json(out),
            Value::Object(fields) => {
                out.push(b'{');
                for (index, (name, value)) in fields.iter().enumerate() {
                    if index > 0 {
                        out.push(b',');
                    }
                    name.write_json(out);
                    out.push(b':');
                    value.write_json(out);
                }
                out.push(b'}');
            }
        }
    }
}

impl RecordJson for MessageRole {
    fn write_json(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(match self {
            MessageRole::User => b"\"user\"",
            MessageRole::Assistant => b"\"assistant\"",
            MessageRole::System => b"\"system\"",
            MessageRole::Tool => b"\"tool\"",
        });
    }
}

/// Implements [`RecordJson`] for a record as an object of its fields, in declaration order
/// (the order `serde`'s derive writes them in), and [`ReadJson`] reading that object back. A
/// field's name is a Rust identifier, so it needs no escape: `{"first":`, and `,"next":` before
/// each further field, are literals. The struct literal names every field, so a field missing
/// from the list does not compile.
macro_rules! record_json {
    ($record:ident { $first:ident $(, $rest:ident)* $(,)? }) => {
        impl RecordJson for $record {
            fn write_json(&self, out: &mut Vec<u8>) {
                let len_before = out.len();
                out.extend_from_slice(concat!("{\"", stringify!($first), "\":").as_bytes());
                self.$first.write_json(out);
                $(
                    out.extend_from_slice(concat!(",\"", stringify!($rest), "\":").as_bytes());
                    self.$rest.write_json(out);
                )*
                out.push(b'}');
                assert!(out.len() > len_before + 2, "a record is a non-empty object");
            }
        }

        impl ReadJson for $record {
            fn read_json(reader: &mut JsonReader<'_>) -> Option<Self> {
                reader.literal(concat!("{\"", stringify!($first), "\":").as_bytes())?;
                let $first = ReadJson::read_json(reader)?;
                $(
                    reader.literal(concat!(",\"", stringify!($rest), "\":").as_bytes())?;
                    let $rest = ReadJson::read_json(reader)?;
                )*
                reader.literal(b"}")?;
                Some($record { $first $(, $rest)* })
            }
        }
    };
}

record_json!(AgentMetadata {
    id,
    name,
    agent_type,
    model,
    embedding,
    system,
    description,
    tool_ids,
    tags,
    metadata,
    created_at_ms,
    updated_at_ms,
});

record_json!(Block {
    id,
    label,
    value,
    description,
    limit,
    created_at_ms,
    updated_at_ms,
});

record_json!(PendingToolCall {
    id,
    tool_name,
    tool_input,
    started_at_ms,
    completed,
    result,
});

record_json!(SessionState {
    session_id,
    agent_id,
    iteration,
    pause_until_ms,
    pending_tool_calls,
    last_tool_result,
    stop_reason,
    started_at_ms,
    checkpointed_at_ms,
});

record_json!(Message {
    id,
    agent_id,
    message_type,
    role,
    content,
    tool_call_id,
    tool_calls,
    created_at_ms,
});

record_json!(CustomToolRecord {
    name,
    description,
    input_schema,
    source_code,
    runtime,
    requirements,
    created_at_ms,
    updated_at_ms,
});

#[cfg(test)]
mod tests {
    use super::*;

    fn ours<T: RecordJson + ?Sized>(value: &T) -> String {
        let mut out = Vec::new();
        value.write_json(&mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn every_byte_is_written_as_serde_json_writes_it() {
        let every_ascii: String = (0u8..0x80).map(char::from).collect();
        for start in 0..16 {
            let text = format!("{}é€𝄞\u{2028}", &every_ascii[start..]);
            assert_eq!(ours(&text), serde_json::to_string(&text).unwrap());
        }
    }

    #[test]
    fn the_first_escaped_byte_is_found_exactly_wherever_it_lies() {
        const BYTES: [u8; 14] = [
            0x00, 0x01, 0x1f, 0x20, 0x21, b'"', b'#', b'\\', b']', 0x7f, 0x80, 0xc3, 0xff, b'a',
        ];
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..20_000 {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            let len = (state >> 57) as usize;
            let sparse = state & 1 == 1;
            let bytes: Vec<u8> = (0..len)
                .map(|i| {
                    let pick = (state >> (i % 13 * 4)) % BYTES.len() as u64;
                    match sparse && !(state >> (i % 61)).is_multiple_of(16) {
                        true => b'a',
                        false => BYTES[pick as usize],
                    }
                })
                .collect();
            let naive = bytes.iter().position(|&byte| byte_escapes(byte));
            assert_eq!(first_escaped(&bytes), naive, "{bytes:x?}");
        }
        for byte in 0..=u8::MAX {
            for position in 0..100 {
                let mut bytes = [b'a'; 100];
                bytes[position] = byte;
                let expected = byte_escapes(byte).then_some(position);
                assert_eq!(first_escaped(&bytes), expected, "{byte:#x} at {position}");
            }
        }
    }

    #[test]
    fn values_scalars_and_roles_match_serde_json() {
        let value = serde_json::json!({"b": [1, -2, 2.5, 1e300, null, true], "a": {"\n": "x"}});
        assert_eq!(ours(&value), serde_json::to_string(&value).unwrap());
        assert_eq!(ours(&u64::MAX), u64::MAX.to_string());
        assert_eq!(ours(&Some(false)), "false");
        assert_eq!(ours(&None::<u64>), "null");
        for role in [
            MessageRole::User,
            MessageRole::Assistant,
            MessageRole::System,
            MessageRole::Tool,
        ] {
            assert_eq!(ours(&role), serde_json::to_string(&role).unwrap());
        }
    }
}
