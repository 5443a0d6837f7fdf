//! Rendering a sweep (or a merge of shards): the header, the `summary.json` / `--json` document
//! and the human summary. `--json` is `summary.json` plus `results`, streamed from
//! `seeds.jsonl` (never held in memory).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write;
use std::path::Path;

use hdrhistogram::Histogram;
use serde::Serialize;

use crate::run::sweep::{Budget, SeedSet, Shard, StopReason, SweepStats};
use crate::run::Violation;

use super::render_run::COVERAGE_UNFIRED_SHOWN;
use super::triage::{group, FailureGroup};

use super::repro::{repro_line, shrink_line};
use super::request::Origin;
use super::sweep_dir::SeedLines;
use super::sweep_files::{FailureTrace, FAILURE_TRACES_MAX};
use super::text::{escape_controls, path_text};

/// Most failing seeds the human summary lists (every one is in `summary.json` up to its cap).
const FAILURES_SHOWN_MAX: usize = 20;

/// What a summary describes besides the totals.
pub struct SweepContext<'a> {
    /// The scenario and bugs, as named on the command line.
    pub origin: &'a Origin,
    /// The whole seed set.
    pub seeds: &'a SeedSet,
    /// The slice this output holds.
    pub shard: Shard,
    /// Seeds of the slice, `None` for an endless stream.
    pub planned: Option<u64>,
    /// Worker threads (of the largest shard, for a merge).
    pub jobs: usize,
    /// When the sweep stops early.
    pub budget: Budget,
    /// The output folder.
    pub out: &'a Path,
    /// The signal that stopped the sweep, by name.
    pub interrupted_by: Option<&'static str>,
    /// The command that continues a partial sweep.
    pub resume_command: Option<String>,
    /// For a merge: the shard folders merged.
    pub merged_from: Vec<String>,
}

/// One seed of `results`: the stable fields.
#[derive(Serialize)]
struct SeedLine<'a> {
    seed: u64,
    verdict: crate::run::Verdict,
    trace_hash: &'a str,
}

/// A failing seed with everything needed to look at it.
#[derive(Serialize)]
pub struct FailureJson {
    seed: u64,
    invariants: String,
    violations: Vec<Violation>,
    violations_total: u64,
    repro: String,
    shrink: Option<String>,
    trace: Option<String>,
    trace_problem: Option<String>,
}

/// Signature groups by invariant, the invariant with the most failing seeds first (ties by
/// name); each invariant's groups keep their order (largest first).
fn by_invariant(groups: &[FailureGroup]) -> Vec<(&str, Vec<&FailureGroup>)> {
    let mut by: BTreeMap<&str, Vec<&FailureGroup>> = BTreeMap::new();
    for group in groups {
        by.entry(&group.signature.invariant)
            .or_default()
            .push(group);
    }
    let mut by: Vec<(&str, Vec<&FailureGroup>)> = by.into_iter().collect();
    by.sort_by_key(|(_, groups)| std::cmp::Reverse(groups.iter().map(|g| g.seeds).sum::<u64>()));
    by
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
            let name = escape_controls(name);
            if *count == 1 {
                name.into_owned()
            } else {
                format!("{name} x{count}")
            }
        })
        .collect();
    shown.join(", ")
}

/// The sweep document (`summary.json`). `total`, `passed`, `failed` are stable; everything but
/// `jobs`, `wall_us`, `elapsed_s`, `seeds_per_s` and `out` is the same for any `--jobs`, any
/// sharding (once merged) and a resumed sweep.
#[derive(Serialize)]
pub struct SweepJson<'a> {
    total: u64,
    passed: u64,
    failed: u64,
    planned: Option<u64>,
    partial: bool,
    stop: StopReason,
    interrupted_by: Option<&'static str>,
    seeds: String,
    shard: String,
    scenario: &'a str,
    bugs: Vec<&'static str>,
    budget: Budget,
    ops: u64,
    events: u64,
    faults: u64,
    faults_by_type: &'a BTreeMap<String, u64>,
    crashes: u64,
    coverage: BTreeMap<String, u64>,
    coverage_unfired: Vec<String>,
    failures: Vec<FailureJson>,
    failures_kept: usize,
    groups: Vec<FailureGroup>,
    traces_written: usize,
    traces_max: usize,
    latency_ms: BTreeMap<&'a str, Percentiles>,
    wall_us: Percentiles,
    jobs: usize,
    elapsed_s: f64,
    seeds_per_s: f64,
    out: String,
    merged_from: &'a [String],
    warnings: &'a [String],
}

/// Everything a sweep summary is built from.
pub struct SweepOutcome<'a> {
    /// What the summary describes.
    pub context: &'a SweepContext<'a>,
    /// The totals.
    pub stats: &'a SweepStats,
    /// The traces written for failures (a prefix of the failures).
    pub traces: &'a [FailureTrace],
    /// I/O problems met on the way (each also printed as a warning when it happened).
    pub warnings: &'a [String],
}

/// The one header line of a sweep, printed when it starts.
pub fn header(context: &SweepContext, resumed_after: Option<u64>) -> String {
    let origin = context.origin;
    let bugs: Vec<&str> = origin.bugs.iter().map(|b| b.name()).collect();
    let bugs = if bugs.is_empty() {
        "none".to_string()
    } else {
        bugs.join(",")
    };
    let seeds = match context.planned {
        Some(count) => format!("{count} seeds ({})", context.seeds),
        None => format!("{}", context.seeds),
    };
    let mut budget = Vec::new();
    if let Some(seconds) = context.budget.wall_s_max {
        budget.push(format!("for {seconds}s"));
    }
    if let Some(failures) = context.budget.failures_max {
        budget.push(format!("until {failures} failures"));
    }
    let budget = if budget.is_empty() {
        String::new()
    } else {
        format!(" {}", budget.join(" or "))
    };
    let store = if origin.on_redb { " on redb" } else { "" };
    let resumed = resumed_after.map_or(String::new(), |n| {
        format!(", resuming after {n} seeds done")
    });
    format!(
        "sweep: {seeds}{budget}, scenario {}{store}, bugs {bugs}, shard {}, {} jobs, out {}{resumed}",
        escape_controls(&origin.scenario_name),
        context.shard,
        context.jobs,
        path_text(context.out),
    )
}

fn ordinal(n: u64) -> String {
    let suffix = match (n % 10, n % 100) {
        (1, 11) | (2, 12) | (3, 13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

impl SweepOutcome<'_> {
    /// The sweep document.
    pub fn json(&self) -> SweepJson<'_> {
        let (context, stats) = (self.context, self.stats);
        let failures: Vec<FailureJson> = stats
            .failures
            .iter()
            .map(|f| {
                let trace = self.traces.iter().find(|t| t.seed == f.seed);
                FailureJson {
                    seed: f.seed,
                    invariants: invariant_counts(&f.violations),
                    violations: f.violations.clone(),
                    violations_total: f.violations_total,
                    repro: repro_line(f.seed, context.origin),
                    shrink: shrink_line(f.seed, context.origin),
                    trace: trace.and_then(|t| t.path.as_deref()).map(path_text),
                    trace_problem: trace.and_then(|t| t.problem.clone()),
                }
            })
            .collect();
        let elapsed_s = stats.elapsed.as_secs_f64();
        let groups = group(failures.iter().filter_map(|f| {
            let first = f.violations.first()?;
            Some((f.seed, first, f.repro.as_str(), f.shrink.as_deref()))
        }));
        SweepJson {
            total: stats.seeds,
            passed: stats.passed,
            failed: stats.failed,
            planned: context.planned,
            partial: stats.stop.is_partial(),
            stop: stats.stop,
            interrupted_by: context.interrupted_by,
            seeds: context.seeds.to_string(),
            shard: context.shard.to_string(),
            scenario: &context.origin.scenario_name,
            bugs: context.origin.bugs.iter().map(|b| b.name()).collect(),
            budget: context.budget,
            ops: stats.ops,
            events: stats.events,
            faults: stats.faults_total(),
            faults_by_type: &stats.faults,
            crashes: stats.crashes,
            coverage: crate::workload::every_mark(&stats.coverage),
            coverage_unfired: crate::workload::unfired(&stats.coverage),
            failures,
            failures_kept: stats.failures.len(),
            groups,
            traces_written: self.traces.iter().filter(|t| t.path.is_some()).count(),
            traces_max: FAILURE_TRACES_MAX,
            latency_ms: stats
                .latency_ms
                .iter()
                .map(|(op, h)| (op.as_str(), percentiles(h)))
                .collect(),
            wall_us: percentiles(&stats.wall_us),
            jobs: context.jobs,
            elapsed_s,
            seeds_per_s: stats.seeds as f64 / elapsed_s.max(1e-9),
            out: path_text(context.out),
            merged_from: &context.merged_from,
            warnings: self.warnings,
        }
    }

    fn partial_line(&self) -> Option<String> {
        let (context, stats) = (self.context, self.stats);
        let of = context
            .planned
            .map_or(String::new(), |planned| format!(" of {planned}"));
        let why = match stats.stop {
            StopReason::Complete => return None,
            StopReason::Interrupted => format!(
                "interrupted by {}",
                context.interrupted_by.unwrap_or("a signal")
            ),
            StopReason::FailureBudget => {
                let max = context.budget.failures_max.unwrap_or(stats.failed);
                format!(
                    "stopped at the {} failure (--until-failures {max})",
                    ordinal(stats.failed)
                )
            }
            StopReason::TimeBudget => format!(
                "the time budget ({}s) ran out",
                context.budget.wall_s_max.unwrap_or(0)
            ),
        };
        let resume = context
            .resume_command
            .as_ref()
            .filter(|_| context.planned.is_some() || stats.stop == StopReason::Interrupted)
            .map_or(String::new(), |c| format!("; continue with: {c}"));
        Some(format!(
            "partial: {why} after {}{of} seeds{resume}",
            stats.seeds
        ))
    }

    fn failure_lines(&self, w: &mut String, json: &SweepJson) {
        if !json.groups.is_empty() {
            let kept = json.failures_kept;
            let over = match kept < self.stats.failed as usize {
                true => format!(" (over the first {kept} kept)"),
                false => String::new(),
            };
            writeln!(
                w,
                "failures by invariant{over}, then by signature (operation · fault):"
            )
            .unwrap();
        }
        let by_invariant = by_invariant(&json.groups);
        for (invariant, groups) in by_invariant.iter().take(FAILURES_SHOWN_MAX) {
            let seeds: u64 = groups.iter().map(|g| g.seeds).sum();
            let first_seed = groups.iter().map(|g| g.first_seed).min().expect("a group");
            writeln!(
                w,
                "  {}: {seeds} seeds, first seed {first_seed}",
                escape_controls(invariant)
            )
            .unwrap();
            let failure = json
                .failures
                .iter()
                .find(|f| f.seed == first_seed)
                .expect("a group's first seed is a kept failure");
            writeln!(
                w,
                "  FAIL seed {} [{}]: {}",
                failure.seed, failure.invariants, failure.repro
            )
            .unwrap();
            if let Some(shrink) = &failure.shrink {
                writeln!(w, "       shrink: {shrink}").unwrap();
            }
            if let Some(trace) = &failure.trace {
                writeln!(w, "       trace: {trace}").unwrap();
            }
            if let Some(problem) = &failure.trace_problem {
                writeln!(w, "       trace: {}", escape_controls(problem)).unwrap();
            }
            let signatures: Vec<String> = groups
                .iter()
                .map(|g| {
                    let fault = g
                        .signature
                        .fault
                        .map_or(String::new(), |f| format!(" · {f}"));
                    let operation = escape_controls(&g.signature.operation);
                    format!("{operation}{fault} {} (seed {})", g.seeds, g.first_seed)
                })
                .collect();
            writeln!(w, "       by signature: {}", signatures.join(", ")).unwrap();
        }
        if by_invariant.len() > FAILURES_SHOWN_MAX {
            writeln!(
                w,
                "  ... and {} more invariants (all in summary.json)",
                by_invariant.len() - FAILURES_SHOWN_MAX
            )
            .unwrap();
        }
        let failed = self.stats.failed as usize;
        if failed > json.groups.len() {
            writeln!(
                w,
                "  {failed} failing seeds in all (the first {} in summary.json, all in seeds.jsonl)",
                json.failures_kept
            )
            .unwrap();
        }
        if failed > FAILURE_TRACES_MAX {
            writeln!(
                w,
                "traces: written for the first {} of {failed} failing seeds (at most {FAILURE_TRACES_MAX}); the others reproduce with their repro line",
                json.traces_written
            )
            .unwrap();
        }
        if failed > 0 && self.traces.is_empty() {
            writeln!(
                w,
                "traces: not written (the sweep was interrupted); --resume writes them"
            )
            .unwrap();
        }
    }

    /// The human summary (after the header): counts, one repro line per failure, totals and
    /// percentiles, warnings last.
    pub fn human(&self) -> String {
        let stats = self.stats;
        let json = self.json();
        let mut out = String::new();
        let w = &mut out;
        if let Some(line) = self.partial_line() {
            writeln!(w, "{line}").unwrap();
        }
        writeln!(w, "passed {}, failed {}", stats.passed, stats.failed).unwrap();
        self.failure_lines(w, &json);
        writeln!(
            w,
            "ops: {}  faults: {}  crashes: {}",
            stats.ops, json.faults, stats.crashes
        )
        .unwrap();
        for (fault, count) in &stats.faults {
            writeln!(w, "  {:<26} {count:>8}", escape_controls(fault)).unwrap();
        }
        let coverage = crate::workload::summary_line(&stats.coverage, COVERAGE_UNFIRED_SHOWN);
        writeln!(w, "{coverage}").unwrap();
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
                    "  {:<30} {:>8} {:>6} {:>6} {:>6} {:>6}",
                    escape_controls(op),
                    p.count,
                    p.p50,
                    p.p90,
                    p.p99,
                    p.max
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
        for warning in self.warnings {
            writeln!(w, "warning: {}", escape_controls(warning)).unwrap();
        }
        out
    }
}

/// Writes `summary` (a pretty JSON object) with a `results` array appended, streamed from the
/// `seeds.jsonl` of `dir`: one `{seed, verdict, trace_hash}` per seed, in seed order.
pub fn write_json_with_results(
    out: &mut dyn Write,
    summary: &str,
    dir: &Path,
) -> Result<(), String> {
    let body = summary
        .trim_end()
        .strip_suffix('}')
        .expect("a summary is a JSON object");
    let io = |e: std::io::Error| format!("cannot write the summary: {e}");
    write!(out, "{}", body.trim_end()).map_err(io)?;
    write!(out, ",\n  \"results\": [").map_err(io)?;
    let mut first = true;
    for result in SeedLines::open(dir)? {
        let result = result?;
        let line = SeedLine {
            seed: result.seed,
            verdict: result.verdict,
            trace_hash: &result.trace_hash,
        };
        let separator = if first { "" } else { "," };
        first = false;
        write!(
            out,
            "{separator}\n    {}",
            serde_json::to_string(&line).expect("a seed line serializes")
        )
        .map_err(io)?;
    }
    writeln!(out, "\n  ]\n}}").map_err(io)?;
    out.flush().map_err(io)
}
