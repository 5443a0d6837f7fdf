//! Reading bytes as text on the hot path: keys and stored strings are ASCII almost always, and
//! an ASCII check costs a fraction of a full UTF-8 validation.

/// `bytes` as text when they are valid UTF-8, exactly as `std::str::from_utf8(bytes).ok()`:
/// ASCII (every byte below 0x80) is checked word by word first, and only other bytes pay for
/// the full validation.
pub fn as_str(bytes: &[u8]) -> Option<&str> {
    if bytes.is_ascii() {
        // SAFETY: every byte is below 0x80, and a sequence of such bytes is valid UTF-8.
        let text = unsafe { std::str::from_utf8_unchecked(bytes) };
        debug_assert!(std::str::from_utf8(bytes).is_ok(), "ASCII is UTF-8");
        return Some(text);
    }
    std::str::from_utf8(bytes).ok()
}

/// Whether `bytes` are valid UTF-8, as `std::str::from_utf8(bytes).is_ok()`.
pub fn is_utf8(bytes: &[u8]) -> bool {
    as_str(bytes).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agrees_with_the_standard_validation() {
        let cases: &[&[u8]] = &[
            b"",
            b"agents/a-1/messages/00000000000000000001",
            "caf\u{e9} \u{1f600}".as_bytes(),
            b"\xff",
            b"abc\xc3",
            b"\xed\xa0\x80",
            b"ascii then \xe2\x82",
            &[0x7f; 40],
        ];
        for bytes in cases {
            assert_eq!(as_str(bytes), std::str::from_utf8(bytes).ok(), "{bytes:?}");
            assert_eq!(
                is_utf8(bytes),
                std::str::from_utf8(bytes).is_ok(),
                "{bytes:?}"
            );
        }
    }
}
