//! The benchmark floor (used by `scripts/bench.sh`): runs seeds of a scenario either with the
//! full harness or as the floor (the same workload, operation mix and scheduler with faults,
//! checks and the trace off), one after another on one thread, and prints one JSON line:
//! `{"mode", "scenario", "seeds", "calls", "elapsed_s", "us_per_call"}`.
//!
//! Usage: `bench_floor --mode full|floor --scenario NAME_OR_PATH --seeds A..B`

use std::process::ExitCode;
use std::time::Instant;

use dst::bugs::BugSet;
use dst::run::{run_floor, run_seed, RunConfig};
use dst::trace::NullSink;
use dst::workload::Scenario;

/// The allocator the `dst` binary uses, so both modes cost what they cost there.
#[global_allocator]
static ALLOCATOR: dst::alloc::FastAlloc = dst::alloc::FastAlloc;

/// What to run, from the command line.
struct Args {
    floor: bool,
    scenario: Scenario,
    seeds: std::ops::Range<u64>,
}

fn parse_args() -> Result<Args, String> {
    let mut mode = None;
    let mut scenario = None;
    let mut seeds = None;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--mode" => mode = Some(value),
            "--scenario" => scenario = Some(value),
            "--seeds" => seeds = Some(value),
            other => return Err(format!("unknown flag '{other}'")),
        }
    }
    let floor = match mode.as_deref() {
        Some("floor") => true,
        Some("full") => false,
        other => return Err(format!("--mode must be full or floor, not {other:?}")),
    };
    let scenario =
        Scenario::load(scenario.as_deref().unwrap_or("default")).map_err(|e| e.to_string())?;
    let seeds = seeds.ok_or("--seeds A..B is required")?;
    let (start, end) = seeds
        .split_once("..")
        .and_then(|(a, b)| Some((a.parse::<u64>().ok()?, b.parse::<u64>().ok()?)))
        .filter(|(a, b)| a < b)
        .ok_or_else(|| format!("--seeds must be A..B with A < B, not '{seeds}'"))?;
    Ok(Args {
        floor,
        scenario,
        seeds: start..end,
    })
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            eprintln!("bench_floor: {message}");
            eprintln!("usage: bench_floor --mode full|floor --scenario NAME_OR_PATH --seeds A..B");
            return ExitCode::from(2);
        }
    };
    let started = Instant::now();
    let mut calls = 0;
    for seed in args.seeds.clone() {
        let config = RunConfig {
            seed,
            scenario: args.scenario.clone(),
            bugs: BugSet::default(),
            decisions: None,
        };
        let report = match args.floor {
            true => run_floor(&config),
            false => run_seed(&config, &mut NullSink),
        };
        calls += report.total_ops();
    }
    let elapsed_s = started.elapsed().as_secs_f64();
    println!(
        "{}",
        serde_json::json!({
            "mode": if args.floor { "floor" } else { "full" },
            "scenario": args.scenario.name,
            "seeds": args.seeds.end - args.seeds.start,
            "calls": calls,
            "elapsed_s": elapsed_s,
            "us_per_call": elapsed_s * 1e6 / calls.max(1) as f64,
        })
    );
    ExitCode::SUCCESS
}
