//! `KeyHasher`: a fast hash of byte and string keys for hash maps and sets that are only
//! asked about one key at a time, never iterated, so their order cannot reach behaviour or
//! the trace. The same on every machine (unlike `std`'s seeded `DefaultHasher`).

use std::hash::{BuildHasherDefault, Hasher};

/// Folds each eight bytes of a key, its length and single bytes (`str`'s terminator) into the
/// state with a rotate, an exclusive or and a multiply: a few instructions per word, which is
/// what short ids and keys need. The last word of a key longer than eight bytes is its last
/// eight bytes (overlapping the word before), and a shorter key is read in two overlapping
/// halves: fixed-size loads only, no copy of a tail of varying length.
#[derive(Default)]
pub struct KeyHasher(u64);

/// Builds [`KeyHasher`]s: the `S` of a `HashMap` or `HashSet` keyed by bytes or strings.
pub type KeyHashing = BuildHasherDefault<KeyHasher>;

impl Hasher for KeyHasher {
    fn write(&mut self, bytes: &[u8]) {
        const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;
        let len = bytes.len();
        let mut words = bytes.chunks_exact(8);
        for word in &mut words {
            let word = u64::from_le_bytes(word.try_into().expect("eight bytes"));
            self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(SEED);
        }
        let last = match len {
            8.. => u64::from_le_bytes(bytes[len - 8..].try_into().expect("eight bytes")),
            4..=7 => {
                let low = u32::from_le_bytes(bytes[..4].try_into().expect("four bytes"));
                let high = u32::from_le_bytes(bytes[len - 4..].try_into().expect("four bytes"));
                u64::from(low) | u64::from(high) << 32
            }
            1..=3 => {
                u64::from(bytes[0])
                    | u64::from(bytes[len / 2]) << 8
                    | u64::from(bytes[len - 1]) << 16
            }
            0 => 0,
        };
        let tail = u64::from(!words.remainder().is_empty()) * last;
        self.0 = (self.0.rotate_left(5) ^ tail ^ (len as u64).rotate_right(8)).wrapping_mul(SEED);
    }

    fn write_u8(&mut self, byte: u8) {
        self.0 = self.0.rotate_left(5) ^ u64::from(byte);
    }

    fn write_usize(&mut self, len: usize) {
        self.0 = self.0.rotate_left(5) ^ len as u64;
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::{BuildHasher, Hash};

    const PINNED: u64 = 4_379_474_209_732_996_680;

    fn hash<T: Hash + ?Sized>(value: &T) -> u64 {
        KeyHashing::default().hash_one(value)
    }

    #[test]
    fn equal_keys_hash_alike_and_the_hash_is_pinned() {
        let owned: std::rc::Rc<str> = "agent-1".into();
        assert_eq!(
            hash(&owned),
            hash("agent-1"),
            "a shared id hashes as its text"
        );
        assert_ne!(hash("agent-1"), hash("agent-10"));
        assert_ne!(hash(&b"ab"[..]), hash(&b"ba"[..]));
        assert_eq!(hash(""), 0xff, "an empty text is its terminator");
        assert_eq!(hash("agent-1"), PINNED, "pinned: the same everywhere");
    }

    #[test]
    fn every_byte_of_a_key_of_any_length_counts() {
        for len in 0..=40 {
            let key: Vec<u8> = (0..len).map(|i| b'a' + (i % 26) as u8).collect();
            assert_eq!(hash(&key[..]), hash(&key.clone()[..]), "length {len}");
            for position in 0..len {
                let mut changed = key.clone();
                changed[position] = b'-';
                assert_ne!(
                    hash(&key[..]),
                    hash(&changed[..]),
                    "byte {position} of {len}"
                );
            }
            let longer = [&key[..], b"a"].concat();
            assert_ne!(
                hash(&key[..]),
                hash(&longer[..]),
                "length {len} and one more"
            );
        }
    }
}
