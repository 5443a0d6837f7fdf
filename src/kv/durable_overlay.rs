//! `DurableOverlay`: what survives a crash, kept as the few keys where it differs from what
//! the running process sees.
//!
//! Almost every write is acknowledged, and so lands both in the visible map and durably; a
//! second full map would cost a second ordered-map write per key. The overlay holds, per actor,
//! only the keys whose durable value differs from the visible one: a value, or `None` when the
//! key is durably absent. Invariant: the durable value of a key is the overlay's when the key
//! is in the overlay, and the visible map's otherwise.

use std::collections::btree_map::{self, BTreeMap};
use std::iter::Peekable;
use std::rc::Rc;

use super::change_log::ChangeLog;
use super::store::{ActorEntries, Key, VersionedStore, Write};
use super::Value;

/// The keys of one actor whose durable value differs from the visible one.
type Differences = BTreeMap<Key, Option<Value>>;

/// The durable state, relative to the visible map it is always used with.
#[derive(Debug, Default)]
pub(crate) struct DurableOverlay {
    differs: BTreeMap<Rc<[u8]>, Differences>,
    /// Keys written durably since the last [`DurableOverlay::take_changes`].
    changes: ChangeLog,
}

impl DurableOverlay {
    /// To be called before `writes` of `actor` land in `visible` only (not durably): each key
    /// not yet differing keeps its durable value, which until now was the visible one.
    pub(crate) fn keep_before_visible_only(
        &mut self,
        visible: &VersionedStore,
        actor: &Rc<[u8]>,
        writes: &[Write],
    ) {
        let differences = self.differs.entry(Rc::clone(actor)).or_default();
        for (key, _) in writes {
            if let btree_map::Entry::Vacant(slot) = differences.entry(Rc::clone(key)) {
                let durable = visible.get(actor, key).map(|entry| Rc::clone(&entry.value));
                slot.insert(durable);
            }
        }
        assert!(
            writes.iter().all(|(key, _)| differences.contains_key(key)),
            "every key written visibly only differs"
        );
    }

    /// To be called once `writes` of `actor` have landed both in the visible map and durably:
    /// those keys no longer differ, and each is a durable change.
    pub(crate) fn landed_durably(&mut self, actor: &Rc<[u8]>, writes: &[Write]) {
        if let Some(differences) = self.differs.get_mut(actor.as_ref()) {
            for (key, _) in writes {
                differences.remove(key.as_ref());
            }
            if differences.is_empty() {
                self.differs.remove(actor.as_ref());
            }
        }
        self.changes.record(actor, writes);
        assert!(
            self.differs
                .get(actor.as_ref())
                .is_none_or(|differences| !differences.is_empty()),
            "an actor without differences has no entry"
        );
    }

    /// The durable value of `actor`'s `key`, given the `visible` map; `None` when absent.
    pub(crate) fn get<'a>(
        &'a self,
        visible: &'a VersionedStore,
        actor: &[u8],
        key: &[u8],
    ) -> Option<&'a Value> {
        let differing = self.differs.get(actor).and_then(|d| d.get(key));
        match differing {
            Some(durable) => durable.as_ref(),
            None => visible.get(actor, key).map(|entry| &entry.value),
        }
    }

    /// How many keys of `actor` are durable, given the `visible` map: the visible ones, give
    /// or take each difference, without walking the keys that agree.
    pub(crate) fn len(&self, visible: &VersionedStore, actor: &[u8]) -> usize {
        let differences = self.differs.get(actor).into_iter().flatten();
        let (mut gained, mut lost) = (0, 0);
        for (key, durable) in differences {
            match (durable.is_some(), visible.get(actor, key).is_some()) {
                (true, false) => gained += 1,
                (false, true) => lost += 1,
                _ => {}
            }
        }
        let visible_len = visible.len(actor);
        assert!(
            lost <= visible_len,
            "a key durably absent but visible is counted visible"
        );
        visible_len - lost + gained
    }

    /// Every durable (key, value) of `actor`, ascending, given the `visible` map.
    pub(crate) fn entries(&self, visible: &VersionedStore, actor: &[u8]) -> Vec<(Key, Value)> {
        let seen = visible
            .scan(actor, b"")
            .map(|(key, entry)| (key, &entry.value));
        match self.differs.get(actor) {
            None => seen.map(|(k, v)| (Rc::clone(k), Rc::clone(v))).collect(),
            Some(differences) => Merged {
                visible: seen.peekable(),
                differences: differences.iter().peekable(),
            }
            .collect(),
        }
    }

    /// Every actor's durable entries, actors ascending, given the `visible` map: what a
    /// restarted process sees. Forgets every difference (the caller makes `visible` durable).
    pub(crate) fn take_all(&mut self, visible: &VersionedStore) -> ActorEntries {
        let actors = visible.actors().map(Rc::clone);
        let all = actors.map(|actor| {
            let entries = self.entries(visible, &actor);
            (actor, entries)
        });
        let all: Vec<_> = all.collect();
        assert!(
            self.differs
                .keys()
                .all(|actor| visible.actors().any(|a| a == actor)),
            "whatever is durable was visible first"
        );
        self.differs.clear();
        all
    }

    /// The keys of `actor` written durably since the last call, once each, in the order of
    /// their first write (see [`ChangeLog::take`]).
    pub(crate) fn take_changes(&mut self, actor: &[u8]) -> Vec<Key> {
        self.changes.take(actor)
    }
}

/// The visible entries of an actor merged with its differences: a differing key takes the
/// overlay's value, or is skipped when durably absent.
struct Merged<'a, V: Iterator<Item = (&'a Key, &'a Value)>> {
    visible: Peekable<V>,
    differences: Peekable<btree_map::Iter<'a, Key, Option<Value>>>,
}

impl<'a, V: Iterator<Item = (&'a Key, &'a Value)>> Iterator for Merged<'a, V> {
    type Item = (Key, Value);

    fn next(&mut self) -> Option<(Key, Value)> {
        loop {
            let from_visible = match (self.visible.peek(), self.differences.peek()) {
                (None, None) => return None,
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (Some((seen, _)), Some((differing, _))) => seen < differing,
            };
            if from_visible {
                let (key, value) = self.visible.next().expect("peeked");
                return Some((Rc::clone(key), Rc::clone(value)));
            }
            let (key, durable) = self.differences.next().expect("peeked");
            if self.visible.peek().is_some_and(|(seen, _)| *seen == key) {
                self.visible.next();
            }
            if let Some(value) = durable {
                return Some((Rc::clone(key), Rc::clone(value)));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(key: &str, value: &str) -> Write {
        (Rc::from(key.as_bytes()), Some(Rc::from(value.as_bytes())))
    }

    fn delete(key: &str) -> Write {
        (Rc::from(key.as_bytes()), None)
    }

    fn texts(entries: &[(Key, Value)]) -> Vec<(String, String)> {
        let text = |bytes: &[u8]| String::from_utf8(bytes.to_vec()).unwrap();
        entries.iter().map(|(k, v)| (text(k), text(v))).collect()
    }

    /// Applies `writes` as the simulator does: durably (both) or visibly only.
    fn write(
        visible: &mut VersionedStore,
        overlay: &mut DurableOverlay,
        actor: &Rc<[u8]>,
        writes: &[Write],
        durably: bool,
    ) {
        if !durably {
            overlay.keep_before_visible_only(visible, actor, writes);
        }
        visible.apply(actor, writes);
        if durably {
            overlay.landed_durably(actor, writes);
        }
    }

    #[test]
    fn durable_state_is_the_visible_one_except_where_writes_were_not_durable() {
        let actor: Rc<[u8]> = Rc::from(&b"actor"[..]);
        let (mut visible, mut overlay) = (VersionedStore::default(), DurableOverlay::default());
        let base = [put("a", "1"), put("b", "1"), put("c", "1")];
        write(&mut visible, &mut overlay, &actor, &base, true);
        let lost = [put("a", "2"), delete("b"), put("d", "2")];
        write(&mut visible, &mut overlay, &actor, &lost, false);
        write(&mut visible, &mut overlay, &actor, &[put("a", "3")], false);
        let durable = overlay.entries(&visible, &actor);
        let expected = [("a", "1"), ("b", "1"), ("c", "1")];
        let expected: Vec<(String, String)> = expected
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        assert_eq!(texts(&durable), expected);
        assert_eq!(overlay.get(&visible, &actor, b"d"), None);
        assert_eq!(
            overlay.get(&visible, &actor, b"a").map(|v| &v[..]),
            Some(&b"1"[..])
        );
        write(
            &mut visible,
            &mut overlay,
            &actor,
            &[put("b", "4"), delete("c")],
            true,
        );
        let durable = overlay.entries(&visible, &actor);
        assert_eq!(
            texts(&durable),
            [
                ("a".to_string(), "1".to_string()),
                ("b".to_string(), "4".to_string())
            ]
        );
        let mut taken: Vec<Vec<u8>> = overlay
            .take_changes(&actor)
            .iter()
            .map(|k| k.to_vec())
            .collect();
        taken.sort();
        assert_eq!(taken, [b"a".to_vec(), b"b".to_vec(), b"c".to_vec()]);
        assert!(overlay.take_changes(&actor).is_empty());
        let all = overlay.take_all(&visible);
        assert_eq!(all.len(), 1);
        assert_eq!(texts(&all[0].1), texts(&durable));
    }

    #[test]
    fn overlay_agrees_with_a_second_full_map_over_random_writes() {
        use crate::sim::DeterministicRng;
        let actor: Rc<[u8]> = Rc::from(&b"actor"[..]);
        let mut rng = DeterministicRng::new(7);
        let (mut visible, mut overlay) = (VersionedStore::default(), DurableOverlay::default());
        let mut durable = VersionedStore::default();
        for step in 0..3000u64 {
            let writes: Vec<Write> = (0..rng.range_u64(1, 4))
                .map(|_| {
                    let key = format!("k{}", rng.range_u64(0, 12));
                    match rng.chance(0.3) {
                        true => delete(&key),
                        false => put(&key, &step.to_string()),
                    }
                })
                .collect();
            let durably = rng.chance(0.7);
            write(&mut visible, &mut overlay, &actor, &writes, durably);
            if durably {
                durable.apply(&actor, &writes);
            }
            let reference: Vec<(Key, Value)> = durable
                .scan(&actor, b"")
                .map(|(k, e)| (Rc::clone(k), Rc::clone(&e.value)))
                .collect();
            assert_eq!(texts(&overlay.entries(&visible, &actor)), texts(&reference));
            assert_eq!(overlay.len(&visible, &actor), reference.len());
            if rng.chance(0.05) {
                let all = overlay.take_all(&visible);
                visible.reset_to_entries(all);
            }
        }
    }
}
