//! `RedbTransaction`: the optimistic transaction of `RedbStorage`, bridged onto redb.
//!
//! Reads go to a fresh redb read transaction each (the latest commit) and join the read set:
//! the version of each key read (`None`: absent) and, for each scanned prefix, its key count
//! and newest version, the first observation kept. `set` and `delete` only buffer. `commit`
//! re-reads the read set inside one redb write transaction and, if nothing changed, applies
//! every buffered write there and commits it; otherwise it fails with `Conflict` naming the
//! smallest changed key (else the smallest changed prefix), as `SimStorage` does, and writes
//! nothing. Faultable steps as in `SimTransaction`: `txn_get`, `txn_scan` and `commit`.

use std::collections::BTreeMap;
use std::rc::Rc;

use super::buffered_writes::BufferedWrites;
use super::redb_table::{prefix_seen, read_range, read_version, PrefixSeen, Write};
use super::{ActorId, ActorTransaction, FaultType, Key, KvError, KvEvent, KvOp, RangeScan};
use super::{RedbStorage, Value};

/// A transaction on one actor's keys in a [`RedbStorage`]. Dropping it aborts it. While the
/// process is dead no method completes.
pub struct RedbTransaction {
    storage: RedbStorage,
    actor: Rc<[u8]>,
    points: Vec<(Key, Option<u64>)>,
    prefixes: Vec<(Key, PrefixSeen)>,
    writes: BufferedWrites,
}

impl RedbTransaction {
    /// An empty transaction on `actor` in `storage`.
    pub(crate) fn new(storage: RedbStorage, actor: &ActorId) -> Self {
        RedbTransaction {
            storage,
            actor: Rc::clone(actor.key_bytes()),
            points: Vec::new(),
            prefixes: Vec::new(),
            writes: BufferedWrites::default(),
        }
    }

    /// The entries of `scan` as the transaction sees them: the buffered writes under the
    /// prefix merged over the committed ones, then the range selected. The prefix joins the
    /// read set.
    async fn scan(&mut self, scan: RangeScan<'_>) -> Result<Vec<(Key, Value)>, KvError> {
        self.storage.admit(KvOp::TxnScan, scan.prefix).await?;
        let actor = &self.actor;
        let whole = RangeScan::prefix(scan.prefix, usize::MAX);
        let stored = self.storage.read(|table| read_range(table, actor, whole));
        let seen = PrefixSeen {
            keys: stored.len() as u64,
            newest: stored.iter().map(|(_, version, _)| *version).max(),
        };
        if !self.prefixes.iter().any(|(p, _)| p.as_ref() == scan.prefix) {
            self.prefixes.push((scan.prefix.into(), seen));
        }
        let mut merged: BTreeMap<Key, Value> = stored.into_iter().map(|(k, _, v)| (k, v)).collect();
        self.writes.overlay(scan.prefix, &mut merged);
        Ok(scan.select(merged.into_iter().collect()))
    }

    /// The smallest point key, else the smallest prefix, that no longer holds as read in
    /// `table`; `None` when the whole read set is unchanged.
    fn first_changed(
        actor: &[u8],
        points: &[(Key, Option<u64>)],
        prefixes: &[(Key, PrefixSeen)],
        table: &redb::Table<&'static [u8], (u64, &'static [u8])>,
    ) -> Option<Key> {
        let point = points
            .iter()
            .filter(|(key, seen)| read_version(table, actor, key).map(|(v, _)| v) != *seen)
            .map(|(key, _)| key)
            .min();
        let changed = point.or_else(|| {
            prefixes
                .iter()
                .filter(|(prefix, seen)| prefix_seen(table, actor, prefix) != *seen)
                .map(|(prefix, _)| prefix)
                .min()
        });
        changed.cloned()
    }
}

impl ActorTransaction for RedbTransaction {
    async fn get(&mut self, key: &[u8]) -> Result<Option<Value>, KvError> {
        self.storage.halt_if_dead().await;
        if let Some(buffered) = self.writes.get(key) {
            return Ok(buffered);
        }
        self.storage.admit(KvOp::TxnGet, key).await?;
        let found = self
            .storage
            .read(|table| read_version(table, &self.actor, key));
        if !self.points.iter().any(|(seen, _)| seen.as_ref() == key) {
            self.points
                .push((key.into(), found.as_ref().map(|(v, _)| *v)));
        }
        Ok(found.map(|(_, value)| value))
    }

    async fn set(&mut self, key: &Key, value: Value) -> Result<(), KvError> {
        self.storage.halt_if_dead().await;
        self.writes.put(key, Some(value));
        Ok(())
    }

    async fn delete(&mut self, key: &Key) -> Result<(), KvError> {
        self.storage.halt_if_dead().await;
        self.writes.put(key, None);
        Ok(())
    }

    async fn list_keys(&mut self, prefix: &[u8]) -> Result<Vec<Key>, KvError> {
        let entries = self.scan(RangeScan::prefix(prefix, usize::MAX)).await?;
        Ok(entries.into_iter().map(|(k, _)| k).collect())
    }

    async fn scan_prefix(&mut self, prefix: &[u8]) -> Result<Vec<(Key, Value)>, KvError> {
        self.scan(RangeScan::prefix(prefix, usize::MAX)).await
    }

    async fn scan_range(&mut self, scan: RangeScan<'_>) -> Result<Vec<(Key, Value)>, KvError> {
        self.scan(scan).await
    }

    async fn commit(self) -> Result<(), KvError> {
        let first_key: Vec<u8> = self
            .writes
            .first_key()
            .map(|k| k.to_vec())
            .unwrap_or_default();
        let fault = self.storage.admit(KvOp::Commit, &first_key).await?;
        let RedbTransaction {
            storage,
            actor,
            points,
            prefixes,
            mut writes,
        } = self;
        let writes: Vec<Write> = writes.take();
        let mut landed = false;
        let land = || {
            landed = match fault {
                None | Some(FaultType::CrashAfterWrite) => true,
                Some(FaultType::CrashBeforeWrite) => false,
                Some(FaultType::CrashDuringTransaction) => storage.crash_lands_commit(),
                Some(other) => panic!("{} fired on commit", other.name()),
            };
            landed
        };
        let validate = |table: &redb::Table<&'static [u8], (u64, &'static [u8])>| {
            Self::first_changed(&actor, &points, &prefixes, table)
        };
        let durable = fault.is_some();
        let outcome = storage.commit_batch(&actor, &writes, land, durable, validate);
        if let Err(changed) = outcome {
            storage.notify(KvEvent::Conflict {
                key: first_key.clone(),
            });
            let conflict = KvError::Conflict {
                key: changed.to_vec(),
            };
            return match fault {
                Some(crash) => Err(storage.crash(crash, KvOp::Commit, &first_key, &[])),
                None => Err(conflict),
            };
        }
        match fault {
            None => Ok(()),
            Some(crash) => {
                let applied = if landed { &writes[..] } else { &[] };
                Err(storage.crash(crash, KvOp::Commit, &first_key, applied))
            }
        }
    }

    async fn abort(self) -> Result<(), KvError> {
        self.storage.halt_if_dead().await;
        Ok(())
    }
}
