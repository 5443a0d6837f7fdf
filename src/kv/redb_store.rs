//! `RedbStorage`: the `ActorKV` contract over redb, a real embedded, file-backed, ACID database.
//!
//! The bridge. redb has one writer at a time and snapshot readers; `ActorKV` promises
//! optimistic transactions that validate what they read at commit. So:
//! - every entry is stored as `(version, value)` under `<actor key bytes>/<key>` in one table;
//!   versions come from one counter kept in the same file (a `meta` table), so a version is never
//!   reused and a delete followed by a re-create is seen as a change, as in `SimStorage`;
//! - every read (in a transaction or not) opens a fresh redb read transaction, so it sees the
//!   latest commit, as `SimStorage` reads its visible map;
//! - a transaction buffers its writes in memory and records its read set: the version of each
//!   key it read (`None`: absent) and, for each scanned prefix, how many keys it held and the
//!   newest version among them (see `redb_transaction.rs`);
//! - commit opens one redb write transaction (redb serializes writers, so nothing commits in
//!   between), re-reads the read set there, and either drops it (a conflict, nothing written)
//!   or applies every buffered write with fresh versions and commits it, all or nothing.
//!
//! Commits are fsynced before they return ([`CommitMode::Durable`]), or left to the operating
//! system ([`CommitMode::Buffered`]: for differential runs, where durability is not judged;
//! closing the database, which a restart does, makes them durable).
//!
//! Faults: only those that can be injected honestly above a real database: latency (a sleep on
//! the simulated clock), read fail, write fail and disk full (an error returned instead of
//! calling redb), and crashes (before a write: nothing written; after a write: written and
//! fsynced; during a commit: the whole commit lands or none of it, as the `crash` stream
//! decides), each of which kills the simulated process and drops the database handle; a restart
//! reopens the file. Corruption, misdirected and partial writes, fsync failures and unflushed
//! loss happen below a database, not above it: a rule of those types is a harness bug here.
//! A real I/O error from redb is no injected fault either: it panics with the error, and the
//! run reports the panic with its seed.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};

use redb::{Database, Durability, ReadableDatabase, ReadableTable};

use super::redb_table::{fail, full_key, open_database, read_range, read_version, Write};
use super::redb_table::{ENTRIES, META, NEXT_VERSION};
use super::sim_state::fault_error;
use super::{
    ActorId, ActorKV, FaultConfig, FaultDecider, FaultEffect, FaultInjector, FaultType,
    InjectedFault, Key, KvError, KvEvent, KvObserver, KvOp, RangeScan, RedbTransaction, Value,
};
use crate::sim::{yield_now, DeterministicRng, KillSwitch, SimClock};

/// Temporary directories made by this process, for unique names.
static TEMP_DIRS: AtomicU64 = AtomicU64::new(0);

/// When a commit is durable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CommitMode {
    /// fsynced before the call returns (redb's `Durability::Immediate`).
    Durable,
    /// written without fsync (redb's `Durability::None`); durable once the database is closed.
    Buffered,
}

/// Committed entries by relative key.
type Shelf = BTreeMap<Key, Value>;

/// The fault injector and the stream that decides crashes during commit.
struct Faults {
    injector: FaultInjector,
    crash_rng: DeterministicRng,
}

/// What every clone of a handle shares.
struct Inner {
    /// The open database; `None` from a crash until the restart.
    db: RefCell<Option<Database>>,
    /// The database file.
    path: RefCell<PathBuf>,
    /// A directory this handle made and removes when the last clone is dropped.
    owned_dir: Option<PathBuf>,
    mode: CommitMode,
    faults: RefCell<Faults>,
    observer: RefCell<Option<KvObserver>>,
    clock: SimClock,
    kill_switch: KillSwitch,
    /// The committed entries last reported by `take_changes`, by actor.
    reported: RefCell<BTreeMap<Rc<[u8]>, Shelf>>,
    /// A database file the next restart opens instead of this handle's own.
    adopt: RefCell<Option<PathBuf>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.db.borrow_mut().take();
        if let Some(dir) = &self.owned_dir {
            // A leftover temporary directory is untidy, not wrong: nothing reads it again.
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// A handle on a redb-backed store. Cheap to clone: clones share one database, injector, clock
/// and kill switch.
///
/// Invariants: while the kill switch is triggered the database handle is dropped and no
/// operation completes; every acknowledged write is committed (and, in `Durable` mode, fsynced).
#[derive(Clone)]
pub struct RedbStorage {
    inner: Rc<Inner>,
}

impl RedbStorage {
    /// A store in the database file at `path` (created if absent), committing in `mode`, with
    /// the fault `rules` (of the kinds this store can inject) drawn from the named forks of
    /// `root` as `SimStorage` draws them (`faults`, `latency`, `crash`).
    pub fn open(
        path: &Path,
        mode: CommitMode,
        root: &DeterministicRng,
        clock: SimClock,
        rules: Vec<FaultConfig>,
        kill_switch: KillSwitch,
    ) -> Result<Self, String> {
        assert_injectable(&rules);
        let db = open_database(path)?;
        let injector = FaultInjector::new(root.fork("faults"), root.fork("latency"), rules);
        let faults = Faults {
            injector,
            crash_rng: root.fork("crash"),
        };
        Ok(RedbStorage {
            inner: Rc::new(Inner {
                db: RefCell::new(Some(db)),
                path: RefCell::new(path.to_path_buf()),
                owned_dir: None,
                mode,
                faults: RefCell::new(faults),
                observer: RefCell::new(None),
                clock,
                kill_switch,
                reported: RefCell::new(BTreeMap::new()),
                adopt: RefCell::new(None),
            }),
        })
    }

    /// Like [`RedbStorage::open`], in a new directory under the system's temporary directory,
    /// removed when the last clone is dropped.
    pub fn temporary(
        mode: CommitMode,
        root: &DeterministicRng,
        clock: SimClock,
        rules: Vec<FaultConfig>,
        kill_switch: KillSwitch,
    ) -> Result<Self, String> {
        assert_injectable(&rules);
        let dir = temp_dir()?;
        let path = dir.join("store.redb");
        let opened = RedbStorage::open(&path, mode, root, clock, rules, kill_switch);
        let mut storage = opened.inspect_err(|_| {
            let _ = std::fs::remove_dir_all(&dir);
        })?;
        Rc::get_mut(&mut storage.inner)
            .expect("a new handle has no clones")
            .owned_dir = Some(dir);
        Ok(storage)
    }

    /// A fault-free store at `path` on its own clock and kill switch (for tests and tools).
    pub fn plain(path: &Path, mode: CommitMode) -> Result<Self, String> {
        let root = DeterministicRng::new(0);
        RedbStorage::open(
            path,
            mode,
            &root,
            SimClock::new(),
            Vec::new(),
            KillSwitch::new(),
        )
    }

    /// The database file this handle has open (or reopens at restart).
    fn path(&self) -> PathBuf {
        self.inner.path.borrow().clone()
    }

    /// Reports every fault that fires, and every conflict, from now on to `observer`.
    pub fn set_observer(&self, observer: KvObserver) {
        *self.inner.observer.borrow_mut() = Some(observer);
    }

    /// Makes the next restart open the database file at `path` (written by another process)
    /// instead of this handle's own.
    pub fn adopt_on_restart(&self, path: &Path) {
        *self.inner.adopt.borrow_mut() = Some(path.to_path_buf());
    }

    /// A fresh process: drops the database handle (if a crash has not already), reopens the
    /// file (or the one adopted), and resets the kill switch. Panics if it cannot be opened.
    pub fn restart(&self) {
        self.inner.db.borrow_mut().take();
        if let Some(adopted) = self.inner.adopt.borrow_mut().take() {
            *self.inner.path.borrow_mut() = adopted;
        }
        let path = self.path();
        let db = open_database(&path).unwrap_or_else(|e| fail("reopen", e));
        *self.inner.db.borrow_mut() = Some(db);
        self.inner.kill_switch.reset();
    }

    /// Lets at most `crashes` crash faults fire from now on (0: none).
    pub fn limit_crashes(&self, crashes: u64) {
        self.inner
            .faults
            .borrow_mut()
            .injector
            .limit_crashes(crashes);
    }

    /// Lets `decider` record or override which fault rule fires on each operation.
    pub fn set_fault_decider(&self, decider: FaultDecider) {
        self.inner.faults.borrow_mut().injector.set_decider(decider);
    }

    /// Turns fault injection on or off.
    pub fn set_faults_active(&self, active: bool) {
        self.inner.faults.borrow_mut().injector.set_active(active);
    }

    /// How many times each fault has fired.
    pub fn injector_counts(&self) -> BTreeMap<FaultType, u64> {
        self.inner.faults.borrow().injector.triggered_counts()
    }

    /// Every committed entry of `actor`: (relative key, value), ascending.
    pub fn entries(&self, actor: &ActorId) -> Vec<(Key, Value)> {
        let scan = RangeScan::prefix(b"", usize::MAX);
        let entries = self.read(|table| read_range(table, actor.key_bytes(), scan));
        entries.into_iter().map(|(k, _, v)| (k, v)).collect()
    }

    /// The committed entries of `actor` that differ from what the last call reported,
    /// ascending, each with its value now (`None`: deleted).
    pub fn take_changes(&self, actor: &ActorId) -> Vec<(Key, Option<Value>)> {
        let now: Shelf = self.entries(actor).into_iter().collect();
        let mut reported = self.inner.reported.borrow_mut();
        let before = reported.entry(Rc::clone(actor.key_bytes())).or_default();
        let mut changes: BTreeMap<Key, Option<Value>> = BTreeMap::new();
        for (key, value) in &now {
            if before.get(key) != Some(value) {
                changes.insert(Rc::clone(key), Some(Rc::clone(value)));
            }
        }
        for key in before.keys().filter(|key| !now.contains_key(*key)) {
            changes.insert(Rc::clone(key), None);
        }
        *before = now;
        changes.into_iter().collect()
    }

    /// Runs `read` on the entries table of a fresh read transaction.
    pub(crate) fn read<T>(
        &self,
        read: impl FnOnce(&redb::ReadOnlyTable<&'static [u8], (u64, &'static [u8])>) -> T,
    ) -> T {
        let db = self.inner.db.borrow();
        let db = db.as_ref().expect("a live process has its database open");
        let txn = db.begin_read().unwrap_or_else(|e| fail("begin_read", e));
        let table = txn
            .open_table(ENTRIES)
            .unwrap_or_else(|e| fail("open_table", e));
        read(&table)
    }

    /// In one redb write transaction: runs `validate`, and when it finds nothing changed and
    /// then `land` says so, applies `writes` to `actor`'s keys, each with a fresh version, and commits
    /// (fsynced when `durable` or in `Durable` mode). Returns `validate`'s complaint, with
    /// nothing written; without `land` the transaction is dropped, nothing written either.
    pub(crate) fn commit_batch(
        &self,
        actor: &[u8],
        writes: &[Write],
        land: impl FnOnce() -> bool,
        durable: bool,
        validate: impl FnOnce(&redb::Table<&'static [u8], (u64, &'static [u8])>) -> Option<Key>,
    ) -> Result<(), Key> {
        let db = self.inner.db.borrow();
        let db = db.as_ref().expect("a live process has its database open");
        let mut txn = db.begin_write().unwrap_or_else(|e| fail("begin_write", e));
        let durability = match durable || self.inner.mode == CommitMode::Durable {
            true => Durability::Immediate,
            false => Durability::None,
        };
        txn.set_durability(durability)
            .unwrap_or_else(|e| fail("set_durability", e));
        {
            let mut table = txn.open_table(ENTRIES).unwrap_or_else(|e| fail("open", e));
            if let Some(changed) = validate(&table) {
                return Err(changed);
            }
            if !land() {
                return Ok(());
            }
            let mut meta = txn.open_table(META).unwrap_or_else(|e| fail("open", e));
            let stored = meta.get(NEXT_VERSION).unwrap_or_else(|e| fail("get", e));
            let mut next = stored.expect("the counter exists").value();
            for (key, value) in writes {
                let full = full_key(actor, key);
                match value {
                    Some(value) => table.insert(&full[..], (next, &value[..])),
                    None => table.remove(&full[..]),
                }
                .unwrap_or_else(|e| fail("write", e));
                next = next.checked_add(1).expect("version counter overflow");
            }
            meta.insert(NEXT_VERSION, next)
                .unwrap_or_else(|e| fail("write", e));
            for (key, value) in writes {
                let stored = read_version(&table, actor, key).map(|(_, v)| v);
                assert_eq!(stored.as_ref(), value.as_ref(), "a write is read back");
            }
        }
        txn.commit().unwrap_or_else(|e| fail("commit", e));
        Ok(())
    }

    /// Never returns while the process is dead.
    pub(crate) async fn halt_if_dead(&self) {
        if self.inner.kill_switch.is_triggered() {
            std::future::pending::<()>().await;
        }
    }

    /// Hands `event` to the observer, if any.
    pub(crate) fn notify(&self, event: KvEvent) {
        let observer = self.inner.observer.borrow().clone();
        if let Some(observer) = observer {
            observer(&event);
        }
    }

    fn report(&self, fault: FaultType, op: KvOp, key: &[u8], effect: FaultEffect) {
        assert!(fault.applies_to(op), "{} on {}", fault.name(), op.name());
        let operation = self.inner.faults.borrow().injector.operations_seen();
        let fault = InjectedFault {
            fault,
            op,
            key: key.to_vec(),
            effect,
        };
        self.notify(KvEvent::Fault { fault, operation });
    }

    /// The start of every faultable operation, as in `SimStorage`: yields to the scheduler,
    /// waits out a dead process, asks the injector, sleeps out latency, fails read fail / write
    /// fail / disk full without calling redb. Returns the crash fault left to the operation.
    pub(crate) async fn admit(&self, op: KvOp, key: &[u8]) -> Result<Option<FaultType>, KvError> {
        yield_now().await;
        self.halt_if_dead().await;
        let fired = self.inner.faults.borrow_mut().injector.check(op);
        let Some(fired) = fired else { return Ok(None) };
        match fired.fault {
            FaultType::StorageLatency => {
                let delay_ms = fired.delay_ms;
                self.report(fired.fault, op, key, FaultEffect::Delayed { delay_ms });
                self.inner.clock.sleep(delay_ms).await;
                self.halt_if_dead().await;
                Ok(None)
            }
            FaultType::StorageReadFail | FaultType::StorageWriteFail | FaultType::DiskFull => {
                self.report(fired.fault, op, key, FaultEffect::Failed);
                Err(fault_error(fired.fault, op, key))
            }
            crash if crash.is_crash() => Ok(Some(crash)),
            other => panic!("{} cannot be injected above redb", other.name()),
        }
    }

    /// The process dies: the kill switch is triggered and the database handle dropped.
    /// `applied` names the keys that were written. Returns the error the caller sees.
    pub(crate) fn crash(
        &self,
        fault: FaultType,
        op: KvOp,
        key: &[u8],
        applied: &[Write],
    ) -> KvError {
        assert!(fault.is_crash());
        self.inner.kill_switch.trigger();
        self.inner.db.borrow_mut().take();
        let applied = applied.iter().map(|(k, _)| k.to_vec()).collect();
        self.report(fault, op, key, FaultEffect::Crashed { applied });
        fault_error(fault, op, key)
    }

    /// Whether a crash during a commit lands the commit (the `crash` stream decides).
    pub(crate) fn crash_lands_commit(&self) -> bool {
        self.inner.faults.borrow_mut().crash_rng.chance(0.5)
    }

    async fn write(
        &self,
        op: KvOp,
        actor: &ActorId,
        key: &Key,
        value: Option<Value>,
    ) -> Result<(), KvError> {
        let fault = self.admit(op, key).await?;
        let writes = vec![(Rc::clone(key), value)];
        let actor = actor.key_bytes();
        match fault {
            None => {
                let applied = self.commit_batch(actor, &writes, || true, false, |_| None);
                assert!(applied.is_ok(), "an unvalidated write applies");
                Ok(())
            }
            Some(FaultType::CrashBeforeWrite) => {
                Err(self.crash(FaultType::CrashBeforeWrite, op, key, &[]))
            }
            Some(FaultType::CrashAfterWrite) => {
                let applied = self.commit_batch(actor, &writes, || true, true, |_| None);
                assert!(applied.is_ok(), "an unvalidated write applies");
                Err(self.crash(FaultType::CrashAfterWrite, op, key, &writes))
            }
            Some(other) => panic!("{} fired on {}", other.name(), op.name()),
        }
    }

    async fn read_entries(
        &self,
        op: KvOp,
        actor: &ActorId,
        scan: RangeScan<'_>,
    ) -> Result<Vec<(Key, Value)>, KvError> {
        self.admit(op, scan.prefix).await?;
        let entries = self.read(|table| read_range(table, actor.key_bytes(), scan));
        Ok(entries.into_iter().map(|(k, _, v)| (k, v)).collect())
    }
}

/// Whether `fault` can be injected honestly above a real database.
pub fn injectable(fault: FaultType) -> bool {
    fault.is_crash()
        || matches!(
            fault,
            FaultType::StorageLatency
                | FaultType::StorageReadFail
                | FaultType::StorageWriteFail
                | FaultType::DiskFull
        )
}

/// Panics unless every rule's fault can be injected above redb: any other is a harness bug.
fn assert_injectable(rules: &[FaultConfig]) {
    for rule in rules {
        assert!(
            injectable(rule.fault),
            "{} cannot be injected above redb",
            rule.fault.name()
        );
    }
}

/// A new, empty directory under the system's temporary directory, unique to this process.
fn temp_dir() -> Result<PathBuf, String> {
    let n = TEMP_DIRS.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("dst-redb-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create '{}': {e}", dir.display()))?;
    Ok(dir)
}

impl ActorKV for RedbStorage {
    type Transaction = RedbTransaction;

    async fn get(&self, actor: &ActorId, key: &[u8]) -> Result<Option<Value>, KvError> {
        self.admit(KvOp::Get, key).await?;
        let found = self.read(|table| read_version(table, actor.key_bytes(), key));
        Ok(found.map(|(_, value)| value))
    }

    async fn set(&self, actor: &ActorId, key: &Key, value: Value) -> Result<(), KvError> {
        self.write(KvOp::Set, actor, key, Some(value)).await
    }

    async fn delete(&self, actor: &ActorId, key: &Key) -> Result<(), KvError> {
        self.write(KvOp::Delete, actor, key, None).await
    }

    async fn exists(&self, actor: &ActorId, key: &[u8]) -> Result<bool, KvError> {
        self.admit(KvOp::Exists, key).await?;
        Ok(self
            .read(|table| read_version(table, actor.key_bytes(), key))
            .is_some())
    }

    async fn list_keys(&self, actor: &ActorId, prefix: &[u8]) -> Result<Vec<Key>, KvError> {
        let scan = RangeScan::prefix(prefix, usize::MAX);
        let entries = self.read_entries(KvOp::ListKeys, actor, scan).await?;
        Ok(entries.into_iter().map(|(k, _)| k).collect())
    }

    async fn scan_prefix(
        &self,
        actor: &ActorId,
        prefix: &[u8],
    ) -> Result<Vec<(Key, Value)>, KvError> {
        let scan = RangeScan::prefix(prefix, usize::MAX);
        self.read_entries(KvOp::ScanPrefix, actor, scan).await
    }

    async fn scan_range(
        &self,
        actor: &ActorId,
        scan: RangeScan<'_>,
    ) -> Result<Vec<(Key, Value)>, KvError> {
        self.read_entries(KvOp::ScanPrefix, actor, scan).await
    }

    async fn begin_transaction(&self, actor: &ActorId) -> Result<RedbTransaction, KvError> {
        self.halt_if_dead().await;
        Ok(RedbTransaction::new(self.clone(), actor))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_faults_above_the_database_are_injectable() {
        let injectable: Vec<&str> = FaultType::ALL
            .iter()
            .filter(|f| injectable(**f))
            .map(|f| f.name())
            .collect();
        assert_eq!(
            injectable,
            [
                "storage_write_fail",
                "storage_read_fail",
                "storage_latency",
                "disk_full",
                "crash_before_write",
                "crash_after_write",
                "crash_during_transaction"
            ]
        );
    }
}
