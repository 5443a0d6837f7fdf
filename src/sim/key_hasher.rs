//! `KeyHasher`: a fast hash of byte and string keys for hash maps and sets that are only
//! asked about one key at a time, never iterated, so their order cannot reach behaviour or
//! the trace. The same on every machine (unlike `std`'s seeded `DefaultHasher`).

use std::hash::{BuildHasherDefault, Hasher};

/// Folds each eight bytes of a key (the last ones padded with zeros), its length and single
/// bytes (`str`'s terminator) into the state with a rotate, an exclusive or and a multiply:
/// a few instructions per word, which is what short ids and keys need.
#[derive(Default)]
pub struct KeyHasher(u64);

/// Builds [`KeyHasher`]s: the `S` of a `HashMap` or `HashSet` keyed by bytes or strings.
pub type KeyHashing = BuildHasherDefault<KeyHasher>;

impl Hasher for KeyHasher {
    fn write(&mut self, bytes: &[u8]) {
        const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let word = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
            self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(SEED);
        }
        let mut tail = [0u8; 8];
        tail[..chunks.remainder().len()].copy_from_slice(chunks.remainder());
        self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(tail)).wrapping_mul(SEED);
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

    const PINNED: u64 = 208_454_584_654_278_209;

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
}
