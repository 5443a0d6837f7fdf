//! `SimTransaction`: the optimistic transaction of `SimStorage`.
//!
//! Faultable steps: `get` of a key the transaction has not written (`txn_get`), `list_keys`
//! and `scan_prefix` (`txn_scan`), and `commit` (every write fault, plus
//! crash_during_transaction). `set` and `delete` only buffer. Planted bugs: `OccDisabled`
//! (commit skips validation), `StaleReadYourWrites` (`get` ignores buffered writes).

use std::rc::Rc;

use super::txn_buffer::TxnBuffer;
use super::KvError;
use super::{ActorId, ActorTransaction, Key, KvOp, RangeScan, SimStorage, Value};
use crate::bugs::Bug;

/// A transaction on one actor's keys in a [`SimStorage`]. Reads record versions (and scanned
/// prefixes the visible map's snapshot, pinned until the transaction ends) as seen in the
/// visible map; commit validates them against it.
/// Dropping the transaction aborts it. While the process is dead no method completes.
pub struct SimTransaction {
    storage: SimStorage,
    buffer: TxnBuffer,
}

impl SimTransaction {
    /// An empty transaction on `actor` in `storage`.
    pub(crate) fn new(storage: SimStorage, actor: &ActorId) -> Self {
        SimTransaction {
            storage,
            buffer: TxnBuffer::new(actor),
        }
    }

    async fn scan(
        &mut self,
        scan: RangeScan<'_>,
        with_values: bool,
    ) -> Result<Vec<(Key, Value)>, KvError> {
        let fault = self.storage.admit(KvOp::TxnScan, scan.prefix).await?;
        let buffer = &mut self.buffer;
        self.storage.with_state(|state| {
            let mut entries = buffer.scan(&mut state.visible, scan);
            let prefix = scan.prefix;
            state.corrupt_range(KvOp::TxnScan, prefix, fault, &mut entries, with_values);
            Ok(entries)
        })
    }
}

/// A transaction that ends without committing (aborted, dropped, or its process killed)
/// releases its snapshot.
impl Drop for SimTransaction {
    fn drop(&mut self) {
        if self.buffer.holds_pin() {
            self.storage.release(&mut self.buffer);
        }
    }
}

impl ActorTransaction for SimTransaction {
    async fn get(&mut self, key: &[u8]) -> Result<Option<Value>, KvError> {
        self.storage.halt_if_dead().await;
        if !self.storage.bugs().has(Bug::StaleReadYourWrites) {
            if let Some(buffered) = self.buffer.buffered(key) {
                return Ok(buffered);
            }
        }
        let fault = self.storage.admit(KvOp::TxnGet, key).await?;
        let buffer = &mut self.buffer;
        self.storage.with_state(|state| {
            let mut value = buffer.read_store(&state.visible, key);
            let values = value.iter_mut().map(|v| (key, v));
            state.corrupt_read(KvOp::TxnGet, key, fault, values);
            Ok(value)
        })
    }

    async fn set(&mut self, key: &Key, value: Value) -> Result<(), KvError> {
        self.storage.halt_if_dead().await;
        self.buffer.set(key, value);
        Ok(())
    }

    async fn delete(&mut self, key: &Key) -> Result<(), KvError> {
        self.storage.halt_if_dead().await;
        self.buffer.delete(key);
        Ok(())
    }

    async fn list_keys(&mut self, prefix: &[u8]) -> Result<Vec<Key>, KvError> {
        let entries = self
            .scan(RangeScan::prefix(prefix, usize::MAX), false)
            .await?;
        Ok(entries.into_iter().map(|(k, _)| k).collect())
    }

    async fn scan_prefix(&mut self, prefix: &[u8]) -> Result<Vec<(Key, Value)>, KvError> {
        self.scan(RangeScan::prefix(prefix, usize::MAX), true).await
    }

    async fn scan_range(&mut self, scan: RangeScan<'_>) -> Result<Vec<(Key, Value)>, KvError> {
        self.scan(scan, true).await
    }

    async fn commit(mut self) -> Result<(), KvError> {
        let actor = Rc::clone(self.buffer.actor());
        let first_key = self.buffer.first_written_key();
        let first_key = first_key.as_deref().unwrap_or_default();
        let fault = self.storage.admit(KvOp::Commit, first_key).await?;
        let occ = !self.storage.bugs().has(Bug::OccDisabled);
        let buffer = &mut self.buffer;
        self.storage.with_state(|state| {
            let validated = match occ {
                true => buffer.validate(&state.visible),
                false => Ok(()),
            };
            buffer.release(&mut state.visible);
            if let Err(conflict) = validated {
                return Err(state.reject(first_key, fault, conflict));
            }
            state.write(KvOp::Commit, &actor, buffer.take_writes(), fault)
        })
    }

    async fn abort(self) -> Result<(), KvError> {
        self.storage.halt_if_dead().await;
        Ok(())
    }
}
