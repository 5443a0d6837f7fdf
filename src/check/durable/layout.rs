//! The checker's own reading of the documented key layout (README, "Durable format"),
//! independent of the adapter's key functions: which record a stored key names.
//!
//! `agents/{id}`, `blocks/{agent_id}`, `sessions/{agent_id}/{session_id}`,
//! `messages/{agent_id}/{created_at_ms}/{n}` (both numbers exactly 20 decimal digits),
//! `tools/{name}`; ids are non-empty and contain no `/`.

/// The record a stored key names, borrowing the ids from the key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum StoredKey<'a> {
    /// An agent record.
    Agent(&'a str),
    /// An agent's blocks.
    Blocks(&'a str),
    /// A session of an agent: (agent id, session id).
    Session(&'a str, &'a str),
    /// A message of an agent.
    Message {
        /// Owning agent.
        agent: &'a str,
        /// Creation time, ms.
        created_at_ms: u64,
        /// Append number within the ms.
        n: u64,
    },
    /// A custom tool.
    Tool(&'a str),
}

impl<'a> StoredKey<'a> {
    /// The agent that owns the record, if any.
    pub fn owner(&self) -> Option<&'a str> {
        match *self {
            StoredKey::Blocks(agent) | StoredKey::Session(agent, _) => Some(agent),
            StoredKey::Message { agent, .. } => Some(agent),
            StoredKey::Agent(_) | StoredKey::Tool(_) => None,
        }
    }
}

/// Reads `key` as the layout documents it; `None` for a key outside the layout (a key that
/// is not UTF-8 among them). A message key is read from its end, where its two numbers sit
/// at fixed offsets.
pub fn parse_key(key: &[u8]) -> Option<StoredKey<'_>> {
    let slash = key.iter().position(|&byte| byte == b'/')?;
    let (family, rest) = (&key[..slash], &key[slash + 1..]);
    let parsed = match family {
        b"agents" => StoredKey::Agent(last_field(rest)?),
        b"blocks" => StoredKey::Blocks(last_field(rest)?),
        b"tools" => StoredKey::Tool(last_field(rest)?),
        b"sessions" => {
            let slash = rest.iter().position(|&byte| byte == b'/')?;
            StoredKey::Session(id(&rest[..slash])?, last_field(&rest[slash + 1..])?)
        }
        b"messages" => message(rest)?,
        _ => return None,
    };
    assert!(parsed.owner().is_none_or(|owner| !owner.is_empty()));
    Some(parsed)
}

/// The length of `/{20 digits}/{20 digits}`, the end of a message key.
const MESSAGE_NUMBERS_LEN: usize = 2 * (1 + 20);

/// `{agent_id}/{created_at_ms}/{n}`, the numbers exactly 20 digits each.
fn message(rest: &[u8]) -> Option<StoredKey<'_>> {
    let agent_len = rest.len().checked_sub(MESSAGE_NUMBERS_LEN)?;
    let (agent, numbers) = rest.split_at(agent_len);
    let numbers: &[u8; MESSAGE_NUMBERS_LEN] = numbers.try_into().expect("split at its length");
    let (created, n) = numbers.split_at(1 + 20);
    if created[0] != b'/' || n[0] != b'/' {
        return None;
    }
    Some(StoredKey::Message {
        agent: last_field(agent)?,
        created_at_ms: twenty_digits(&created[1..])?,
        n: twenty_digits(&n[1..])?,
    })
}

/// `field` as an id: non-empty UTF-8 without `/`.
fn last_field(field: &[u8]) -> Option<&str> {
    match field.contains(&b'/') {
        true => None,
        false => id(field),
    }
}

/// `bytes` as an id known to hold no `/`: non-empty UTF-8, validated by the standard library
/// rather than by the adapter's own fast path (the oracle shares no code with what it judges).
fn id(bytes: &[u8]) -> Option<&str> {
    match bytes.is_empty() {
        true => None,
        false => std::str::from_utf8(bytes).ok(),
    }
}

/// Exactly 20 decimal digits as a number, `None` past `u64::MAX`.
fn twenty_digits(text: &[u8]) -> Option<u64> {
    let digits: &[u8; 20] = text.try_into().ok()?;
    let (high, rest) = digits.split_at(8);
    let (middle, low) = rest.split_at(8);
    let high = eight_digits(high.try_into().expect("eight bytes"))?;
    let middle = eight_digits(middle.try_into().expect("eight bytes"))?;
    let low = low.iter().try_fold(0u64, |number, &byte| {
        byte.is_ascii_digit()
            .then(|| number * 10 + u64::from(byte - b'0'))
    })?;
    let number =
        u128::from(high) * 1_000_000_000_000 + u128::from(middle) * 10_000 + u128::from(low);
    u64::try_from(number).ok()
}

/// Eight decimal digits as a number, read eight bytes at a time: `None` unless every byte
/// is a digit.
fn eight_digits(digits: [u8; 8]) -> Option<u64> {
    const ZEROS: u64 = 0x3030_3030_3030_3030;
    const HIGH_NIBBLES: u64 = 0xF0F0_F0F0_F0F0_F0F0;
    const SIXES: u64 = 0x0606_0606_0606_0606;
    let word = u64::from_le_bytes(digits);
    let all_digits = word & HIGH_NIBBLES == ZEROS && (word + SIXES) & HIGH_NIBBLES == ZEROS;
    if !all_digits {
        return None;
    }
    let ones = word - ZEROS;
    let pairs = (ones * 10 + (ones >> 8)) & 0x00FF_00FF_00FF_00FF;
    let quads = (pairs * 100 + (pairs >> 16)) & 0x0000_FFFF_0000_FFFF;
    let number = (quads * 10_000 + (quads >> 32)) & 0xFFFF_FFFF;
    assert!(number < 100_000_000, "eight digits stay below 10^8");
    Some(number)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The layout read field by field, as documented: the reference the fast reading must
    /// agree with.
    fn reference(key: &[u8]) -> Option<StoredKey<'_>> {
        let text = std::str::from_utf8(key).ok()?;
        let mut fields = text.split('/');
        let family = fields.next()?;
        let mut field = || fields.next().filter(|f| !f.is_empty());
        let number = |f: &str| match f.len() == 20 && f.bytes().all(|b| b.is_ascii_digit()) {
            true => f.parse::<u64>().ok(),
            false => None,
        };
        let parsed = match family {
            "agents" => StoredKey::Agent(field()?),
            "blocks" => StoredKey::Blocks(field()?),
            "tools" => StoredKey::Tool(field()?),
            "sessions" => StoredKey::Session(field()?, field()?),
            "messages" => StoredKey::Message {
                agent: field()?,
                created_at_ms: number(field()?)?,
                n: number(field()?)?,
            },
            _ => return None,
        };
        fields.next().is_none().then_some(parsed)
    }

    #[test]
    fn the_fast_reading_agrees_with_the_reference_on_generated_keys() {
        let families = [
            "agents", "blocks", "tools", "sessions", "messages", "message", "",
        ];
        let fields: [&[u8]; 12] = [
            b"a",
            "\u{e9}t\u{e9}".as_bytes(),
            &[0xff],
            b"",
            b"a/b",
            b"00000000000000000012",
            b"18446744073709551615",
            b"18446744073709551616",
            b"1844674407370955161",
            b"0000000000000000000:",
            b"99999999999999999999",
            b"000000000000000000120",
        ];
        let mut rng = crate::sim::DeterministicRng::new(7);
        let mut parsed = [0usize; 5];
        for _ in 0..100_000 {
            let mut key = families[rng.index(families.len())].as_bytes().to_vec();
            for _ in 0..rng.range_u64(0, 5) {
                key.push(b'/');
                key.extend_from_slice(fields[rng.index(fields.len())]);
            }
            let fast = parse_key(&key);
            assert_eq!(fast, reference(&key), "{}", String::from_utf8_lossy(&key));
            let kind = match fast {
                None => continue,
                Some(StoredKey::Agent(_)) => 0,
                Some(StoredKey::Blocks(_)) => 1,
                Some(StoredKey::Tool(_)) => 2,
                Some(StoredKey::Session(..)) => 3,
                Some(StoredKey::Message { .. }) => 4,
            };
            parsed[kind] += 1;
        }
        assert!(
            parsed.iter().all(|&n| n >= 20),
            "every kind of key parses: {parsed:?}"
        );
    }

    #[test]
    fn eight_digits_read_every_digit_and_refuse_every_other_byte() {
        for number in [
            0u64, 1, 9, 10, 12_345_678, 99_999_999, 10_000_000, 90_000_009,
        ] {
            let text = format!("{number:08}");
            assert_eq!(
                eight_digits(text.as_bytes().try_into().unwrap()),
                Some(number)
            );
        }
        for position in 0..8 {
            for byte in (0..=255u8).filter(|b| !b.is_ascii_digit()) {
                let mut digits = *b"12345678";
                digits[position] = byte;
                assert_eq!(eight_digits(digits), None, "byte {byte} at {position}");
            }
        }
    }

    #[test]
    fn documented_keys_parse_and_others_do_not() {
        assert_eq!(parse_key(b"agents/a:b#c"), Some(StoredKey::Agent("a:b#c")));
        assert_eq!(
            parse_key("sessions/агент/s1".as_bytes()),
            Some(StoredKey::Session("агент", "s1"))
        );
        let message = b"messages/a/00000000000000000012/00000000000000000003";
        assert_eq!(
            parse_key(message),
            Some(StoredKey::Message {
                agent: "a",
                created_at_ms: 12,
                n: 3
            })
        );
        assert_eq!(parse_key(b"messages/a/12/3"), None);
        let largest = b"messages/a/18446744073709551615/00000000000000000000";
        assert!(matches!(
            parse_key(largest),
            Some(StoredKey::Message {
                created_at_ms: u64::MAX,
                n: 0,
                ..
            })
        ));
        assert_eq!(
            parse_key(b"messages/a/18446744073709551616/00000000000000000000"),
            None
        );
        assert_eq!(
            parse_key(b"messages/a/0000000000000000000+/00000000000000000000"),
            None
        );
        assert_eq!(parse_key(b"agents/a/b"), None);
        assert_eq!(parse_key(b"agents/"), None);
        assert_eq!(parse_key(b"message_seq/a"), None);
        assert_eq!(parse_key(&[0xff, b'/']), None);
    }
}
