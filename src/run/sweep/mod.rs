//! Sweeps: many seeds of one configuration, across worker threads.
//!
//! Threads run only across seeds, never inside one: each worker loops over seeds in one process,
//! claiming the next position from a shared counter and running it on its own single-threaded
//! simulation with a hashing-only sink (no trace text, no events kept). Results are handed back
//! in seed order whatever finishes first, so everything but wall times is the same for any
//! number of workers.

mod result;
mod seeds;
mod shard;
mod stats;

pub use result::SeedResult;
pub use seeds::{parse_seed, SeedSet, LIST_SEEDS_MAX};
pub use shard::Shard;
pub use stats::{new_histogram, SweepStats, WorkerStats};

use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::Instant;

use crate::run::{run_seed, RunConfig, Verdict};
use crate::trace::NullSink;

/// Most worker threads a sweep starts.
pub const JOBS_MAX: usize = 1024;

/// What to sweep.
#[derive(Clone, Debug)]
pub struct SweepSpec {
    /// The configuration every seed runs (its `seed` field is replaced per seed).
    pub template: RunConfig,
    /// The seeds.
    pub seeds: SeedSet,
    /// Which slice of the seeds this process runs.
    pub shard: Shard,
    /// Worker threads, `1..=JOBS_MAX`.
    pub jobs: usize,
    /// Stop claiming new seeds after the first failure.
    pub fail_fast: bool,
}

impl SweepSpec {
    /// Number of seeds this process runs (the shard's part of the set).
    pub fn count(&self) -> u64 {
        self.shard.len(self.seeds.count())
    }

    /// The seed at `nth` position of this process's part of the set.
    pub fn seed(&self, nth: u64) -> u64 {
        self.seeds.seed_at(self.shard.position(nth))
    }
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic with a non-string payload".to_string())
}

/// Runs one seed with a hashing-only sink; a panic escaping the engine becomes a `panic` failure.
fn run_one(config: &RunConfig, stats: &mut WorkerStats) -> SeedResult {
    let start = Instant::now();
    let outcome = catch_unwind(AssertUnwindSafe(|| run_seed(config, &mut NullSink)));
    let wall_us = u64::try_from(start.elapsed().as_micros()).unwrap_or(u64::MAX);
    match outcome {
        Ok(report) => {
            stats.add_run(&report, wall_us);
            SeedResult::from_report(&report, wall_us)
        }
        Err(payload) => SeedResult::from_panic(config.seed, panic_message(&*payload), wall_us),
    }
}

fn worker(
    spec: &SweepSpec,
    next: &AtomicU64,
    stop: &AtomicBool,
    results: mpsc::Sender<(u64, SeedResult)>,
) -> WorkerStats {
    let mut stats = WorkerStats::new();
    let mut config = spec.template.clone();
    let count = spec.count();
    while !stop.load(Ordering::Relaxed) {
        let nth = next.fetch_add(1, Ordering::Relaxed);
        if nth >= count {
            break;
        }
        config.seed = spec.seed(nth);
        let result = run_one(&config, &mut stats);
        if spec.fail_fast && result.verdict == Verdict::Fail {
            stop.store(true, Ordering::Relaxed);
        }
        if results.send((nth, result)).is_err() {
            break;
        }
    }
    stats
}

/// Runs every seed of `spec`, calling `on_result` once per seed in seed order (as soon as every
/// earlier seed has finished), and returns the totals.
pub fn sweep(spec: &SweepSpec, on_result: &mut dyn FnMut(&SeedResult)) -> SweepStats {
    assert!(
        (1..=JOBS_MAX).contains(&spec.jobs),
        "jobs {} out of range",
        spec.jobs
    );
    let start = Instant::now();
    let count = spec.count();
    let jobs = spec
        .jobs
        .min(usize::try_from(count).unwrap_or(usize::MAX))
        .max(1);
    let next = AtomicU64::new(0);
    let stop = AtomicBool::new(false);
    let mut totals = SweepStats::new();
    let (sender, receiver) = mpsc::channel();
    thread::scope(|scope| {
        let handles: Vec<_> = (0..jobs)
            .map(|_| {
                let sender = sender.clone();
                let (next, stop) = (&next, &stop);
                scope.spawn(move || worker(spec, next, stop, sender))
            })
            .collect();
        drop(sender);
        let mut pending: BTreeMap<u64, SeedResult> = BTreeMap::new();
        let mut next_out = 0;
        let mut emit = |result: &SeedResult| {
            totals.add_result(result);
            on_result(result);
        };
        for (nth, result) in receiver {
            pending.insert(nth, result);
            while let Some(result) = pending.remove(&next_out) {
                emit(&result);
                next_out += 1;
            }
        }
        for result in pending.values() {
            emit(result);
        }
        for handle in handles {
            let worker_stats = handle.join().expect("sweep workers catch run panics");
            totals.add_worker(&worker_stats);
        }
    });
    totals.stopped_early = totals.seeds < count;
    totals.elapsed = start.elapsed();
    assert!(totals.seeds <= count, "every seed is reported at most once");
    assert_eq!(totals.seeds, totals.passed + totals.failed);
    totals
}
