//! What storage reported about one operation while it ran ([`OpNotes`]), and how the model
//! reads an operation's returned error in their light ([`classify`]): the error contract and
//! the retry contract.
//!
//! An error is admitted only when something explains it: a retriable fault that fired on this
//! operation (`fault_injected` naming it), a crash or fsync failure (the outcome is unknown), as
//! many conflicted commits as the documented attempts (`transaction_conflict`), a read fault
//! or a damaged record (`deserialization_failed`), or the state (`not_found`, judged per
//! candidate). Anything else breaks `error_contract`; a conflict surfaced after fewer attempts
//! breaks `retry_contract`.

use super::names::{fault_crashes, fault_name, fault_retriable, op_name};
use super::semantics::Predictions;
use crate::agent::{StorageError, CONFLICT_ATTEMPTS_MAX};
use crate::kv::{FaultEffect, FaultType, KvOp};

/// A damaged or misplaced write reported during an operation (actor-relative keys).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Damage {
    /// The value written under `key` was stored truncated.
    Truncated {
        /// Key holding the truncated value.
        key: Vec<u8>,
    },
    /// The value meant for `intended` was stored under `landed_at` instead.
    Misdirected {
        /// Key the write was meant for (left as it was).
        intended: Vec<u8>,
        /// Key whose value the write replaced.
        landed_at: Vec<u8>,
    },
}

/// A fault that fired during an operation: which, on which KV operation, and the
/// (actor-relative) key that operation addressed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FiredOn {
    /// The fault.
    pub fault: FaultType,
    /// The KV operation it fired on.
    pub op: KvOp,
    /// The key (or prefix) the operation addressed.
    pub key: Vec<u8>,
}

/// Everything storage reported while one operation ran.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OpNotes {
    /// Faults that made a storage call of the op fail with nothing changed.
    pub failed_faults: Vec<FiredOn>,
    /// A read of the op returned corrupted bytes.
    pub corrupted_read: bool,
    /// The crash fault that killed the process during the op.
    pub crashed: Option<FiredOn>,
    /// A fault that left the op's writes visible but not durable.
    pub not_durable: Option<FiredOn>,
    /// Commits of the op refused for a conflict.
    pub conflicts: u32,
    /// Writes of the op that faults damaged or sent astray.
    pub damage: Vec<Damage>,
    /// What the op's call would have done at each state its entity passed through while the
    /// op ran: a write that fails early decides on reads made before it returns.
    pub seen: Predictions,
}

impl OpNotes {
    /// Records what `fault` did to the op on KV operation `op` (`key` as the report names it).
    pub fn fault(&mut self, fault: FaultType, op: KvOp, key: &[u8], effect: &FaultEffect) {
        let fired = || FiredOn {
            fault,
            op,
            key: key.to_vec(),
        };
        match effect {
            FaultEffect::Failed => self.failed_faults.push(fired()),
            FaultEffect::CorruptedRead => self.corrupted_read = true,
            FaultEffect::Crashed { .. } => self.crashed = Some(fired()),
            FaultEffect::NotDurable { .. } => self.not_durable = Some(fired()),
            FaultEffect::Truncated { .. } => {
                self.damage.push(Damage::Truncated { key: key.to_vec() })
            }
            FaultEffect::Misdirected { landed_at } => self.damage.push(Damage::Misdirected {
                intended: key.to_vec(),
                landed_at: landed_at.clone(),
            }),
            FaultEffect::Delayed { .. } | FaultEffect::Inert => {}
        }
    }
}

/// How the model reads an operation's error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ErrorClass {
    /// A fault or conflict explains the error, and nothing was written.
    NoEffect,
    /// The operation may or may not have taken effect (a crash, an fsync failure).
    Unknown,
    /// `not_found` of this kind of entity: right only if the state says so.
    NotFound(&'static str),
    /// `deserialization_failed`: right if a read was corrupted or a record is damaged.
    Unreadable,
    /// Nothing explains the error; the evidence says why.
    Unexplained {
        /// `error_contract` or `retry_contract`.
        invariant: &'static str,
        /// Why the error is not admitted.
        reason: String,
    },
}

/// Whether the contract calls `error` retriable: write and read failures, conflicts, lost
/// connections, and injected faults that leave nothing behind.
fn retriable(error: &StorageError) -> bool {
    match error {
        StorageError::WriteFailed { .. }
        | StorageError::ReadFailed { .. }
        | StorageError::TransactionConflict { .. }
        | StorageError::ConnectionFailed { .. } => true,
        StorageError::FaultInjected { fault, .. } => fault_retriable(*fault),
        _ => false,
    }
}

/// Whether the text of a fault error names everything it must: the fault, the KV operation
/// and the key it fired on, rendered as documented (UTF-8, with U+FFFD for each invalid
/// sequence). The rendering is the oracle's own: sharing the adapter's would let a key the
/// adapter renders wrong (or empty) pass.
fn names_fired(detail: &str, fired: &FiredOn) -> bool {
    let key = String::from_utf8_lossy(&fired.key);
    detail.contains(fault_name(fired.fault))
        && detail.contains(op_name(fired.op))
        && detail.contains(key.as_ref())
}

/// Classifies `error`, whose text is `detail`, in the light of `notes`. The error's own
/// account of itself must hold first: whether it is retriable, and which fault it names.
pub fn classify(error: &StorageError, detail: &str, notes: &OpNotes) -> ErrorClass {
    let unexplained =
        |invariant: &'static str, reason: String| ErrorClass::Unexplained { invariant, reason };
    if error.is_retriable() != retriable(error) {
        let reason = format!(
            "is_retriable() is {} for a {} error",
            error.is_retriable(),
            error.kind()
        );
        return unexplained("error_contract", reason);
    }
    let named = match error {
        StorageError::FaultInjected { fault, .. } => Some(*fault),
        _ => None,
    };
    if error.fault() != named {
        return unexplained(
            "error_contract",
            format!("fault() is {:?}, not {named:?}", error.fault()),
        );
    }
    match error {
        StorageError::FaultInjected { fault, .. } => {
            let fault = *fault;
            let fired = match fault {
                f if fault_crashes(f) => notes.crashed.iter().find(|c| c.fault == f),
                FaultType::FsyncFail => notes.not_durable.iter().find(|c| c.fault == fault),
                f if fault_retriable(f) => notes.failed_faults.iter().find(|c| c.fault == f),
                _ => None,
            };
            let Some(fired) = fired else {
                let reason = format!("{} did not fail this operation", fault_name(fault));
                return unexplained("error_contract", reason);
            };
            if !names_fired(detail, fired) {
                let key = String::from_utf8_lossy(&fired.key);
                let reason = format!(
                    "the error does not name {} on {} of key '{key}'",
                    fault_name(fault),
                    op_name(fired.op)
                );
                return unexplained("error_contract", reason);
            }
            match fault_retriable(fault) {
                true => ErrorClass::NoEffect,
                false => ErrorClass::Unknown,
            }
        }
        StorageError::TransactionConflict { .. } => match notes.conflicts {
            0 => unexplained("error_contract", "no commit of this operation conflicted".into()),
            n if n == CONFLICT_ATTEMPTS_MAX => ErrorClass::NoEffect,
            n => unexplained(
                "retry_contract",
                format!("the conflict surfaced after {n} conflicted attempts, not {CONFLICT_ATTEMPTS_MAX}"),
            ),
        },
        StorageError::NotFound { kind, id } if detail.contains(id.as_str()) => ErrorClass::NotFound(kind),
        StorageError::NotFound { .. } => unexplained("error_contract", "the error does not name what is missing".into()),
        StorageError::DeserializationFailed { .. } => ErrorClass::Unreadable,
        other => unexplained("error_contract", format!("storage never explains a {} error", other.kind())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fault_error(fault: FaultType) -> StorageError {
        StorageError::FaultInjected {
            fault,
            operation: "commit".into(),
            key: "k".into(),
        }
    }

    fn classify_error(error: &StorageError, notes: &OpNotes) -> ErrorClass {
        classify(error, &error.to_string(), notes)
    }

    #[test]
    fn a_fault_error_needs_its_fault() {
        let error = fault_error(FaultType::StorageWriteFail);
        let mut notes = OpNotes::default();
        assert!(matches!(
            classify_error(&error, &notes),
            ErrorClass::Unexplained {
                invariant: "error_contract",
                ..
            }
        ));
        notes.fault(
            FaultType::StorageWriteFail,
            KvOp::Commit,
            b"k",
            &FaultEffect::Failed,
        );
        assert_eq!(classify_error(&error, &notes), ErrorClass::NoEffect);
        let silent = classify(&error, "write failed", &notes);
        assert!(
            matches!(silent, ErrorClass::Unexplained { .. }),
            "an error must name its fault"
        );
        let crash = fault_error(FaultType::CrashDuringTransaction);
        let crashed = FaultEffect::Crashed { applied: vec![] };
        notes.fault(
            FaultType::CrashDuringTransaction,
            KvOp::Commit,
            b"k",
            &crashed,
        );
        assert_eq!(classify_error(&crash, &notes), ErrorClass::Unknown);
    }

    #[test]
    fn a_conflict_must_come_after_every_attempt() {
        let conflict = StorageError::TransactionConflict {
            operation: "commit".into(),
            key: "k".into(),
        };
        let mut notes = OpNotes::default();
        let class = classify_error(&conflict, &notes);
        assert!(matches!(
            class,
            ErrorClass::Unexplained {
                invariant: "error_contract",
                ..
            }
        ));
        notes.conflicts = 1;
        let class = classify_error(&conflict, &notes);
        assert!(matches!(
            class,
            ErrorClass::Unexplained {
                invariant: "retry_contract",
                ..
            }
        ));
        notes.conflicts = CONFLICT_ATTEMPTS_MAX;
        assert_eq!(classify_error(&conflict, &notes), ErrorClass::NoEffect);
    }

    #[test]
    fn errors_storage_never_gives_are_unexplained() {
        let internal = StorageError::Internal { reason: "x".into() };
        let class = classify_error(&internal, &OpNotes::default());
        assert!(matches!(
            class,
            ErrorClass::Unexplained {
                invariant: "error_contract",
                ..
            }
        ));
        let missing = StorageError::NotFound {
            kind: "agent",
            id: "a-1".into(),
        };
        assert_eq!(
            classify_error(&missing, &OpNotes::default()),
            ErrorClass::NotFound("agent")
        );
        assert!(matches!(
            classify(&missing, "not found", &OpNotes::default()),
            ErrorClass::Unexplained { .. }
        ));
    }
}
