//! `VersionedStore`: the ordered, versioned map at the core of both KV implementations, and
//! the read set an optimistic transaction validates against it.
//!
//! Every write stamps its key with a fresh version from one monotonic counter per store, so a
//! version is never reused: a delete followed by a re-create is seen as a change. Keys here
//! are full keys (`<actor key bytes>/<relative key>`); iteration is in ascending byte order.

use std::collections::{BTreeMap, BTreeSet};

use xxhash_rust::xxh3::Xxh3;

use super::ActorId;

/// The prefix of every key of `actor` inside a store: its key bytes followed by `/`.
pub(crate) fn actor_prefix(actor: &ActorId) -> Vec<u8> {
    let mut prefix = actor.key_bytes();
    assert!(!prefix.is_empty(), "actor key bytes are never empty");
    prefix.push(b'/');
    prefix
}

/// `prefix` followed by `key`: the full key of an actor-relative key.
pub(crate) fn join_key(prefix: &[u8], key: &[u8]) -> Vec<u8> {
    let mut full = Vec::with_capacity(prefix.len() + key.len());
    full.extend_from_slice(prefix);
    full.extend_from_slice(key);
    full
}

/// One write of a batch: a value to store, or `None` to delete the key.
pub(crate) type Write = (Vec<u8>, Option<Vec<u8>>);

/// An ordered map from full keys to (value, version). Versions strictly increase with every
/// write of this store and are never reused.
#[derive(Clone, Debug, Default)]
pub(crate) struct VersionedStore {
    entries: BTreeMap<Vec<u8>, (Vec<u8>, u64)>,
    next_version: u64,
    /// Keys written since the last [`VersionedStore::take_changes`], when tracking is on.
    changes: Option<BTreeSet<Vec<u8>>>,
}

impl VersionedStore {
    /// The value and version under `key`, or `None` when absent.
    pub(crate) fn get(&self, key: &[u8]) -> Option<(&[u8], u64)> {
        self.entries
            .get(key)
            .map(|(value, version)| (value.as_slice(), *version))
    }

    /// The version under `key`, or `None` when absent.
    pub(crate) fn version(&self, key: &[u8]) -> Option<u64> {
        self.entries.get(key).map(|(_, version)| *version)
    }

    /// Every (key, value, version) whose key starts with `prefix`, ascending by key.
    pub(crate) fn scan<'a>(
        &'a self,
        prefix: &'a [u8],
    ) -> impl Iterator<Item = (&'a [u8], &'a [u8], u64)> + 'a {
        self.entries
            .range::<[u8], _>((
                std::ops::Bound::Included(prefix),
                std::ops::Bound::Unbounded,
            ))
            .take_while(move |(key, _)| key.starts_with(prefix))
            .map(|(key, (value, version))| (key.as_slice(), value.as_slice(), *version))
    }

    /// A fingerprint of the (key, version) pairs under `prefix`: equal fingerprints mean (up to
    /// a 64-bit hash collision) that no key under the prefix was inserted, changed or deleted.
    pub(crate) fn prefix_fingerprint(&self, prefix: &[u8]) -> u64 {
        let mut hasher = Xxh3::new();
        for (key, _, version) in self.scan(prefix) {
            hasher.update(&(key.len() as u64).to_le_bytes());
            hasher.update(key);
            hasher.update(&version.to_le_bytes());
        }
        hasher.digest()
    }

    /// From now on, remembers every key written until [`VersionedStore::take_changes`].
    pub(crate) fn track_changes(&mut self) {
        self.changes.get_or_insert_with(BTreeSet::new);
    }

    /// The keys written (set or deleted) since the last call, ascending; empty when tracking
    /// is off.
    pub(crate) fn take_changes(&mut self) -> Vec<Vec<u8>> {
        match &mut self.changes {
            Some(changes) => std::mem::take(changes).into_iter().collect(),
            None => Vec::new(),
        }
    }

    /// Applies `writes` in order, each with a fresh version.
    pub(crate) fn apply(&mut self, writes: &[Write]) {
        for (key, value) in writes {
            if let Some(changes) = &mut self.changes {
                changes.insert(key.clone());
            }
            match value {
                Some(value) => {
                    let version = self.bump_version();
                    self.entries.insert(key.clone(), (value.clone(), version));
                }
                None => {
                    self.bump_version();
                    self.entries.remove(key);
                }
            }
            assert_eq!(self.entries.get(key).map(|(v, _)| v), value.as_ref());
        }
    }

    /// Replaces every entry with those of `other`, each with a fresh version of this store (so
    /// nothing read before the replacement validates after it).
    pub(crate) fn reset_to(&mut self, other: &VersionedStore) {
        let floor = self.next_version;
        self.entries.clear();
        for (key, (value, _)) in &other.entries {
            let version = self.bump_version();
            self.entries.insert(key.clone(), (value.clone(), version));
        }
        assert_eq!(self.entries.len(), other.entries.len());
        assert!(self.next_version >= floor, "versions never go back");
    }

    fn bump_version(&mut self) -> u64 {
        let version = self.next_version;
        self.next_version = version.checked_add(1).expect("version counter overflow");
        version
    }
}

/// What an optimistic transaction read: point reads (full key -> version seen, `None` when
/// absent) and prefix scans (full prefix -> fingerprint seen). The first observation of a key
/// or prefix is the one kept.
#[derive(Clone, Debug, Default)]
pub(crate) struct ReadSet {
    points: BTreeMap<Vec<u8>, Option<u64>>,
    prefixes: BTreeMap<Vec<u8>, u64>,
}

impl ReadSet {
    /// Records that `key` was read at `version` (unless it was read before).
    pub(crate) fn record_point(&mut self, key: &[u8], version: Option<u64>) {
        self.points.entry(key.to_vec()).or_insert(version);
    }

    /// Records that `prefix` was scanned with `fingerprint` (unless it was scanned before).
    pub(crate) fn record_prefix(&mut self, prefix: &[u8], fingerprint: u64) {
        self.prefixes.entry(prefix.to_vec()).or_insert(fingerprint);
    }

    /// The first key (point reads ascending, then prefixes ascending) that `store` no longer
    /// holds as it was read, or `None` when the whole read set is unchanged.
    pub(crate) fn first_changed(&self, store: &VersionedStore) -> Option<Vec<u8>> {
        let point = self
            .points
            .iter()
            .find(|(key, seen)| store.version(key) != **seen)
            .map(|(key, _)| key.clone());
        point.or_else(|| {
            self.prefixes
                .iter()
                .find(|(prefix, seen)| store.prefix_fingerprint(prefix) != **seen)
                .map(|(prefix, _)| prefix.clone())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(key: &[u8], value: &[u8]) -> Write {
        (key.to_vec(), Some(value.to_vec()))
    }

    #[test]
    fn scan_is_ordered_and_bounded_by_prefix() {
        let mut store = VersionedStore::default();
        store.apply(&[put(b"a/2", b"x"), put(b"b/1", b"y"), put(b"a/1", b"z")]);
        store.apply(&[put(b"a", b"w"), put(b"a0", b"v")]);
        let keys: Vec<&[u8]> = store.scan(b"a/").map(|(k, _, _)| k).collect();
        assert_eq!(keys, vec![b"a/1".as_slice(), b"a/2".as_slice()]);
    }

    #[test]
    fn delete_and_recreate_gets_a_new_version() {
        let mut store = VersionedStore::default();
        store.apply(&[put(b"k", b"1")]);
        let first = store.version(b"k").unwrap();
        store.apply(&[(b"k".to_vec(), None)]);
        assert_eq!(store.version(b"k"), None);
        store.apply(&[put(b"k", b"1")]);
        assert!(store.version(b"k").unwrap() > first);
    }

    #[test]
    fn read_set_sees_point_and_prefix_changes() {
        let mut store = VersionedStore::default();
        store.apply(&[put(b"p/1", b"x")]);
        let mut reads = ReadSet::default();
        reads.record_point(b"q", store.version(b"q"));
        reads.record_prefix(b"p/", store.prefix_fingerprint(b"p/"));
        assert_eq!(reads.first_changed(&store), None);
        store.apply(&[put(b"p/2", b"y")]);
        assert_eq!(reads.first_changed(&store), Some(b"p/".to_vec()));
        store.apply(&[put(b"q", b"z")]);
        assert_eq!(reads.first_changed(&store), Some(b"q".to_vec()));
    }

    #[test]
    fn tracked_changes_name_every_written_key_once() {
        let mut store = VersionedStore::default();
        store.apply(&[put(b"a", b"1")]);
        store.track_changes();
        store.apply(&[put(b"b", b"1"), (b"a".to_vec(), None), put(b"b", b"2")]);
        assert_eq!(store.take_changes(), vec![b"a".to_vec(), b"b".to_vec()]);
        assert!(store.take_changes().is_empty());
    }

    #[test]
    fn reset_keeps_values_and_renews_versions() {
        let mut visible = VersionedStore::default();
        visible.apply(&[put(b"k", b"1"), put(b"j", b"2")]);
        let before = visible.version(b"k").unwrap();
        let mut durable = VersionedStore::default();
        durable.apply(&[put(b"k", b"1")]);
        visible.reset_to(&durable);
        assert_eq!(visible.get(b"k").map(|(v, _)| v), Some(b"1".as_slice()));
        assert_eq!(visible.get(b"j"), None);
        assert!(visible.version(b"k").unwrap() > before);
    }
}
