//! Coverage marks: named "sometimes" points of the fault space (FoundationDB's code probes,
//! Antithesis' sometimes-assertions). A run counts how often it reached each; a sweep adds the
//! counts up and `--require-coverage` fails when a mark never fired.
//!
//! Marks are counted in fixed arrays, so a hit is an increment: no allocation, no lookup.
//! Names are only built when a run reports ([`Coverage::report`]).

use std::collections::BTreeMap;

use crate::kv::{FaultType, KvOp};

/// A mark other than the fault-on-operation ones, each proving one corner was reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mark {
    /// A crash during a commit, after which the commit turned out applied (every write landed).
    CrashInCommitApplied,
    /// A crash during a commit, after which the commit turned out absent (nothing landed).
    CrashInCommitAbsent,
    /// A call whose transaction conflicted, then succeeded on a retry.
    ConflictRetriedToSuccess,
    /// A call whose transaction conflicted on every attempt and gave up with a conflict.
    ConflictRetriedToExhaustion,
    /// A read that a corrupting read fault hit, refused as `deserialization_failed`.
    CorruptReadDetected,
    /// A record a partial write cut in its body, refused on a later read.
    TornRecordDetected,
    /// A record a partial write cut near its start (fewer than `TORN_NEAR_START_BYTES` kept:
    /// shorter than its own header), refused on a later read without a panic.
    TornHeaderDetected,
    /// A record that a misdirected write left under the wrong key, refused on a later read.
    MisdirectedRecordDetected,
    /// A `delete_agent` and a `checkpoint` of the same agent in flight at once.
    DeleteRacesCheckpoint,
    /// After a crash, a task's recovery found its agent's session still running.
    RecoveryFindsRunningSession,
    /// A call that succeeded on an agent or tool id that is a prefix of another id in use.
    IdPrefixSucceeded,
    /// A call that succeeded on an id with reserved punctuation, whitespace or non-ASCII.
    IdUnusualCharsSucceeded,
    /// A call that succeeded on an id or session id exactly at its length limit.
    IdAtLengthLimitSucceeded,
    /// A call naming an invalid id (or a message of another agent) refused as invalid.
    IdInvalidRefused,
    /// A message appended with a timestamp earlier than one already stored for its agent.
    UnorderedMessageAppended,
}

impl Mark {
    /// Every mark, in report order.
    pub const ALL: [Mark; 15] = [
        Mark::CrashInCommitApplied,
        Mark::CrashInCommitAbsent,
        Mark::ConflictRetriedToSuccess,
        Mark::ConflictRetriedToExhaustion,
        Mark::CorruptReadDetected,
        Mark::TornRecordDetected,
        Mark::TornHeaderDetected,
        Mark::MisdirectedRecordDetected,
        Mark::DeleteRacesCheckpoint,
        Mark::RecoveryFindsRunningSession,
        Mark::IdPrefixSucceeded,
        Mark::IdUnusualCharsSucceeded,
        Mark::IdAtLengthLimitSucceeded,
        Mark::IdInvalidRefused,
        Mark::UnorderedMessageAppended,
    ];

    /// The stable name reported in `--json` and `summary.json`.
    pub fn name(self) -> &'static str {
        match self {
            Mark::CrashInCommitApplied => "crash_in_commit.recovered_applied",
            Mark::CrashInCommitAbsent => "crash_in_commit.recovered_absent",
            Mark::ConflictRetriedToSuccess => "conflict.retried_to_success",
            Mark::ConflictRetriedToExhaustion => "conflict.retried_to_exhaustion",
            Mark::CorruptReadDetected => "detected.corrupt_read",
            Mark::TornRecordDetected => "detected.torn_record",
            Mark::TornHeaderDetected => "detected.torn_header",
            Mark::MisdirectedRecordDetected => "detected.misdirected_record",
            Mark::DeleteRacesCheckpoint => "race.delete_agent_vs_checkpoint",
            Mark::RecoveryFindsRunningSession => "recovery.running_session",
            Mark::IdPrefixSucceeded => "ids.prefixes",
            Mark::IdUnusualCharsSucceeded => "ids.unusual_chars",
            Mark::IdAtLengthLimitSucceeded => "ids.at_length_limit",
            Mark::IdInvalidRefused => "ids.invalid_refused",
            Mark::UnorderedMessageAppended => "ids.unordered_messages",
        }
    }

    fn index(self) -> usize {
        Mark::ALL
            .iter()
            .position(|&mark| mark == self)
            .expect("every mark is in ALL")
    }
}

/// Whether `(fault, op)` is a mark: the fault can fire on the op (the adapter issues every
/// kind of operation).
fn is_fault_mark(fault: FaultType, op: KvOp) -> bool {
    fault.applies_to(op)
}

fn fault_mark_name(fault: FaultType, op: KvOp) -> String {
    format!("fault.{}.{}", fault.name(), op.name())
}

/// Every mark name, in report order: the fixed marks, then each fault type on each operation
/// kind it can hit.
pub fn mark_names() -> Vec<String> {
    let mut names: Vec<String> = Mark::ALL.iter().map(|m| m.name().to_string()).collect();
    for fault in FaultType::ALL {
        for op in KvOp::ALL {
            if is_fault_mark(fault, op) {
                names.push(fault_mark_name(fault, op));
            }
        }
    }
    names
}

/// Every mark with its count in `fired` (0 when absent), in name order: the `coverage`
/// object of `--json` and `summary.json`.
pub fn every_mark(fired: &BTreeMap<String, u64>) -> BTreeMap<String, u64> {
    let every: BTreeMap<String, u64> = mark_names()
        .into_iter()
        .map(|name| {
            let count = fired.get(&name).copied().unwrap_or(0);
            (name, count)
        })
        .collect();
    assert!(
        fired.keys().all(|name| every.contains_key(name)),
        "unknown mark in {fired:?}"
    );
    every
}

/// The marks absent from `fired`, in report order.
pub fn unfired(fired: &BTreeMap<String, u64>) -> Vec<String> {
    mark_names()
        .into_iter()
        .filter(|name| !fired.contains_key(name))
        .collect()
}

/// One line for people: how many marks fired, and which did not (at most `shown` named).
pub fn summary_line(fired: &BTreeMap<String, u64>, shown: usize) -> String {
    let (total, missing) = (mark_names().len(), unfired(fired));
    let mut line = format!("coverage: {} of {total} marks fired", total - missing.len());
    if !missing.is_empty() {
        let named: Vec<&str> = missing.iter().take(shown).map(String::as_str).collect();
        let more = missing.len().saturating_sub(shown);
        line.push_str(&format!("; never: {}", named.join(", ")));
        if more > 0 {
            line.push_str(&format!(" (and {more} more)"));
        }
    }
    line
}

/// How often each mark fired in one run.
#[derive(Clone, Debug, Default)]
pub struct Coverage {
    marks: [u64; Mark::ALL.len()],
    faults: [[u64; KvOp::ALL.len()]; FaultType::ALL.len()],
}

impl Coverage {
    /// Counts one hit of `mark`.
    pub fn hit(&mut self, mark: Mark) {
        self.marks[mark.index()] += 1;
    }

    /// Counts `fault` firing on `op`; the fault must be able to fire there.
    pub fn hit_fault(&mut self, fault: FaultType, op: KvOp) {
        assert!(
            fault.applies_to(op),
            "{} fired on {}",
            fault.name(),
            op.name()
        );
        let fault_index = FaultType::ALL.iter().position(|&f| f == fault);
        let op_index = KvOp::ALL.iter().position(|&o| o == op);
        let (Some(f), Some(o)) = (fault_index, op_index) else {
            unreachable!("every fault type and op is in ALL");
        };
        self.faults[f][o] += 1;
    }

    /// Every mark that fired, by name, with its count (marks that never fired are left out).
    pub fn report(&self) -> BTreeMap<String, u64> {
        let mut fired = BTreeMap::new();
        for mark in Mark::ALL {
            let count = self.marks[mark.index()];
            if count > 0 {
                fired.insert(mark.name().to_string(), count);
            }
        }
        for (f, fault) in FaultType::ALL.into_iter().enumerate() {
            for (o, op) in KvOp::ALL.into_iter().enumerate() {
                let count = self.faults[f][o];
                if count > 0 {
                    assert!(is_fault_mark(fault, op), "{fault:?} on {op:?} is no mark");
                    fired.insert(fault_mark_name(fault, op), count);
                }
            }
        }
        fired
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_distinct_and_cover_every_fault_on_every_op_it_can_hit() {
        let names = mark_names();
        let distinct: std::collections::BTreeSet<&String> = names.iter().collect();
        assert_eq!(distinct.len(), names.len());
        assert!(names.contains(&"fault.crash_during_transaction.commit".to_string()));
        assert!(names.contains(&"fault.storage_read_fail.txn_get".to_string()));
        assert!(names.contains(&"fault.storage_latency.list_keys".to_string()));
        assert!(!names.contains(&"fault.storage_read_fail.set".to_string()));
    }

    #[test]
    fn a_report_names_only_what_fired_with_its_count() {
        let mut coverage = Coverage::default();
        assert!(coverage.report().is_empty());
        coverage.hit(Mark::TornRecordDetected);
        coverage.hit(Mark::TornRecordDetected);
        coverage.hit_fault(FaultType::PartialWrite, KvOp::Commit);
        let report = coverage.report();
        assert_eq!(report.len(), 2);
        assert_eq!(report["detected.torn_record"], 2);
        assert_eq!(report["fault.partial_write.commit"], 1);
        let names = mark_names();
        assert!(report.keys().all(|name| names.contains(name)));
        let every = every_mark(&report);
        assert_eq!(every.len(), names.len());
        assert_eq!(every["detected.torn_record"], 2);
        assert_eq!(every["detected.corrupt_read"], 0);
        assert_eq!(unfired(&report).len(), names.len() - 2);
        let line = summary_line(&report, 1);
        assert!(line.starts_with(&format!(
            "coverage: 2 of {} marks fired; never: ",
            names.len()
        )));
        assert!(line.ends_with(&format!("(and {} more)", names.len() - 3)));
    }
}
