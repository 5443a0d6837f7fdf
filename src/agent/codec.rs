//! Self-verifying record encoding: detects corruption, torn writes and misdirected writes.
//!
//! A stored value is `{crc32:08x}{json}` (CRC-32, IEEE), where the JSON is `{"key": ..., "record": ...}` and
//! the checksum covers the JSON bytes. On read, a checksum mismatch (corruption, truncation)
//! or a key other than the one read (a value that landed under the wrong key) is a
//! `DeserializationFailed` error naming the key: a read never returns wrong data.
//!
//! Records are written by [`RecordJson`], whose compact output is the same, byte for byte, as
//! `serde_json`'s (tested here), and read by `serde_json`, whose error texts the damage reports
//! quote.

use serde::de::DeserializeOwned;
use serde::Deserialize;

use super::record_json::{write_str_bytes, RecordJson};
use super::record_json_read::{JsonReader, ReadJson};
use super::{display_key, StorageError};

const CHECKSUM_HEX_LEN: usize = 8;
/// Capacity reserved for an encoded value: most records fit without growing the buffer.
const ENCODED_BYTES_TYPICAL: usize = 512;

#[derive(Deserialize)]
struct EnvelopeIn<T> {
    key: String,
    record: T,
}

/// Encodes `record` for storage under `key`.
pub fn encode<T: RecordJson + ?Sized>(key: &[u8], record: &T) -> Result<Vec<u8>, StorageError> {
    let mut out = Vec::with_capacity(ENCODED_BYTES_TYPICAL);
    encode_into(&mut out, key, record)?;
    Ok(out)
}

/// Encodes `record` for storage under `key` into `out`, which must be empty: a caller that
/// encodes many records reuses one buffer. On an error `out` is left empty.
pub fn encode_into<T: RecordJson + ?Sized>(
    out: &mut Vec<u8>,
    key: &[u8],
    record: &T,
) -> Result<(), StorageError> {
    assert!(out.is_empty(), "a record is encoded into an empty buffer");
    if !super::utf8::is_utf8(key) {
        return Err(StorageError::SerializationFailed {
            key: display_key(key),
            reason: "key is not UTF-8".to_string(),
        });
    }
    out.extend_from_slice(&[b'0'; CHECKSUM_HEX_LEN]);
    out.extend_from_slice(b"{\"key\":");
    write_str_bytes(out, key);
    out.extend_from_slice(b",\"record\":");
    record.write_json(out);
    out.push(b'}');
    let checksum = crc32fast::hash(&out[CHECKSUM_HEX_LEN..]);
    write_hex(&mut out[..CHECKSUM_HEX_LEN], checksum);
    assert!(
        out.len() > CHECKSUM_HEX_LEN + key.len(),
        "a record encodes to some JSON after its key"
    );
    Ok(())
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
/// planted) the checksum and the embedded key are checked first. Compact JSON as
/// [`encode_into`] writes it is read by [`ReadJson`]; anything else by `serde_json`, whose
/// answer (a record or an error) `ReadJson` never contradicts.
pub fn decode<T: DeserializeOwned + ReadJson>(
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
    if let Some(record) = read_envelope(json, key, verify) {
        return Ok(record);
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

/// The record of the compact envelope `json`, if its key is `key` (any key, without
/// `verify`); `None` sends the caller to `serde_json`.
fn read_envelope<T: ReadJson>(json: &[u8], key: &[u8], verify: bool) -> Option<T> {
    let mut reader = JsonReader::new(json);
    reader.literal(b"{\"key\":")?;
    let stored_key = reader.plain_string()?;
    (!verify || stored_key.as_bytes() == key).then_some(())?;
    reader.literal(b",\"record\":")?;
    let record = T::read_json(&mut reader)?;
    reader.literal(b"}")?;
    reader.is_at_end().then_some(record)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::record_json::first_escaped;
    use crate::agent::{
        AgentMetadata, Block, CustomToolRecord, Message, MessageRole, PendingToolCall, SessionState,
    };
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;
    use serde::Serialize;
    use serde_json::{json, Value};

    #[test]
    fn round_trip_and_every_damage_is_detected() {
        let value = encode(b"tools/t", &vec![1u64, 2, 3]).unwrap();
        assert_eq!(
            decode::<Vec<u64>>(b"tools/t", &value, true).unwrap(),
            vec![1, 2, 3]
        );
        let mut flipped = value.clone();
        let last = flipped.len() - 2;
        flipped[last] ^= 0x01;
        assert!(matches!(
            decode::<Vec<u64>>(b"tools/t", &flipped, true),
            Err(StorageError::DeserializationFailed { .. })
        ));
        let torn = &value[..value.len() - 3];
        assert!(decode::<Vec<u64>>(b"tools/t", torn, true).is_err());
        let err = decode::<Vec<u64>>(b"tools/u", &value, true).unwrap_err();
        assert!(err.to_string().contains("misdirected") && err.to_string().contains("tools/u"));
    }

    #[test]
    fn a_key_that_is_not_utf8_is_refused_naming_it() {
        let err = encode(b"tools/\xff", &1u64).unwrap_err();
        assert!(matches!(err, StorageError::SerializationFailed { .. }));
        assert!(err.to_string().contains("not UTF-8"), "{err}");
    }

    #[test]
    fn the_checksum_is_eight_lowercase_hex_digits_of_the_json() {
        let value = encode(b"k", &1u64).unwrap();
        let (digits, json) = value.split_at(CHECKSUM_HEX_LEN);
        assert_eq!(digits, format!("{:08x}", crc32fast::hash(json)).as_bytes());
        let mut digits = [0u8; CHECKSUM_HEX_LEN];
        write_hex(&mut digits, 0x0a1b_2c3d);
        assert_eq!(&digits, b"0a1b2c3d");
    }

    #[test]
    fn without_verification_a_wrong_key_is_accepted() {
        let value = encode(b"tools/t", &5u64).unwrap();
        assert_eq!(decode::<u64>(b"tools/u", &value, false).unwrap(), 5);
    }

    /// The envelope as `serde` writes it: the reference every encoding must equal.
    #[derive(Serialize)]
    struct Reference<'a, T> {
        key: &'a str,
        record: &'a T,
    }

    /// Encodes `record` both ways and requires the same bytes, then decodes it back, by the
    /// fast reader whenever the key is plain; returns how many random edits of its bytes the
    /// fast reader answered (each as `serde_json` does).
    fn assert_encodes_as_serde_json<T>(key: &str, record: &T) -> usize
    where
        T: RecordJson + ReadJson + Serialize + DeserializeOwned + PartialEq + std::fmt::Debug,
    {
        let ours = encode(key.as_bytes(), record).unwrap();
        let reference = serde_json::to_vec(&Reference { key, record }).unwrap();
        assert_eq!(
            String::from_utf8_lossy(&ours[CHECKSUM_HEX_LEN..]),
            String::from_utf8_lossy(&reference)
        );
        assert_eq!(&decode::<T>(key.as_bytes(), &ours, true).unwrap(), record);
        let json = &ours[CHECKSUM_HEX_LEN..];
        let fast = read_envelope::<T>(json, key.as_bytes(), true);
        match first_escaped(key.as_bytes()) {
            None => assert_eq!(fast.as_ref(), Some(record), "a plain key is read fast"),
            Some(_) => assert_eq!(fast, None, "an escaped key is left to serde_json"),
        }
        let plain = encode(PLAIN_KEY.as_bytes(), record).unwrap();
        let json = &plain[CHECKSUM_HEX_LEN..];
        assert_eq!(
            read_envelope::<T>(json, PLAIN_KEY.as_bytes(), true).as_ref(),
            Some(record)
        );
        edits_read_as_serde_json_reads_them::<T>(json)
    }

    /// A key with no byte JSON escapes.
    const PLAIN_KEY: &str = "records/plain";

    /// Bytes JSON gives a meaning to, and bytes it forbids, for the edits below.
    const EDIT_BYTES: &[u8] = b" \"\\/0123456789.eE-+,:[]{}nultrfabu\x01\x1f\x7f\xc3\xa9\xff";

    /// Edits `json` (written for [`PLAIN_KEY`]) at random: a byte deleted, inserted or
    /// replaced, or a span repeated. Requires the fast reader, whenever it answers, to answer
    /// as `serde_json` does; returns how many edits it answered.
    fn edits_read_as_serde_json_reads_them<T>(json: &[u8]) -> usize
    where
        T: ReadJson + DeserializeOwned + PartialEq + std::fmt::Debug,
    {
        let key = PLAIN_KEY;
        let mut rng = ChaCha8Rng::seed_from_u64(json.len() as u64);
        let mut answered = 0;
        for _ in 0..40 {
            let mut edited = json.to_vec();
            let at = rng.gen_range(0..edited.len());
            let byte = EDIT_BYTES[rng.gen_range(0..EDIT_BYTES.len())];
            match rng.gen_range(0..4) {
                0 => drop(edited.remove(at)),
                1 => edited.insert(at, byte),
                2 => edited[at] = byte,
                _ => {
                    let end = rng.gen_range(at..=edited.len());
                    let span = edited[at..end].to_vec();
                    let to = rng.gen_range(0..=edited.len());
                    edited.splice(to..to, span);
                }
            }
            let Some(fast) = read_envelope::<T>(&edited, key.as_bytes(), true) else {
                continue;
            };
            let reference: EnvelopeIn<T> = serde_json::from_slice(&edited).unwrap_or_else(|e| {
                panic!(
                    "read {:?} that serde_json refuses: {e}",
                    String::from_utf8_lossy(&edited)
                )
            });
            assert_eq!(reference.key.as_bytes(), key.as_bytes());
            assert_eq!(
                fast,
                reference.record,
                "{}",
                String::from_utf8_lossy(&edited)
            );
            answered += 1;
        }
        answered
    }

    /// Text drawn from plain letters, every byte JSON escapes, and multi-byte characters,
    /// in runs long enough to cross the eight-byte words the writer skips by.
    fn text(rng: &mut ChaCha8Rng) -> String {
        const PIECES: [&str; 12] = [
            "a",
            "Zq",
            "plain words ",
            "\"",
            "\\",
            "/",
            "\n\r\t",
            "\u{8}\u{c}",
            "\u{0}\u{1f}",
            "\u{7f}é",
            "€𝄞",
            "\u{2028}",
        ];
        let len = rng.gen_range(0..24);
        (0..len)
            .map(|_| PIECES[rng.gen_range(0..PIECES.len())])
            .collect()
    }

    fn maybe_text(rng: &mut ChaCha8Rng) -> Option<String> {
        rng.gen_bool(0.5).then(|| text(rng))
    }

    fn texts(rng: &mut ChaCha8Rng) -> Vec<String> {
        (0..rng.gen_range(0..4)).map(|_| text(rng)).collect()
    }

    fn number(rng: &mut ChaCha8Rng) -> u64 {
        [0, 1, 9, 10, u64::MAX, rng.gen()][rng.gen_range(0..6)]
    }

    fn json_value(rng: &mut ChaCha8Rng, depth: u32) -> Value {
        match rng.gen_range(0..if depth == 0 { 5 } else { 7 }) {
            0 => Value::Null,
            1 => json!(rng.gen_bool(0.5)),
            2 => [
                json!(rng.gen::<i64>()),
                json!(number(rng)),
                json!(0.1),
                json!(-0.0),
                json!(1e300),
                json!(2.5e-8),
            ][rng.gen_range(0..6)]
            .clone(),
            3 => json!(f64::from_bits(rng.gen::<u64>() >> 2)),
            4 => json!(text(rng)),
            5 => Value::Array(
                (0..rng.gen_range(0..4))
                    .map(|_| json_value(rng, depth - 1))
                    .collect(),
            ),
            _ => Value::Object(
                (0..rng.gen_range(0..4))
                    .map(|_| (text(rng), json_value(rng, depth - 1)))
                    .collect(),
            ),
        }
    }

    fn pending_call(rng: &mut ChaCha8Rng) -> PendingToolCall {
        PendingToolCall {
            id: text(rng),
            tool_name: text(rng),
            tool_input: json_value(rng, 3),
            started_at_ms: number(rng),
            completed: rng.gen_bool(0.5),
            result: maybe_text(rng),
        }
    }

    #[test]
    fn every_record_encodes_byte_for_byte_as_serde_json_writes_it() {
        let mut rng = ChaCha8Rng::seed_from_u64(0x150d);
        let roles = [
            MessageRole::User,
            MessageRole::Assistant,
            MessageRole::System,
            MessageRole::Tool,
        ];
        let mut answered = 0;
        for _ in 0..300 {
            let key = format!("records/{}", text(&mut rng));
            let agent = AgentMetadata {
                id: text(&mut rng),
                name: text(&mut rng),
                agent_type: text(&mut rng),
                model: maybe_text(&mut rng),
                embedding: maybe_text(&mut rng),
                system: maybe_text(&mut rng),
                description: maybe_text(&mut rng),
                tool_ids: texts(&mut rng),
                tags: texts(&mut rng),
                metadata: json_value(&mut rng, 3),
                created_at_ms: number(&mut rng),
                updated_at_ms: number(&mut rng),
            };
            answered += assert_encodes_as_serde_json(&key, &agent);
            let blocks: Vec<Block> = (0..rng.gen_range(0..3))
                .map(|_| Block {
                    id: text(&mut rng).into(),
                    label: text(&mut rng).into(),
                    value: text(&mut rng).into(),
                    description: maybe_text(&mut rng).map(Into::into),
                    limit: rng.gen_bool(0.5).then(|| number(&mut rng)),
                    created_at_ms: number(&mut rng),
                    updated_at_ms: number(&mut rng),
                })
                .collect();
            answered += assert_encodes_as_serde_json(&key, &blocks);
            let session = SessionState {
                session_id: text(&mut rng).into(),
                agent_id: text(&mut rng).into(),
                iteration: number(&mut rng),
                pause_until_ms: rng.gen_bool(0.5).then(|| number(&mut rng)),
                pending_tool_calls: (0..rng.gen_range(0..3))
                    .map(|_| pending_call(&mut rng))
                    .collect(),
                last_tool_result: maybe_text(&mut rng).map(Into::into),
                stop_reason: maybe_text(&mut rng).map(Into::into),
                started_at_ms: number(&mut rng),
                checkpointed_at_ms: number(&mut rng),
            };
            answered += assert_encodes_as_serde_json(&key, &session);
            let message = Message {
                id: text(&mut rng).into(),
                agent_id: text(&mut rng).into(),
                message_type: text(&mut rng).into(),
                role: roles[rng.gen_range(0..roles.len())],
                content: text(&mut rng).into(),
                tool_call_id: maybe_text(&mut rng).map(Into::into),
                tool_calls: texts(&mut rng),
                created_at_ms: number(&mut rng),
            };
            answered += assert_encodes_as_serde_json(&key, &message);
            let tool = CustomToolRecord {
                name: text(&mut rng),
                description: text(&mut rng),
                input_schema: json_value(&mut rng, 3),
                source_code: text(&mut rng),
                runtime: text(&mut rng),
                requirements: texts(&mut rng),
                created_at_ms: number(&mut rng),
                updated_at_ms: number(&mut rng),
            };
            answered += assert_encodes_as_serde_json(&key, &tool);
        }
        assert!(
            answered > 300 * 5 * 40 / 10,
            "the fast reader answered {answered} edits"
        );
    }
}
