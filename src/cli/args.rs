//! The raw command line, as clap parses it. Values stay strings here; [`super::request`] turns
//! them into validated configurations in one place, so every bad value exits 2 with our message.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// What `dst --help` adds after the flags: examples, scenarios, bugs and exit codes.
const AFTER_HELP: &str = "\
Examples:
  dst run --seed 1                                  one seed of the default scenario
  dst run --seed 7 --scenario contention --bug occ-disabled --trace t.jsonl
  dst sweep --seeds 1..10001 --jobs 2               10,000 seeds (ranges are half-open)
  dst sweep --scenario crash-heavy --seeds 1..=500 --fail-fast
  dst replay t.jsonl                                re-run a trace and compare event by event

Scenarios (built in; or a path to your own JSON file):
  default, no-faults, crash-heavy, read-faults, contention, corruption, many-agents, memory,
  lossy-disk (outside the fault envelope: expected to fail)

Planted bugs (--bug, repeatable), each caught by the checkers:
  non-atomic-checkpoint, checkpoint-skips-agent-check, delete-agent-parent-first,
  torn-commit, occ-disabled, ack-before-durable, stale-read-your-writes, unverified-read,
  since-inclusive, latest-session-includes-stopped, update-block-creates-missing,
  delete-missing-agent-ok, conflict-not-retried, prefix-without-separator,
  message-key-without-number

Exit codes:
  0  every seed passed (replay: identical)
  1  a failure was found: invariant violation, panic, deadlock, liveness, nondeterminism
  2  bad input: usage, seed range, scenario, --bug name, trace file";

/// `dst`: deterministic simulation testing of the agent storage stack.
#[derive(Debug, Parser)]
#[command(name = "dst", version, about, after_help = AFTER_HELP)]
pub struct Cli {
    /// Show `tracing` logs on stderr (filter with RUST_LOG, default `debug`).
    #[arg(short, long, global = true)]
    pub verbose: bool,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run one seed and report its verdict.
    Run(RunArgs),
    /// Run many seeds across worker threads.
    Sweep(SweepArgs),
    /// Re-execute a trace from its header and compare event by event.
    Replay(ReplayArgs),
}

/// What every run needs besides the seed.
#[derive(Debug, Args)]
pub struct ScenarioArgs {
    /// A built-in scenario name or a path to a scenario JSON file.
    #[arg(long, default_value = "default")]
    pub scenario: String,
    /// Plant a bug (repeatable).
    #[arg(long = "bug", value_name = "NAME")]
    pub bugs: Vec<String>,
}

/// `dst run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The seed (a u64).
    #[arg(long)]
    pub seed: String,
    /// The scenario and planted bugs.
    #[command(flatten)]
    pub scenario: ScenarioArgs,
    /// Write the trace here (on failure one is always written under results/).
    #[arg(long, value_name = "PATH")]
    pub trace: Option<PathBuf>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `dst sweep`.
#[derive(Debug, Args)]
pub struct SweepArgs {
    /// Seeds: `A..B` (half-open), `A..=B` or `A,B,C`.
    #[arg(long)]
    pub seeds: String,
    /// The scenario and planted bugs.
    #[command(flatten)]
    pub scenario: ScenarioArgs,
    /// Worker threads (default: available cores).
    #[arg(long)]
    pub jobs: Option<String>,
    /// Run only slice K of N of the seeds (1-based).
    #[arg(long, value_name = "K/N")]
    pub shard: Option<String>,
    /// Where to write seeds.jsonl, summary.json and failing traces (default under results/).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Print the summary as JSON.
    #[arg(long)]
    pub json: bool,
    /// Stop after the first failing seed.
    #[arg(long)]
    pub fail_fast: bool,
}

/// `dst replay`.
#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// The trace file.
    pub trace: PathBuf,
}
