//! The text of a [`StorageError`], rendered without the formatting machinery (every failed
//! operation's error is rendered for its trace event).

use super::error::StorageError;

impl StorageError {
    /// Appends the error's text (what `Display` shows) to `out`, piece by piece without the
    /// formatting machinery: every failed operation's error is rendered for its trace event.
    pub fn write_text(&self, out: &mut String) {
        let (mut value_digits, mut limit_digits) = (itoa::Buffer::new(), itoa::Buffer::new());
        let parts: &[&str] = match self {
            StorageError::NotFound { kind, id } => &[kind, " not found: '", id, "'"],
            StorageError::AlreadyExists { kind, id } => &[kind, " already exists: '", id, "'"],
            StorageError::WriteFailed {
                operation,
                key,
                reason,
            } => &["write failed: ", operation, " of key '", key, "': ", reason],
            StorageError::ReadFailed {
                operation,
                key,
                reason,
            } => &["read failed: ", operation, " of key '", key, "': ", reason],
            StorageError::TransactionConflict { operation, key } => &[
                "transaction conflict: ",
                operation,
                ": key '",
                key,
                "' changed since it was read",
            ],
            StorageError::SerializationFailed { key, reason } => {
                &["serialization failed for key '", key, "': ", reason]
            }
            StorageError::DeserializationFailed { key, reason } => {
                &["deserialization failed for key '", key, "': ", reason]
            }
            StorageError::ConnectionFailed { operation, reason } => {
                &["connection failed: ", operation, ": ", reason]
            }
            StorageError::InvalidArgument {
                what,
                value,
                reason,
            } => &["invalid ", what, " '", value, "': ", reason],
            StorageError::LimitExceeded { what, value, limit } => &[
                "limit exceeded: ",
                what,
                " is ",
                value_digits.format(*value),
                ", limit ",
                limit_digits.format(*limit),
            ],
            StorageError::FaultInjected {
                fault,
                operation,
                key,
            } => &[
                "fault injected: ",
                fault.name(),
                " on ",
                operation,
                " of key '",
                key,
                "'",
            ],
            StorageError::Internal { reason } => &["internal error: ", reason],
        };
        let start = out.len();
        out.reserve(parts.iter().map(|part| part.len()).sum());
        parts.iter().for_each(|part| out.push_str(part));
        assert!(out.len() > start, "every error has a text");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kv::FaultType;

    /// One error of every kind, each with the text the formatting machinery gives it.
    fn every_kind() -> Vec<(StorageError, String)> {
        let (kind, id, key, reason, op) = ("agent", "a-1", "agents/a-1", "disk on fire", "set");
        vec![
            (
                StorageError::NotFound {
                    kind,
                    id: id.into(),
                },
                format!("{kind} not found: '{id}'"),
            ),
            (
                StorageError::AlreadyExists {
                    kind,
                    id: id.into(),
                },
                format!("{kind} already exists: '{id}'"),
            ),
            (
                StorageError::WriteFailed {
                    operation: op.into(),
                    key: key.into(),
                    reason: reason.into(),
                },
                format!("write failed: {op} of key '{key}': {reason}"),
            ),
            (
                StorageError::ReadFailed {
                    operation: op.into(),
                    key: key.into(),
                    reason: reason.into(),
                },
                format!("read failed: {op} of key '{key}': {reason}"),
            ),
            (
                StorageError::TransactionConflict {
                    operation: op.into(),
                    key: key.into(),
                },
                format!("transaction conflict: {op}: key '{key}' changed since it was read"),
            ),
            (
                StorageError::SerializationFailed {
                    key: key.into(),
                    reason: reason.into(),
                },
                format!("serialization failed for key '{key}': {reason}"),
            ),
            (
                StorageError::DeserializationFailed {
                    key: key.into(),
                    reason: reason.into(),
                },
                format!("deserialization failed for key '{key}': {reason}"),
            ),
            (
                StorageError::ConnectionFailed {
                    operation: op.into(),
                    reason: reason.into(),
                },
                format!("connection failed: {op}: {reason}"),
            ),
            (
                StorageError::InvalidArgument {
                    what: "agent id",
                    value: id.into(),
                    reason: "contains '/'",
                },
                format!("invalid agent id '{id}': contains '/'"),
            ),
            (
                StorageError::LimitExceeded {
                    what: "tool input bytes",
                    value: 1_048_577,
                    limit: u64::MAX,
                },
                format!(
                    "limit exceeded: tool input bytes is 1048577, limit {}",
                    u64::MAX
                ),
            ),
            (
                StorageError::FaultInjected {
                    fault: FaultType::DiskFull,
                    operation: op.into(),
                    key: key.into(),
                },
                format!(
                    "fault injected: {} on {op} of key '{key}'",
                    FaultType::DiskFull.name()
                ),
            ),
            (
                StorageError::Internal {
                    reason: reason.into(),
                },
                format!("internal error: {reason}"),
            ),
        ]
    }

    #[test]
    fn every_kind_of_error_has_the_text_the_formatting_machinery_gives_it() {
        let errors = every_kind();
        assert_eq!(errors.len(), 12, "one error of every kind");
        for (error, expected) in errors {
            assert_eq!(error.to_string(), expected, "{}", error.kind());
            let mut appended = String::from("before: ");
            error.write_text(&mut appended);
            assert_eq!(appended, format!("before: {expected}"), "{}", error.kind());
        }
    }
}
