//! The documented names of faults and KV operations, restated for the oracle: an error that
//! names a fault or an operation must use these, and the oracle does not take the names from
//! the code that reports them.

use crate::kv::{FaultEffect, FaultType, KvOp};

/// The documented name of `fault` (as in scenarios, traces and error messages).
pub fn fault_name(fault: FaultType) -> &'static str {
    match fault {
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

/// Whether the contract calls an error from `fault` retriable: read fail, write fail and disk
/// full leave nothing behind and the process alive.
pub fn fault_retriable(fault: FaultType) -> bool {
    matches!(
        fault,
        FaultType::StorageReadFail | FaultType::StorageWriteFail | FaultType::DiskFull
    )
}

/// Whether `fault` ends the process.
pub fn fault_crashes(fault: FaultType) -> bool {
    matches!(
        fault,
        FaultType::CrashBeforeWrite
            | FaultType::CrashAfterWrite
            | FaultType::CrashDuringTransaction
    )
}

/// The documented name of the KV operation `op`.
pub fn op_name(op: KvOp) -> &'static str {
    match op {
        KvOp::Get => "get",
        KvOp::Set => "set",
        KvOp::Delete => "delete",
        KvOp::Exists => "exists",
        KvOp::ListKeys => "list_keys",
        KvOp::ScanPrefix => "scan_prefix",
        KvOp::TxnGet => "txn_get",
        KvOp::TxnScan => "txn_scan",
        KvOp::Commit => "commit",
    }
}

/// Whether `effect` is one the documented semantics of `fault` allow: a read fail, write fail
/// or disk full fails the call with nothing changed; a crash kills the process; latency
/// delays; corruption corrupts a read; fsync failure and unflushed loss leave writes not
/// durable; a misdirected or partial write moves or truncates a value. A fault that shapes a
/// write finds nothing to shape on a refused commit, or a batch without values: inert.
pub fn effect_fits(fault: FaultType, effect: &FaultEffect) -> bool {
    match fault {
        FaultType::StorageReadFail | FaultType::StorageWriteFail | FaultType::DiskFull => {
            *effect == FaultEffect::Failed
        }
        f if fault_crashes(f) => matches!(effect, FaultEffect::Crashed { .. }),
        FaultType::StorageLatency => matches!(effect, FaultEffect::Delayed { .. }),
        FaultType::StorageCorruption => *effect == FaultEffect::CorruptedRead,
        FaultType::FsyncFail | FaultType::UnflushedLoss => {
            matches!(effect, FaultEffect::NotDurable { .. } | FaultEffect::Inert)
        }
        FaultType::MisdirectedWrite => {
            matches!(effect, FaultEffect::Misdirected { .. } | FaultEffect::Inert)
        }
        FaultType::PartialWrite => {
            matches!(effect, FaultEffect::Truncated { .. } | FaultEffect::Inert)
        }
        _ => unreachable!("every fault type is covered above"),
    }
}
