//! Fault types and fault rules: the vocabulary of the fault injector.
//!
//! Storage fault types, with their exact effect in `SimStorage`:
//! - `storage_write_fail`, `disk_full`: nothing written, the caller sees an error (retriable).
//! - `storage_read_fail`: nothing read, the caller sees an error (retriable).
//! - `storage_corruption`: a read returns the stored value with bits flipped; the caller sees
//!   success (records must detect it).
//! - `storage_latency`: the operation waits `latency_ms_min..=latency_ms_max` simulated ms.
//! - `crash_before_write`: nothing written, the process dies, the caller sees an error.
//! - `crash_after_write`: written durably, the process dies, the caller sees an error.
//! - `crash_during_transaction` (commit): all writes land or none (decided by the `crash`
//!   stream), the process dies, the caller sees an error.
//! - `misdirected_write`: the value lands under another key (deletes carry none and are never
//!   misdirected); the caller sees success.
//! - `partial_write`: the value is truncated; the caller sees success.
//! - `fsync_fail`: written but not durable, the caller sees an error.
//! - `unflushed_loss`: the caller sees success, nothing is durable.

use serde::{Deserialize, Serialize};

use super::KvOp;

/// A storage fault the injector can fire.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultType {
    /// A write fails with nothing written.
    StorageWriteFail,
    /// A read fails.
    StorageReadFail,
    /// A read returns a corrupted value.
    StorageCorruption,
    /// An operation is delayed in simulated time.
    StorageLatency,
    /// A write fails because the disk is full.
    DiskFull,
    /// The process dies before the write.
    CrashBeforeWrite,
    /// The process dies after the write is durable.
    CrashAfterWrite,
    /// The process dies during commit; the commit lands whole or not at all.
    CrashDuringTransaction,
    /// The write lands under another key.
    MisdirectedWrite,
    /// The written value is truncated.
    PartialWrite,
    /// The write is visible but not durable; the caller sees an error.
    FsyncFail,
    /// The write is acknowledged but not durable.
    UnflushedLoss,
}

impl FaultType {
    /// Every fault type, in a fixed order.
    pub const ALL: [FaultType; 12] = [
        FaultType::StorageWriteFail,
        FaultType::StorageReadFail,
        FaultType::StorageCorruption,
        FaultType::StorageLatency,
        FaultType::DiskFull,
        FaultType::CrashBeforeWrite,
        FaultType::CrashAfterWrite,
        FaultType::CrashDuringTransaction,
        FaultType::MisdirectedWrite,
        FaultType::PartialWrite,
        FaultType::FsyncFail,
        FaultType::UnflushedLoss,
    ];

    /// The stable snake_case name (as in scenarios and traces).
    pub fn name(self) -> &'static str {
        match self {
            FaultType::StorageWriteFail => "storage_write_fail",
            FaultType::StorageReadFail => "storage_read_fail",
            FaultType::StorageCorruption => "storage_corruption",
            FaultType::StorageLatency => "storage_latency",
            FaultType::DiskFull => "disk_full",
            FaultType::CrashBeforeWrite => "crash_before_write",
            FaultType::CrashAfterWrite => "crash_after_write",
            FaultType::CrashDuringTransaction => "crash_during_transaction",
            FaultType::MisdirectedWrite => "misdirected_write",
            FaultType::PartialWrite => "partial_write",
            FaultType::FsyncFail => "fsync_fail",
            FaultType::UnflushedLoss => "unflushed_loss",
        }
    }

    /// Whether the fault ends the simulated process.
    pub fn is_crash(self) -> bool {
        matches!(
            self,
            FaultType::CrashBeforeWrite
                | FaultType::CrashAfterWrite
                | FaultType::CrashDuringTransaction
        )
    }

    /// Whether an error caused by this fault is worth retrying: only faults that leave nothing
    /// behind and do not end the process.
    pub fn is_retriable(self) -> bool {
        matches!(
            self,
            FaultType::StorageWriteFail | FaultType::StorageReadFail | FaultType::DiskFull
        )
    }

    /// Whether the fault can fire on `op`. Read faults fire on reads, write faults on writes;
    /// `crash_during_transaction` only on commit; latency on anything.
    pub fn applies_to(self, op: KvOp) -> bool {
        match self {
            FaultType::StorageLatency => true,
            FaultType::StorageReadFail | FaultType::StorageCorruption => !op.is_write(),
            FaultType::CrashDuringTransaction => op == KvOp::Commit,
            FaultType::StorageWriteFail
            | FaultType::DiskFull
            | FaultType::CrashBeforeWrite
            | FaultType::CrashAfterWrite
            | FaultType::MisdirectedWrite
            | FaultType::PartialWrite
            | FaultType::FsyncFail
            | FaultType::UnflushedLoss => op.is_write(),
        }
    }
}

fn enabled_by_default() -> bool {
    true
}

/// One fault rule: fire `fault` with `probability` on matching operations.
///
/// Invariants (checked by [`FaultConfig::validate`]): `probability` in 0..=1;
/// `latency_ms_min <= latency_ms_max`; every filtered operation is one the fault applies to.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultConfig {
    /// The fault to inject.
    pub fault: FaultType,
    /// Chance of firing on each matching operation, 0..=1.
    pub probability: f64,
    /// Operations the rule fires on; empty means every operation the fault applies to.
    #[serde(default)]
    pub operations: Vec<KvOp>,
    /// The rule stays silent until the injector has seen this many operations.
    #[serde(default)]
    pub after_operations: u64,
    /// The rule fires at most this many times; `None` is unlimited.
    #[serde(default)]
    pub max_triggers: Option<u64>,
    /// A disabled rule never fires and never draws.
    #[serde(default = "enabled_by_default")]
    pub enabled: bool,
    /// Shortest injected delay (latency rules only).
    #[serde(default)]
    pub latency_ms_min: u64,
    /// Longest injected delay (latency rules only).
    #[serde(default)]
    pub latency_ms_max: u64,
}

impl FaultConfig {
    /// A rule firing `fault` with `probability` on every operation it applies to.
    pub fn new(fault: FaultType, probability: f64) -> Self {
        FaultConfig {
            fault,
            probability,
            operations: Vec::new(),
            after_operations: 0,
            max_triggers: None,
            enabled: true,
            latency_ms_min: 0,
            latency_ms_max: 0,
        }
    }

    /// Restricts the rule to `operations`.
    pub fn on(mut self, operations: &[KvOp]) -> Self {
        self.operations = operations.to_vec();
        self
    }

    /// Keeps the rule silent for the first `operations` operations.
    pub fn after(mut self, operations: u64) -> Self {
        self.after_operations = operations;
        self
    }

    /// Caps the number of times the rule fires.
    pub fn max_triggers(mut self, triggers: u64) -> Self {
        self.max_triggers = Some(triggers);
        self
    }

    /// Sets the delay range of a latency rule.
    pub fn latency_ms(mut self, min: u64, max: u64) -> Self {
        self.latency_ms_min = min;
        self.latency_ms_max = max;
        self
    }

    /// Whether the rule can fire on `op` (ignoring probability and counters).
    pub fn matches(&self, op: KvOp) -> bool {
        self.enabled
            && self.fault.applies_to(op)
            && (self.operations.is_empty() || self.operations.contains(&op))
    }

    /// Checks the invariants; the error names the field and the bad value.
    pub fn validate(&self) -> Result<(), String> {
        if !(0.0..=1.0).contains(&self.probability) || self.probability.is_nan() {
            return Err(format!(
                "probability of {} is {}, must be within 0..=1",
                self.fault.name(),
                self.probability
            ));
        }
        if self.latency_ms_min > self.latency_ms_max {
            return Err(format!(
                "latency_ms_min {} exceeds latency_ms_max {} for {}",
                self.latency_ms_min,
                self.latency_ms_max,
                self.fault.name()
            ));
        }
        if let Some(op) = self
            .operations
            .iter()
            .find(|op| !self.fault.applies_to(**op))
        {
            return Err(format!(
                "{} cannot fire on operation {}",
                self.fault.name(),
                op.name()
            ));
        }
        if self.max_triggers == Some(0) {
            return Err(format!(
                "max_triggers of {} is 0; disable the rule instead",
                self.fault.name()
            ));
        }
        Ok(())
    }
}

/// A partial write cut near the start of its value keeps fewer than this many bytes: where a
/// record's header or checksum would be (`SimStorage` cuts one torn write in four there).
pub const TORN_NEAR_START_BYTES: usize = 16;

/// What an injected fault did, reported to the fault observer of `SimStorage` so the model
/// knows which keys a fault touched.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FaultEffect {
    /// The operation failed with nothing changed.
    Failed,
    /// The fault found nothing to act on (a misdirect or truncation of a batch without a
    /// value to move or shorten): the operation went through intact.
    Inert,
    /// The operation was delayed by this many simulated ms.
    Delayed {
        /// Delay added to the operation, simulated ms.
        delay_ms: u64,
    },
    /// A read returned a corrupted copy of the stored value (the stored value is intact).
    CorruptedRead,
    /// The value of `key` was stored truncated to `kept_len` bytes.
    Truncated {
        /// Length of the stored prefix of the value, bytes.
        kept_len: usize,
    },
    /// The value meant for `key` landed under `landed_at` instead.
    Misdirected {
        /// Actor-relative key the value landed under; empty if no write was eligible.
        landed_at: Vec<u8>,
    },
    /// These writes are visible but not durable: a crash loses them.
    NotDurable {
        /// Actor-relative keys of the writes a crash would lose.
        keys: Vec<Vec<u8>>,
    },
    /// The process died; `applied` lists the keys whose writes landed durably first.
    Crashed {
        /// Actor-relative keys whose writes landed durably before the crash.
        applied: Vec<Vec<u8>>,
    },
}

/// One fault that fired, as reported to the observer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InjectedFault {
    /// Which fault.
    pub fault: FaultType,
    /// On which operation.
    pub op: KvOp,
    /// The (actor-relative) key the operation addressed; for a commit, the key the fault
    /// touched, or the first written key.
    pub key: Vec<u8>,
    /// What it did.
    pub effect: FaultEffect,
}

/// What `SimStorage` reports to its observer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KvEvent {
    /// A fault fired on the injector's `operation`-th operation (counting from 1).
    Fault {
        /// The fault and what it did.
        fault: InjectedFault,
        /// How many operations the injector had been asked about when it fired.
        operation: u64,
    },
    /// A commit was refused because its read set changed; `key` is the (actor-relative) key
    /// of the commit's first write, or empty when it wrote nothing.
    Conflict {
        /// First written key of the refused commit.
        key: Vec<u8>,
    },
}
