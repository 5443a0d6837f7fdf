//! `MemoryKV`: the plain in-memory `ActorKV`, without faults, crashes or planted bugs.
//!
//! Same semantics as `SimStorage` on a fault-free run: ordered listing, per-key versions for
//! optimistic transactions, commits that apply all writes at once or none. For unit tests.

use std::cell::RefCell;
use std::rc::Rc;

use super::store::{actor_prefix, join_key, VersionedStore};
use super::txn_buffer::TxnBuffer;
use super::{ActorId, ActorKV, ActorTransaction};
use crate::agent::StorageError;

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

    fn write(&self, actor: &ActorId, key: &[u8], value: Option<&[u8]>) {
        let full = join_key(&actor_prefix(actor), key);
        let mut store = self.store.borrow_mut();
        store.apply(&[(full.clone(), value.map(<[u8]>::to_vec))]);
        assert_eq!(store.get(&full).map(|(v, _)| v), value);
    }
}

impl ActorKV for MemoryKV {
    type Transaction = MemoryTransaction;

    async fn get(&self, actor: &ActorId, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        let full = join_key(&actor_prefix(actor), key);
        Ok(self.store.borrow().get(&full).map(|(v, _)| v.to_vec()))
    }

    async fn set(&self, actor: &ActorId, key: &[u8], value: &[u8]) -> Result<(), StorageError> {
        self.write(actor, key, Some(value));
        Ok(())
    }

    async fn delete(&self, actor: &ActorId, key: &[u8]) -> Result<(), StorageError> {
        self.write(actor, key, None);
        Ok(())
    }

    async fn exists(&self, actor: &ActorId, key: &[u8]) -> Result<bool, StorageError> {
        let full = join_key(&actor_prefix(actor), key);
        Ok(self.store.borrow().version(&full).is_some())
    }

    async fn list_keys(
        &self,
        actor: &ActorId,
        prefix: &[u8],
    ) -> Result<Vec<Vec<u8>>, StorageError> {
        let entries = self.scan_prefix(actor, prefix).await?;
        Ok(entries.into_iter().map(|(key, _)| key).collect())
    }

    async fn scan_prefix(
        &self,
        actor: &ActorId,
        prefix: &[u8],
    ) -> Result<Vec<(Vec<u8>, Vec<u8>)>, StorageError> {
        let actor_prefix = actor_prefix(actor);
        let full_prefix = join_key(&actor_prefix, prefix);
        let store = self.store.borrow();
        let entries = store
            .scan(&full_prefix)
            .map(|(key, value, _)| (key[actor_prefix.len()..].to_vec(), value.to_vec()))
            .collect();
        Ok(entries)
    }

    async fn begin_transaction(&self, actor: &ActorId) -> Result<MemoryTransaction, StorageError> {
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
    async fn get(&mut self, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        Ok(self.buffer.get(&self.store.borrow(), key))
    }

    async fn set(&mut self, key: &[u8], value: &[u8]) -> Result<(), StorageError> {
        self.buffer.set(key, value);
        Ok(())
    }

    async fn delete(&mut self, key: &[u8]) -> Result<(), StorageError> {
        self.buffer.delete(key);
        Ok(())
    }

    async fn list_keys(&mut self, prefix: &[u8]) -> Result<Vec<Vec<u8>>, StorageError> {
        let entries = self.buffer.scan(&self.store.borrow(), prefix);
        Ok(entries.into_iter().map(|(key, _)| key).collect())
    }

    async fn scan_prefix(
        &mut self,
        prefix: &[u8],
    ) -> Result<Vec<(Vec<u8>, Vec<u8>)>, StorageError> {
        Ok(self.buffer.scan(&self.store.borrow(), prefix))
    }

    async fn commit(self) -> Result<(), StorageError> {
        let mut store = self.store.borrow_mut();
        self.buffer.validate(&store)?;
        let writes = self.buffer.into_writes();
        store.apply(&writes);
        assert!(writes
            .iter()
            .all(|(key, value)| store.get(key).map(|(v, _)| v) == value.as_deref()));
        Ok(())
    }

    async fn abort(self) -> Result<(), StorageError> {
        Ok(())
    }
}
