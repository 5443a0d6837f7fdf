//! `MemoryKV`: the plain in-memory `ActorKV`, without faults, crashes or planted bugs.
//!
//! Same semantics as `SimStorage` on a fault-free run: ordered listing, per-key versions for
//! optimistic transactions, commits that apply all writes at once or none. For unit tests, and
//! for runs of fault-free scenarios on a second store. Range reads use the trait's default
//! (a prefix scan, then the range selected).

use std::cell::RefCell;
use std::rc::Rc;

use super::store::VersionedStore;
use super::txn_buffer::TxnBuffer;
use super::KvError;
use super::{ActorId, ActorKV, ActorTransaction, Key, KvEvent, KvObserver, RangeScan, Value};

/// A fault-free in-memory store. Cheap to clone: clones share one map (and observer).
#[derive(Clone, Default)]
pub struct MemoryKV {
    store: Rc<RefCell<VersionedStore>>,
    observer: Rc<RefCell<Option<KvObserver>>>,
}

impl MemoryKV {
    /// An empty store.
    pub fn new() -> Self {
        MemoryKV::default()
    }

    /// An empty store that remembers which keys were written, for [`MemoryKV::take_changes`].
    pub fn tracked() -> Self {
        let kv = MemoryKV::default();
        kv.store.borrow_mut().track_changes();
        kv
    }

    /// Reports every commit refused for a conflict to `observer` (replacing any earlier one).
    pub fn set_observer(&self, observer: KvObserver) {
        *self.observer.borrow_mut() = Some(observer);
    }

    /// The entries of `actor` written since the last call (a store made with
    /// [`MemoryKV::tracked`]), each once with its value now (`None`: deleted), in the order of
    /// their first write since then (not ascending).
    pub fn take_changes(&self, actor: &ActorId) -> Vec<(Key, Option<Value>)> {
        let mut store = self.store.borrow_mut();
        let keys = store.take_changes(actor.key_bytes());
        keys.into_iter()
            .map(|key| {
                let value = store
                    .get(actor.key_bytes(), &key)
                    .map(|e| Rc::clone(&e.value));
                (key, value)
            })
            .collect()
    }

    /// Every entry of `actor`, ascending by key.
    pub fn entries(&self, actor: &ActorId) -> Vec<(Key, Value)> {
        let store = self.store.borrow();
        let entries = store.scan(actor.key_bytes(), b"");
        entries
            .map(|(k, e)| (Rc::clone(k), Rc::clone(&e.value)))
            .collect()
    }

    fn write(&self, actor: &ActorId, key: &Key, value: Option<Value>) {
        let mut store = self.store.borrow_mut();
        store.apply(actor.key_bytes(), &[(Rc::clone(key), value.clone())]);
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

    async fn set(&self, actor: &ActorId, key: &Key, value: Value) -> Result<(), KvError> {
        self.write(actor, key, Some(value));
        Ok(())
    }

    async fn delete(&self, actor: &ActorId, key: &Key) -> Result<(), KvError> {
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
        let store = self.store.borrow();
        let entries = store
            .scan(actor.key_bytes(), prefix)
            .map(|(key, entry)| (Rc::clone(key), Rc::clone(&entry.value)))
            .collect();
        Ok(entries)
    }

    async fn begin_transaction(&self, actor: &ActorId) -> Result<MemoryTransaction, KvError> {
        Ok(MemoryTransaction {
            store: Rc::clone(&self.store),
            observer: Rc::clone(&self.observer),
            buffer: TxnBuffer::new(actor),
        })
    }
}

/// An optimistic transaction on a [`MemoryKV`]: reads record versions, writes are buffered,
/// `commit` validates the read set and applies every write at once, or fails with
/// `TransactionConflict` naming the first changed key and writes nothing. Dropping it aborts.
pub struct MemoryTransaction {
    store: Rc<RefCell<VersionedStore>>,
    observer: Rc<RefCell<Option<KvObserver>>>,
    buffer: TxnBuffer,
}

/// A transaction that ends without committing releases its snapshot (see
/// `SimTransaction`'s drop).
impl Drop for MemoryTransaction {
    fn drop(&mut self) {
        if self.buffer.holds_pin() {
            if let Ok(mut store) = self.store.try_borrow_mut() {
                self.buffer.release(&mut store);
            }
        }
    }
}

impl ActorTransaction for MemoryTransaction {
    async fn get(&mut self, key: &[u8]) -> Result<Option<Value>, KvError> {
        Ok(self.buffer.get(&self.store.borrow(), key))
    }

    async fn set(&mut self, key: &Key, value: Value) -> Result<(), KvError> {
        self.buffer.set(key, value);
        Ok(())
    }

    async fn delete(&mut self, key: &Key) -> Result<(), KvError> {
        self.buffer.delete(key);
        Ok(())
    }

    async fn list_keys(&mut self, prefix: &[u8]) -> Result<Vec<Key>, KvError> {
        let entries = self.scan_prefix(prefix).await?;
        Ok(entries.into_iter().map(|(key, _)| key).collect())
    }

    async fn scan_prefix(&mut self, prefix: &[u8]) -> Result<Vec<(Key, Value)>, KvError> {
        let scan = RangeScan::prefix(prefix, usize::MAX);
        Ok(self.buffer.scan(&mut self.store.borrow_mut(), scan))
    }

    async fn commit(mut self) -> Result<(), KvError> {
        let mut store = self.store.borrow_mut();
        let validated = self.buffer.validate(&store);
        self.buffer.release(&mut store);
        if let Err(conflict) = validated {
            drop(store);
            let observer = self.observer.borrow().clone();
            if let Some(observer) = observer {
                let key = self.buffer.first_written_key().map(|key| key.to_vec());
                observer(&KvEvent::Conflict {
                    key: key.unwrap_or_default(),
                });
            }
            return Err(conflict);
        }
        let actor = Rc::clone(self.buffer.actor());
        let writes = self.buffer.take_writes();
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
