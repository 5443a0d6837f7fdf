//! Rendering one run's report: human text and the stable `--json` shape.

use std::collections::BTreeMap;
use std::fmt::Write;

use serde::Serialize;

use crate::run::{OutcomeCounts, RunReport, SwarmOptions, Verdict, Violation};
use crate::trace::HarnessVersion;

use super::repro::shrink_line;
use super::request::Origin;
use super::text::{escape_controls, path_text};

/// Most violations a human report shows with their evidence.
const VIOLATIONS_SHOWN: usize = 3;
/// Most unfired coverage marks a human report names.
pub const COVERAGE_UNFIRED_SHOWN: usize = 8;

/// The `dst run --json` document. `seed`, `scenario`, `verdict`, `trace_hash`, `ops`, `faults`,
/// `crashes`, `violations` and `repro` are stable; the rest may grow.
#[derive(Serialize)]
pub struct RunJson<'a> {
    seed: u64,
    scenario: &'a str,
    bugs: Vec<&'static str>,
    verdict: Verdict,
    trace_hash: &'a str,
    ops: u64,
    ops_by_call: &'a BTreeMap<String, OutcomeCounts>,
    faults: u64,
    faults_by_type: &'a BTreeMap<String, u64>,
    crashes: u32,
    checks: u64,
    sim_time_ms: u64,
    steps: u64,
    events: u64,
    swarm: &'a SwarmOptions,
    violations: &'a [Violation],
    violations_total: u64,
    violations_by_invariant: &'a BTreeMap<String, u64>,
    coverage: BTreeMap<String, u64>,
    trace: Option<String>,
    repro: &'a str,
    shrink: Option<String>,
    harness: String,
    warnings: &'a [String],
}

/// The JSON document of `report`; `trace` is where its trace was written, if it was;
/// `warnings` are the output problems met.
pub fn run_json<'a>(
    report: &'a RunReport,
    origin: &Origin,
    trace: Option<&std::path::Path>,
    repro: &'a str,
    warnings: &'a [String],
) -> RunJson<'a> {
    RunJson {
        seed: report.seed,
        scenario: &report.scenario,
        bugs: origin.bugs.iter().map(|b| b.name()).collect(),
        verdict: report.verdict,
        trace_hash: &report.trace_hash,
        ops: report.total_ops(),
        ops_by_call: &report.ops,
        faults: report.faults.values().sum(),
        faults_by_type: &report.faults,
        crashes: report.crashes,
        checks: report.checks,
        sim_time_ms: report.sim_time_ms,
        steps: report.steps,
        events: report.events,
        swarm: &report.swarm,
        violations: &report.violations,
        violations_total: report.violations_total,
        violations_by_invariant: &report.violated,
        coverage: crate::workload::every_mark(&report.coverage),
        trace: trace.map(|p| p.display().to_string()),
        repro,
        shrink: (report.verdict == Verdict::Fail)
            .then(|| shrink_line(report.seed, origin))
            .flatten(),
        harness: HarnessVersion::current().to_string(),
        warnings,
    }
}

fn list(names: Vec<&str>) -> String {
    if names.is_empty() {
        "none".to_string()
    } else {
        names.join(", ")
    }
}

/// The configuration lines: scenario, bugs and what swarm testing chose.
pub fn render_config(out: &mut String, report: &RunReport, origin: &Origin) {
    let bugs = list(origin.bugs.iter().map(|b| b.name()).collect());
    let swarm = &report.swarm;
    writeln!(
        out,
        "seed {}  scenario {}  bugs {bugs}",
        report.seed, report.scenario
    )
    .unwrap();
    if swarm.enabled {
        let faults_off = list(swarm.faults_off.iter().map(|f| f.name()).collect());
        let ops_off = list(swarm.ops_off.iter().map(|o| o.name()).collect());
        writeln!(out, "swarm: faults off: {faults_off}; ops off: {ops_off}").unwrap();
        let weights: Vec<String> = swarm
            .op_weights
            .iter()
            .filter(|(_, weight)| **weight > 0)
            .map(|(kind, weight)| format!("{}={weight}", kind.name()))
            .collect();
        writeln!(out, "swarm: op weights: {}", weights.join(" ")).unwrap();
    } else {
        writeln!(out, "swarm: off").unwrap();
    }
}

/// The first kept violations with their evidence, one evidence line per line, every control
/// character escaped (evidence quotes identifiers that may hold newlines).
pub fn render_violations(out: &mut String, violations: &[Violation]) {
    for violation in violations.iter().take(VIOLATIONS_SHOWN) {
        writeln!(out, "violation: {}", escape_controls(&violation.invariant)).unwrap();
        for line in violation.evidence.split('\n') {
            writeln!(out, "  {}", escape_controls(line)).unwrap();
        }
    }
    if violations.len() > VIOLATIONS_SHOWN {
        let more = violations.len() - VIOLATIONS_SHOWN;
        writeln!(
            out,
            "... and {more} more kept violations with evidence (in the trace and in --json)"
        )
        .unwrap();
    }
}

/// The human report of a run, ending with the trace path and repro line on failure.
pub fn render_run(
    report: &RunReport,
    origin: &Origin,
    trace: Option<&std::path::Path>,
    repro: &str,
) -> String {
    let mut out = String::new();
    render_config(&mut out, report, origin);
    let verdict = match report.verdict {
        Verdict::Pass if !report.violations.is_empty() => {
            "PASS (the scenario expects a violation, and the checkers found one)"
        }
        Verdict::Pass => "PASS",
        Verdict::Fail => "FAIL",
    };
    writeln!(out, "verdict: {verdict}").unwrap();
    writeln!(out, "ops: {} total", report.total_ops()).unwrap();
    for (call, c) in &report.ops {
        writeln!(
            out,
            "  {call:<22} ok {:>6}  failed {:>5}  indeterminate {:>4}",
            c.ok, c.failed, c.indeterminate
        )
        .unwrap();
    }
    writeln!(out, "faults: {} total", report.faults.values().sum::<u64>()).unwrap();
    for (fault, count) in &report.faults {
        writeln!(out, "  {fault:<26} {count:>6}").unwrap();
    }
    writeln!(out, "crashes: {}", report.crashes).unwrap();
    writeln!(out, "invariant checks: {}", report.checks).unwrap();
    writeln!(
        out,
        "simulated time: {} ms ({} steps, {} events)",
        report.sim_time_ms, report.steps, report.events
    )
    .unwrap();
    writeln!(out, "trace hash: {}", report.trace_hash).unwrap();
    let line = crate::workload::summary_line(&report.coverage, COVERAGE_UNFIRED_SHOWN);
    writeln!(out, "{line}").unwrap();
    if !report.violations.is_empty() {
        let counts = super::render_sweep::invariant_counts(&report.violations);
        let kept = report.violations.len();
        let total = report.violations_total;
        writeln!(out, "violations: {total} found, {kept} kept ({counts})").unwrap();
    }
    render_violations(&mut out, &report.violations);

    if let Some(path) = trace {
        writeln!(out, "trace: {}", path_text(path)).unwrap();
    }
    if report.verdict == Verdict::Fail {
        writeln!(out, "repro: {repro}").unwrap();
        if let Some(shrink) = shrink_line(report.seed, origin) {
            writeln!(out, "shrink: {shrink}").unwrap();
        }
    }
    out
}
