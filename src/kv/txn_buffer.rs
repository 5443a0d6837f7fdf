//! `TxnBuffer`: the state of one optimistic transaction, shared by `MemoryKV` and
//! `SimStorage`: its read set and its buffered writes, merged over a store for reads
//! (read-your-writes, ascending order).

use std::collections::BTreeMap;
use std::rc::Rc;

use super::buffered_writes::BufferedWrites;
use super::store::{ReadSet, VersionedStore, Write};
use super::KvError;
use super::{ActorId, Key, RangeScan, Value};

/// The read set and buffered writes of a transaction on one actor. Keys are actor-relative.
#[derive(Debug)]
pub(crate) struct TxnBuffer {
    actor: Rc<[u8]>,
    reads: ReadSet,
    writes: BufferedWrites,
}

impl TxnBuffer {
    /// An empty transaction on `actor`'s keys.
    pub(crate) fn new(actor: &ActorId) -> Self {
        TxnBuffer {
            actor: Rc::clone(actor.key_bytes()),
            reads: ReadSet::default(),
            writes: BufferedWrites::default(),
        }
    }

    /// The key bytes of this transaction's actor.
    pub(crate) fn actor(&self) -> &Rc<[u8]> {
        &self.actor
    }

    /// The buffered write of `key`: `Some(Some(value))`, `Some(None)` for a buffered delete,
    /// `None` when the transaction has not written `key`.
    pub(crate) fn buffered(&self, key: &[u8]) -> Option<Option<Value>> {
        self.writes.get(key)
    }

    /// The value under `key` in `store`, ignoring buffered writes; records the version read.
    pub(crate) fn read_store(&mut self, store: &VersionedStore, key: &[u8]) -> Option<Value> {
        let found = store.get_key_value(&self.actor, key);
        let version = found.map(|(_, entry)| entry.version);
        self.reads.record_point(
            key,
            version,
            found.map(|(stored, _)| stored),
            store.snapshot(),
        );
        found.map(|(_, entry)| Rc::clone(&entry.value))
    }

    /// The value under `key` as the transaction sees it: its own buffered write first, else
    /// the store's (recording the version read).
    pub(crate) fn get(&mut self, store: &VersionedStore, key: &[u8]) -> Option<Value> {
        match self.buffered(key) {
            Some(value) => value,
            None => self.read_store(store, key),
        }
    }

    /// The entries of `scan` as the transaction sees it, in the scan's order: the buffered
    /// writes merged over the store. The store's view of the scanned prefix joins the read set.
    pub(crate) fn scan(
        &mut self,
        store: &mut VersionedStore,
        scan: RangeScan<'_>,
    ) -> Vec<(Key, Value)> {
        self.reads.record_prefix(scan.prefix, store);
        let (actor, store) = (&self.actor, &*store);
        if self.writes.under(scan.prefix).next().is_none() {
            let entries: Vec<(Key, Value)> = store
                .range(actor, scan)
                .take(scan.limit)
                .map(|(key, entry)| (Rc::clone(key), Rc::clone(&entry.value)))
                .collect();
            return entries;
        }
        let mut merged: BTreeMap<Key, Value> = store
            .range(actor, RangeScan::prefix(scan.prefix, usize::MAX))
            .map(|(key, entry)| (Rc::clone(key), Rc::clone(&entry.value)))
            .collect();
        self.writes.overlay(scan.prefix, &mut merged);
        let entries: Vec<(Key, Value)> = merged.into_iter().collect();
        assert!(entries.windows(2).all(|pair| pair[0].0 < pair[1].0));
        scan.select(entries)
    }

    /// Buffers a write of `value` under `key`, replacing any earlier buffered write of it.
    pub(crate) fn set(&mut self, key: &Key, value: Value) {
        self.writes.put(key, Some(value));
    }

    /// Buffers a delete of `key`, replacing any earlier buffered write of it.
    pub(crate) fn delete(&mut self, key: &Key) {
        self.writes.put(key, None);
    }

    /// `Ok` when nothing the transaction read has changed in `store`; otherwise the conflict
    /// error naming the first changed key or prefix.
    pub(crate) fn validate(&self, store: &VersionedStore) -> Result<(), KvError> {
        match self.reads.first_changed(store, &self.actor) {
            None => Ok(()),
            Some(key) => Err(KvError::Conflict { key: key.to_vec() }),
        }
    }

    /// The key of the first buffered write, ascending (shared, not copied); `None` when none.
    pub(crate) fn first_written_key(&self) -> Option<Key> {
        self.writes.first_key().map(Rc::clone)
    }

    /// The buffered writes as a batch, ascending by key; none are left buffered.
    pub(crate) fn take_writes(&mut self) -> Vec<Write> {
        let writes = self.writes.take();
        assert!(self.writes.first_key().is_none(), "every write is taken");
        writes
    }

    /// Whether the read set pins a snapshot of the store, to be released with
    /// [`TxnBuffer::release`].
    pub(crate) fn holds_pin(&self) -> bool {
        self.reads.pinned().is_some()
    }

    /// Releases the read set's pin on `store` (see [`ReadSet::release`]): the transaction is
    /// over.
    pub(crate) fn release(&mut self, store: &mut VersionedStore) {
        self.reads.release(store);
        assert!(!self.holds_pin(), "the pin is released");
    }
}
