//! Builders of the workload's identifiers, record texts and event texts: what `format!` would
//! give, without its formatting machinery (these run once or more per operation).

use crate::kv::FaultEffect;

/// `parts` joined, with each number written in decimal: one allocation, sized for the
/// longest numbers.
pub fn concat(parts: &[Part<'_>]) -> String {
    let room: usize = parts
        .iter()
        .map(|part| match part {
            Part::Text(text) => text.len(),
            Part::Number(_) => U64_DIGITS_MAX,
        })
        .sum();
    let mut out = String::with_capacity(room);
    let mut digits = itoa::Buffer::new();
    for part in parts {
        match part {
            Part::Text(text) => out.push_str(text),
            Part::Number(n) => out.push_str(digits.format(*n)),
        }
    }
    assert!(out.len() <= room, "the room was enough");
    out
}

/// Digits of the longest `u64`.
const U64_DIGITS_MAX: usize = 20;

/// One piece of a [`concat`]enated text.
#[derive(Clone, Copy, Debug)]
pub enum Part<'a> {
    /// Text as it is.
    Text(&'a str),
    /// A number in decimal, no padding.
    Number(u64),
}

/// `prefix` then `n` in decimal, zero-padded to at least `width` digits: `format!("{prefix}{n:0width$}")`.
pub fn zero_padded(prefix: &str, n: u64, width: usize) -> String {
    let mut digits = itoa::Buffer::new();
    let digits = digits.format(n);
    let zeros = width.saturating_sub(digits.len());
    let mut out = String::with_capacity(prefix.len() + zeros + digits.len());
    out.push_str(prefix);
    out.extend(std::iter::repeat_n('0', zeros));
    out.push_str(digits);
    assert!(out.len() >= prefix.len() + width, "padded to the width");
    out
}

/// `prefix` then `n` as 16 lowercase hex digits: `format!("{prefix}{n:016x}")`.
pub fn hex16(prefix: &str, n: u64) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(prefix.len() + 16);
    out.push_str(prefix);
    for shift in (0..16).rev() {
        out.push(char::from(HEX[((n >> (4 * shift)) & 0xf) as usize]));
    }
    assert_eq!(out.len(), prefix.len() + 16, "sixteen digits");
    out
}

/// `format!("{effect:?}")`, built directly for the effects that fire on most operations
/// (latency, failures).
pub fn fault_effect_text(effect: &FaultEffect) -> String {
    match effect {
        FaultEffect::Failed => "Failed".to_string(),
        FaultEffect::Inert => "Inert".to_string(),
        FaultEffect::CorruptedRead => "CorruptedRead".to_string(),
        FaultEffect::Delayed { delay_ms } => concat(&[
            Part::Text("Delayed { delay_ms: "),
            Part::Number(*delay_ms),
            Part::Text(" }"),
        ]),
        other => format!("{other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fault_effects_read_as_their_debug_form() {
        let effects = [
            FaultEffect::Failed,
            FaultEffect::Inert,
            FaultEffect::CorruptedRead,
            FaultEffect::Delayed { delay_ms: 0 },
            FaultEffect::Delayed { delay_ms: 1234 },
            FaultEffect::Truncated { kept_len: 3 },
            FaultEffect::Misdirected {
                landed_at: b"k".to_vec(),
            },
            FaultEffect::NotDurable {
                keys: vec![b"a".to_vec()],
            },
            FaultEffect::Crashed { applied: vec![] },
        ];
        for effect in &effects {
            assert_eq!(fault_effect_text(effect), format!("{effect:?}"));
        }
    }

    #[test]
    fn each_builder_writes_what_format_writes() {
        for n in [0, 7, 42, 999_999_999_999, 1_000_000_000_000, u64::MAX] {
            assert_eq!(zero_padded("m-", n, 12), format!("m-{n:012}"));
            assert_eq!(hex16("m-", n), format!("m-{n:016x}"));
            let joined = concat(&[
                Part::Text("call-"),
                Part::Number(n),
                Part::Text("-"),
                Part::Number(3),
            ]);
            assert_eq!(joined, format!("call-{n}-3"));
        }
        assert_eq!(concat(&[]), "");
    }
}
