//! Sweeps: many seeds of one configuration, across worker threads.
//!
//! Threads run only across seeds, never inside one: each worker loops over seeds in one process,
//! claiming the next position from a shared counter and running it on its own single-threaded
//! simulation with a hashing-only sink (no trace text, no events kept). Results are handed back
//! in seed order whatever finishes first, so everything but wall times is the same for any
//! number of workers. A sweep stops early, always after a prefix of its seeds, when it is
//! cancelled (every claimed seed still finishes), when its time budget ends, or at the failure
//! that exhausts its failure budget (counted in seed order, so the same for any `--jobs`).

mod histogram_codec;
mod merge;
mod result;
mod seeds;
mod shard;
mod stats;

pub use histogram_codec::{decode_histogram, encode_histogram};
pub use merge::{merge_results, MergeInput, ResultStream};
pub use result::SeedResult;
pub use seeds::{parse_seed, SeedSet, LIST_SEEDS_MAX};
pub use shard::Shard;
pub use stats::{
    add_histogram, latency_buckets, new_histogram, LatencyBuckets, StopReason, SweepStats,
    FAILURES_KEPT_MAX,
};

use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::run::{run_judged, RunConfig};
use crate::trace::NullSink;

/// Most worker threads a sweep starts.
pub const JOBS_MAX: usize = 1024;

/// How often the caller hears from a sweep that produced no result in the meantime.
const TICK_EVERY: Duration = Duration::from_millis(200);

/// How far, in seeds per job, workers may run ahead of the last result handed on: results that
/// finish out of order wait in memory, so this bounds the memory a slow seed can pile up.
const AHEAD_PER_JOB: u64 = 64;

/// When a sweep stops before its last seed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Budget {
    /// Stop at this many failing seeds (in seed order); `--fail-fast` is 1.
    pub failures_max: Option<u64>,
    /// Stop claiming seeds after this long (wall time of this process, seconds).
    pub wall_s_max: Option<u64>,
}

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
    /// When to stop early.
    pub budget: Budget,
}

impl SweepSpec {
    /// Number of seeds this process runs (the shard's part of the set; `u64::MAX` for a stream).
    pub fn count(&self) -> u64 {
        self.shard.len(self.seeds.count())
    }

    /// The seed at `nth` position of this process's part of the set.
    pub fn seed(&self, nth: u64) -> u64 {
        self.seeds.seed_at(self.shard.position(nth))
    }
}

/// What a sweep tells its caller, in order.
pub enum SweepEvent<'a> {
    /// The next seed in seed order finished (already added to the totals).
    Result(&'a SeedResult),
    /// Time passed without a result.
    Tick,
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic with a non-string payload".to_string())
}

/// One finished seed: its line, its wall time and its simulated latencies.
struct Finished {
    nth: u64,
    result: SeedResult,
    latency_ms: LatencyBuckets,
}

/// Runs one seed with a hashing-only sink; a panic escaping the engine becomes a `panic` failure.
fn run_one(config: &RunConfig, nth: u64) -> Finished {
    let span = tracing::debug_span!("seed", seed = config.seed);
    let _entered = span.enter();
    let start = Instant::now();
    let outcome = catch_unwind(AssertUnwindSafe(|| run_judged(config, &mut NullSink)));
    let wall_us = u64::try_from(start.elapsed().as_micros()).unwrap_or(u64::MAX);
    match outcome {
        Ok(report) => Finished {
            nth,
            result: SeedResult::from_report(&report, wall_us),
            latency_ms: latency_buckets(&report.latency_ms),
        },
        Err(payload) => Finished {
            nth,
            result: SeedResult::from_panic(config.seed, panic_message(&*payload), wall_us),
            latency_ms: Vec::new(),
        },
    }
}

/// What the workers share: the next position to claim, how many results were handed on, and
/// the flags that stop them claiming.
struct Claims<'a> {
    next: AtomicU64,
    handed_on: AtomicU64,
    ahead_max: u64,
    stop: AtomicBool,
    cancel: &'a AtomicBool,
    /// Signalled when `handed_on` grows or the sweep stops, for workers waiting to claim.
    moved: (Mutex<()>, Condvar),
}

impl Claims<'_> {
    /// The next position to run, once it is within reach of the results handed on; `None` when
    /// the sweep stops. A claimed position is always run, so the seeds done stay a prefix.
    fn claim(&self, count: u64) -> Option<u64> {
        loop {
            if self.stop.load(Ordering::Relaxed) || self.cancel.load(Ordering::Relaxed) {
                return None;
            }
            let next = self.next.load(Ordering::Relaxed);
            if next >= count {
                return None;
            }
            if next < self.handed_on.load(Ordering::Relaxed) + self.ahead_max {
                let nth = self.next.fetch_add(1, Ordering::Relaxed);
                return (nth < count).then_some(nth);
            }
            let guard = self
                .moved
                .0
                .lock()
                .expect("the claims lock is never poisoned");
            // A timeout, so a notification sent between the check and the wait is not waited for long.
            let _ = self
                .moved
                .1
                .wait_timeout(guard, Duration::from_millis(5))
                .expect("the claims lock is never poisoned");
        }
    }

    /// Records that `seeds` results were handed on, waking waiting workers.
    fn handed_on(&self, seeds: u64) {
        self.handed_on.store(seeds, Ordering::Relaxed);
        let _guard = self
            .moved
            .0
            .lock()
            .expect("the claims lock is never poisoned");
        self.moved.1.notify_all();
    }
}

fn worker(spec: &SweepSpec, claims: &Claims, results: mpsc::SyncSender<Finished>) {
    let mut config = spec.template.clone();
    let count = spec.count();
    while let Some(nth) = claims.claim(count) {
        config.seed = spec.seed(nth);
        if results.send(run_one(&config, nth)).is_err() {
            break;
        }
    }
}

/// The part of a sweep that receives results: puts them in seed order, counts them, and decides
/// when the budget is spent.
struct Collector<'a> {
    spec: &'a SweepSpec,
    stats: SweepStats,
    pending: BTreeMap<u64, Finished>,
    started: Instant,
    elapsed_before: Duration,
    out_of_time: bool,
}

impl Collector<'_> {
    fn failure_budget_spent(&self) -> bool {
        self.spec
            .budget
            .failures_max
            .is_some_and(|max| self.stats.failed >= max)
    }

    fn time_budget_spent(&self) -> bool {
        self.spec
            .budget
            .wall_s_max
            .is_some_and(|max| self.started.elapsed() >= Duration::from_secs(max))
    }

    /// Hands on every result that is next in seed order; false once the failure budget is spent
    /// (later results are dropped, so the seeds reported do not depend on the workers).
    fn drain(&mut self, on_event: &mut dyn FnMut(SweepEvent, &SweepStats)) -> bool {
        while !self.failure_budget_spent() {
            let Some(finished) = self.pending.remove(&self.stats.seeds) else {
                return true;
            };
            assert_eq!(
                finished.nth, self.stats.seeds,
                "results go out in seed order"
            );
            self.stats.add_result(&finished.result);
            self.stats
                .add_histograms(finished.result.wall_us, &finished.latency_ms);
            self.stats.elapsed = self.elapsed_before + self.started.elapsed();
            on_event(SweepEvent::Result(&finished.result), &self.stats);
        }
        false
    }

    /// Receives results until every worker is done, the failure budget is spent, or (after
    /// the time budget ran out, when the workers stop claiming) the running seeds are in.
    fn collect(
        &mut self,
        receiver: &mpsc::Receiver<Finished>,
        claims: &Claims,
        on_event: &mut dyn FnMut(SweepEvent, &SweepStats),
    ) {
        if !self.drain(on_event) {
            return;
        }
        loop {
            if !self.out_of_time && self.time_budget_spent() {
                self.out_of_time = true;
                claims.stop.store(true, Ordering::Relaxed);
            }
            match receiver.recv_timeout(TICK_EVERY) {
                Ok(finished) => {
                    self.pending.insert(finished.nth, finished);
                    let open = self.drain(on_event);
                    claims.handed_on(self.stats.seeds);
                    if !open {
                        return;
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    self.stats.elapsed = self.elapsed_before + self.started.elapsed();
                    on_event(SweepEvent::Tick, &self.stats);
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => return,
            }
        }
    }

    /// The totals, with why the sweep stopped.
    fn finish(self, cancelled: bool) -> SweepStats {
        let mut stats = self.stats;
        stats.elapsed = self.elapsed_before + self.started.elapsed();
        let budget_spent = self
            .spec
            .budget
            .failures_max
            .is_some_and(|max| stats.failed >= max);
        stats.stop = if self.pending.is_empty() && stats.seeds == self.spec.count() {
            StopReason::Complete
        } else if budget_spent {
            StopReason::FailureBudget
        } else if self.out_of_time {
            StopReason::TimeBudget
        } else {
            assert!(cancelled, "a sweep stops early only when told to");
            StopReason::Interrupted
        };
        assert!(
            stats.stop == StopReason::FailureBudget || self.pending.is_empty(),
            "every claimed seed is reported unless the failure budget dropped it"
        );
        assert_eq!(stats.seeds, stats.passed + stats.failed);
        stats
    }
}

/// Runs the seeds of `spec` from position `done.seeds` on (`done` holds the totals of the seeds
/// before it, from an interrupted run of the same sweep), calling `on_event` with each result in
/// seed order and now and then a tick; returns the totals of every seed done, old and new.
/// Setting `cancel` stops the sweep after the seeds already claimed.
pub fn sweep(
    spec: &SweepSpec,
    done: SweepStats,
    cancel: &AtomicBool,
    on_event: &mut dyn FnMut(SweepEvent, &SweepStats),
) -> SweepStats {
    assert!(
        (1..=JOBS_MAX).contains(&spec.jobs),
        "jobs {} out of range",
        spec.jobs
    );
    let count = spec.count();
    assert!(done.seeds <= count, "{} seeds done of {count}", done.seeds);
    let remaining = count - done.seeds;
    let jobs = spec
        .jobs
        .min(usize::try_from(remaining).unwrap_or(usize::MAX))
        .max(1);
    let claims = Claims {
        next: AtomicU64::new(done.seeds),
        handed_on: AtomicU64::new(done.seeds),
        ahead_max: AHEAD_PER_JOB * jobs as u64,
        stop: AtomicBool::new(false),
        cancel,
        moved: (Mutex::new(()), Condvar::new()),
    };
    let mut collector = Collector {
        spec,
        pending: BTreeMap::new(),
        started: Instant::now(),
        elapsed_before: done.elapsed,
        stats: done,
        out_of_time: false,
    };
    if collector.failure_budget_spent() {
        claims.stop.store(true, Ordering::Relaxed);
    }
    let (sender, receiver) = mpsc::sync_channel(jobs * AHEAD_PER_JOB as usize);
    thread::scope(|scope| {
        for _ in 0..jobs {
            let sender = sender.clone();
            let claims = &claims;
            scope.spawn(move || worker(spec, claims, sender));
        }
        drop(sender);
        collector.collect(&receiver, &claims, on_event);
        claims.stop.store(true, Ordering::Relaxed);
        // Seeds still running after the failure budget was spent: let them finish, unreported.
        for finished in receiver.iter() {
            collector.pending.insert(finished.nth, finished);
        }
    });
    collector.finish(cancel.load(Ordering::Relaxed))
}
