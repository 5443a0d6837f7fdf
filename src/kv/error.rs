//! [`KvError`]: what the byte-level KV reports when a call fails, with the key bytes as they
//! are. The layers above wrap it into their own errors (`StorageError` in the agent layer).

use std::fmt;

use super::{FaultType, KvOp};

/// A failed KV call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KvError {
    /// The fault injector fired `fault` on `op` of the (actor-relative) `key`.
    FaultInjected {
        /// The fault that fired.
        fault: FaultType,
        /// The KV operation it fired on.
        op: KvOp,
        /// The key (or prefix) the operation addressed.
        key: Vec<u8>,
    },
    /// A commit's read set changed since it was read; nothing was written.
    Conflict {
        /// The first key (or scanned prefix) of the read set that changed.
        key: Vec<u8>,
    },
    /// An actor id part that cannot name an actor (empty, or containing `:` or `/`).
    InvalidActor {
        /// Which part: `namespace` or `id`.
        part: &'static str,
        /// The refused value.
        value: String,
    },
}

impl fmt::Display for KvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KvError::FaultInjected { fault, op, key } => write!(
                f,
                "fault injected: {} on {} of key '{}'",
                fault.name(),
                op.name(),
                String::from_utf8_lossy(key)
            ),
            KvError::Conflict { key } => write!(
                f,
                "transaction conflict: commit: key '{}' changed since it was read",
                String::from_utf8_lossy(key)
            ),
            KvError::InvalidActor { part, value } => write!(f, "invalid actor {part} '{value}'"),
        }
    }
}

impl std::error::Error for KvError {}
