//! The trace file format: JSON Lines. Line 1 is a [`TraceHeader`] (everything needed to re-run
//! the seed), then one [`Event`](super::Event) per line, then a [`TraceSummary`] with the hashes.
//!
//! The header embeds the whole scenario, so a trace alone reproduces its run on any machine
//! running a harness that reads [`TRACE_FORMAT`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::xxh3_64;

use super::run_record::{OutcomeCounts, RunConfig, RunReport, SwarmOptions, Verdict, Violation};
use crate::bugs::{Bug, BugSet};
use crate::workload::{Decisions, Scenario};

/// The trace format version this harness writes and reads.
pub const TRACE_FORMAT: u32 = 1;

/// Which harness wrote a trace: the crate version and, when the build saw one, the git commit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HarnessVersion {
    /// `CARGO_PKG_VERSION` of the writing build.
    pub crate_version: String,
    /// Short git commit of the writing build, if it was built from a git checkout.
    pub git_commit: Option<String>,
}

impl HarnessVersion {
    /// The version of this build.
    pub fn current() -> HarnessVersion {
        HarnessVersion {
            crate_version: env!("CARGO_PKG_VERSION").to_string(),
            git_commit: option_env!("DST_GIT_COMMIT").map(str::to_string),
        }
    }
}

impl std::fmt::Display for HarnessVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.git_commit {
            Some(commit) => write!(f, "{} ({commit})", self.crate_version),
            None => write!(f, "{}", self.crate_version),
        }
    }
}

/// Line 1 of a trace: the format version, the harness, and the complete run configuration.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TraceHeader {
    /// Always [`TRACE_FORMAT`] when written by this build.
    pub trace_format: u32,
    /// The harness that wrote the trace.
    pub harness: HarnessVersion,
    /// The seed.
    pub seed: u64,
    /// The full scenario, embedded.
    pub scenario: Scenario,
    /// Planted bugs, by stable name, in [`Bug::ALL`] order.
    pub bugs: Vec<String>,
    /// What swarm testing chose for the seed (derived; checked again on replay).
    pub swarm: SwarmOptions,
    /// The decisions that drove the run in place of the dice, if any (a shrunk run).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decisions: Option<Decisions>,
}

impl TraceHeader {
    /// The header of a run of `config` whose report is `report`.
    pub fn new(config: &RunConfig, report: &RunReport) -> TraceHeader {
        assert_eq!(config.seed, report.seed, "the report belongs to the config");
        TraceHeader {
            trace_format: TRACE_FORMAT,
            harness: HarnessVersion::current(),
            seed: config.seed,
            scenario: config.scenario.clone(),
            bugs: config.bugs.iter().map(|b| b.name().to_string()).collect(),
            swarm: report.swarm.clone(),
            decisions: config.decisions.clone(),
        }
    }

    /// The configuration that re-runs this trace; the error names a bad bug or scenario field.
    pub fn run_config(&self) -> Result<RunConfig, String> {
        let mut bugs = BugSet::none();
        for name in &self.bugs {
            bugs.insert(name.parse::<Bug>()?);
        }
        self.scenario
            .validate()
            .map_err(|e| format!("embedded scenario '{}': {e}", self.scenario.name))?;
        if let Some(decisions) = &self.decisions {
            let scenario = &self.scenario;
            let rules = scenario.fault_rules().len();
            decisions.validate(scenario.tasks, scenario.agents, rules)?;
        }
        Ok(RunConfig {
            seed: self.seed,
            scenario: self.scenario.clone(),
            bugs,
            decisions: self.decisions.clone(),
        })
    }
}

/// The outcome of the run, as recorded in the last line.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TraceSummary {
    /// Pass or fail.
    pub verdict: Verdict,
    /// Number of event lines.
    pub events: u64,
    /// Storage calls by name, with their outcomes.
    pub ops: BTreeMap<String, OutcomeCounts>,
    /// Injected faults by type name.
    pub faults: BTreeMap<String, u64>,
    /// Crashes.
    pub crashes: u32,
    /// Invariant checks run.
    pub checks: u64,
    /// Simulated time at the end, ms.
    pub sim_time_ms: u64,
    /// Violations kept, in the order found.
    pub violations: Vec<Violation>,
    /// Violations found in all, kept or not.
    pub violations_total: u64,
}

impl TraceSummary {
    /// The summary of `report`.
    pub fn new(report: &RunReport) -> TraceSummary {
        TraceSummary {
            verdict: report.verdict,
            events: report.events,
            ops: report.ops.clone(),
            faults: report.faults.clone(),
            crashes: report.crashes,
            checks: report.checks,
            sim_time_ms: report.sim_time_ms,
            violations: report.violations.clone(),
            violations_total: report.violations_total,
        }
    }
}

/// The last line of a trace: the summary, a hash of the header line, and the trace hash.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SummaryLine {
    /// What the run found.
    pub summary: TraceSummary,
    /// [`header_hash`] of line 1's exact bytes (detects an edited header).
    pub header_hash: String,
    /// The trace hash over every event (see [`TraceHasher`](super::TraceHasher)).
    pub trace_hash: String,
}

/// xxh3-64 of a header line's bytes (without its newline), as 16 lowercase hex digits.
pub fn header_hash(line: &str) -> String {
    format!("{:016x}", xxh3_64(line.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::BUILT_IN;

    #[test]
    fn every_built_in_scenario_survives_the_header_round_trip_exactly() {
        for (name, _) in BUILT_IN {
            let scenario = Scenario::built_in(name).unwrap();
            let text = serde_json::to_string(&scenario).unwrap();
            let back: Scenario = serde_json::from_str(&text).unwrap();
            assert_eq!(back, scenario, "scenario {name} changed through JSON");
        }
    }
}
