//! `VersionedStore`: the ordered, versioned map at the core of both KV implementations, and
//! the read set an optimistic transaction validates against it.
//!
//! Every write stamps its key with a fresh version from one monotonic counter per store, so a
//! version is never reused: a delete followed by a re-create is seen as a change. Each actor's
//! keys live on their own shelf, addressed by actor-relative keys; iteration is in ascending
//! byte order. Keys and values are shared (`Rc`), so reads and copies between stores clone
//! pointers, not bytes.

use std::collections::{btree_map, BTreeMap};
use std::ops::Bound;
use std::rc::Rc;

use smallvec::SmallVec;

use super::change_log::ChangeLog;
use super::write_log::WriteLog;
use super::{RangeScan, Value};

/// A stored key, actor-relative, shared.
pub(crate) type Key = Rc<[u8]>;

/// One write of a batch: a value to store, or `None` to delete the key.
pub(crate) type Write = (Key, Option<Value>);

/// Every entry of a store: each actor with its (key, value) pairs, keys ascending.
pub(crate) type ActorEntries = Vec<(Rc<[u8]>, Vec<(Key, Value)>)>;

/// A value and the version of the write that stored it.
#[derive(Clone, Debug)]
pub(crate) struct Entry {
    pub(crate) value: Value,
    pub(crate) version: u64,
}

/// One actor's keys.
type Shelf = BTreeMap<Key, Entry>;

/// The entries of one range read, in its order, borrowing the store (`'a`) and the scan's
/// bounds (`'b`): no allocation for a forward scan.
pub(crate) enum RangeIter<'a, 'b> {
    /// Nothing: the actor has no keys.
    Empty,
    /// Ascending from `from` while keys start with the prefix.
    Forward {
        range: btree_map::Range<'a, Key, Entry>,
        prefix: &'b [u8],
    },
    /// Descending from the last key under the prefix while keys are at least `from` (one
    /// descent of the tree, to the upper end; the lower end is a comparison per key).
    Backward {
        range: std::iter::Rev<btree_map::Range<'a, Key, Entry>>,
        from: &'b [u8],
    },
}

impl<'a> Iterator for RangeIter<'a, '_> {
    type Item = (&'a Key, &'a Entry);

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            RangeIter::Empty => None,
            RangeIter::Forward { range, prefix } => {
                range.next().filter(|(key, _)| key.starts_with(prefix))
            }
            RangeIter::Backward { range, from } => {
                range.next().filter(|(key, _)| key.as_ref() >= *from)
            }
        }
    }
}

/// The first key after every key starting with `prefix`, or `None` when there is none (the
/// prefix is empty or all `0xff`).
pub(crate) fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < u8::MAX {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

/// Stores `value` under `key` at `version` in one descent of `shelf`; returns whether the key
/// held a value before.
fn store_value(shelf: &mut Shelf, key: &Key, value: &Value, version: u64) -> bool {
    let entry = Entry {
        value: Rc::clone(value),
        version,
    };
    let (existed_before, stored) = match shelf.entry(Rc::clone(key)) {
        btree_map::Entry::Vacant(slot) => (false, slot.insert(entry)),
        btree_map::Entry::Occupied(slot) => {
            let stored = slot.into_mut();
            *stored = entry;
            (true, stored)
        }
    };
    assert!(
        Rc::ptr_eq(&stored.value, value) && stored.version == version,
        "a write is read back"
    );
    existed_before
}

/// Ordered, versioned maps of keys to values, one per actor. Versions strictly increase with
/// every write of this store and are never reused.
#[derive(Clone, Debug, Default)]
pub(crate) struct VersionedStore {
    shelves: BTreeMap<Rc<[u8]>, Shelf>,
    next_version: u64,
    /// Keys written since the last [`VersionedStore::take_changes`], when tracking is on.
    changes: Option<ChangeLog>,
    /// The writes since the oldest snapshot an open transaction pinned.
    log: WriteLog,
}

impl VersionedStore {
    /// The value and version under `actor`'s `key`, or `None` when absent.
    pub(crate) fn get(&self, actor: &[u8], key: &[u8]) -> Option<&Entry> {
        self.shelves.get(actor)?.get(key)
    }

    /// The store's own copy of `actor`'s `key` with its entry, or `None` when absent.
    pub(crate) fn get_key_value(&self, actor: &[u8], key: &[u8]) -> Option<(&Key, &Entry)> {
        self.shelves.get(actor)?.get_key_value(key)
    }

    /// The version under `actor`'s `key`, or `None` when absent.
    pub(crate) fn version(&self, actor: &[u8], key: &[u8]) -> Option<u64> {
        self.get(actor, key).map(|entry| entry.version)
    }

    /// How many keys `actor` has.
    pub(crate) fn len(&self, actor: &[u8]) -> usize {
        self.shelves.get(actor).map_or(0, BTreeMap::len)
    }

    /// Every (key, entry) of `actor` in `scan`'s range, in the scan's order, ignoring its limit.
    pub(crate) fn range<'a, 'b>(&'a self, actor: &[u8], scan: RangeScan<'b>) -> RangeIter<'a, 'b> {
        assert!(scan.from.starts_with(scan.prefix), "from lies under prefix");
        let Some(shelf) = self.shelves.get(actor) else {
            return RangeIter::Empty;
        };
        if !scan.reverse {
            let range = shelf.range::<[u8], _>((Bound::Included(scan.from), Bound::Unbounded));
            return RangeIter::Forward {
                range,
                prefix: scan.prefix,
            };
        }
        let end = prefix_end(scan.prefix);
        let upper = end.as_deref().map_or(Bound::Unbounded, Bound::Excluded);
        RangeIter::Backward {
            range: shelf.range::<[u8], _>((Bound::Unbounded, upper)).rev(),
            from: scan.from,
        }
    }

    /// Every (key, entry) of `actor` whose key starts with `prefix`, ascending.
    pub(crate) fn scan<'a, 'b>(&'a self, actor: &[u8], prefix: &'b [u8]) -> RangeIter<'a, 'b> {
        self.range(actor, RangeScan::prefix(prefix, usize::MAX))
    }

    /// The version the next write will take: a snapshot of the store as it is now (every
    /// entry present has an older version).
    pub(crate) fn snapshot(&self) -> u64 {
        self.next_version
    }

    /// Pins the current snapshot, so that [`VersionedStore::prefix_changed_since`] can judge
    /// it until [`VersionedStore::unpin`]; returns it.
    pub(crate) fn pin(&mut self) -> u64 {
        let version = self.snapshot();
        self.log.pin(version);
        version
    }

    /// Releases a pin taken by [`VersionedStore::pin`].
    pub(crate) fn unpin(&mut self, version: u64) {
        self.log.unpin(version);
    }

    /// Whether a scan of `actor`'s `prefix` now would differ from one at snapshot `since`
    /// (pinned) in the keys it sees or their versions. Versions are never reused and every
    /// write takes a new one, so it differs exactly when a key under the prefix written since
    /// the snapshot holds a value now (its version is new), or was present at the snapshot and
    /// is gone. Costs the writes since the snapshot, not the keys under the prefix.
    pub(crate) fn prefix_changed_since(&self, actor: &[u8], prefix: &[u8], since: u64) -> bool {
        assert!(
            since <= self.next_version,
            "a snapshot is not from the future"
        );
        let mut judged: Vec<&[u8]> = Vec::new();
        for write in self.log.since(since) {
            if write.actor.as_ref() != actor || !write.key.starts_with(prefix) {
                continue;
            }
            if self.get(actor, &write.key).is_some() {
                return true;
            }
            if judged.contains(&write.key.as_ref()) {
                continue;
            }
            judged.push(&write.key);
            if write.existed_before {
                return true;
            }
        }
        false
    }

    /// From now on, remembers every key written until [`VersionedStore::take_changes`].
    pub(crate) fn track_changes(&mut self) {
        self.changes.get_or_insert_with(ChangeLog::default);
    }

    /// The keys of `actor` written (set or deleted) since the last call, once each, in the
    /// order of their first write (see [`ChangeLog::take`]); empty when tracking is off.
    /// Changes of other actors are kept for their own call.
    pub(crate) fn take_changes(&mut self, actor: &[u8]) -> Vec<Key> {
        self.changes
            .as_mut()
            .map_or_else(Vec::new, |changes| changes.take(actor))
    }

    /// Applies `writes` to `actor`'s keys in order, each with a fresh version.
    pub(crate) fn apply(&mut self, actor: &Rc<[u8]>, writes: &[Write]) {
        if !self.shelves.contains_key(actor.as_ref()) {
            self.shelves.insert(Rc::clone(actor), Shelf::new());
        }
        let VersionedStore {
            shelves,
            next_version,
            changes,
            log,
        } = self;
        let shelf = shelves.get_mut(actor.as_ref()).expect("shelf exists");
        let first_version = *next_version;
        if let Some(changes) = changes {
            changes.record(actor, writes);
        }
        for (key, value) in writes {
            let version = *next_version;
            *next_version = version.checked_add(1).expect("version counter overflow");
            let existed_before = match value {
                Some(value) => store_value(shelf, key, value, version),
                None => shelf.remove(key.as_ref()).is_some(),
            };
            log.record(version, actor, key, existed_before);
        }
        assert_eq!(
            *next_version - first_version,
            writes.len() as u64,
            "each write takes one version"
        );
    }

    /// Every actor with a shelf, ascending.
    pub(crate) fn actors(&self) -> impl Iterator<Item = &Rc<[u8]>> {
        self.shelves.keys()
    }

    /// Replaces every entry with `entries` (each actor's keys ascending), each with a fresh
    /// version of this store (so nothing read before the replacement validates after it).
    pub(crate) fn reset_to_entries(&mut self, entries: ActorEntries) {
        let floor = self.next_version;
        self.next_version += 1;
        if self.log.is_pinned() {
            self.log_removal_of_every_key();
        }
        self.shelves.clear();
        for (actor, shelf_entries) in entries {
            let mut shelf = Shelf::new();
            for (key, value) in shelf_entries {
                let version = self.next_version;
                self.next_version += 1;
                self.log.record(version, &actor, &key, false);
                shelf.insert(key, Entry { value, version });
            }
            self.shelves.insert(actor, shelf);
        }
        assert!(self.next_version > floor, "a reset moves the snapshot on");
    }
}

impl VersionedStore {
    /// Logs, for the pinned snapshots, a delete of every key (each with a fresh version): a
    /// reset first empties the store.
    fn log_removal_of_every_key(&mut self) {
        let VersionedStore {
            shelves,
            next_version,
            log,
            ..
        } = self;
        for (actor, shelf) in shelves.iter() {
            for key in shelf.keys() {
                log.record(*next_version, actor, key, true);
                *next_version += 1;
            }
        }
        assert!(self.log.is_pinned(), "removals are logged only for a pin");
    }
}

/// What an optimistic transaction read: point reads (key -> version seen, `None` when absent)
/// and prefix scans (prefix -> the store's snapshot when it was scanned). The first
/// observation of a key or prefix is the one kept. The first scan pins its snapshot in the
/// store (every later scan's snapshot is newer), until [`ReadSet::release`]. The snapshot of
/// the very first read is kept too: while the store has not moved past it, nothing read can
/// have changed.
///
/// Most transactions read one or two keys and scan one or two prefixes: both lists keep that
/// many in place, so recording them allocates no list.
#[derive(Clone, Debug, Default)]
pub(crate) struct ReadSet {
    points: SmallVec<[(Key, Option<u64>); 2]>,
    prefixes: SmallVec<[(Key, u64); 2]>,
    pinned: Option<u64>,
    first_read_at: Option<u64>,
}

impl ReadSet {
    /// Records that `key` was read at `version` (unless it was read before) from a store at
    /// `snapshot`, sharing `stored` (the store's own copy of `key`, when the key is present)
    /// instead of copying the key.
    pub(crate) fn record_point(
        &mut self,
        key: &[u8],
        version: Option<u64>,
        stored: Option<&Key>,
        snapshot: u64,
    ) {
        assert!(
            stored.is_none_or(|stored| stored.as_ref() == key),
            "the stored copy is the key"
        );
        assert!(
            version.is_none_or(|version| version < snapshot),
            "a version read is older than the snapshot it was read at"
        );
        self.first_read_at.get_or_insert(snapshot);
        if !self.points.iter().any(|(seen, _)| seen.as_ref() == key) {
            let key = stored.map_or_else(|| Key::from(key), Rc::clone);
            self.points.push((key, version));
        }
    }

    /// Records that `prefix` was scanned in `store` as it is now (unless it was scanned
    /// before); the first scan pins the store's snapshot.
    pub(crate) fn record_prefix(&mut self, prefix: &[u8], store: &mut VersionedStore) {
        let scanned = self.prefixes.iter().any(|(p, _)| p.as_ref() == prefix);
        if scanned {
            return;
        }
        if self.pinned.is_none() {
            self.pinned = Some(store.pin());
        }
        let snapshot = store.snapshot();
        self.first_read_at.get_or_insert(snapshot);
        assert!(
            self.pinned.is_some_and(|pinned| pinned <= snapshot),
            "the pin covers every scan"
        );
        self.prefixes.push((prefix.into(), snapshot));
    }

    /// Releases the pin of the first scan, if any: call once the read set is no longer
    /// validated (commit, abort, drop).
    pub(crate) fn release(&mut self, store: &mut VersionedStore) {
        if let Some(pinned) = self.pinned.take() {
            store.unpin(pinned);
        }
    }

    /// The pinned snapshot, if any: what [`ReadSet::release`] would release.
    pub(crate) fn pinned(&self) -> Option<u64> {
        self.pinned
    }

    /// The smallest point key, else the smallest prefix, that `actor`'s keys in `store` no
    /// longer hold as it was read; `None` when the whole read set is unchanged.
    pub(crate) fn first_changed(&self, store: &VersionedStore, actor: &[u8]) -> Option<Key> {
        if self
            .first_read_at
            .is_none_or(|first| first == store.snapshot())
        {
            return None;
        }
        let point = self
            .points
            .iter()
            .filter(|(key, seen)| store.version(actor, key) != *seen)
            .map(|(key, _)| key)
            .min();
        let changed = point.or_else(|| {
            self.prefixes
                .iter()
                .filter(|(prefix, since)| store.prefix_changed_since(actor, prefix, *since))
                .map(|(prefix, _)| prefix)
                .min()
        });
        changed.cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(key: &[u8], value: &[u8]) -> Write {
        (key.into(), Some(value.into()))
    }

    fn actor() -> Rc<[u8]> {
        Rc::from(&b"ns:a"[..])
    }

    #[test]
    fn scans_are_ordered_bounded_by_prefix_and_reversible() {
        let mut store = VersionedStore::default();
        let a = actor();
        store.apply(
            &a,
            &[put(b"a/2", b"x"), put(b"b/1", b"y"), put(b"a/1", b"z")],
        );
        store.apply(&a, &[put(b"a", b"w"), put(b"a0", b"v"), put(b"a/3", b"u")]);
        let keys = |scan: RangeScan| -> Vec<Vec<u8>> {
            store.range(&a, scan).map(|(k, _)| k.to_vec()).collect()
        };
        assert_eq!(
            keys(RangeScan::prefix(b"a/", 9)),
            [b"a/1".to_vec(), b"a/2".to_vec(), b"a/3".to_vec()]
        );
        assert_eq!(
            keys(RangeScan::last(b"a/", 9)),
            [b"a/3".to_vec(), b"a/2".to_vec(), b"a/1".to_vec()]
        );
        let from = RangeScan {
            prefix: b"a/",
            from: b"a/2",
            limit: 9,
            reverse: false,
        };
        assert_eq!(keys(from), [b"a/2".to_vec(), b"a/3".to_vec()]);
        let backward_from = RangeScan {
            reverse: true,
            ..from
        };
        assert_eq!(keys(backward_from), [b"a/3".to_vec(), b"a/2".to_vec()]);
        let whole_family: Vec<Vec<u8>> = [&b"a0"[..], b"a/3", b"a/2", b"a/1", b"a"]
            .iter()
            .map(|k| k.to_vec())
            .collect();
        assert_eq!(keys(RangeScan::last(b"a", 9)), whole_family);
        assert_eq!(store.len(&a), 6);
        assert_eq!(store.scan(b"other", b"").count(), 0);
        assert_eq!(prefix_end(&[b'a', 0xff]), Some(vec![b'b']));
        assert_eq!(prefix_end(&[0xff]), None);
    }

    #[test]
    fn delete_and_recreate_gets_a_new_version() {
        let mut store = VersionedStore::default();
        let a = actor();
        store.apply(&a, &[put(b"k", b"1")]);
        let first = store.version(&a, b"k").unwrap();
        store.apply(&a, &[(Rc::from(&b"k"[..]), None)]);
        assert_eq!(store.version(&a, b"k"), None);
        store.apply(&a, &[put(b"k", b"1")]);
        assert!(store.version(&a, b"k").unwrap() > first);
    }

    #[test]
    fn read_set_sees_point_and_prefix_changes() {
        let mut store = VersionedStore::default();
        let a = actor();
        store.apply(&a, &[put(b"p/1", b"x")]);
        let mut reads = ReadSet::default();
        reads.record_point(b"q", store.version(&a, b"q"), None, store.snapshot());
        reads.record_prefix(b"p/", &mut store);
        assert_eq!(reads.first_changed(&store, &a), None);
        store.apply(&a, &[put(b"p0", b"outside"), put(b"other/1", b"y")]);
        assert_eq!(reads.first_changed(&store, &a), None, "writes outside p/");
        store.apply(&a, &[put(b"p/2", b"y")]);
        assert_eq!(reads.first_changed(&store, &a).as_deref(), Some(&b"p/"[..]));
        let mut replaced = ReadSet::default();
        replaced.record_prefix(b"p/", &mut store);
        store.apply(&a, &[(Rc::from(&b"p/1"[..]), None), put(b"p/3", b"w")]);
        assert!(
            replaced.first_changed(&store, &a).is_some(),
            "a delete and an insert"
        );
        let mut shrunk = ReadSet::default();
        shrunk.record_prefix(b"p/", &mut store);
        store.apply(&a, &[(Rc::from(&b"p/3"[..]), None)]);
        assert!(shrunk.first_changed(&store, &a).is_some(), "a delete alone");
        let mut transient = ReadSet::default();
        transient.record_prefix(b"p/", &mut store);
        store.apply(&a, &[put(b"p/9", b"t")]);
        store.apply(&a, &[(Rc::from(&b"p/9"[..]), None)]);
        assert_eq!(
            transient.first_changed(&store, &a),
            None,
            "a key created and deleted since the scan leaves what it saw"
        );
        store.apply(&a, &[put(b"q", b"z")]);
        assert_eq!(reads.first_changed(&store, &a).as_deref(), Some(&b"q"[..]));
        for read_set in [&mut reads, &mut replaced, &mut shrunk, &mut transient] {
            read_set.release(&mut store);
        }
        assert!(!store.log.is_pinned(), "every pin released");
    }

    #[test]
    fn a_reset_changes_every_non_empty_prefix_scanned_before_it() {
        let a = actor();
        let mut visible = VersionedStore::default();
        visible.apply(&a, &[put(b"p/1", b"x")]);
        let mut full = ReadSet::default();
        full.record_prefix(b"p/", &mut visible);
        let mut empty = ReadSet::default();
        empty.record_prefix(b"e/", &mut visible);
        let kept = vec![(Rc::from(&b"p/1"[..]), Rc::from(&b"x"[..]))];
        visible.reset_to_entries(vec![(Rc::clone(&a), kept)]);
        assert_eq!(
            full.first_changed(&visible, &a).as_deref(),
            Some(&b"p/"[..])
        );
        assert_eq!(empty.first_changed(&visible, &a), None);
        let mut emptied = ReadSet::default();
        emptied.record_prefix(b"p/", &mut visible);
        visible.reset_to_entries(Vec::new());
        assert!(
            emptied.first_changed(&visible, &a).is_some(),
            "every key gone"
        );
    }

    #[test]
    fn a_read_validates_while_nothing_is_written_and_not_across_a_reset() {
        let a = actor();
        let mut store = VersionedStore::default();
        store.apply(&a, &[put(b"k", b"1")]);
        let mut reads = ReadSet::default();
        let (version, snapshot) = (store.version(&a, b"k"), store.snapshot());
        reads.record_point(b"k", version, None, snapshot);
        assert_eq!(
            reads.first_changed(&store, &a),
            None,
            "nothing written since"
        );
        store.apply(&a, &[put(b"other", b"2")]);
        assert_eq!(reads.first_changed(&store, &a), None, "a write elsewhere");
        store.reset_to_entries(Vec::new());
        assert_eq!(
            reads.first_changed(&store, &a).as_deref(),
            Some(&b"k"[..]),
            "a reset that empties the store, with nothing pinned, still changes the read"
        );
    }

    /// What the read set judged before the write log: a prefix changed when its key count or
    /// newest version did.
    fn count_and_newest(store: &VersionedStore, actor: &[u8], prefix: &[u8]) -> (usize, u64) {
        store
            .scan(actor, prefix)
            .fold((0, 0), |(n, newest), (_, e)| (n + 1, newest.max(e.version)))
    }

    #[test]
    fn prefix_judgement_agrees_with_counting_every_key() {
        let a = actor();
        let keys: Vec<Key> = [&b"p/1"[..], b"p/2", b"p/3", b"pq", b"q/1"]
            .iter()
            .map(|k| Rc::from(*k))
            .collect();
        let prefixes: [&[u8]; 4] = [b"p/", b"p", b"q/", b"x/"];
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move |n: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % n
        };
        let mut store = VersionedStore::default();
        let mut open: Vec<(ReadSet, &[u8], (usize, u64))> = Vec::new();
        for _ in 0..4000 {
            match next(4) {
                0 => {
                    let prefix = prefixes[next(4) as usize];
                    let mut reads = ReadSet::default();
                    reads.record_prefix(prefix, &mut store);
                    open.push((reads, prefix, count_and_newest(&store, &a, prefix)));
                }
                1 if !open.is_empty() => {
                    let (mut reads, prefix, seen) =
                        open.swap_remove(next(open.len() as u64) as usize);
                    let changed = count_and_newest(&store, &a, prefix) != seen;
                    assert_eq!(reads.first_changed(&store, &a).is_some(), changed);
                    reads.release(&mut store);
                }
                3 if next(50) == 0 => {
                    let kept = vec![(Rc::from(&b"p/2"[..]), Rc::from(&b"d"[..]))];
                    store.reset_to_entries(vec![(Rc::clone(&a), kept)]);
                }
                _ => {
                    let key = Rc::clone(&keys[next(keys.len() as u64) as usize]);
                    let value = (next(3) > 0).then(|| Value::from(&b"v"[..]));
                    store.apply(&a, &[(key, value)]);
                }
            }
        }
        for (mut reads, _, _) in open {
            reads.release(&mut store);
        }
        assert!(!store.log.is_pinned(), "every pin released");
    }

    #[test]
    fn tracked_changes_name_every_written_key_once() {
        let mut store = VersionedStore::default();
        let a = actor();
        store.apply(&a, &[put(b"a", b"1")]);
        store.track_changes();
        store.apply(
            &a,
            &[
                put(b"b", b"1"),
                (Rc::from(&b"a"[..]), None),
                put(b"b", b"2"),
            ],
        );
        let mut changed: Vec<Vec<u8>> = store.take_changes(&a).iter().map(|k| k.to_vec()).collect();
        changed.sort();
        assert_eq!(changed, [b"a".to_vec(), b"b".to_vec()]);
        assert!(store.take_changes(&a).is_empty());
    }

    #[test]
    fn reset_keeps_values_and_renews_versions() {
        let a = actor();
        let mut visible = VersionedStore::default();
        visible.apply(&a, &[put(b"k", b"1"), put(b"j", b"2")]);
        let before = visible.version(&a, b"k").unwrap();
        let kept = vec![(Rc::from(&b"k"[..]), Rc::from(&b"1"[..]))];
        visible.reset_to_entries(vec![(Rc::clone(&a), kept)]);
        assert_eq!(
            visible.get(&a, b"k").map(|e| e.value.as_ref()),
            Some(&b"1"[..])
        );
        assert!(visible.get(&a, b"j").is_none());
        assert!(visible.version(&a, b"k").unwrap() > before);
    }
}
