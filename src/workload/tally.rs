//! What a run counts and keeps: outcomes and latency per call, and the violations found.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::latency_counts::LatencyCounts;
use crate::check::Call;
use crate::trace::Outcome;

/// Counts of one call's outcomes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutcomeCounts {
    /// Took effect.
    pub ok: u64,
    /// Did not take effect.
    pub failed: u64,
    /// May or may not have taken effect.
    pub indeterminate: u64,
}

/// Outcomes and simulated latency by method, kept by [`Call::kind`] so that counting an
/// operation is an index, not a lookup by name; reported by name. A method never called has
/// no entry in either report.
#[derive(Debug)]
pub struct CallTally {
    outcomes: Vec<Option<OutcomeCounts>>,
    latency_ms: Vec<Option<LatencyCounts>>,
}

impl Default for CallTally {
    fn default() -> Self {
        CallTally {
            outcomes: vec![None; Call::NAMES.len()],
            latency_ms: vec![None; Call::NAMES.len()],
        }
    }
}

impl CallTally {
    /// Counts one `outcome` of method `kind`.
    pub fn count(&mut self, kind: usize, outcome: Outcome) {
        assert!(kind < Call::NAMES.len(), "method {kind} exists");
        let counts = self.outcomes[kind].get_or_insert_with(OutcomeCounts::default);
        match outcome {
            Outcome::Ok => counts.ok += 1,
            Outcome::Failed => counts.failed += 1,
            Outcome::Indeterminate => counts.indeterminate += 1,
        }
    }

    /// Records that a call of method `kind` took `ms` simulated milliseconds.
    pub fn record_latency(&mut self, kind: usize, ms: u64) {
        assert!(kind < Call::NAMES.len(), "method {kind} exists");
        self.latency_ms[kind]
            .get_or_insert_with(LatencyCounts::default)
            .record(ms);
    }

    /// The outcome counts of every method called, by name.
    pub fn outcomes(&self) -> BTreeMap<String, OutcomeCounts> {
        by_name(self.outcomes.iter().copied())
    }

    /// The latency of every method whose latency was recorded, by name.
    pub fn latency_ms(&self) -> BTreeMap<String, LatencyCounts> {
        by_name(self.latency_ms.iter().cloned())
    }
}

/// The entries of `by_kind` (one per method, in [`Call::NAMES`] order) that are present, by
/// method name.
fn by_name<T>(by_kind: impl ExactSizeIterator<Item = Option<T>>) -> BTreeMap<String, T> {
    assert_eq!(by_kind.len(), Call::NAMES.len(), "one entry per method");
    let named: BTreeMap<String, T> = Call::NAMES
        .iter()
        .zip(by_kind)
        .filter_map(|(name, entry)| Some((name.to_string(), entry?)))
        .collect();
    assert!(named.len() <= Call::NAMES.len(), "one entry per method");
    named
}

/// An invariant that did not hold, with its evidence.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Violation {
    /// Stable invariant name (`checkpoint_atomicity`, `no_orphans`, ...).
    pub invariant: String,
    /// The key, its operation history and the events involved.
    pub evidence: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tally_reports_by_name_only_the_methods_it_saw() {
        let mut tally = CallTally::default();
        assert!(tally.outcomes().is_empty() && tally.latency_ms().is_empty());
        let checkpoint = Call::NAMES.len() - 1;
        tally.count(checkpoint, Outcome::Ok);
        tally.count(checkpoint, Outcome::Indeterminate);
        tally.count(0, Outcome::Failed);
        tally.record_latency(checkpoint, 7);
        let outcomes = tally.outcomes();
        assert_eq!(outcomes.len(), 2);
        assert_eq!(
            outcomes["checkpoint"],
            OutcomeCounts {
                ok: 1,
                failed: 0,
                indeterminate: 1
            }
        );
        assert_eq!(outcomes["save_agent"].failed, 1);
        let latency = tally.latency_ms();
        assert_eq!(latency.keys().collect::<Vec<_>>(), ["checkpoint"]);
        assert_eq!(latency["checkpoint"].histogram().max(), 7);
    }

    #[test]
    fn method_names_are_distinct() {
        let names: std::collections::BTreeSet<&str> = Call::NAMES.into_iter().collect();
        assert_eq!(names.len(), Call::NAMES.len());
    }
}
