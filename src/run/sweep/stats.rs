//! Sweep totals: counts added in seed order, histograms added by addition, the first failing
//! seeds kept whole (so every total but the wall times is the same for any number of workers,
//! any sharding, and a resumed sweep). Memory stays bounded: passing seeds are only counted.

use std::collections::BTreeMap;
use std::time::Duration;

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

use crate::run::Verdict;
use crate::workload::LatencyCounts;

use super::result::SeedResult;

/// Most failing seeds a summary keeps whole (every one is in `seeds.jsonl`).
pub const FAILURES_KEPT_MAX: usize = 1000;

/// A histogram that grows to hold any value, 3 significant digits.
pub fn new_histogram() -> Histogram<u64> {
    Histogram::new(3).expect("3 significant digits is a valid histogram precision")
}

/// One seed's simulated latencies: per call name, each recorded bucket (its highest value)
/// with its count. Small to hand between threads; adds back exactly.
pub type LatencyBuckets = Vec<(String, Vec<(u64, u64)>)>;

/// The buckets of a run's latency counts (see [`LatencyBuckets`]).
pub fn latency_buckets(latency_ms: &BTreeMap<String, LatencyCounts>) -> LatencyBuckets {
    latency_ms
        .iter()
        .map(|(op, counts)| (op.clone(), counts.bucket_counts()))
        .collect()
}

/// Adds `from` into `into`.
pub fn add_histogram(into: &mut Histogram<u64>, from: &Histogram<u64>) {
    into.add(from)
        .expect("an auto-resizing histogram accepts any value");
}

/// Why a sweep stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// Every seed ran.
    Complete,
    /// A signal asked the sweep to stop: the seeds done are a prefix of the set.
    Interrupted,
    /// `--until-failures N` (or `--fail-fast`, N = 1): the N-th failure in seed order.
    FailureBudget,
    /// `--for DURATION` ran out.
    TimeBudget,
}

impl StopReason {
    /// Whether seeds of the set were left unrun.
    pub fn is_partial(self) -> bool {
        self != StopReason::Complete
    }
}

/// The totals of a sweep.
#[derive(Clone, Debug)]
pub struct SweepStats {
    /// Seeds run.
    pub seeds: u64,
    /// Seeds that passed.
    pub passed: u64,
    /// Seeds that failed.
    pub failed: u64,
    /// Storage calls over all seeds.
    pub ops: u64,
    /// Trace events over all seeds.
    pub events: u64,
    /// Injected faults by type name, over all seeds.
    pub faults: BTreeMap<String, u64>,
    /// Coverage marks by name, with how often they fired over all seeds (marks that never
    /// fired are left out).
    pub coverage: BTreeMap<String, u64>,
    /// Crashes over all seeds.
    pub crashes: u64,
    /// The first [`FAILURES_KEPT_MAX`] failing seeds, in seed order.
    pub failures: Vec<SeedResult>,
    /// Wall time per seed, microseconds.
    pub wall_us: Histogram<u64>,
    /// Simulated latency by storage call name, ms, over all seeds.
    pub latency_ms: BTreeMap<String, Histogram<u64>>,
    /// Wall time of the sweep, over every process that worked on it (resumed sweeps add up).
    pub elapsed: Duration,
    /// Why the sweep stopped.
    pub stop: StopReason,
}

impl SweepStats {
    /// Nothing run yet.
    pub fn new() -> SweepStats {
        SweepStats {
            seeds: 0,
            passed: 0,
            failed: 0,
            ops: 0,
            events: 0,
            faults: BTreeMap::new(),
            coverage: BTreeMap::new(),
            crashes: 0,
            failures: Vec::new(),
            wall_us: new_histogram(),
            latency_ms: BTreeMap::new(),
            elapsed: Duration::ZERO,
            stop: StopReason::Complete,
        }
    }

    /// Counts one seed's result (the next in seed order); its histograms come separately.
    pub fn add_result(&mut self, result: &SeedResult) {
        self.seeds += 1;
        match result.verdict {
            Verdict::Pass => self.passed += 1,
            Verdict::Fail => {
                self.failed += 1;
                if self.failures.len() < FAILURES_KEPT_MAX {
                    self.failures.push(result.clone());
                }
            }
        }
        self.ops += result.ops;
        self.events += result.events;
        for (fault, count) in &result.faults {
            *self.faults.entry(fault.clone()).or_default() += count;
        }
        for (mark, count) in &result.coverage {
            *self.coverage.entry(mark.clone()).or_default() += count;
        }
        self.crashes += u64::from(result.crashes);
        assert_eq!(self.seeds, self.passed + self.failed);
    }

    /// Adds one seed's wall time (never clamped) and simulated latencies.
    pub fn add_histograms(&mut self, wall_us: u64, latency_ms: &LatencyBuckets) {
        self.wall_us
            .record(wall_us)
            .expect("an auto-resizing histogram records any value");
        for (op, values) in latency_ms {
            let histogram = match self.latency_ms.get_mut(op) {
                Some(histogram) => histogram,
                None => self
                    .latency_ms
                    .entry(op.clone())
                    .or_insert_with(new_histogram),
            };
            for &(value, count) in values {
                histogram
                    .record_n(value, count)
                    .expect("an auto-resizing histogram records any value");
            }
        }
    }

    /// Adds simulated latencies by call name.
    pub fn add_latency(&mut self, latency_ms: &BTreeMap<String, Histogram<u64>>) {
        for (op, histogram) in latency_ms {
            add_histogram(
                self.latency_ms
                    .entry(op.clone())
                    .or_insert_with(new_histogram),
                histogram,
            );
        }
    }

    /// Total injected faults.
    pub fn faults_total(&self) -> u64 {
        self.faults.values().sum()
    }
}

impl Default for SweepStats {
    fn default() -> Self {
        SweepStats::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(seed: u64, verdict: Verdict) -> SeedResult {
        SeedResult {
            seed,
            verdict,
            trace_hash: format!("{seed:016x}"),
            events: 10,
            ops: 3,
            faults: BTreeMap::from([("disk_full".to_string(), 1)]),
            crashes: 1,
            violations: Vec::new(),
            violations_total: 0,
            wall_us: 5,
            coverage: BTreeMap::from([("ids.prefixes".to_string(), 2)]),
        }
    }

    #[test]
    fn histograms_grow_to_hold_large_wall_times() {
        let mut totals = SweepStats::new();
        totals.add_histograms(25_000_000_000, &Vec::new());
        assert!(
            totals.wall_us.max() >= 25_000_000_000,
            "wall times must not be clamped"
        );
    }

    #[test]
    fn latency_buckets_add_back_to_the_same_histogram() {
        let mut counts = LatencyCounts::default();
        for value in [0, 3, 3, 19, 20, 1_500, 60_000, 60_001] {
            counts.record(value);
        }
        let by_op = BTreeMap::from([("load".to_string(), counts.clone())]);
        let mut totals = SweepStats::new();
        totals.add_histograms(1, &latency_buckets(&by_op));
        assert_eq!(totals.latency_ms["load"], counts.histogram());
    }

    #[test]
    fn failures_are_counted_all_but_kept_up_to_the_cap() {
        let mut totals = SweepStats::new();
        for seed in 0..(FAILURES_KEPT_MAX as u64 + 5) {
            totals.add_result(&result(seed, Verdict::Fail));
        }
        totals.add_result(&result(9_999, Verdict::Pass));
        assert_eq!(totals.failed, FAILURES_KEPT_MAX as u64 + 5);
        assert_eq!(totals.failures.len(), FAILURES_KEPT_MAX);
        assert_eq!(totals.faults["disk_full"], totals.seeds);
        assert_eq!(totals.coverage["ids.prefixes"], 2 * totals.seeds);
        assert_eq!(totals.crashes, totals.seeds);
    }
}
