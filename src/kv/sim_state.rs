//! `SimState`: the durability model of `SimStorage` and the effect of every fault on it.
//!
//! Two views: `visible` (what the running process sees) and `durable` (what survives a crash,
//! kept as an overlay of where it differs from `visible`). An acknowledged write updates both;
//! the faults in `fault.rs` bend that rule:
//! - crash_before_write: nothing written; crash_after_write: written to both; then the process
//!   dies (the kill switch) and the caller sees the error.
//! - crash_during_transaction: the `crash` stream applies the whole batch durably or none of it
//!   (with `Bug::TornCommit`: a strict non-empty prefix), then the process dies.
//! - misdirected_write: one value of the batch (faults stream) lands under another existing key
//!   of the actor that the batch does not write, or under `<key>#misdirected` if there is none.
//!   Deletes carry no value and are never misdirected.
//! - partial_write: one non-empty value of the batch is stored strictly shorter: one torn
//!   write in four keeps fewer than `TORN_NEAR_START_BYTES` (where a value's header or
//!   checksum would be; nothing at all among them), the others are cut anywhere.
//! - fsync_fail, unflushed_loss: written to `visible` only.
//! - storage_corruption: one returned value gets one byte flipped (an empty value reads as one
//!   garbage byte); a result without value bytes (absent key, `exists`, `list_keys`, empty scan)
//!   is returned intact. The stored value is never touched.
//!
//! A batch with nothing to misdirect or truncate (no value, or no non-empty value) applies
//! intact; the fault is still reported, as `Inert`. Every fault that fires, and every commit
//! refused for a conflict, is queued for the observer once.

use std::rc::Rc;

use super::durable_overlay::DurableOverlay;
use super::store::{Key, VersionedStore, Write};
use super::KvError;
use super::{
    FaultEffect, FaultInjector, FaultType, InjectedFault, KvEvent, KvOp, Value,
    TORN_NEAR_START_BYTES,
};
use crate::bugs::{Bug, BugSet};
use crate::sim::{Chance, DeterministicRng, KillSwitch};

/// How often a torn (partial) write is cut near the start of its value: one in four, so that
/// readers meet values too short to hold a header or checksum, not only values cut somewhere
/// in a long body (a uniform cut of a 450-byte record leaves fewer than 8 bytes 2% of the time).
const TORN_NEAR_START: Chance = Chance::Below(1 << 62);

/// The shared state behind every clone of a `SimStorage` handle.
pub(crate) struct SimState {
    /// What the running process sees.
    pub(crate) visible: VersionedStore,
    /// What survives a crash, relative to `visible`.
    pub(crate) durable: DurableOverlay,
    /// Decides which fault fires on each operation; its faults stream shapes the effects.
    pub(crate) injector: FaultInjector,
    /// The planted storage bugs.
    pub(crate) bugs: BugSet,
    crash_rng: DeterministicRng,
    kill_switch: KillSwitch,
    reports: Vec<KvEvent>,
}

/// The error a caller sees for `fault` on `op` of the actor-relative `key`.
pub(crate) fn fault_error(fault: FaultType, op: KvOp, key: &[u8]) -> KvError {
    KvError::FaultInjected {
        fault,
        op,
        key: key.to_vec(),
    }
}

impl SimState {
    /// Empty maps, ready for a first process.
    pub(crate) fn new(
        injector: FaultInjector,
        crash_rng: DeterministicRng,
        kill_switch: KillSwitch,
        bugs: BugSet,
    ) -> Self {
        SimState {
            visible: VersionedStore::default(),
            durable: DurableOverlay::default(),
            injector,
            bugs,
            crash_rng,
            kill_switch,
            reports: Vec::new(),
        }
    }

    /// Queues a fired fault for the observer.
    pub(crate) fn report(&mut self, fault: FaultType, op: KvOp, key: &[u8], effect: FaultEffect) {
        assert!(
            fault.applies_to(op),
            "{} reported on {}",
            fault.name(),
            op.name()
        );
        let operation = self.injector.operations_seen();
        let fault = InjectedFault {
            fault,
            op,
            key: key.to_vec(),
            effect,
        };
        self.reports.push(KvEvent::Fault { fault, operation });
    }

    /// Takes the queued reports, oldest first.
    pub(crate) fn take_reports(&mut self) -> Vec<KvEvent> {
        std::mem::take(&mut self.reports)
    }

    /// Writes a batch of `actor`'s keys under `fault` (or none), on behalf of `op`. Returns
    /// what the caller sees.
    pub(crate) fn write(
        &mut self,
        op: KvOp,
        actor: &Rc<[u8]>,
        mut writes: Vec<Write>,
        fault: Option<FaultType>,
    ) -> Result<(), KvError> {
        assert!(op.is_write(), "{} does not write", op.name());
        let Some(fault) = fault else {
            self.apply_acknowledged(actor, &writes);
            return Ok(());
        };
        let first_key = writes
            .first()
            .map(|(key, _)| key.to_vec())
            .unwrap_or_default();
        match fault {
            FaultType::CrashBeforeWrite => Err(self.crash(fault, op, &first_key, &[])),
            FaultType::CrashAfterWrite => {
                self.apply_durably(actor, &writes);
                Err(self.crash(fault, op, &first_key, &writes))
            }
            FaultType::CrashDuringTransaction => {
                let applied = self.crash_cut(writes.len());
                self.apply_durably(actor, &writes[..applied]);
                Err(self.crash(fault, op, &first_key, &writes[..applied]))
            }
            FaultType::MisdirectedWrite => {
                self.misdirect(op, actor, &mut writes);
                self.apply_acknowledged(actor, &writes);
                Ok(())
            }
            FaultType::PartialWrite => {
                self.truncate(op, &mut writes);
                self.apply_acknowledged(actor, &writes);
                Ok(())
            }
            FaultType::FsyncFail | FaultType::UnflushedLoss => {
                self.apply_visibly_only(actor, &writes);
                let keys = writes.iter().map(|(k, _)| k.to_vec());
                let effect = FaultEffect::NotDurable {
                    keys: keys.collect(),
                };
                self.report(fault, op, &first_key, effect);
                match fault {
                    FaultType::FsyncFail => Err(fault_error(fault, op, &first_key)),
                    _ => Ok(()),
                }
            }
            other => panic!("{} has no write effect", other.name()),
        }
    }

    /// A commit whose read set changed: nothing is written and the caller sees `conflict`.
    /// A fault that fired on it still has its say: a crash kills the process (nothing applied);
    /// any other fault (one that shapes a write) finds nothing written and is reported `Inert`.
    pub(crate) fn reject(
        &mut self,
        key: &[u8],
        fault: Option<FaultType>,
        conflict: KvError,
    ) -> KvError {
        assert!(
            matches!(conflict, KvError::Conflict { .. }),
            "a refusal is a conflict"
        );
        self.reports.push(KvEvent::Conflict { key: key.to_vec() });
        match fault {
            Some(fault) if fault.is_crash() => self.crash(fault, KvOp::Commit, key, &[]),
            Some(fault) => {
                self.report(fault, KvOp::Commit, key, FaultEffect::Inert);
                conflict
            }
            None => conflict,
        }
    }

    /// Applies a read fault to the values a read returns: with `storage_corruption`, one of
    /// `values` (faults stream) is replaced by a copy with one byte flipped (the stored value
    /// is untouched) and the fault is reported under that value's key (or `key` when there is
    /// no value). `values` is only walked when a fault fired.
    pub(crate) fn corrupt_read<'v>(
        &mut self,
        op: KvOp,
        key: &[u8],
        fault: Option<FaultType>,
        values: impl Iterator<Item = (&'v [u8], &'v mut Value)>,
    ) {
        let Some(fault) = fault else { return };
        let mut values: Vec<(&[u8], &mut Value)> = values.collect();
        assert_eq!(
            fault,
            FaultType::StorageCorruption,
            "only corruption is left"
        );
        assert!(!op.is_write(), "corruption on {}", op.name());
        if values.is_empty() {
            self.report(fault, op, key, FaultEffect::CorruptedRead);
            return;
        }
        let rng = self.injector.faults_stream();
        let picked = rng.index(values.len());
        let (entry_key, value) = &mut values[picked];
        let mut corrupted = value.to_vec();
        if corrupted.is_empty() {
            let garbage = rng.range_u64(0, 256);
            corrupted.push(u8::try_from(garbage).expect("a byte"));
        } else {
            let position = rng.index(corrupted.len());
            corrupted[position] ^= 0xFF;
        }
        assert_ne!(
            corrupted.as_slice(),
            value.as_ref(),
            "a corrupted read differs"
        );
        **value = Value::from(corrupted);
        let entry_key = entry_key.to_vec();
        self.report(fault, op, &entry_key, FaultEffect::CorruptedRead);
    }

    /// [`SimState::corrupt_read`] for the entries a range read returns under `prefix`: only
    /// a read that returns values (`with_values`) may be corrupted, never a key-only read.
    pub(crate) fn corrupt_range(
        &mut self,
        op: KvOp,
        prefix: &[u8],
        fault: Option<FaultType>,
        entries: &mut [(Key, Value)],
        with_values: bool,
    ) {
        assert!(!op.is_write(), "a range read is no write");
        let values = entries.iter_mut().filter(|_| with_values);
        self.corrupt_read(op, prefix, fault, values.map(|(k, v)| (&**k, v)));
    }

    /// The process restarts: what it sees becomes what was durable. Versions are renewed, so no
    /// read of the dead process validates any more.
    pub(crate) fn restart(&mut self) {
        let durable = self.durable.take_all(&self.visible);
        self.visible.reset_to_entries(durable);
        self.kill_switch.reset();
    }

    /// The durable value of `actor`'s `key`, or `None` when a crash would leave it absent.
    pub(crate) fn durable_value(&self, actor: &[u8], key: &[u8]) -> Option<&Value> {
        self.durable.get(&self.visible, actor, key)
    }

    /// How many keys of `actor` are durable.
    pub(crate) fn durable_len(&self, actor: &[u8]) -> usize {
        self.durable.len(&self.visible, actor)
    }

    /// Every durable (key, value) of `actor`, ascending: what a crash would keep.
    pub(crate) fn durable_entries(&self, actor: &[u8]) -> Vec<(Key, Value)> {
        self.durable.entries(&self.visible, actor)
    }

    fn apply_acknowledged(&mut self, actor: &Rc<[u8]>, writes: &[Write]) {
        if self.bugs.has(Bug::AckBeforeDurable) {
            return self.apply_visibly_only(actor, writes);
        }
        self.apply_durably(actor, writes);
    }

    fn apply_durably(&mut self, actor: &Rc<[u8]>, writes: &[Write]) {
        self.visible.apply(actor, writes);
        self.durable.landed_durably(actor, writes);
    }

    fn apply_visibly_only(&mut self, actor: &Rc<[u8]>, writes: &[Write]) {
        self.durable
            .keep_before_visible_only(&self.visible, actor, writes);
        self.visible.apply(actor, writes);
    }

    /// How many writes of a batch of `len` land before a crash during commit.
    fn crash_cut(&mut self, len: usize) -> usize {
        if self.bugs.has(Bug::TornCommit) && len >= 2 {
            let cut = self.crash_rng.range_u64(1, len as u64);
            return usize::try_from(cut).expect("cut fits in usize");
        }
        if self.crash_rng.chance(0.5) {
            len
        } else {
            0
        }
    }

    fn crash(&mut self, fault: FaultType, op: KvOp, key: &[u8], applied: &[Write]) -> KvError {
        assert!(fault.is_crash());
        self.kill_switch.trigger();
        let applied = applied.iter().map(|(k, _)| k.to_vec());
        let effect = FaultEffect::Crashed {
            applied: applied.collect(),
        };
        self.report(fault, op, key, effect);
        fault_error(fault, op, key)
    }

    fn misdirect(&mut self, op: KvOp, actor: &[u8], writes: &mut [Write]) {
        let eligible: Vec<usize> = (0..writes.len())
            .filter(|i| writes[*i].1.is_some())
            .collect();
        if eligible.is_empty() {
            return self.report(FaultType::MisdirectedWrite, op, &[], FaultEffect::Inert);
        }
        let rng = self.injector.faults_stream();
        let chosen = eligible[rng.index(eligible.len())];
        let candidates: Vec<&Rc<[u8]>> = self
            .visible
            .scan(actor, b"")
            .map(|(key, _)| key)
            .filter(|key| writes.iter().all(|(written, _)| written != *key))
            .collect();
        let intended = Rc::clone(&writes[chosen].0);
        let target: Rc<[u8]> = if candidates.is_empty() {
            let mut target = intended.to_vec();
            target.extend_from_slice(b"#misdirected");
            target.into()
        } else {
            Rc::clone(candidates[rng.index(candidates.len())])
        };
        assert_ne!(target, intended, "a misdirected write misses its key");
        writes[chosen].0 = Rc::clone(&target);
        let effect = FaultEffect::Misdirected {
            landed_at: target.to_vec(),
        };
        self.report(FaultType::MisdirectedWrite, op, &intended, effect);
    }

    fn truncate(&mut self, op: KvOp, writes: &mut [Write]) {
        let eligible: Vec<usize> = (0..writes.len())
            .filter(|i| writes[*i].1.as_ref().is_some_and(|v| !v.is_empty()))
            .collect();
        let fault = FaultType::PartialWrite;
        if eligible.is_empty() {
            let key = writes.first().map(|(k, _)| k.to_vec()).unwrap_or_default();
            return self.report(fault, op, &key, FaultEffect::Inert);
        }
        let rng = self.injector.faults_stream();
        let (key, value) = &mut writes[eligible[rng.index(eligible.len())]];
        let value = value.as_mut().expect("eligible writes carry a value");
        let full_len = value.len();
        let cut_near_start = rng.draw(TORN_NEAR_START);
        let kept_max = match cut_near_start {
            true => full_len.min(TORN_NEAR_START_BYTES),
            false => full_len,
        };
        let kept = usize::try_from(rng.range_u64(0, kept_max as u64)).expect("fits in usize");
        *value = Value::from(&value[..kept]);
        assert!(
            value.len() < full_len,
            "a partial write is strictly shorter"
        );
        let key = key.to_vec();
        self.report(fault, op, &key, FaultEffect::Truncated { kept_len: kept });
    }
}
