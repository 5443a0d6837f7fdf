//! `StorageError`: the one error type of the storage stack, from the byte-level KV up to
//! `AgentStorage`. Messages are lowercase and name the operation and the key.

use std::fmt;

use crate::kv::{FaultType, KvError};

/// An error of the storage stack. Injected faults are typed values ([`StorageError::FaultInjected`])
/// that callers must handle; bugs in the harness itself panic instead.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StorageError {
    /// The entity does not exist.
    NotFound {
        /// Kind of entity looked up (`agent`, `block`).
        kind: &'static str,
        /// Id of the missing entity.
        id: String,
    },
    /// The entity exists already.
    AlreadyExists {
        /// Kind of entity that was to be created.
        kind: &'static str,
        /// Id of the existing entity.
        id: String,
    },
    /// A write did not happen.
    WriteFailed {
        /// Name of the operation that failed.
        operation: String,
        /// Key that was not written, rendered by [`display_key`].
        key: String,
        /// Why the write failed.
        reason: String,
    },
    /// A read did not happen.
    ReadFailed {
        /// Name of the operation that failed.
        operation: String,
        /// Key that was not read, rendered by [`display_key`].
        key: String,
        /// Why the read failed.
        reason: String,
    },
    /// A transaction's read set changed before it committed; nothing was written.
    TransactionConflict {
        /// Operation whose transaction conflicted (`commit`).
        operation: String,
        /// First key of the read set that changed, actor-relative.
        key: String,
    },
    /// A record could not be encoded.
    SerializationFailed {
        /// Key the record was to be stored under.
        key: String,
        /// Why encoding failed.
        reason: String,
    },
    /// A stored record failed verification or decoding (corruption, torn or misdirected write).
    DeserializationFailed {
        /// Key the value was read from.
        key: String,
        /// What verification or decoding found wrong.
        reason: String,
    },
    /// The store cannot be reached (in the simulation: the process has crashed).
    ConnectionFailed {
        /// Operation that could not reach the store.
        operation: String,
        /// Why the store is unreachable.
        reason: String,
    },
    /// An argument the API refuses: an id that would break the key layout (empty, containing
    /// `/`), or a record that contradicts the call (a message of another agent).
    InvalidArgument {
        /// What was refused, e.g. `agent id`.
        what: &'static str,
        /// The refused value.
        value: String,
        /// Why it was refused.
        reason: &'static str,
    },
    /// A limit of the API was exceeded (name length, pending tool calls, load limit, ...).
    LimitExceeded {
        /// What was limited, e.g. `agent id` (a length in bytes) or a count.
        what: &'static str,
        /// The value that was refused.
        value: u64,
        /// The largest value allowed.
        limit: u64,
    },
    /// The fault injector fired `fault` on `operation` of `key`.
    FaultInjected {
        /// The fault that fired.
        fault: FaultType,
        /// Name of the KV operation it fired on (`KvOp::name`).
        operation: String,
        /// Actor-relative key the operation addressed, rendered by [`display_key`].
        key: String,
    },
    /// A broken internal expectation that is not the caller's fault.
    Internal {
        /// What expectation broke.
        reason: String,
    },
}

impl StorageError {
    /// Whether retrying the same operation may succeed: write and read failures, conflicts and
    /// connection failures are retriable, as are injected faults that leave no effect behind
    /// (read fail, write fail, disk full). Crash faults are not: the process is gone.
    pub fn is_retriable(&self) -> bool {
        match self {
            StorageError::WriteFailed { .. }
            | StorageError::ReadFailed { .. }
            | StorageError::TransactionConflict { .. }
            | StorageError::ConnectionFailed { .. } => true,
            StorageError::FaultInjected { fault, .. } => fault.is_retriable(),
            _ => false,
        }
    }

    /// The injected fault behind this error, if any.
    pub fn fault(&self) -> Option<FaultType> {
        match self {
            StorageError::FaultInjected { fault, .. } => Some(*fault),
            _ => None,
        }
    }

    /// A short stable name of the variant, for counters and traces.
    pub fn kind(&self) -> &'static str {
        match self {
            StorageError::NotFound { .. } => "not_found",
            StorageError::AlreadyExists { .. } => "already_exists",
            StorageError::WriteFailed { .. } => "write_failed",
            StorageError::ReadFailed { .. } => "read_failed",
            StorageError::TransactionConflict { .. } => "transaction_conflict",
            StorageError::SerializationFailed { .. } => "serialization_failed",
            StorageError::DeserializationFailed { .. } => "deserialization_failed",
            StorageError::ConnectionFailed { .. } => "connection_failed",
            StorageError::InvalidArgument { .. } => "invalid_argument",
            StorageError::LimitExceeded { .. } => "limit_exceeded",
            StorageError::FaultInjected { .. } => "fault_injected",
            StorageError::Internal { .. } => "internal",
        }
    }
}

/// The text of [`StorageError::write_text`].
impl fmt::Display for StorageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut text = String::new();
        self.write_text(&mut text);
        f.write_str(&text)
    }
}

impl std::error::Error for StorageError {}

impl From<KvError> for StorageError {
    /// The agent layer's view of a KV failure: the same fault, conflict or refusal, with the
    /// key rendered by [`display_key`].
    fn from(error: KvError) -> Self {
        match error {
            KvError::FaultInjected { fault, op, key } => StorageError::FaultInjected {
                fault,
                operation: op.name().to_string(),
                key: display_key(&key),
            },
            KvError::Conflict { key } => StorageError::TransactionConflict {
                operation: "commit".to_string(),
                key: display_key(&key),
            },
            invalid @ KvError::InvalidActor { .. } => StorageError::Internal {
                reason: invalid.to_string(),
            },
        }
    }
}

/// Renders key bytes for error messages: UTF-8 when it is, with U+FFFD for each invalid
/// sequence otherwise (`String::from_utf8_lossy`, which costs more on the common valid key).
pub fn display_key(key: &[u8]) -> String {
    match super::utf8::as_str(key) {
        Some(text) => text.to_owned(),
        None => String::from_utf8_lossy(key).into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_key_is_the_lossy_rendering_of_any_bytes() {
        let keys: [&[u8]; 5] = [
            b"agents/a",
            "sessions/\u{e9}/s".as_bytes(),
            b"",
            &[0xff, b'/', 0xc3],
            &[b'a', 0xe2, 0x82],
        ];
        for key in keys {
            assert_eq!(display_key(key), String::from_utf8_lossy(key), "{key:?}");
        }
    }
}
