//! The byte length of a JSON value's compact encoding, as `serde_json` writes it, measured
//! without building it. Strings (tool inputs reach a megabyte) are measured a block of bytes
//! at a time; everything else is measured by `serde_json` itself, into a counting sink. A
//! value whose length is only compared with a limit is first bounded from its shape and its
//! strings' byte lengths, so only a value near the limit is measured byte by byte.

use serde_json::Value;

/// Bytes per block when looking for bytes a JSON string must escape.
const BLOCK_BYTES: usize = 64;

/// Longest JSON number `serde_json` writes (an `f64` in scientific notation, signed, is at
/// most 24 characters; an integer at most 20).
const NUMBER_CHARS_MAX: usize = 32;

/// How many bytes `serde_json::to_writer` writes for `value` when that is more than `limit`;
/// `None` when it is at most `limit`. Measures byte by byte only when the bound from the
/// value's shape (every string byte escaped as `\u00XX`, every number at its longest) is
/// over `limit`.
pub(super) fn json_encoded_len_over(value: &Value, limit: usize) -> Option<usize> {
    if json_encoded_len_bound(value) <= limit {
        return None;
    }
    let len = json_encoded_len(value);
    (len > limit).then_some(len)
}

/// At least as many bytes as `serde_json::to_writer` writes for `value`, from its shape and
/// its strings' byte lengths alone: no pass over any string's bytes.
fn json_encoded_len_bound(value: &Value) -> usize {
    let longest = LeafSizes {
        string: |text: &str| 2 + 6 * text.len(),
        scalar: |_: &Value| NUMBER_CHARS_MAX,
    };
    sized(value, &longest)
}

/// How many bytes `serde_json::to_writer` writes for `value`.
fn json_encoded_len(value: &Value) -> usize {
    let exact = LeafSizes {
        string: string_encoded_len,
        scalar: scalar_encoded_len,
    };
    sized(value, &exact)
}

/// How to size the leaves of a JSON value: its strings (object keys among them), and its
/// other leaves (numbers, booleans, null).
struct LeafSizes<S: Fn(&str) -> usize, L: Fn(&Value) -> usize> {
    string: S,
    scalar: L,
}

/// The length of `value`'s compact encoding with its leaves sized by `leaves`: punctuation
/// counted exactly, so exact leaf sizes give the exact length and upper bounds an upper bound.
fn sized<S: Fn(&str) -> usize, L: Fn(&Value) -> usize>(
    value: &Value,
    leaves: &LeafSizes<S, L>,
) -> usize {
    match value {
        Value::String(text) => (leaves.string)(text),
        Value::Array(items) => {
            let commas = items.len().saturating_sub(1);
            2 + commas + items.iter().map(|item| sized(item, leaves)).sum::<usize>()
        }
        Value::Object(fields) => {
            let commas = fields.len().saturating_sub(1);
            let pairs: usize = fields
                .iter()
                .map(|(name, field)| (leaves.string)(name) + 1 + sized(field, leaves))
                .sum();
            2 + commas + pairs
        }
        scalar => (leaves.scalar)(scalar),
    }
}

/// Bytes `serde_json` writes for a number, a boolean or null: measured by `serde_json` itself,
/// into a counting sink.
fn scalar_encoded_len(scalar: &Value) -> usize {
    assert!(
        !matches!(
            scalar,
            Value::String(_) | Value::Array(_) | Value::Object(_)
        ),
        "a scalar is a leaf other than a string"
    );
    let mut counter = ByteCounter(0);
    serde_json::to_writer(&mut counter, scalar).expect("a JSON scalar always encodes");
    assert!(counter.0 > 0, "a scalar encodes to some bytes");
    counter.0
}

/// Bytes `serde_json` writes for `text`: its quotes, its bytes, and for each byte it escapes
/// one extra byte (`\"`, `\\`, `\n`, `\r`, `\t`, `\b`, `\f`) or five (`\u00XX`).
fn string_encoded_len(text: &str) -> usize {
    let bytes = text.as_bytes();
    let mut extra = 0;
    for block in bytes.chunks(BLOCK_BYTES) {
        let escaped = block
            .iter()
            .fold(0u8, |count, &byte| count + u8::from(escapes(byte)));
        if escaped > 0 {
            extra += block.iter().map(|&byte| escape_extra(byte)).sum::<usize>();
        }
    }
    let len = 2 + bytes.len() + extra;
    assert!(len >= 2 + bytes.len(), "escaping only lengthens a string");
    len
}

/// Whether JSON escapes `byte` inside a string.
fn escapes(byte: u8) -> bool {
    byte < 0x20 || byte == b'"' || byte == b'\\'
}

/// The bytes escaping `byte` adds to its one.
fn escape_extra(byte: u8) -> usize {
    match byte {
        b'"' | b'\\' | b'\n' | b'\r' | b'\t' | 0x08 | 0x0c => 1,
        byte if byte < 0x20 => 5,
        _ => 0,
    }
}

/// A writer that only counts the bytes written to it.
struct ByteCounter(usize);

impl std::io::Write for ByteCounter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0 += bytes.len();
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn encoded(value: &Value) -> usize {
        serde_json::to_vec(value).unwrap().len()
    }

    #[test]
    fn matches_serde_json_for_every_kind_of_value() {
        let long_plain = "x".repeat(3 * BLOCK_BYTES + 5);
        let mut long_escaped = "y".repeat(2 * BLOCK_BYTES);
        long_escaped.push_str("\"\\\n\u{1}\u{1f}é€");
        let values = [
            json!(null),
            json!(true),
            json!(false),
            json!(0),
            json!(-17),
            json!(u64::MAX),
            json!(1.5e300),
            json!(-0.1),
            json!(""),
            json!("plain"),
            json!("\t\r\u{8}\u{c}\u{7f}"),
            json!(long_plain),
            json!(long_escaped),
            json!([]),
            json!([1, "a", null, [true, {}]]),
            json!({"query": "q\"1", "n": [1, 2], "k\n": {"deep": "\u{0}"}}),
        ];
        for value in &values {
            assert_eq!(json_encoded_len(value), encoded(value), "{value}");
            assert!(json_encoded_len_bound(value) >= encoded(value), "{value}");
            let len = encoded(value);
            assert_eq!(json_encoded_len_over(value, len), None, "{value}");
            assert_eq!(json_encoded_len_over(value, len - 1), Some(len), "{value}");
        }
    }

    #[test]
    fn a_value_within_its_bound_is_never_measured_over() {
        let escaped = "\u{1}".repeat(1000);
        let value = json!({ "q": escaped, "n": [f64::MIN, i64::MIN, u64::MAX] });
        let len = encoded(&value);
        assert!(json_encoded_len_bound(&value) >= len);
        assert_eq!(json_encoded_len_over(&value, len), None);
        assert_eq!(json_encoded_len_over(&value, len - 1), Some(len));
        assert_eq!(json_encoded_len_over(&value, 0), Some(len));
    }
}
