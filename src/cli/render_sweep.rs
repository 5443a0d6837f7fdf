//! Rendering a sweep: the `--json` / `summary.json` document and the human summary.

use std::collections::BTreeMap;
use std::fmt::Write;

use hdrhistogram::Histogram;
use serde::Serialize;

use crate::run::sweep::{SeedResult, SweepStats};
use crate::run::{Verdict, Violation};

use super::repro::repro_line;
use super::request::SweepRequest;
use super::sweep_files::FailureTrace;

/// One seed in `results`: stable fields only.
#[derive(Serialize)]
pub struct SeedLine {
    /// The seed.
    pub seed: u64,
    /// Pass or fail.
    pub verdict: Verdict,
    /// The trace hash.
    pub trace_hash: String,
}

/// A failing seed with everything needed to look at it.
#[derive(Serialize)]
pub struct FailureJson {
    seed: u64,
    violations: Vec<Violation>,
    repro: String,
    trace: Option<String>,
    trace_problem: Option<String>,
}

/// Percentiles of a histogram.
#[derive(Serialize)]
pub struct Percentiles {
    count: u64,
    p50: u64,
    p90: u64,
    p99: u64,
    max: u64,
}

fn percentiles(histogram: &Histogram<u64>) -> Percentiles {
    Percentiles {
        count: histogram.len(),
        p50: histogram.value_at_quantile(0.5),
        p90: histogram.value_at_quantile(0.9),
        p99: histogram.value_at_quantile(0.99),
        max: histogram.max(),
    }
}

/// The distinct invariants of `violations` in first-seen order, with counts: `a x3, b`.
pub fn invariant_counts(violations: &[Violation]) -> String {
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for violation in violations {
        match counts
            .iter_mut()
            .find(|(name, _)| *name == violation.invariant)
        {
            Some((_, count)) => *count += 1,
            None => counts.push((&violation.invariant, 1)),
        }
    }
    let shown: Vec<String> = counts
        .iter()
        .map(|(name, count)| {
            if *count == 1 {
                name.to_string()
            } else {
                format!("{name} x{count}")
            }
        })
        .collect();
    shown.join(", ")
}

/// The sweep document. `total`, `passed`, `failed` and `results` (in seed order) are stable;
/// everything but `wall_us`, `elapsed_s` and `seeds_per_s` is the same for any `--jobs`.
#[derive(Serialize)]
pub struct SweepJson<'a> {
    total: u64,
    passed: u64,
    failed: u64,
    planned: u64,
    stopped_early: bool,
    seeds: &'a str,
    shard: String,
    scenario: &'a str,
    bugs: Vec<&'static str>,
    jobs: usize,
    ops: u64,
    faults: u64,
    faults_by_type: &'a BTreeMap<String, u64>,
    crashes: u64,
    failures: Vec<FailureJson>,
    latency_ms: BTreeMap<&'a str, Percentiles>,
    wall_us: Percentiles,
    elapsed_s: f64,
    seeds_per_s: f64,
    out: String,
    results: &'a [SeedLine],
}

/// Everything a sweep summary is built from.
pub struct SweepOutcome<'a> {
    /// The request.
    pub request: &'a SweepRequest,
    /// The totals.
    pub stats: &'a SweepStats,
    /// Every seed, in seed order.
    pub results: &'a [SeedLine],
    /// The failing seeds, in seed order.
    pub failures: &'a [SeedResult],
    /// The traces written for failures (a prefix of `failures`).
    pub traces: &'a [FailureTrace],
}

impl SweepOutcome<'_> {
    /// The sweep document.
    pub fn json(&self) -> SweepJson<'_> {
        let (request, stats) = (self.request, self.stats);
        let failures = self
            .failures
            .iter()
            .map(|f| {
                let trace = self.traces.iter().find(|t| t.seed == f.seed);
                FailureJson {
                    seed: f.seed,
                    violations: f.violations.clone(),
                    repro: repro_line(f.seed, &request.origin),
                    trace: trace
                        .and_then(|t| t.path.as_ref())
                        .map(|p| p.display().to_string()),
                    trace_problem: trace.and_then(|t| t.problem.clone()),
                }
            })
            .collect();
        let elapsed_s = stats.elapsed.as_secs_f64();
        SweepJson {
            total: stats.seeds,
            passed: stats.passed,
            failed: stats.failed,
            planned: request.spec.count(),
            stopped_early: stats.stopped_early,
            seeds: &request.seeds_arg,
            shard: request.spec.shard.to_string(),
            scenario: &request.origin.scenario_name,
            bugs: request.origin.bugs.iter().map(|b| b.name()).collect(),
            jobs: request.spec.jobs,
            ops: stats.ops,
            faults: stats.faults_total(),
            faults_by_type: &stats.faults,
            crashes: stats.crashes,
            failures,
            latency_ms: stats
                .latency_ms
                .iter()
                .map(|(op, h)| (op.as_str(), percentiles(h)))
                .collect(),
            wall_us: percentiles(&stats.wall_us),
            elapsed_s,
            seeds_per_s: stats.seeds as f64 / elapsed_s.max(1e-9),
            out: request.out.display().to_string(),
            results: self.results,
        }
    }

    /// The human summary: counts, one repro line per failure, totals and percentiles.
    pub fn human(&self) -> String {
        let (request, stats) = (self.request, self.stats);
        let json = self.json();
        let mut out = String::new();
        let w = &mut out;
        writeln!(
            w,
            "sweep: {} seeds ({}), scenario {}, shard {}, {} jobs",
            stats.seeds,
            request.seeds_arg,
            request.origin.scenario_name,
            request.spec.shard,
            request.spec.jobs
        )
        .unwrap();
        if stats.stopped_early {
            writeln!(
                w,
                "stopped early (--fail-fast) after {} of {} seeds",
                stats.seeds, json.planned
            )
            .unwrap();
        }
        writeln!(w, "passed {}, failed {}", stats.passed, stats.failed).unwrap();
        for failure in &json.failures {
            let invariants: Vec<&str> = failure
                .violations
                .iter()
                .map(|v| v.invariant.as_str())
                .collect();
            writeln!(
                w,
                "  FAIL seed {} [{}]: {}",
                failure.seed,
                invariants.join(", "),
                failure.repro
            )
            .unwrap();
            if let Some(trace) = &failure.trace {
                writeln!(w, "       trace: {trace}").unwrap();
            }
            if let Some(problem) = &failure.trace_problem {
                writeln!(w, "       trace: {problem}").unwrap();
            }
        }
        writeln!(
            w,
            "ops: {}  faults: {}  crashes: {}",
            stats.ops, json.faults, stats.crashes
        )
        .unwrap();
        for (fault, count) in &stats.faults {
            writeln!(w, "  {fault:<26} {count:>8}").unwrap();
        }
        let wall = &json.wall_us;
        writeln!(
            w,
            "wall time per seed (us): p50 {}  p90 {}  p99 {}  max {}",
            wall.p50, wall.p90, wall.p99, wall.max
        )
        .unwrap();
        if !json.latency_ms.is_empty() {
            writeln!(
                w,
                "simulated latency per call (ms):  {:>8} {:>6} {:>6} {:>6} {:>6}",
                "count", "p50", "p90", "p99", "max"
            )
            .unwrap();
            for (op, p) in &json.latency_ms {
                writeln!(
                    w,
                    "  {op:<30} {:>8} {:>6} {:>6} {:>6} {:>6}",
                    p.count, p.p50, p.p90, p.p99, p.max
                )
                .unwrap();
            }
        }
        writeln!(
            w,
            "{:.1} seeds/s over {:.2}s; results in {}",
            json.seeds_per_s, json.elapsed_s, json.out
        )
        .unwrap();
        out
    }
}
