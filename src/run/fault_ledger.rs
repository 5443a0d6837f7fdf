//! [`FaultLedger`]: the run's own account of the faults storage injected, checked against the
//! scenario's rules as the scenario documents them, independently of the injector: a fault
//! fires only where an enabled rule for it allows it (its operations, the operations the fault
//! can hit, after its `after_operations`, on an operation count that never goes back); no
//! rule's fault fires more often than its `max_triggers` allow (summed over the rules of its
//! type, and per rule for a fault only one rule can have fired); crashes stay within
//! `crash.crashes_max`; and at the end the counts storage reports are the faults it reported
//! one by one. A breach means the simulator itself is broken, so it panics (reported as a
//! `panic` with the seed).

use std::collections::BTreeMap;

use crate::kv::{FaultConfig, FaultType, InjectedFault, KvOp};

/// The faults a run has seen, by type, and the rules they must obey.
pub struct FaultLedger {
    rules: Vec<FaultConfig>,
    crashes_max: u64,
    fired: BTreeMap<FaultType, u64>,
    /// Faults only one rule allowed, by that rule's index.
    fired_by_rule: BTreeMap<usize, u64>,
    crashes: u64,
    /// The operation the last fault fired on: operations are counted from 1 and never go back.
    last_operation: u64,
}

/// Whether a KV operation writes, as the fault vocabulary documents it.
fn writes(op: KvOp) -> bool {
    matches!(op, KvOp::Set | KvOp::Delete | KvOp::Commit)
}

/// Whether `fault` can hit `op` at all: read faults hit reads, write faults writes, a crash
/// during a transaction only a commit, latency anything.
fn can_hit(fault: FaultType, op: KvOp) -> bool {
    match fault {
        FaultType::StorageLatency => true,
        FaultType::StorageReadFail | FaultType::StorageCorruption => !writes(op),
        FaultType::CrashDuringTransaction => op == KvOp::Commit,
        _ => writes(op),
    }
}

fn crashes(fault: FaultType) -> bool {
    matches!(
        fault,
        FaultType::CrashBeforeWrite
            | FaultType::CrashAfterWrite
            | FaultType::CrashDuringTransaction
    )
}

impl FaultLedger {
    /// A ledger for a run whose storage obeys `rules` and `crashes_max`.
    pub fn new(rules: Vec<FaultConfig>, crashes_max: u64) -> Self {
        FaultLedger {
            rules,
            crashes_max,
            fired: BTreeMap::new(),
            fired_by_rule: BTreeMap::new(),
            crashes: 0,
            last_operation: 0,
        }
    }

    /// Records `fault`, which fired on the injector's `operation`-th operation; panics when no
    /// rule allows it.
    pub fn record(&mut self, fault: &InjectedFault, operation: u64) {
        let kind = fault.fault;
        assert!(
            operation >= self.last_operation.max(1),
            "{kind:?} fired on operation {operation}, after a fault on operation {}: the injector's count went back",
            self.last_operation
        );
        self.last_operation = operation;
        let allowing: Vec<(usize, &FaultConfig)> = self
            .rules
            .iter()
            .enumerate()
            .filter(|(_, rule)| {
                rule.enabled
                    && rule.fault == kind
                    && (rule.operations.is_empty() || rule.operations.contains(&fault.op))
                    && operation > rule.after_operations
            })
            .collect();
        assert!(
            can_hit(kind, fault.op) && !allowing.is_empty(),
            "{kind:?} fired on {:?} (operation {operation}), which no rule allows",
            fault.op
        );
        let fired = self.fired.entry(kind).or_insert(0);
        *fired += 1;
        let limited: Option<u64> = self
            .rules
            .iter()
            .filter(|rule| rule.enabled && rule.fault == kind)
            .map(|rule| rule.max_triggers)
            .sum();
        assert!(
            limited.is_none_or(|max| *fired <= max),
            "{kind:?} fired {} times, over its rules' max_triggers",
            *fired
        );
        if let [(index, rule)] = allowing[..] {
            let by_rule = self.fired_by_rule.entry(index).or_insert(0);
            *by_rule += 1;
            assert!(
                rule.max_triggers.is_none_or(|max| *by_rule <= max),
                "rule {index} ({kind:?}) fired {} times, over its max_triggers",
                *by_rule
            );
        }
        if crashes(kind) {
            self.crashes += 1;
            assert!(
                self.crashes <= self.crashes_max,
                "crash {} is over crash.crashes_max {}",
                self.crashes,
                self.crashes_max
            );
        }
    }
}

impl FaultLedger {
    /// Panics unless `reported` (storage's count of each fault that fired, faults that never
    /// fired absent or zero) is what the ledger recorded one fault at a time.
    pub fn assert_counts(&self, reported: &BTreeMap<FaultType, u64>) {
        let reported: BTreeMap<FaultType, u64> = reported
            .iter()
            .filter(|(_, &count)| count > 0)
            .map(|(&fault, &count)| (fault, count))
            .collect();
        assert_eq!(
            reported, self.fired,
            "storage's fault counts differ from the faults it reported"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kv::FaultEffect;

    fn fired(fault: FaultType, op: KvOp) -> InjectedFault {
        InjectedFault {
            fault,
            op,
            key: b"k".to_vec(),
            effect: FaultEffect::Failed,
        }
    }

    #[test]
    fn faults_the_rules_allow_are_recorded() {
        let rules = vec![FaultConfig::new(FaultType::StorageReadFail, 0.5)
            .after(3)
            .max_triggers(2)];
        let mut ledger = FaultLedger::new(rules, 0);
        ledger.record(&fired(FaultType::StorageReadFail, KvOp::Get), 4);
        ledger.record(&fired(FaultType::StorageReadFail, KvOp::Get), 9);
    }

    #[test]
    #[should_panic(expected = "no rule allows")]
    fn a_fault_before_after_operations_is_refused() {
        let rules = vec![FaultConfig::new(FaultType::StorageReadFail, 0.5).after(3)];
        FaultLedger::new(rules, 0).record(&fired(FaultType::StorageReadFail, KvOp::Get), 3);
    }

    #[test]
    #[should_panic(expected = "max_triggers")]
    fn a_fault_over_max_triggers_is_refused() {
        let rules = vec![FaultConfig::new(FaultType::DiskFull, 0.5).max_triggers(1)];
        let mut ledger = FaultLedger::new(rules, 0);
        for _ in 0..2 {
            ledger.record(&fired(FaultType::DiskFull, KvOp::Set), 1);
        }
    }

    #[test]
    #[should_panic(expected = "rule 1 (StorageReadFail) fired 2 times")]
    fn a_rule_only_one_fault_fits_is_held_to_its_own_max_triggers() {
        let rules = vec![
            FaultConfig::new(FaultType::StorageReadFail, 0.5).on(&[KvOp::Get]),
            FaultConfig::new(FaultType::StorageReadFail, 0.5)
                .on(&[KvOp::ScanPrefix])
                .max_triggers(1),
        ];
        let mut ledger = FaultLedger::new(rules, 0);
        for _ in 0..2 {
            ledger.record(&fired(FaultType::StorageReadFail, KvOp::ScanPrefix), 1);
        }
    }

    #[test]
    fn faults_of_a_type_are_bounded_by_all_its_rules_together() {
        let rules = vec![
            FaultConfig::new(FaultType::StorageReadFail, 0.5)
                .on(&[KvOp::Get])
                .max_triggers(1),
            FaultConfig::new(FaultType::StorageReadFail, 0.5)
                .on(&[KvOp::ScanPrefix])
                .max_triggers(1),
        ];
        let mut ledger = FaultLedger::new(rules, 0);
        ledger.record(&fired(FaultType::StorageReadFail, KvOp::ScanPrefix), 1);
        ledger.record(&fired(FaultType::StorageReadFail, KvOp::Get), 2);
    }

    #[test]
    #[should_panic(expected = "went back")]
    fn operations_never_go_back() {
        let rules = vec![FaultConfig::new(FaultType::DiskFull, 0.5)];
        let mut ledger = FaultLedger::new(rules, 0);
        ledger.record(&fired(FaultType::DiskFull, KvOp::Set), 7);
        ledger.record(&fired(FaultType::DiskFull, KvOp::Set), 7);
        ledger.record(&fired(FaultType::DiskFull, KvOp::Set), 6);
    }

    #[test]
    fn storage_counts_must_match_the_faults_reported() {
        let rules = vec![FaultConfig::new(FaultType::DiskFull, 0.5)];
        let mut ledger = FaultLedger::new(rules, 0);
        ledger.record(&fired(FaultType::DiskFull, KvOp::Set), 1);
        ledger.assert_counts(&BTreeMap::from([
            (FaultType::DiskFull, 1),
            (FaultType::StorageLatency, 0),
        ]));
        let wrong = BTreeMap::from([(FaultType::DiskFull, 2)]);
        let caught = std::panic::catch_unwind(|| ledger.assert_counts(&wrong));
        assert!(caught.is_err(), "a count storage did not report is refused");
    }

    #[test]
    #[should_panic(expected = "crashes_max")]
    fn a_crash_over_the_budget_is_refused() {
        let rules = vec![FaultConfig::new(FaultType::CrashDuringTransaction, 0.5)];
        FaultLedger::new(rules, 0)
            .record(&fired(FaultType::CrashDuringTransaction, KvOp::Commit), 1);
    }

    #[test]
    #[should_panic(expected = "no rule allows")]
    fn a_read_fault_on_a_write_is_refused() {
        let rules = vec![FaultConfig::new(FaultType::StorageReadFail, 0.5)];
        FaultLedger::new(rules, 0).record(&fired(FaultType::StorageReadFail, KvOp::Set), 1);
    }
}
