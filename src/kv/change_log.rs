//! `ChangeLog`: which keys were written since they were last taken, for the checks that look
//! only at what changed (the durable state of `SimStorage`, a tracked `MemoryKV`).

use std::collections::{BTreeMap, HashSet};
use std::rc::Rc;

use super::store::{Key, Write};
use crate::sim::KeyHashing;

/// The keys written since the last [`ChangeLog::take`], per actor, repeats and all, each
/// actor's in the order of their writes.
#[derive(Clone, Debug, Default)]
pub(crate) struct ChangeLog {
    written: BTreeMap<Rc<[u8]>, Vec<Key>>,
}

impl ChangeLog {
    /// Notes that `writes` of `actor` landed.
    pub(crate) fn record(&mut self, actor: &Rc<[u8]>, writes: &[Write]) {
        let keys = writes.iter().map(|(key, _)| Rc::clone(key));
        match self.written.get_mut(actor.as_ref()) {
            Some(written) => written.extend(keys),
            None => {
                self.written.insert(Rc::clone(actor), keys.collect());
            }
        }
    }

    /// The keys of `actor` written since the last call, once each, in the order of their first
    /// write since then (the same on every machine: it is the order of the writes). Changes of
    /// other actors are kept for their own call.
    pub(crate) fn take(&mut self, actor: &[u8]) -> Vec<Key> {
        let Some(written) = self.written.remove(actor) else {
            return Vec::new();
        };
        let mut seen: HashSet<&[u8], KeyHashing> =
            HashSet::with_capacity_and_hasher(written.len(), Default::default());
        let taken: Vec<Key> = written
            .iter()
            .filter(|&key| seen.insert(key.as_ref()))
            .cloned()
            .collect();
        assert_eq!(taken.len(), seen.len(), "each written key taken once");
        assert!(taken.len() <= written.len(), "never more keys than writes");
        taken
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
        log.record(&a, &[write("k2"), write("k1"), write("k2")]);
        log.record(&b, &[write("k1")]);
        log.record(&a, &[write("k3"), write("k1")]);
        let taken = log.take(&a);
        let keys: Vec<&[u8]> = taken.iter().map(|k| k.as_ref()).collect();
        assert_eq!(
            keys,
            [&b"k2"[..], b"k1", b"k3"],
            "in the order of first writes"
        );
        assert!(log.take(&a).is_empty());
        assert_eq!(log.take(&b).len(), 1, "another actor's changes are kept");
    }
}
