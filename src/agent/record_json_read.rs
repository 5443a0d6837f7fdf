//! `ReadJson`: the stored records read back from the compact JSON [`RecordJson`] writes,
//! without `serde`'s visitors. It is a fast path, never the judge of what is valid JSON:
//! [`ReadJson::read_json`] answers only for bytes exactly as `RecordJson` lays them out (no
//! whitespace, fields once each in declaration order) and returns `None` for anything else, so
//! a caller then asks `serde_json` and gets its record or its error. Whenever it answers, the
//! answer equals what `serde_json` decodes from the same bytes (tested in `codec`).
//!
//! [`RecordJson`]: super::record_json::RecordJson

use std::rc::Rc;

use serde_json::Value;

use super::record_json::first_escaped;
use super::records::MessageRole;

/// A cursor over compact JSON bytes. Every read either consumes exactly the token it names and
/// returns it, or returns `None`; after a `None` the position is unspecified and the reader is
/// abandoned.
pub struct JsonReader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> JsonReader<'a> {
    /// A reader at the first byte of `bytes`.
    pub fn new(bytes: &'a [u8]) -> Self {
        JsonReader { bytes, at: 0 }
    }

    /// Whether every byte has been read.
    pub fn is_at_end(&self) -> bool {
        assert!(self.at <= self.bytes.len(), "the cursor stays inside");
        self.at == self.bytes.len()
    }

    /// Consumes `expected` if the bytes continue with it.
    pub fn literal(&mut self, expected: &[u8]) -> Option<()> {
        assert!(!expected.is_empty(), "a literal has bytes");
        let rest = &self.bytes[self.at..];
        rest.starts_with(expected)
            .then(|| self.at += expected.len())
    }

    fn next_byte(&mut self) -> Option<u8> {
        let byte = *self.bytes.get(self.at)?;
        self.at += 1;
        Some(byte)
    }

    /// The bytes of a string that holds no escape, borrowed: the caller compares them (a
    /// stored key) without a copy. `None` for a string with an escape, or invalid UTF-8.
    pub fn plain_string(&mut self) -> Option<&'a str> {
        self.literal(b"\"")?;
        let rest = &self.bytes[self.at..];
        let stop = first_escaped(rest)?;
        (rest[stop] == b'"').then_some(())?;
        self.at += stop + 1;
        super::utf8::as_str(&rest[..stop])
    }

    /// A string, with its escapes resolved. `None` for a control byte, a lone surrogate, an
    /// unknown escape or invalid UTF-8, all of which `serde_json` rejects.
    pub fn string(&mut self) -> Option<String> {
        self.string_as(|plain| plain.to_owned(), |resolved| resolved)
    }

    /// A string like [`JsonReader::string`], shared.
    pub fn shared_string(&mut self) -> Option<Rc<str>> {
        self.string_as(|plain| Rc::from(plain), Rc::from)
    }

    /// A string, made by `from_plain` from its bytes when it holds no escape (the usual case:
    /// one copy), else by `from_resolved` from its text with the escapes resolved.
    fn string_as<S>(
        &mut self,
        from_plain: impl FnOnce(&str) -> S,
        from_resolved: impl FnOnce(String) -> S,
    ) -> Option<S> {
        let start = self.at;
        if let Some(plain) = self.plain_string() {
            return Some(from_plain(plain));
        }
        self.at = start;
        self.literal(b"\"")?;
        let mut text = Vec::new();
        loop {
            let rest = &self.bytes[self.at..];
            let stop = first_escaped(rest)?;
            text.extend_from_slice(&rest[..stop]);
            self.at += stop + 1;
            match rest[stop] {
                b'"' => return String::from_utf8(text).ok().map(from_resolved),
                b'\\' => self.escape(&mut text)?,
                _ => return None,
            }
        }
    }

    /// Resolves the escape after a backslash into `text`.
    fn escape(&mut self, text: &mut Vec<u8>) -> Option<()> {
        let plain = match self.next_byte()? {
            b'"' => b'"',
            b'\\' => b'\\',
            b'/' => b'/',
            b'b' => 0x08,
            b'f' => 0x0c,
            b'n' => b'\n',
            b'r' => b'\r',
            b't' => b'\t',
            b'u' => {
                let character = self.unicode_escape()?;
                text.extend_from_slice(character.encode_utf8(&mut [0; 4]).as_bytes());
                return Some(());
            }
            _ => return None,
        };
        text.push(plain);
        Some(())
    }

    /// The character of a `\uXXXX` escape (its `\u` read), joining a surrogate pair.
    fn unicode_escape(&mut self) -> Option<char> {
        let first = self.hex4()?;
        match first {
            0xd800..=0xdbff => {
                self.literal(b"\\u")?;
                let second = self.hex4()?;
                (0xdc00..=0xdfff).contains(&second).then_some(())?;
                char::from_u32(0x10000 + ((first - 0xd800) << 10) + (second - 0xdc00))
            }
            0xdc00..=0xdfff => None,
            _ => char::from_u32(first),
        }
    }

    fn hex4(&mut self) -> Option<u32> {
        let digits = self.bytes.get(self.at..self.at + 4)?;
        let mut value = 0;
        for &digit in digits {
            value = value * 16 + char::from(digit).to_digit(16)?;
        }
        self.at += 4;
        Some(value)
    }

    /// A non-negative integer that fits in a `u64`, written without a leading zero and not
    /// continued as a float.
    pub fn u64(&mut self) -> Option<u64> {
        let rest = &self.bytes[self.at..];
        let digits = rest.iter().take_while(|byte| byte.is_ascii_digit()).count();
        if digits == 0 || (digits > 1 && rest[0] == b'0') {
            return None;
        }
        let number = rest[..digits].iter().try_fold(0u64, |number, &digit| {
            number.checked_mul(10)?.checked_add(u64::from(digit - b'0'))
        })?;
        self.at += digits;
        match rest.get(digits) {
            Some(b'.' | b'e' | b'E') => None,
            _ => Some(number),
        }
    }

    /// Any JSON value, read by `serde_json` itself (its number rules matter here). A value
    /// nested deeper than [`VALUE_NESTING_FAST_MAX`] is left to the caller's `serde_json`: its
    /// nesting limit counts from the top of the whole document, which this reader does not see.
    fn value(&mut self) -> Option<Value> {
        let rest = &self.bytes[self.at..];
        let mut values = serde_json::Deserializer::from_slice(rest).into_iter::<Value>();
        let value = values.next()?.ok()?;
        assert!(values.byte_offset() <= rest.len(), "a value lies inside");
        (nesting(&value) <= VALUE_NESTING_FAST_MAX).then_some(())?;
        self.at += values.byte_offset();
        Some(value)
    }
}

/// Deepest nesting of arrays and objects the reader accepts in a JSON value: far inside
/// `serde_json`'s limit of 128 for the whole document, whatever record holds the value.
const VALUE_NESTING_FAST_MAX: usize = 64;

/// How deeply arrays and objects nest in `value` (a scalar: 0).
fn nesting(value: &Value) -> usize {
    let inner = match value {
        Value::Array(items) => items.iter().map(nesting).max(),
        Value::Object(fields) => fields.values().map(nesting).max(),
        _ => return 0,
    };
    1 + inner.unwrap_or(0)
}

/// A value [`JsonReader`] reads back from the compact JSON `RecordJson` writes for it.
pub trait ReadJson: Sized {
    /// Reads one value at the reader's position; `None` if the bytes there are not exactly the
    /// compact JSON of a value of this type.
    fn read_json(reader: &mut JsonReader<'_>) -> Option<Self>;
}

/// The value `json` holds in whole, if it is exactly the compact JSON of one.
pub fn read_whole<T: ReadJson>(json: &[u8]) -> Option<T> {
    let mut reader = JsonReader::new(json);
    let value = T::read_json(&mut reader)?;
    reader.is_at_end().then_some(value)
}

impl ReadJson for String {
    fn read_json(reader: &mut JsonReader<'_>) -> Option<Self> {
        reader.string()
    }
}

impl ReadJson for Rc<str> {
    fn read_json(reader: &mut JsonReader<'_>) -> Option<Self> {
        reader.shared_string()
    }
}

impl ReadJson for u64 {
    fn read_json(reader: &mut JsonReader<'_>) -> Option<Self> {
        reader.u64()
    }
}

impl ReadJson for bool {
    fn read_json(reader: &mut JsonReader<'_>) -> Option<Self> {
        if reader.literal(b"true").is_some() {
            return Some(true);
        }
        reader.literal(b"false").map(|()| false)
    }
}

impl<T: ReadJson> ReadJson for Option<T> {
    fn read_json(reader: &mut JsonReader<'_>) -> Option<Self> {
        if reader.literal(b"null").is_some() {
            return Some(None);
        }
        T::read_json(reader).map(Some)
    }
}

impl<T: ReadJson> ReadJson for Vec<T> {
    fn read_json(reader: &mut JsonReader<'_>) -> Option<Self> {
        reader.literal(b"[")?;
        let mut items = Vec::new();
        if reader.literal(b"]").is_some() {
            return Some(items);
        }
        loop {
            items.push(T::read_json(reader)?);
            if reader.literal(b"]").is_some() {
                return Some(items);
            }
            reader.literal(b",")?;
        }
    }
}

impl<T: ReadJson> ReadJson for Rc<[T]> {
    fn read_json(reader: &mut JsonReader<'_>) -> Option<Self> {
        Vec::<T>::read_json(reader).map(Rc::from)
    }
}

impl ReadJson for Value {
    fn read_json(reader: &mut JsonReader<'_>) -> Option<Self> {
        reader.value()
    }
}

impl ReadJson for MessageRole {
    fn read_json(reader: &mut JsonReader<'_>) -> Option<Self> {
        match reader.plain_string()? {
            "user" => Some(MessageRole::User),
            "assistant" => Some(MessageRole::Assistant),
            "system" => Some(MessageRole::System),
            "tool" => Some(MessageRole::Tool),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn whole<T: ReadJson>(json: &str) -> Option<T> {
        read_whole(json.as_bytes())
    }

    #[test]
    fn escapes_resolve_as_serde_json_resolves_them() {
        for json in [
            r#""\u0041\/\b\f\n\r\t\"\\""#,
            r#""\uD834\uDD1E and \u00e9""#,
            r#""é€𝄞 plain and long enough to cross a word""#,
            r#""\u0000""#,
        ] {
            let reference: String = serde_json::from_str(json).unwrap();
            assert_eq!(whole::<String>(json), Some(reference), "{json}");
        }
        for refused in [
            r#""\uD834""#,
            r#""\uDD1E\uD834""#,
            r#""\uD834\u0041""#,
            r#""\x""#,
            r#""\u12G4""#,
            "\"a\u{1}\"",
            r#""unterminated"#,
        ] {
            assert!(
                serde_json::from_str::<String>(refused).is_err(),
                "{refused}"
            );
            assert_eq!(whole::<String>(refused), None, "{refused}");
        }
        assert_eq!(read_whole::<String>(b"\"\xff\""), None);
    }

    #[test]
    fn a_deeply_nested_value_is_left_to_serde_json() {
        let nested = |depth: usize| format!("{}1{}", "[".repeat(depth), "]".repeat(depth));
        let shallow: Value = serde_json::from_str(&nested(VALUE_NESTING_FAST_MAX)).unwrap();
        assert_eq!(nesting(&shallow), VALUE_NESTING_FAST_MAX);
        assert_eq!(
            whole::<Value>(&nested(VALUE_NESTING_FAST_MAX)),
            Some(shallow)
        );
        assert_eq!(whole::<Value>(&nested(VALUE_NESTING_FAST_MAX + 1)), None);
        assert_eq!(
            nesting(&serde_json::json!({"a": [1, {"b": []}], "c": 2})),
            4
        );
    }

    #[test]
    fn only_a_plain_integer_reads_as_a_u64() {
        assert_eq!(whole::<u64>("0"), Some(0));
        assert_eq!(whole::<u64>("18446744073709551615"), Some(u64::MAX));
        for refused in ["18446744073709551616", "01", "-1", "1.0", "1e3", "1E3", ""] {
            assert_eq!(JsonReader::new(refused.as_bytes()).u64(), None, "{refused}");
        }
    }

    #[test]
    fn a_plain_string_is_borrowed_and_an_escaped_one_is_left() {
        assert_eq!(
            JsonReader::new(br#""agents/a""#).plain_string(),
            Some("agents/a")
        );
        assert_eq!(JsonReader::new(br#""agents/\"""#).plain_string(), None);
        assert_eq!(
            whole::<Vec<Option<bool>>>("[true,null,false]"),
            Some(vec![Some(true), None, Some(false)])
        );
        assert_eq!(whole::<Vec<u64>>("[]"), Some(vec![]));
        assert_eq!(whole::<Vec<u64>>("[1,]"), None);
        assert_eq!(
            whole::<Vec<u64>>("[1] "),
            None,
            "trailing bytes are not compact"
        );
    }
}
