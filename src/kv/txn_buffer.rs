//! `TxnBuffer`: the state of one optimistic transaction, shared by `MemoryKV` and
//! `SimStorage`: its read set and its buffered writes, merged over a store for reads
//! (read-your-writes, ascending order).

use std::collections::BTreeMap;

use super::store::{actor_prefix, join_key, ReadSet, VersionedStore, Write};
use super::ActorId;
use crate::agent::{display_key, StorageError};

/// The read set and buffered writes of a transaction on one actor. Keys handed in and out are
/// actor-relative; internally every key is full (`<actor key bytes>/<key>`).
#[derive(Debug)]
pub(crate) struct TxnBuffer {
    prefix: Vec<u8>,
    reads: ReadSet,
    writes: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
}

impl TxnBuffer {
    /// An empty transaction on `actor`'s keys.
    pub(crate) fn new(actor: &ActorId) -> Self {
        TxnBuffer {
            prefix: actor_prefix(actor),
            reads: ReadSet::default(),
            writes: BTreeMap::new(),
        }
    }

    /// The full-key prefix of this transaction's actor.
    pub(crate) fn actor_prefix(&self) -> &[u8] {
        &self.prefix
    }

    /// The buffered write of `key`: `Some(Some(value))`, `Some(None)` for a buffered delete,
    /// `None` when the transaction has not written `key`.
    pub(crate) fn buffered(&self, key: &[u8]) -> Option<Option<Vec<u8>>> {
        self.writes.get(&join_key(&self.prefix, key)).cloned()
    }

    /// The value under `key` in `store`, ignoring buffered writes; records the version read.
    pub(crate) fn read_store(&mut self, store: &VersionedStore, key: &[u8]) -> Option<Vec<u8>> {
        let full = join_key(&self.prefix, key);
        let found = store.get(&full);
        self.reads
            .record_point(&full, found.map(|(_, version)| version));
        found.map(|(value, _)| value.to_vec())
    }

    /// The value under `key` as the transaction sees it: its own buffered write first, else
    /// the store's (recording the version read).
    pub(crate) fn get(&mut self, store: &VersionedStore, key: &[u8]) -> Option<Vec<u8>> {
        match self.buffered(key) {
            Some(value) => value,
            None => self.read_store(store, key),
        }
    }

    /// Every (key, value) under `prefix` as the transaction sees it, ascending by key: the
    /// buffered writes merged over the store. The store's view of the prefix joins the read set.
    pub(crate) fn scan(
        &mut self,
        store: &VersionedStore,
        prefix: &[u8],
    ) -> Vec<(Vec<u8>, Vec<u8>)> {
        let full_prefix = join_key(&self.prefix, prefix);
        self.reads
            .record_prefix(&full_prefix, store.prefix_fingerprint(&full_prefix));
        let mut merged: BTreeMap<Vec<u8>, Vec<u8>> = store
            .scan(&full_prefix)
            .map(|(key, value, _)| (key.to_vec(), value.to_vec()))
            .collect();
        let buffered = self
            .writes
            .range(full_prefix.clone()..)
            .take_while(|(key, _)| key.starts_with(&full_prefix));
        for (key, value) in buffered {
            match value {
                Some(value) => merged.insert(key.clone(), value.clone()),
                None => merged.remove(key),
            };
        }
        let cut = self.prefix.len();
        let entries: Vec<(Vec<u8>, Vec<u8>)> = merged
            .into_iter()
            .map(|(key, value)| (key[cut..].to_vec(), value))
            .collect();
        assert!(entries.windows(2).all(|pair| pair[0].0 < pair[1].0));
        entries
    }

    /// Buffers a write of `value` under `key`, replacing any earlier buffered write of it.
    pub(crate) fn set(&mut self, key: &[u8], value: &[u8]) {
        self.writes
            .insert(join_key(&self.prefix, key), Some(value.to_vec()));
    }

    /// Buffers a delete of `key`, replacing any earlier buffered write of it.
    pub(crate) fn delete(&mut self, key: &[u8]) {
        self.writes.insert(join_key(&self.prefix, key), None);
    }

    /// `Ok` when nothing the transaction read has changed in `store`; otherwise the conflict
    /// error naming the first changed (actor-relative) key or prefix.
    pub(crate) fn validate(&self, store: &VersionedStore) -> Result<(), StorageError> {
        match self.reads.first_changed(store) {
            None => Ok(()),
            Some(full) => {
                assert!(
                    full.starts_with(&self.prefix),
                    "read set stays in its actor"
                );
                Err(StorageError::TransactionConflict {
                    operation: "commit".to_string(),
                    key: display_key(&full[self.prefix.len()..]),
                })
            }
        }
    }

    /// The (actor-relative) key of the first buffered write, ascending; empty when none.
    pub(crate) fn first_written_key(&self) -> Vec<u8> {
        let first = self.writes.keys().next();
        first
            .map(|k| k[self.prefix.len()..].to_vec())
            .unwrap_or_default()
    }

    /// The buffered writes as a batch of full keys, ascending.
    pub(crate) fn into_writes(self) -> Vec<Write> {
        self.writes.into_iter().collect()
    }
}
