//! Self-verifying record encoding: detects corruption, torn writes and misdirected writes.
//!
//! A stored value is `{crc32:08x}{json}` (CRC-32, IEEE), where the JSON is `{"key": ..., "record": ...}` and
//! the checksum covers the JSON bytes. On read, a checksum mismatch (corruption, truncation)
//! or a key other than the one read (a value that landed under the wrong key) is a
//! `DeserializationFailed` error naming the key: a read never returns wrong data.
//!
//! Records are written by `sonic-rs` (SIMD string escaping), whose compact output is the same,
//! byte for byte, as `serde_json`'s (tested here), and read by `serde_json`, whose error texts
//! the damage reports quote.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::{display_key, StorageError};

const CHECKSUM_HEX_LEN: usize = 8;
/// Capacity reserved for an encoded value: most records fit without growing the buffer.
const ENCODED_BYTES_TYPICAL: usize = 512;

#[derive(Serialize)]
struct EnvelopeOut<'a, T> {
    key: &'a str,
    record: &'a T,
}

#[derive(Deserialize)]
struct EnvelopeIn<T> {
    key: String,
    record: T,
}

/// Encodes `record` for storage under `key`.
pub fn encode<T: Serialize>(key: &[u8], record: &T) -> Result<Vec<u8>, StorageError> {
    let key_text = std::str::from_utf8(key).map_err(|_| StorageError::SerializationFailed {
        key: display_key(key),
        reason: "key is not UTF-8".to_string(),
    })?;
    let mut out = Vec::with_capacity(ENCODED_BYTES_TYPICAL);
    out.extend_from_slice(&[b'0'; CHECKSUM_HEX_LEN]);
    let envelope = EnvelopeOut {
        key: key_text,
        record,
    };
    sonic_rs::to_writer(&mut out, &envelope).map_err(|e| StorageError::SerializationFailed {
        key: key_text.to_string(),
        reason: e.to_string(),
    })?;
    let checksum = crc32fast::hash(&out[CHECKSUM_HEX_LEN..]);
    write_hex(&mut out[..CHECKSUM_HEX_LEN], checksum);
    assert!(
        out.len() > CHECKSUM_HEX_LEN,
        "a record encodes to some JSON"
    );
    Ok(out)
}

/// Writes `value` as lowercase hex digits filling `digits`, most significant first.
fn write_hex(digits: &mut [u8], value: u32) {
    assert_eq!(
        digits.len(),
        CHECKSUM_HEX_LEN,
        "a checksum has eight digits"
    );
    for (i, digit) in digits.iter_mut().enumerate() {
        let nibble = (value >> (28 - 4 * i)) & 0xf;
        *digit = b"0123456789abcdef"[nibble as usize];
    }
}

/// Decodes a value read under `key`. With `verify` (always, unless the `unverified-read` bug is
/// planted) the checksum and the embedded key are checked first.
pub fn decode<T: DeserializeOwned>(
    key: &[u8],
    bytes: &[u8],
    verify: bool,
) -> Result<T, StorageError> {
    let fail = |reason: String| StorageError::DeserializationFailed {
        key: display_key(key),
        reason,
    };
    if bytes.len() < CHECKSUM_HEX_LEN {
        return Err(fail(format!(
            "value of {} bytes is shorter than its checksum",
            bytes.len()
        )));
    }
    let (checksum_hex, json) = bytes.split_at(CHECKSUM_HEX_LEN);
    if verify {
        let stored = std::str::from_utf8(checksum_hex)
            .ok()
            .and_then(|hex| u32::from_str_radix(hex, 16).ok())
            .ok_or_else(|| fail("checksum is not hex".to_string()))?;
        let actual = crc32fast::hash(json);
        if stored != actual {
            return Err(fail(format!(
                "checksum mismatch: stored {stored:08x}, computed {actual:08x}"
            )));
        }
    }
    let envelope: EnvelopeIn<T> = serde_json::from_slice(json).map_err(|e| fail(e.to_string()))?;
    if verify && envelope.key.as_bytes() != key {
        return Err(fail(format!(
            "record belongs to key '{}' (misdirected write)",
            envelope.key
        )));
    }
    Ok(envelope.record)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::{Message, MessageRole, PendingToolCall, SessionState};

    #[test]
    fn round_trip_and_every_damage_is_detected() {
        let value = encode(b"tools/t", &vec![1u32, 2, 3]).unwrap();
        assert_eq!(
            decode::<Vec<u32>>(b"tools/t", &value, true).unwrap(),
            vec![1, 2, 3]
        );
        let mut flipped = value.clone();
        let last = flipped.len() - 2;
        flipped[last] ^= 0x01;
        assert!(matches!(
            decode::<Vec<u32>>(b"tools/t", &flipped, true),
            Err(StorageError::DeserializationFailed { .. })
        ));
        let torn = &value[..value.len() - 3];
        assert!(decode::<Vec<u32>>(b"tools/t", torn, true).is_err());
        let err = decode::<Vec<u32>>(b"tools/u", &value, true).unwrap_err();
        assert!(err.to_string().contains("misdirected") && err.to_string().contains("tools/u"));
    }

    #[test]
    fn the_checksum_is_eight_lowercase_hex_digits_of_the_json() {
        let value = encode(b"k", &1u8).unwrap();
        let (digits, json) = value.split_at(CHECKSUM_HEX_LEN);
        assert_eq!(digits, format!("{:08x}", crc32fast::hash(json)).as_bytes());
        let mut digits = [0u8; CHECKSUM_HEX_LEN];
        write_hex(&mut digits, 0x0a1b_2c3d);
        assert_eq!(&digits, b"0a1b2c3d");
    }

    #[test]
    fn records_encode_byte_for_byte_as_serde_json_writes_them() {
        let awkward = "q\"\\/\n\r\t\u{8}\u{c}\u{0}\u{1f}\u{7f} é € 𝄞 \u{2028}".to_string();
        let inputs = [
            serde_json::json!({"query": awkward, "n": [0, -1, u64::MAX, i64::MIN], "ok": null}),
            serde_json::json!([
                1.5,
                -0.0,
                1e300,
                2.5e-8,
                123456789.125,
                f64::MAX,
                f64::MIN_POSITIVE
            ]),
            serde_json::json!("x".repeat(300)),
            serde_json::json!({}),
        ];
        for input in inputs {
            let session = SessionState {
                session_id: awkward.clone(),
                agent_id: "agent-ü".to_string(),
                iteration: u64::MAX,
                pause_until_ms: None,
                pending_tool_calls: vec![PendingToolCall {
                    id: "call-1".to_string(),
                    tool_name: awkward.clone(),
                    tool_input: input,
                    started_at_ms: 7,
                    completed: true,
                    result: Some(String::new()),
                }],
                last_tool_result: Some(awkward.clone()),
                stop_reason: None,
                started_at_ms: 0,
                checkpointed_at_ms: 1,
            };
            let key = "sessions/a\"b/\u{1}s".as_bytes();
            let ours = encode(key, &session).unwrap();
            let envelope = EnvelopeOut {
                key: std::str::from_utf8(key).unwrap(),
                record: &session,
            };
            let reference = serde_json::to_vec(&envelope).unwrap();
            assert_eq!(
                std::str::from_utf8(&ours[CHECKSUM_HEX_LEN..]).unwrap(),
                std::str::from_utf8(&reference).unwrap()
            );
        }
        let message = Message {
            id: "m".to_string(),
            agent_id: "a".to_string(),
            message_type: "user_message".to_string(),
            role: MessageRole::Tool,
            content: "\u{0}".repeat(70),
            tool_call_id: Some("c".to_string()),
            tool_calls: vec!["t1".to_string(), String::new()],
            created_at_ms: 3,
        };
        let ours = encode(b"messages/a/1", &message).unwrap();
        let reference = serde_json::to_vec(&EnvelopeOut {
            key: "messages/a/1",
            record: &message,
        })
        .unwrap();
        assert_eq!(&ours[CHECKSUM_HEX_LEN..], &reference[..]);
    }

    #[test]
    fn without_verification_a_wrong_key_is_accepted() {
        let value = encode(b"tools/t", &5u64).unwrap();
        assert_eq!(decode::<u64>(b"tools/u", &value, false).unwrap(), 5);
    }
}
