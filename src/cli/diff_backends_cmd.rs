//! `dst diff-backends`: each seed's workload, faults off, on `SimStorage` and on redb, compared
//! operation by operation and in its final state. A difference, or a run that fails its checks,
//! is a failure (exit 1), printed with the first differing operation, both answers and the line
//! that reproduces it.

use std::fmt::Write as _;

use crate::run::{diff_backends, RunConfig, Verdict};

use super::exit::Exit;
use super::repro::shell_quote;
use super::request::DiffRequest;
use super::text::escape_controls;

/// The line that re-runs one seed's comparison.
pub fn diff_repro(seed: u64, scenario_arg: &str) -> String {
    format!(
        "dst diff-backends --seed {seed} --scenario {}",
        shell_quote(scenario_arg)
    )
}

/// Compares one seed; returns the failure's text, or `None` when the stores agree.
fn diff_one(config: &RunConfig, scenario_arg: &str, ops: &mut u64) -> Option<String> {
    let diff = diff_backends(config);
    *ops += diff.ops_compared;
    let seed = config.seed;
    let mut text = String::new();
    if let Some(difference) = &diff.difference {
        let _ = writeln!(
            text,
            "seed {seed}: the stores differ at {}",
            escape_controls(&difference.at)
        );
        let _ = writeln!(text, "  sim:  {}", escape_controls(&difference.sim));
        let _ = writeln!(text, "  redb: {}", escape_controls(&difference.redb));
    }
    for (store, report) in [("SimStorage", &diff.sim), ("redb", &diff.redb)] {
        if report.verdict == Verdict::Fail {
            let first = &report.violations[0];
            let _ = writeln!(
                text,
                "seed {seed}: the run on {store} fails its checks: {}: {}",
                first.invariant,
                escape_controls(&first.evidence)
            );
        }
    }
    if text.is_empty() {
        return None;
    }
    let _ = writeln!(text, "  repro: {}", diff_repro(seed, scenario_arg));
    Some(text)
}

/// Runs the request's seeds and prints the verdict; exit 1 when any seed differs or fails.
pub fn run(request: &DiffRequest) -> Result<Exit, String> {
    let seeds = &request.seeds;
    println!(
        "diff-backends: {} seeds ({seeds}), scenario {}, faults off, SimStorage against redb",
        seeds.count(),
        request.config.scenario.name
    );
    let mut ops = 0;
    let mut differing = Vec::new();
    for position in 0..seeds.count() {
        let config = RunConfig {
            seed: seeds.seed_at(position),
            ..request.config.clone()
        };
        if let Some(failure) = diff_one(&config, &request.scenario_arg, &mut ops) {
            print!("{failure}");
            differing.push(config.seed);
        }
    }
    let agree = seeds.count() - differing.len() as u64;
    println!(
        "agree {agree}, differ {} ({ops} operations compared)",
        differing.len()
    );
    Ok(match differing.is_empty() {
        true => Exit::Pass,
        false => Exit::Failure,
    })
}
