//! Planted bugs: one-line switches at the place each real bug would live.
//!
//! They exist to prove the checkers can see: a sweep with a bug planted must report the
//! invariant the bug breaks, and the same sweep without it must be clean. Every bug is off by
//! default, and a disabled bug costs one bit test.

use std::fmt;
use std::str::FromStr;

/// A bug that can be planted in the storage stack. Names are stable: they appear on the
/// command line (`--bug NAME`) and in traces.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Bug {
    /// `checkpoint` writes the session and the message as two separate writes.
    NonAtomicCheckpoint,
    /// `checkpoint` and `append_message` do not guard against a concurrently deleted agent.
    CheckpointSkipsAgentCheck,
    /// `delete_agent` deletes the agent record, then its children, as separate writes.
    DeleteAgentParentFirst,
    /// A crash during commit applies only a prefix of the transaction's writes.
    TornCommit,
    /// Commit skips read-set validation.
    OccDisabled,
    /// `SimStorage` acknowledges a write that a crash then loses.
    AckBeforeDurable,
    /// A transaction's `get` ignores its own buffered writes.
    StaleReadYourWrites,
    /// The adapter stops verifying records on read.
    UnverifiedRead,
    /// `load_messages_since` also returns messages created exactly at `since_ms`.
    SinceInclusive,
    /// `load_latest_session` also considers stopped sessions.
    LatestIncludesStopped,
    /// `update_block` of a missing label creates the block instead of `NotFound`.
    UpdateCreatesMissing,
    /// `delete_agent` of a missing agent succeeds instead of `NotFound`.
    DeleteMissingAgentOk,
    /// A transaction conflict is returned to the caller at once, never retried.
    ConflictNotRetried,
    /// `list_sessions` scans `sessions/{agent_id}` without the closing `/`, so an agent whose id
    /// extends another's (`agent-1`, `agent-10`) lists the other's sessions too.
    PrefixWithoutSeparator,
    /// Message keys leave out the append number, so messages created in the same ms overwrite
    /// one another.
    MessageKeyWithoutNumber,
}

impl Bug {
    /// Every planted bug, in a fixed order.
    pub const ALL: [Bug; 15] = [
        Bug::NonAtomicCheckpoint,
        Bug::CheckpointSkipsAgentCheck,
        Bug::DeleteAgentParentFirst,
        Bug::TornCommit,
        Bug::OccDisabled,
        Bug::AckBeforeDurable,
        Bug::StaleReadYourWrites,
        Bug::UnverifiedRead,
        Bug::SinceInclusive,
        Bug::LatestIncludesStopped,
        Bug::UpdateCreatesMissing,
        Bug::DeleteMissingAgentOk,
        Bug::ConflictNotRetried,
        Bug::PrefixWithoutSeparator,
        Bug::MessageKeyWithoutNumber,
    ];

    /// The stable command-line name of the bug.
    pub fn name(self) -> &'static str {
        match self {
            Bug::NonAtomicCheckpoint => "non-atomic-checkpoint",
            Bug::CheckpointSkipsAgentCheck => "checkpoint-skips-agent-check",
            Bug::DeleteAgentParentFirst => "delete-agent-parent-first",
            Bug::TornCommit => "torn-commit",
            Bug::OccDisabled => "occ-disabled",
            Bug::AckBeforeDurable => "ack-before-durable",
            Bug::StaleReadYourWrites => "stale-read-your-writes",
            Bug::UnverifiedRead => "unverified-read",
            Bug::SinceInclusive => "since-inclusive",
            Bug::LatestIncludesStopped => "latest-session-includes-stopped",
            Bug::UpdateCreatesMissing => "update-block-creates-missing",
            Bug::DeleteMissingAgentOk => "delete-missing-agent-ok",
            Bug::ConflictNotRetried => "conflict-not-retried",
            Bug::PrefixWithoutSeparator => "prefix-without-separator",
            Bug::MessageKeyWithoutNumber => "message-key-without-number",
        }
    }

    fn bit(self) -> u32 {
        1 << (self as u32)
    }
}

impl fmt::Display for Bug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Bug {
    type Err = String;

    /// Parses a bug by its stable name; the error lists the valid names.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Bug::ALL
            .iter()
            .copied()
            .find(|b| b.name() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = Bug::ALL.iter().map(|b| b.name()).collect();
                format!("unknown bug '{s}' (known: {})", names.join(", "))
            })
    }
}

/// A set of planted bugs. `BugSet::default()` is the empty set: the correct system.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct BugSet {
    bits: u32,
}

impl BugSet {
    /// The empty set.
    pub fn none() -> Self {
        BugSet::default()
    }

    /// A set with exactly the given bugs.
    pub fn of(bugs: &[Bug]) -> Self {
        let mut set = BugSet::none();
        for bug in bugs {
            set.insert(*bug);
        }
        set
    }

    /// Plants `bug`.
    pub fn insert(&mut self, bug: Bug) {
        self.bits |= bug.bit();
    }

    /// Whether `bug` is planted.
    #[inline]
    pub fn has(self, bug: Bug) -> bool {
        self.bits & bug.bit() != 0
    }

    /// The planted bugs in the fixed order of [`Bug::ALL`].
    pub fn iter(self) -> impl Iterator<Item = Bug> {
        Bug::ALL.into_iter().filter(move |b| self.has(*b))
    }

    /// Whether no bug is planted.
    pub fn is_empty(self) -> bool {
        self.bits == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_is_refused() {
        for bug in Bug::ALL {
            assert_eq!(bug.name().parse::<Bug>().unwrap(), bug);
        }
        let err = "no-such-bug".parse::<Bug>().unwrap_err();
        assert!(err.contains("no-such-bug") && err.contains("torn-commit"));
    }

    #[test]
    fn set_holds_exactly_what_was_inserted() {
        let set = BugSet::of(&[Bug::TornCommit, Bug::UnverifiedRead]);
        assert!(set.has(Bug::TornCommit) && set.has(Bug::UnverifiedRead));
        assert!(!set.has(Bug::OccDisabled));
        assert_eq!(set.iter().count(), 2);
        assert!(BugSet::none().is_empty());
    }
}
