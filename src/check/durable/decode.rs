//! The checker's own decoder of a stored value, written from the documented format (README,
//! "Durable format"): 8 lowercase hex digits of the CRC-32 (IEEE) of the rest, then the JSON
//! object `{"key": <the key it was written under>, "record": <the record>}`. Compact JSON is
//! read by the records' own `ReadJson` (the records' format, not the adapter's codec), and
//! anything else by `serde_json`, whose answer `ReadJson` never contradicts.

use serde::de::DeserializeOwned;
use serde::Deserialize;

use crate::agent::record_json_read::{JsonReader, ReadJson};

const CHECKSUM_DIGITS: usize = 8;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Stored<'a, T> {
    #[serde(borrow)]
    key: std::borrow::Cow<'a, str>,
    record: T,
}

/// The record stored under `key` as `value`, or why it does not verify.
pub fn decode_stored<T: DeserializeOwned + ReadJson>(
    key: &[u8],
    value: &[u8],
) -> Result<T, String> {
    if value.len() < CHECKSUM_DIGITS
        || !value[..CHECKSUM_DIGITS]
            .iter()
            .all(|b| b.is_ascii_hexdigit())
    {
        return Err(format!("{} bytes without a checksum", value.len()));
    }
    let (digits, json) = value.split_at(CHECKSUM_DIGITS);
    let digits = std::str::from_utf8(digits).expect("hex digits are ASCII");
    let stored = u32::from_str_radix(digits, 16).expect("eight hex digits fit in u32");
    let computed = crc32fast::hash(json);
    if stored != computed {
        return Err(format!(
            "checksum {digits} but the bytes hash to {computed:08x}"
        ));
    }
    if let Some(record) = read_compact(key, json) {
        return Ok(record);
    }
    let parsed: Stored<'_, T> =
        serde_json::from_slice(json).map_err(|e| format!("not a record: {e}"))?;
    if parsed.key.as_bytes() != key {
        return Err(format!("written for key '{}'", parsed.key));
    }
    Ok(parsed.record)
}

/// The record of `json` when it is the compact object written for `key`; `None` otherwise.
fn read_compact<T: ReadJson>(key: &[u8], json: &[u8]) -> Option<T> {
    let mut reader = JsonReader::new(json);
    reader.literal(b"{\"key\":")?;
    (reader.plain_string()?.as_bytes() == key).then_some(())?;
    reader.literal(b",\"record\":")?;
    let record = T::read_json(&mut reader)?;
    reader.literal(b"}")?;
    reader.is_at_end().then_some(record)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored(key: &str, record: &str) -> Vec<u8> {
        let json = format!("{{\"key\":\"{key}\",\"record\":{record}}}");
        let mut value = format!("{:08x}", crc32fast::hash(json.as_bytes())).into_bytes();
        value.extend_from_slice(json.as_bytes());
        value
    }

    #[test]
    fn verified_records_decode_and_damage_is_named() {
        let value = stored("tools/t", "[1,2]");
        assert_eq!(
            decode_stored::<Vec<u64>>(b"tools/t", &value),
            Ok(vec![1, 2])
        );
        let misplaced = decode_stored::<Vec<u64>>(b"tools/u", &value).unwrap_err();
        assert!(misplaced.contains("tools/t"), "{misplaced}");
        let torn = decode_stored::<Vec<u64>>(b"tools/t", &value[..value.len() - 1]).unwrap_err();
        assert!(torn.contains("checksum"), "{torn}");
        assert!(decode_stored::<Vec<u64>>(b"tools/t", b"abc").is_err());
    }
}
