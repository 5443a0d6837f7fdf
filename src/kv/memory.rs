//! `MemoryKV`: the plain in-memory `ActorKV`, without faults, crashes or planted bugs.
//!
//! Same semantics as `SimStorage` on a fault-free run: ordered listing, per-key versions for
//! optimistic transactions, commits that apply all writes at once or none. For unit tests.

use std::cell::RefCell;
use std::rc::Rc;

use super::store::VersionedStore;
use super::txn_buffer::TxnBuffer;
use super::KvError;
use super::{ActorId, ActorKV, ActorTransaction, Key, RangeScan, Value};

/// A fault-free in-memory store. Cheap to clone: clones share one map.
#[derive(Clone, Debug, Default)]
pub struct MemoryKV {
    store: Rc<RefCell<VersionedStore>>,
}

impl MemoryKV {
    /// An empty store.
    pub fn new() -> Self {
        MemoryKV::default()
    }

    fn write(&self, actor: &ActorId, key: &[u8], value: Option<Value>) {
        let mut store = self.store.borrow_mut();
        store.apply(actor.key_bytes(), &[(key.into(), value.clone())]);
        let stored = store.get(actor.key_bytes(), key).map(|e| &e.value);
        assert_eq!(stored, value.as_ref(), "a write is read back");
    }
}

impl ActorKV for MemoryKV {
    type Transaction = MemoryTransaction;

    async fn get(&self, actor: &ActorId, key: &[u8]) -> Result<Option<Value>, KvError> {
        let store = self.store.borrow();
        Ok(store
            .get(actor.key_bytes(), key)
            .map(|e| Rc::clone(&e.value)))
    }

    async fn set(&self, actor: &ActorId, key: &[u8], value: Value) -> Result<(), KvError> {
        self.write(actor, key, Some(value));
        Ok(())
    }

    async fn delete(&self, actor: &ActorId, key: &[u8]) -> Result<(), KvError> {
        self.write(actor, key, None);
        Ok(())
    }

    async fn exists(&self, actor: &ActorId, key: &[u8]) -> Result<bool, KvError> {
        Ok(self
            .store
            .borrow()
            .version(actor.key_bytes(), key)
            .is_some())
    }

    async fn list_keys(&self, actor: &ActorId, prefix: &[u8]) -> Result<Vec<Key>, KvError> {
        let entries = self.scan_prefix(actor, prefix).await?;
        Ok(entries.into_iter().map(|(key, _)| key).collect())
    }

    async fn scan_prefix(
        &self,
        actor: &ActorId,
        prefix: &[u8],
    ) -> Result<Vec<(Key, Value)>, KvError> {
        self.scan_range(actor, RangeScan::prefix(prefix, usize::MAX))
            .await
    }

    async fn scan_range(
        &self,
        actor: &ActorId,
        scan: RangeScan<'_>,
    ) -> Result<Vec<(Key, Value)>, KvError> {
        let store = self.store.borrow();
        let entries = store
            .range(actor.key_bytes(), scan)
            .take(scan.limit)
            .map(|(key, entry)| (Rc::clone(key), Rc::clone(&entry.value)))
            .collect();
        Ok(entries)
    }

    async fn begin_transaction(&self, actor: &ActorId) -> Result<MemoryTransaction, KvError> {
        Ok(MemoryTransaction {
            store: Rc::clone(&self.store),
            buffer: TxnBuffer::new(actor),
        })
    }
}

/// An optimistic transaction on a [`MemoryKV`]: reads record versions, writes are buffered,
/// `commit` validates the read set and applies every write at once, or fails with
/// `TransactionConflict` naming the first changed key and writes nothing. Dropping it aborts.
#[derive(Debug)]
pub struct MemoryTransaction {
    store: Rc<RefCell<VersionedStore>>,
    buffer: TxnBuffer,
}

impl ActorTransaction for MemoryTransaction {
    async fn get(&mut self, key: &[u8]) -> Result<Option<Value>, KvError> {
        Ok(self.buffer.get(&self.store.borrow(), key))
    }

    async fn set(&mut self, key: &[u8], value: Value) -> Result<(), KvError> {
        self.buffer.set(key, value);
        Ok(())
    }

    async fn delete(&mut self, key: &[u8]) -> Result<(), KvError> {
        self.buffer.delete(key);
        Ok(())
    }

    async fn list_keys(&mut self, prefix: &[u8]) -> Result<Vec<Key>, KvError> {
        let entries = self.scan_prefix(prefix).await?;
        Ok(entries.into_iter().map(|(key, _)| key).collect())
    }

    async fn scan_prefix(&mut self, prefix: &[u8]) -> Result<Vec<(Key, Value)>, KvError> {
        self.scan_range(RangeScan::prefix(prefix, usize::MAX)).await
    }

    async fn scan_range(&mut self, scan: RangeScan<'_>) -> Result<Vec<(Key, Value)>, KvError> {
        Ok(self.buffer.scan(&self.store.borrow(), scan))
    }

    async fn commit(self) -> Result<(), KvError> {
        let mut store = self.store.borrow_mut();
        self.buffer.validate(&store)?;
        let actor = Rc::clone(self.buffer.actor());
        let writes = self.buffer.into_writes();
        store.apply(&actor, &writes);
        assert!(writes
            .iter()
            .all(|(key, value)| store.get(&actor, key).map(|e| &e.value) == value.as_ref()));
        Ok(())
    }

    async fn abort(self) -> Result<(), KvError> {
        Ok(())
    }
}
