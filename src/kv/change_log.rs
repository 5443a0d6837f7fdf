//! `ChangeLog`: which keys were written since they were last taken, for the checks that look
//! only at what changed (the durable state of `SimStorage`, a tracked `MemoryKV`).

use std::rc::Rc;

use xxhash_rust::xxh3::xxh3_64;

use super::store::{Key, Write};

/// The keys written, per actor, since the last [`ChangeLog::take`], repeats and all.
#[derive(Clone, Debug, Default)]
pub(crate) struct ChangeLog {
    written: Vec<(Rc<[u8]>, Key)>,
}

impl ChangeLog {
    /// Notes that `writes` of `actor` landed.
    pub(crate) fn record(&mut self, actor: &Rc<[u8]>, writes: &[Write]) {
        let keys = writes
            .iter()
            .map(|(key, _)| (Rc::clone(actor), Rc::clone(key)));
        self.written.extend(keys);
    }

    /// The keys of `actor` written since the last call, once each, in the order of a stable
    /// hash of their bytes (the same on every machine): deduplicating by hash first compares
    /// whole keys only on a tie, where sorting hierarchical keys that share long prefixes
    /// compares dozens of bytes each time. Changes of other actors are kept for their own call.
    pub(crate) fn take(&mut self, actor: &[u8]) -> Vec<Key> {
        let mut hashed: Vec<(u64, Key)> = Vec::new();
        self.written.retain(|(owner, key)| {
            let mine = owner.as_ref() == actor;
            if mine {
                hashed.push((xxh3_64(key), Rc::clone(key)));
            }
            !mine
        });
        hashed.sort_unstable();
        hashed.dedup_by(|later, earlier| later.1 == earlier.1);
        assert!(
            hashed.windows(2).all(|pair| pair[0] < pair[1]),
            "by hash, then by key, once each"
        );
        hashed.into_iter().map(|(_, key)| key).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(key: &str) -> Write {
        (Rc::from(key.as_bytes()), None)
    }

    #[test]
    fn each_written_key_once_per_actor_in_a_fixed_order() {
        let (a, b): (Rc<[u8]>, Rc<[u8]>) = (Rc::from(&b"a"[..]), Rc::from(&b"b"[..]));
        let mut log = ChangeLog::default();
        log.record(&a, &[write("k1"), write("k2"), write("k1")]);
        log.record(&b, &[write("k1")]);
        log.record(&a, &[write("k3"), write("k2")]);
        let taken = log.take(&a);
        let mut keys: Vec<&[u8]> = taken.iter().map(|k| k.as_ref()).collect();
        let order = keys.clone();
        keys.sort();
        assert_eq!(keys, [&b"k1"[..], b"k2", b"k3"]);
        let mut again = ChangeLog::default();
        again.record(&a, &[write("k3"), write("k1"), write("k2")]);
        let again: Vec<Key> = again.take(&a);
        let again: Vec<&[u8]> = again.iter().map(|k| k.as_ref()).collect();
        assert_eq!(again, order, "the order depends on the keys alone");
        assert!(log.take(&a).is_empty());
        assert_eq!(log.take(&b).len(), 1, "another actor's changes are kept");
    }
}
