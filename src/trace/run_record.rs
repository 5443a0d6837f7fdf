//! What one seed's run is given and what it reports: the records a trace's header and summary
//! hold. They live with the trace, below the runner that produces them (`crate::run` re-exports
//! them), so the trace never imports the runner.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::bugs::BugSet;
use crate::workload::{Decisions, Scenario};
pub use crate::workload::{LatencyCounts, OutcomeCounts, SwarmOptions, Violation};

/// Everything that determines a run: the same config always gives the same run.
#[derive(Clone, Debug)]
pub struct RunConfig {
    /// The one seed every random stream is forked from.
    pub seed: u64,
    /// What the run does.
    pub scenario: Scenario,
    /// Planted bugs (none for the correct system).
    pub bugs: BugSet,
    /// Recorded decisions that drive the run in place of the dice (a shrunk run); `None`: the
    /// dice decide everything.
    pub decisions: Option<Decisions>,
}

/// The verdict of a run: `pass` when no invariant was violated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Every invariant held.
    Pass,
    /// At least one violation (or a harness failure) was found.
    Fail,
}

/// Everything a run reports. All fields are deterministic functions of the [`RunConfig`].
#[derive(Clone, Debug)]
pub struct RunReport {
    /// The seed.
    pub seed: u64,
    /// The scenario name.
    pub scenario: String,
    /// Pass or fail.
    pub verdict: Verdict,
    /// The trace hash, 16 hex digits.
    pub trace_hash: String,
    /// Events in the trace.
    pub events: u64,
    /// Storage calls by name, with their outcomes.
    pub ops: BTreeMap<String, OutcomeCounts>,
    /// Injected faults by type name.
    pub faults: BTreeMap<String, u64>,
    /// Crashes (and restarts).
    pub crashes: u32,
    /// Invariant checks run.
    pub checks: u64,
    /// Simulated time at the end, ms.
    pub sim_time_ms: u64,
    /// Executor steps.
    pub steps: u64,
    /// What swarm testing chose.
    pub swarm: SwarmOptions,
    /// Violations, in the order found (at most the first 16).
    pub violations: Vec<Violation>,
    /// Violations found in all, including those not kept.
    pub violations_total: u64,
    /// Violations found by invariant, including those not kept.
    pub violated: BTreeMap<String, u64>,
    /// Simulated latency of each storage call, by call name (ms): counts, from which
    /// [`LatencyCounts::histogram`] builds the histogram.
    pub latency_ms: BTreeMap<String, LatencyCounts>,
    /// The coverage marks that fired, by name, with how often (marks that never fired are
    /// left out).
    pub coverage: BTreeMap<String, u64>,
}

impl RunReport {
    /// Total storage calls.
    pub fn total_ops(&self) -> u64 {
        self.ops
            .values()
            .map(|c| c.ok + c.failed + c.indeterminate)
            .sum()
    }
}
