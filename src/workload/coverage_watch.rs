//! [`CoverageWatch`]: decides, from what the world sees (calls starting and ending, faults,
//! conflicts, crashes), when a coverage mark fires. It knows the harness's side only: which
//! fault damaged which key, which task conflicted, which tasks are recovering. It never reads
//! the adapter's records.

use std::collections::BTreeMap;

use crate::agent::StorageError;
use crate::check::{Answer, Call, Scope};
use crate::kv::{FaultEffect, FaultType, InjectedFault, TORN_NEAR_START_BYTES};

use super::coverage::{Coverage, Mark};
use super::IdPool;

/// Per-run state behind the marks that need more than one event to decide.
#[derive(Debug)]
pub struct CoverageWatch {
    /// The counts.
    pub coverage: Coverage,
    /// Conflicts each task's current call has met.
    conflicts: Vec<u32>,
    /// Whether each task's current call had a read corrupted.
    corrupt_read: Vec<bool>,
    /// Whether each task is recovering after a crash (its next call is its recovery).
    recovering: Vec<bool>,
    /// Keys (as the trace prints them) a fault left damaged, with the mark a read of them proves.
    damaged: BTreeMap<String, Mark>,
    /// Latest message timestamp stored per agent, ms (only while messages may be unordered).
    newest_message_ms: BTreeMap<String, u64>,
}

impl CoverageWatch {
    /// A watch over a run of `tasks` tasks.
    pub fn new(tasks: u32) -> Self {
        assert!(tasks > 0, "a run has tasks");
        let tasks = tasks as usize;
        CoverageWatch {
            coverage: Coverage::default(),
            conflicts: vec![0; tasks],
            corrupt_read: vec![false; tasks],
            recovering: vec![false; tasks],
            damaged: BTreeMap::new(),
            newest_message_ms: BTreeMap::new(),
        }
    }

    /// A fault fired on the call of `task` (`None`: outside any task).
    pub fn on_fault(&mut self, task: Option<u32>, fault: &InjectedFault) {
        self.coverage.hit_fault(fault.fault, fault.op);
        match &fault.effect {
            FaultEffect::CorruptedRead => {
                if let Some(task) = task {
                    self.corrupt_read[task as usize] = true;
                }
            }
            FaultEffect::Truncated { kept_len } => {
                let key = String::from_utf8_lossy(&fault.key).into_owned();
                let mark = match *kept_len < TORN_NEAR_START_BYTES {
                    true => Mark::TornHeaderDetected,
                    false => Mark::TornRecordDetected,
                };
                self.damaged.insert(key, mark);
            }
            FaultEffect::Misdirected { landed_at } if !landed_at.is_empty() => {
                let landed = String::from_utf8_lossy(landed_at).into_owned();
                self.damaged.insert(landed, Mark::MisdirectedRecordDetected);
            }
            FaultEffect::Crashed { applied }
                if fault.fault == FaultType::CrashDuringTransaction =>
            {
                self.coverage.hit(match applied.is_empty() {
                    true => Mark::CrashInCommitAbsent,
                    false => Mark::CrashInCommitApplied,
                });
            }
            _ => {}
        }
    }

    /// A commit of `task`'s current call conflicted.
    pub fn on_conflict(&mut self, task: u32) {
        self.conflicts[task as usize] += 1;
    }

    /// `call` starts while `in_flight` (the calls of other tasks) run.
    pub fn on_begin<'a>(&mut self, call: &Call, mut in_flight: impl Iterator<Item = &'a Call>) {
        let races = |other: &Call| match (call, other) {
            (Call::DeleteAgent(agent), Call::Checkpoint { session, .. })
            | (Call::Checkpoint { session, .. }, Call::DeleteAgent(agent)) => {
                **agent == *session.agent_id
            }
            _ => false,
        };
        if in_flight.any(races) {
            self.coverage.hit(Mark::DeleteRacesCheckpoint);
        }
    }

    /// `task`'s `call` ended with `result`.
    pub fn on_end(
        &mut self,
        task: u32,
        call: &Call,
        result: Result<&Answer, &StorageError>,
        ids: &IdPool,
    ) {
        let slot = task as usize;
        let conflicts = std::mem::take(&mut self.conflicts[slot]);
        let corrupt_read = std::mem::take(&mut self.corrupt_read[slot]);
        let recovering = std::mem::take(&mut self.recovering[slot]);
        match result {
            Ok(answer) => {
                if conflicts > 0 {
                    self.coverage.hit(Mark::ConflictRetriedToSuccess);
                }
                if recovering {
                    self.on_recovered(call, answer);
                }
                self.on_success(call, ids);
            }
            Err(StorageError::TransactionConflict { .. }) => {
                assert!(
                    conflicts > 0,
                    "a conflict error follows a reported conflict"
                );
                self.coverage.hit(Mark::ConflictRetriedToExhaustion);
            }
            Err(StorageError::DeserializationFailed { key, .. }) => {
                if corrupt_read {
                    self.coverage.hit(Mark::CorruptReadDetected);
                } else if let Some(&mark) = self.damaged.get(key) {
                    self.coverage.hit(mark);
                }
            }
            Err(StorageError::InvalidArgument { .. }) if ids.classes.invalid => {
                self.coverage.hit(Mark::IdInvalidRefused);
            }
            Err(_) => {}
        }
    }

    /// The process died: every task's next call is its recovery; calls in flight are gone.
    pub fn on_crash(&mut self) {
        self.recovering.fill(true);
        self.conflicts.fill(0);
        self.corrupt_read.fill(false);
    }

    fn on_recovered(&mut self, call: &Call, answer: &Answer) {
        if let (Call::LoadLatestSession(_), Answer::Session(Some(session))) = (call, answer) {
            if session.stop_reason.is_none() {
                self.coverage.hit(Mark::RecoveryFindsRunningSession);
            }
        }
    }

    fn on_success(&mut self, call: &Call, ids: &IdPool) {
        let id = match call.scope() {
            Scope::Agent(id) | Scope::Tool(id) => id,
            Scope::AllAgents | Scope::AllTools => return,
        };
        let classes = ids.classes;
        if classes.prefixes && ids.is_prefix_of_another(id) {
            self.coverage.hit(Mark::IdPrefixSucceeded);
        }
        if classes.unusual_chars && IdPool::is_unusual(id) {
            self.coverage.hit(Mark::IdUnusualCharsSucceeded);
        }
        let session_at_limit = match call {
            Call::SaveSession(session) | Call::Checkpoint { session, .. } => {
                IdPool::is_at_length_limit(&session.session_id, true)
            }
            _ => false,
        };
        let at_limit = session_at_limit || IdPool::is_at_length_limit(id, false);
        if classes.at_length_limit && at_limit {
            self.coverage.hit(Mark::IdAtLengthLimitSucceeded);
        }
        let message = match call {
            Call::AppendMessage { message, .. } => Some(message),
            Call::Checkpoint { message, .. } => message.as_ref(),
            _ => None,
        };
        if let Some(message) = message.filter(|_| classes.unordered_messages) {
            let newest = self.newest_message_ms.entry(id.to_string()).or_insert(0);
            if message.created_at_ms < *newest {
                self.coverage.hit(Mark::UnorderedMessageAppended);
            }
            *newest = (*newest).max(message.created_at_ms);
        }
    }
}
