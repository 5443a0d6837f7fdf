//! Sweep totals: counts merged in seed order, histograms merged by addition (so every total but
//! the wall times is the same for any number of workers).

use std::collections::BTreeMap;
use std::time::Duration;

use hdrhistogram::Histogram;

use crate::run::{RunReport, Verdict};

use super::result::SeedResult;

/// A histogram that grows to hold any value, 3 significant digits.
pub fn new_histogram() -> Histogram<u64> {
    Histogram::new(3).expect("3 significant digits is a valid histogram precision")
}

/// What one worker measured: wall time per seed and simulated latency per storage call.
pub struct WorkerStats {
    /// Wall time per seed, microseconds.
    pub wall_us: Histogram<u64>,
    /// Simulated latency by storage call name, ms.
    pub latency_ms: BTreeMap<String, Histogram<u64>>,
}

impl WorkerStats {
    /// Nothing measured yet.
    pub fn new() -> WorkerStats {
        WorkerStats {
            wall_us: new_histogram(),
            latency_ms: BTreeMap::new(),
        }
    }

    /// Records one seed's wall time (never clamped).
    pub fn add_wall_us(&mut self, wall_us: u64) {
        self.wall_us
            .record(wall_us)
            .expect("an auto-resizing histogram records any value");
    }

    /// Adds one run.
    pub fn add_run(&mut self, report: &RunReport, wall_us: u64) {
        self.add_wall_us(wall_us);
        for (op, histogram) in &report.latency_ms {
            add_histogram(
                self.latency_ms
                    .entry(op.clone())
                    .or_insert_with(new_histogram),
                histogram,
            );
        }
    }
}

impl Default for WorkerStats {
    fn default() -> Self {
        WorkerStats::new()
    }
}

fn add_histogram(into: &mut Histogram<u64>, from: &Histogram<u64>) {
    into.add(from)
        .expect("an auto-resizing histogram accepts any value");
}

/// The totals of a sweep.
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
    /// Crashes over all seeds.
    pub crashes: u64,
    /// Wall time per seed, microseconds.
    pub wall_us: Histogram<u64>,
    /// Simulated latency by storage call name, ms, over all seeds.
    pub latency_ms: BTreeMap<String, Histogram<u64>>,
    /// Wall time of the whole sweep.
    pub elapsed: Duration,
    /// Whether `--fail-fast` stopped the sweep before every seed ran.
    pub stopped_early: bool,
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
            crashes: 0,
            wall_us: new_histogram(),
            latency_ms: BTreeMap::new(),
            elapsed: Duration::ZERO,
            stopped_early: false,
        }
    }

    /// Counts one seed's result.
    pub fn add_result(&mut self, result: &SeedResult) {
        self.seeds += 1;
        match result.verdict {
            Verdict::Pass => self.passed += 1,
            Verdict::Fail => self.failed += 1,
        }
        self.ops += result.ops;
        self.events += result.events;
        for (fault, count) in &result.faults {
            *self.faults.entry(fault.clone()).or_default() += count;
        }
        self.crashes += u64::from(result.crashes);
    }

    /// Merges what a worker measured.
    pub fn add_worker(&mut self, worker: &WorkerStats) {
        add_histogram(&mut self.wall_us, &worker.wall_us);
        for (op, histogram) in &worker.latency_ms {
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

    #[test]
    fn histograms_grow_to_hold_large_wall_times() {
        let mut worker = WorkerStats::new();
        worker.add_wall_us(25_000);
        let mut totals = SweepStats::new();
        totals.add_worker(&worker);
        assert!(
            totals.wall_us.max() >= 25_000,
            "wall times must not be clamped"
        );
    }
}
