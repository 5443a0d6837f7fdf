//! `SimStorage`: the simulated `ActorKV`, with every storage fault and process crashes.
//!
//! Covers all twelve storage fault types (effects in `sim_state.rs`) and the planted bugs
//! `AckBeforeDurable`, `TornCommit`, `OccDisabled` and `StaleReadYourWrites`. Every operation
//! first asks the injector; latency sleeps on the simulated clock; read fail, write fail and
//! disk full return an error with nothing changed. Once a crash fault has triggered the kill
//! switch the process is dead: every further operation stays pending forever, until
//! [`SimStorage::restart`] brings back what was durable.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use super::sim_state::{fault_error, SimState};
use super::txn_buffer::TxnBuffer;
use super::KvError;
use super::SimTransaction;
use super::{
    ActorId, ActorKV, FaultConfig, FaultDecider, FaultEffect, FaultInjector, FaultType, Key,
    KvEvent, KvOp, RangeScan, Value,
};
use crate::bugs::BugSet;
use crate::sim::{yield_now, DeterministicRng, KillSwitch, SimClock};

/// Called once for every fault that fires and every commit refused for a conflict, after the
/// operation's state change.
pub type KvObserver = Rc<dyn Fn(&KvEvent)>;

/// A handle on simulated storage. Cheap to clone: clones share one state, clock and kill switch.
///
/// Invariants: `durable` only changes through acknowledged writes (unless `AckBeforeDurable`
/// is planted), crash-after-write and crash-during-commit; while the kill switch is triggered
/// no operation completes.
#[derive(Clone)]
pub struct SimStorage {
    state: Rc<RefCell<SimState>>,
    observer: Rc<RefCell<Option<KvObserver>>>,
    clock: SimClock,
    kill_switch: KillSwitch,
}

impl SimStorage {
    /// Empty storage. `crash_rng` decides the outcome of crashes during commit; `kill_switch`
    /// is triggered by crash faults; `bugs` plants storage bugs.
    pub fn new(
        clock: SimClock,
        injector: FaultInjector,
        crash_rng: DeterministicRng,
        kill_switch: KillSwitch,
        bugs: BugSet,
    ) -> Self {
        let state = SimState::new(injector, crash_rng, kill_switch.clone(), bugs);
        SimStorage {
            state: Rc::new(RefCell::new(state)),
            observer: Rc::new(RefCell::new(None)),
            clock,
            kill_switch,
        }
    }

    /// Empty storage whose random streams are the named forks of `root`: `faults` (whether
    /// and how a fault fires), `latency` (injected delays) and `crash` (crashes during commit).
    /// The one place those stream names are chosen.
    pub fn seeded(
        root: &DeterministicRng,
        clock: SimClock,
        rules: Vec<FaultConfig>,
        kill_switch: KillSwitch,
        bugs: BugSet,
    ) -> Self {
        let injector = FaultInjector::new(root.fork("faults"), root.fork("latency"), rules);
        SimStorage::new(clock, injector, root.fork("crash"), kill_switch, bugs)
    }

    /// Reports every fault that fires, and every conflict, from now on to `observer` (replacing
    /// any earlier one).
    pub fn set_observer(&self, observer: KvObserver) {
        *self.observer.borrow_mut() = Some(observer);
    }

    /// Starts a fresh process over what was durable: visible := durable, kill switch reset.
    pub fn restart(&self) {
        self.state.borrow_mut().restart();
        assert!(!self.kill_switch.is_triggered());
    }

    /// Whether a crash fault has killed the process (and no restart has happened since).
    pub fn is_crashed(&self) -> bool {
        self.kill_switch.is_triggered()
    }

    /// What the running process sees of `actor`: (relative key, value), ascending.
    pub fn visible_entries(&self, actor: &ActorId) -> Vec<(Key, Value)> {
        let state = self.state.borrow();
        let entries = state.visible.scan(actor.key_bytes(), b"");
        entries
            .map(|(k, e)| (Rc::clone(k), Rc::clone(&e.value)))
            .collect()
    }

    /// What a crash would keep of `actor`: (relative key, value), ascending.
    pub fn durable_entries(&self, actor: &ActorId) -> Vec<(Key, Value)> {
        self.state.borrow().durable_entries(actor.key_bytes())
    }

    /// How many keys of `actor` are durable.
    pub fn durable_len(&self, actor: &ActorId) -> usize {
        self.state.borrow().durable_len(actor.key_bytes())
    }

    /// The durable entries of `actor` written (set or deleted) since the last call, each once
    /// with its durable value now (`None` when deleted), in the order of their first durable
    /// write since then (not ascending).
    pub fn take_durable_changes(&self, actor: &ActorId) -> Vec<(Key, Option<Value>)> {
        let mut state = self.state.borrow_mut();
        let changed = state.durable.take_changes(actor.key_bytes());
        let changes: Vec<(Key, Option<Value>)> = changed
            .into_iter()
            .map(|key| {
                let value = state.durable_value(actor.key_bytes(), &key).map(Rc::clone);
                (key, value)
            })
            .collect();
        changes
    }

    /// How many times each fault has fired.
    pub fn injector_counts(&self) -> BTreeMap<FaultType, u64> {
        self.state.borrow().injector.triggered_counts()
    }

    /// Lets at most `crashes` crash faults fire from now on, whatever their kind (0: none).
    pub fn limit_crashes(&self, crashes: u64) {
        self.state.borrow_mut().injector.limit_crashes(crashes);
    }

    /// Lets `decider` override which fault fires on each operation (see [`FaultDecider`]).
    pub fn set_fault_decider(&self, decider: FaultDecider) {
        self.state.borrow_mut().injector.set_decider(decider);
    }

    /// Turns fault injection on or off (off for the liveness phase).
    pub fn set_faults_active(&self, active: bool) {
        self.state.borrow_mut().injector.set_active(active);
    }

    /// The planted bugs.
    pub(crate) fn bugs(&self) -> BugSet {
        self.state.borrow().bugs
    }

    /// Releases `buffer`'s snapshot pin on the visible map. Skipped (the pin kept, which only
    /// keeps more of the write log) when the state is borrowed: a task unwinding from a panic
    /// inside [`SimStorage::with_state`].
    pub(crate) fn release(&self, buffer: &mut TxnBuffer) {
        if let Ok(mut state) = self.state.try_borrow_mut() {
            buffer.release(&mut state.visible);
        }
    }

    /// Runs `step` on the state, then hands the faults it reported to the observer (outside
    /// the borrow, so the observer may inspect the storage).
    pub(crate) fn with_state<T>(&self, step: impl FnOnce(&mut SimState) -> T) -> T {
        let (result, reports) = {
            let mut state = self.state.borrow_mut();
            let result = step(&mut state);
            (result, state.take_reports())
        };
        let observer = self.observer.borrow().clone();
        if let Some(observer) = observer {
            reports.iter().for_each(|event| observer(event));
        }
        result
    }

    /// Never returns while the process is dead.
    pub(crate) async fn halt_if_dead(&self) {
        if self.kill_switch.is_triggered() {
            std::future::pending::<()>().await;
        }
    }

    /// The common start of every faultable operation: yields to the scheduler (every storage
    /// call is an I/O boundary where other tasks may run), waits out a dead process, asks the
    /// injector, sleeps out latency, fails read fail / write fail / disk full. Returns the fault
    /// left for the operation itself to apply.
    pub(crate) async fn admit(&self, op: KvOp, key: &[u8]) -> Result<Option<FaultType>, KvError> {
        yield_now().await;
        self.halt_if_dead().await;
        let fired = self.with_state(|state| {
            let fired = state.injector.check(op)?;
            let effect = match fired.fault {
                FaultType::StorageLatency => FaultEffect::Delayed {
                    delay_ms: fired.delay_ms,
                },
                FaultType::StorageReadFail | FaultType::StorageWriteFail | FaultType::DiskFull => {
                    FaultEffect::Failed
                }
                _ => return Some(fired),
            };
            state.report(fired.fault, op, key, effect);
            Some(fired)
        });
        let Some(fired) = fired else { return Ok(None) };
        match fired.fault {
            FaultType::StorageLatency => {
                self.clock.sleep(fired.delay_ms).await;
                self.halt_if_dead().await;
                Ok(None)
            }
            FaultType::StorageReadFail | FaultType::StorageWriteFail | FaultType::DiskFull => {
                Err(fault_error(fired.fault, op, key))
            }
            other => Ok(Some(other)),
        }
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
        self.with_state(|state| state.write(op, actor.key_bytes(), writes, fault))
    }

    /// The entries of `scan` (with their values only when `with_values`; a key-only read is
    /// never corrupted), under `op`'s faults.
    async fn read_range(
        &self,
        op: KvOp,
        actor: &ActorId,
        scan: RangeScan<'_>,
        with_values: bool,
    ) -> Result<Vec<(Key, Value)>, KvError> {
        let fault = self.admit(op, scan.prefix).await?;
        self.with_state(|state| {
            let mut entries: Vec<(Key, Value)> = state
                .visible
                .range(actor.key_bytes(), scan)
                .take(scan.limit)
                .map(|(k, e)| (Rc::clone(k), Rc::clone(&e.value)))
                .collect();
            state.corrupt_range(op, scan.prefix, fault, &mut entries, with_values);
            Ok(entries)
        })
    }
}

impl ActorKV for SimStorage {
    type Transaction = SimTransaction;

    async fn get(&self, actor: &ActorId, key: &[u8]) -> Result<Option<Value>, KvError> {
        let fault = self.admit(KvOp::Get, key).await?;
        self.with_state(|state| {
            let found = state.visible.get(actor.key_bytes(), key);
            let mut value = found.map(|e| Rc::clone(&e.value));
            let values = value.iter_mut().map(|v| (key, v));
            state.corrupt_read(KvOp::Get, key, fault, values);
            Ok(value)
        })
    }

    async fn set(&self, actor: &ActorId, key: &Key, value: Value) -> Result<(), KvError> {
        self.write(KvOp::Set, actor, key, Some(value)).await
    }

    async fn delete(&self, actor: &ActorId, key: &Key) -> Result<(), KvError> {
        self.write(KvOp::Delete, actor, key, None).await
    }

    async fn exists(&self, actor: &ActorId, key: &[u8]) -> Result<bool, KvError> {
        let fault = self.admit(KvOp::Exists, key).await?;
        self.with_state(|state| {
            state.corrupt_read(KvOp::Exists, key, fault, std::iter::empty());
            Ok(state.visible.version(actor.key_bytes(), key).is_some())
        })
    }

    async fn list_keys(&self, actor: &ActorId, prefix: &[u8]) -> Result<Vec<Key>, KvError> {
        let scan = RangeScan::prefix(prefix, usize::MAX);
        let entries = self.read_range(KvOp::ListKeys, actor, scan, false).await?;
        Ok(entries.into_iter().map(|(k, _)| k).collect())
    }

    async fn scan_prefix(
        &self,
        actor: &ActorId,
        prefix: &[u8],
    ) -> Result<Vec<(Key, Value)>, KvError> {
        let scan = RangeScan::prefix(prefix, usize::MAX);
        self.read_range(KvOp::ScanPrefix, actor, scan, true).await
    }

    async fn scan_range(
        &self,
        actor: &ActorId,
        scan: RangeScan<'_>,
    ) -> Result<Vec<(Key, Value)>, KvError> {
        self.read_range(KvOp::ScanPrefix, actor, scan, true).await
    }

    async fn begin_transaction(&self, actor: &ActorId) -> Result<SimTransaction, KvError> {
        self.halt_if_dead().await;
        Ok(SimTransaction::new(self.clone(), actor))
    }
}
