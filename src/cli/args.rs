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
  dst sweep --seeds 1..3001 --shard 2/3 --out s2    one of three machines; then:
  dst merge s1 s2 s3 --out merged                   join the shards into one sweep's output
  dst sweep --for 10m                               fresh seeds for ten minutes (nightly)
  dst replay t.jsonl                                re-run a trace and compare event by event
  dst shrink --seed 7 --scenario crash-heavy --bug non-atomic-checkpoint
                                                    the smallest run that still fails
  dst report t.jsonl -o t.html                      draw the trace as an HTML timeline
  dst run --seed 1 --backend redb                   the same workload on a real redb file
  dst sweep --seeds 1..101 --backend redb           a sweep on redb (a file per seed)
  dst diff-backends --seeds 1..101 --scenario contention   SimStorage against redb, faults off
  dst crash-test --seed 1 --kills 10                kill -9 a child writing to redb, recover

Scenarios (built in; or a path to your own JSON file):
  default, no-faults, crash-heavy, read-faults, contention, corruption, many-agents, memory,
  lossy-disk (outside the fault envelope: expects a violation, so it passes when the
  checkers find one and fails with expected_violation when they do not)

Planted bugs (--bug, repeatable), each caught by the checkers:
  non-atomic-checkpoint, checkpoint-skips-agent-check, delete-agent-parent-first,
  torn-commit, occ-disabled, ack-before-durable, stale-read-your-writes, unverified-read,
  since-inclusive, latest-session-includes-stopped, update-block-creates-missing,
  delete-missing-agent-ok, conflict-not-retried, prefix-without-separator,
  message-key-without-number

Exit codes:
  0  every seed passed (replay: identical)
  1  a failure was found: invariant violation, panic, deadlock, liveness, nondeterminism,
     a difference between SimStorage and redb, a crash-test recovery that fails
  2  bad input: usage, seed range, scenario, --bug name, trace file (edited, truncated or
     from another dst version), shard folders that do not merge; or output that could not be
     written (the verdict is still printed; a found failure still exits 1)
  130, 143  a sweep stopped by Ctrl-C (SIGINT) or SIGTERM, after writing a partial summary";

/// What `dst sweep --help` adds after the flags.
const SWEEP_AFTER_HELP: &str = "\
Output folder (--out): seeds.jsonl (one line per seed, in seed order, written as each seed
finishes), sweep.json (what is swept), checkpoint.json (what --resume needs), summary.json
(totals and failures; `partial` when the sweep stopped early) and traces/seed-N.jsonl for the
first 32 failing seeds.

Interruption: Ctrl-C or SIGTERM stops handing out seeds, lets the running ones finish, writes
a partial summary and exits 130 (SIGINT) or 143 (SIGTERM); a second Ctrl-C exits at once.
`--resume` continues a sweep stopped in any way (kill -9 too) and ends with the summary an
uninterrupted sweep writes.

Memory: each job holds one seed's simulation, about 10 MB for the built-in scenarios, on top
of about 30 MB for the process; the sweep keeps totals, histograms and the first 1000 failures
in memory, never every seed (those are in seeds.jsonl).

Examples:
  dst sweep --seeds 1..10001 --jobs 2 --out results/big
  dst sweep --seeds 1..10001 --jobs 2 --out results/big --resume      after Ctrl-C or kill
  dst sweep --seeds 1..10001 --shard 2/4 --out shard-2                one machine of four
  JOB_COMPLETION_INDEX=1 dst sweep --seeds 1..10001 --shard-count 4 --shard-index-from-env
  dst sweep --for 10m --scenario crash-heavy                          nightly: fresh seeds
  dst sweep --until-failures 3 --base-seed 42";

/// What `dst merge --help` adds after the flags.
const MERGE_AFTER_HELP: &str = "\
The shards must be of one sweep (same seeds, scenario, bugs and harness) and together hold every
seed exactly once; a gap or an overlap is an error (exit 2) naming the seeds and folders. The
merged summary.json has the fields of a sweep's and equals the unsharded sweep's in all but
wall times.

Example:
  dst sweep --seeds 1..3001 --shard 1/3 --out s1   (and 2/3, 3/3, anywhere)
  dst merge s1 s2 s3 --out merged";

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
    /// Shrink a failing seed (or trace) to a small run that fails the same invariant.
    #[command(long_about = SHRINK_ABOUT, after_help = SHRINK_AFTER_HELP)]
    Shrink(ShrinkArgs),
    /// Draw a trace (or a sweep's output folder) as one self-contained HTML page.
    #[command(long_about = REPORT_ABOUT, after_help = REPORT_AFTER_HELP)]
    Report(ReportArgs),
    /// Merge the output folders of sweep shards into one sweep's output.
    #[command(after_help = MERGE_AFTER_HELP)]
    Merge(MergeArgs),
    /// Run each seed's workload, faults off, on SimStorage and on redb, and compare them.
    #[command(after_help = DIFF_AFTER_HELP)]
    DiffBackends(DiffArgs),
    /// Kill a child process writing a seed's workload to redb with SIGKILL, and judge the file.
    #[command(after_help = CRASH_AFTER_HELP)]
    CrashTest(CrashTestArgs),
    /// The child of `dst crash-test` (internal): runs the seed on the redb file at --db,
    /// writing every event to stdout as a JSON line as it happens.
    #[command(hide = true)]
    CrashChild(CrashChildArgs),
}

/// What `dst crash-test --help` adds after the flags.
const CRASH_AFTER_HELP: &str = "\
For each kill point (drawn from the seed, among the events of the safety phase), a child dst
runs the seed's workload (faults off) on a redb file, fsyncing every commit and writing every
event to its stdout as it happens. The parent kills it with SIGKILL once it has read that many
events, keeps every line the child wrote (its acknowledgement log), reopens the file, and
re-runs the seed up to the child's last line (checking that it emits the same events), then
restarts onto the child's file: checkpoint atomicity, no orphans, no phantoms and acknowledged
durability are checked, every agent's latest session is recovered, and the rest of the run
goes on. A kill only ends the process: the page cache survives it, so a power cut's losses
are out of its reach.

Example:
  dst crash-test --seed 1 --kills 10";

/// `dst crash-test`.
#[derive(Debug, Args)]
pub struct CrashTestArgs {
    /// The seed (a u64).
    #[arg(long)]
    pub seed: String,
    /// How many times a child is started and killed (1 to 1000).
    #[arg(long, default_value = "10")]
    pub kills: String,
    /// A built-in scenario name or a path to a scenario JSON file (its faults are turned off).
    #[arg(long, default_value = "default")]
    pub scenario: String,
}

/// `dst crash-child` (hidden).
#[derive(Debug, Args)]
pub struct CrashChildArgs {
    /// The seed (a u64).
    #[arg(long)]
    pub seed: String,
    /// The scenario.
    #[arg(long)]
    pub scenario: String,
    /// The redb file to write.
    #[arg(long)]
    pub db: PathBuf,
}

/// What `dst diff-backends --help` adds after the flags.
const DIFF_AFTER_HELP: &str = "\
Each seed runs twice on the same executor and schedule, faults off: on SimStorage and on redb
(a database file in a temporary directory). Every operation's result and answer, every event
and the final durable state are compared; the first difference is printed with both answers
and the line that reproduces it (exit 1). A run that fails its own checks fails too.

Examples:
  dst diff-backends --seed 7 --scenario contention
  dst diff-backends --seeds 1..201 --scenario no-faults";

/// `dst diff-backends`.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// One seed (a u64).
    #[arg(long, required_unless_present = "seeds", conflicts_with = "seeds")]
    pub seed: Option<String>,
    /// Seeds: `A..B` (half-open), `A..=B` or `A,B,C`.
    #[arg(long)]
    pub seeds: Option<String>,
    /// A built-in scenario name or a path to a scenario JSON file (its faults are turned off).
    #[arg(long, default_value = "default")]
    pub scenario: String,
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
    /// On failure, also draw the run as an HTML page in DIR (see `dst report`).
    #[arg(long, value_name = "DIR")]
    pub html: Option<PathBuf>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// The store.
    #[command(flatten)]
    pub backend: BackendArgs,
}

/// The store a run or sweep drives.
#[derive(Debug, Args)]
pub struct BackendArgs {
    /// The store: `sim` (the scenario's own) or `redb` (a real database file in a temporary
    /// directory per seed, with only the faults that can be injected above it).
    #[arg(long, value_name = "sim|redb", default_value = "sim")]
    pub backend: String,
}

/// `dst sweep`.
#[derive(Debug, Args)]
#[command(after_help = SWEEP_AFTER_HELP)]
pub struct SweepArgs {
    /// Seeds: `A..B` (half-open), `A..=B` or `A,B,C`. Without it, `--for` or
    /// `--until-failures` draws fresh seeds from `--base-seed` until its budget ends.
    #[arg(long, required_unless_present_any = ["for_", "until_failures"])]
    pub seeds: Option<String>,
    /// The scenario and planted bugs.
    #[command(flatten)]
    pub scenario: ScenarioArgs,
    /// The store.
    #[command(flatten)]
    pub backend: BackendArgs,
    /// Worker threads, one seed each at a time (default: available cores). Each job holds one
    /// seed's simulation, about 10 MB for the built-in scenarios (plus 30 MB for the process).
    #[arg(long)]
    pub jobs: Option<String>,
    /// Run only slice K of N of the seeds (1-based): N machines running 1/N..N/N cover every
    /// seed once; `dst merge` joins their outputs.
    #[arg(long, value_name = "K/N", conflicts_with = "shard_index_from_env")]
    pub shard: Option<String>,
    /// Take the shard index from the environment variable JOB_COMPLETION_INDEX (0-based, as a
    /// Kubernetes Indexed Job sets it; a GitHub Actions matrix sets it from
    /// `strategy.job-index`); the shard is then INDEX+1 of --shard-count.
    #[arg(long, requires = "shard_count")]
    pub shard_index_from_env: bool,
    /// How many shards, with --shard-index-from-env.
    #[arg(long, value_name = "N", requires = "shard_index_from_env")]
    pub shard_count: Option<String>,
    /// Where to write seeds.jsonl, summary.json and failing traces (default:
    /// results/sweeps/NAME, a name unique to the seeds, scenario, bugs, backend and shard).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Continue the sweep whose output is in --out (killed in any way) from its seeds.jsonl.
    /// Without it, a previous sweep's files in --out are removed first.
    #[arg(long)]
    pub resume: bool,
    /// Stop claiming seeds after this long: `90s`, `10m`, `2h`, `1h30m`.
    #[arg(long = "for", id = "for_", value_name = "DURATION")]
    pub for_: Option<String>,
    /// Stop at the N-th failing seed (in seed order, so the same for any --jobs).
    #[arg(long, value_name = "N", conflicts_with = "fail_fast")]
    pub until_failures: Option<String>,
    /// The base seed of a continuous sweep (no --seeds): seed i is drawn from BASE + i.
    /// Default: the current Unix time, printed so the run can be repeated.
    #[arg(long, value_name = "N", conflicts_with = "seeds")]
    pub base_seed: Option<String>,
    /// When the sweep ends, draw it as DIR/index.html and each failing seed with a trace as
    /// DIR/seed-N.html (see `dst report`).
    #[arg(long, value_name = "DIR")]
    pub html: Option<PathBuf>,
    /// Print the summary as JSON.
    #[arg(long)]
    pub json: bool,
    /// Stop at the first failing seed (--until-failures 1).
    #[arg(long)]
    pub fail_fast: bool,
    /// Fail (exit 1) when a coverage mark never fired in the whole sweep, naming each one
    /// (marks: see the README; `coverage` in --json and summary.json counts them all).
    #[arg(long)]
    pub require_coverage: bool,
}

/// `dst shrink`.
#[derive(Debug, Args)]
pub struct ShrinkArgs {
    /// A trace to shrink (its header names the seed, scenario, bugs and any decisions);
    /// or give --seed instead.
    #[arg(
        value_name = "TRACE",
        required_unless_present = "seed",
        conflicts_with = "seed"
    )]
    pub trace: Option<PathBuf>,
    /// The failing seed to shrink (with --scenario and --bug as in `dst run`).
    #[arg(long)]
    pub seed: Option<String>,
    /// The scenario and planted bugs (with --seed).
    #[command(flatten)]
    pub scenario: ScenarioArgs,
    /// Keep this invariant failing (default: the run's first violation's).
    #[arg(long, value_name = "NAME")]
    pub invariant: Option<String>,
    /// Where to write the minimal trace (default: results/shrunk/SCENARIO[+BUG..]-seed-N.jsonl).
    #[arg(short = 'o', long = "output", value_name = "PATH")]
    pub output: Option<PathBuf>,
    /// Most runs to try.
    #[arg(long, value_name = "N", default_value = "3000")]
    pub max_attempts: String,
    /// Most time to search: `90s`, `10m`; the best run found so far is kept.
    #[arg(long, value_name = "DURATION", default_value = "5m")]
    pub max_seconds: String,
    /// Print the outcome as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `dst merge`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The output folders of the shards (each written by `dst sweep --shard K/N --out DIR`).
    #[arg(required = true, value_name = "DIR")]
    pub dirs: Vec<PathBuf>,
    /// Where to write the merged seeds.jsonl, summary.json and failing traces.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Print the merged summary as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `dst replay`.
#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// The trace file.
    pub trace: PathBuf,
}

/// What `dst shrink --help` says first.
const SHRINK_ABOUT: &str = "\
Shrink a failing run to a small run that still fails the same invariant, and write it as a
trace that `dst replay` reproduces exactly.

The run's decisions are recorded (each task's actions, each fault with the operation it hit,
the scheduler's choices, the identifiers) and delta-debugged: whole tasks, actions, faults and
crashes are dropped, the schedule cut, adversarial identifier classes switched off and fewer
agents used, keeping each change that still fails. Every attempt is a whole run driven by the
candidate decisions through the same engine. Deterministic: the same input shrinks to the same
output, unless --max-attempts or --max-seconds cuts the search short (then it says so).";

/// What `dst shrink --help` adds after the flags.
const SHRINK_AFTER_HELP: &str = "\
Examples:
  dst shrink --seed 7 --scenario crash-heavy --bug non-atomic-checkpoint
  dst shrink results/traces/default-seed-3.jsonl -o min.jsonl --json
  dst replay min.jsonl                  re-runs the minimal run: exit 1, the same violation

Output: before and after sizes (operations, actions, faults, crashes, events), the minimal
run's operations and faults, and the replay line. --json prints invariant, original_events,
shrunk_events, original_ops, shrunk_ops, trace and repro (and more).
Exit codes: 0 shrunk (the minimal trace is written), 2 bad input or a run that does not fail.";

/// What `dst report --help` says first.
const REPORT_ABOUT: &str = "\
Draw a trace, or a sweep's output folder, as one self-contained HTML page: inline style,
script and SVG, nothing loaded from the network; it opens from disk in any browser.

A trace's page: the header (seed, scenario, planted bugs, swarm options, trace hash and the
line that reproduces the run); the violation (its invariant, the key it is about, the
evidence, and the operations it names, outlined on the timeline); and a timeline with one lane
per task over simulated time, each operation a bar coloured by outcome (ok, failed,
indeterminate), fault markers on the operations they hit, crash and restart lines, and the
safety and liveness phases. Hover a bar for its arguments, result and event indices; wheel to
zoom, drag to pan, search for a key or an op id. Past 5,000 operations in view, each lane is
drawn in 2-pixel blocks coloured by their most severe outcome; zoom in for single operations.

A sweep folder's page: the failing seeds with their repro lines, failing seeds per invariant,
a histogram of wall time per seed, simulated latency per operation, and coverage marks when
summary.json holds them.";

/// What `dst report --help` adds after the flags.
const REPORT_AFTER_HELP: &str = "\
Examples:
  dst run --seed 3 --scenario crash-heavy --bug non-atomic-checkpoint --trace t.jsonl
  dst report t.jsonl                          writes t.html next to the trace
  dst report t.jsonl -o /tmp/seed-3.html
  dst report results/sweeps/default-1-100     writes results/sweeps/default-1-100/report.html
  dst run --seed 3 --bug torn-commit --scenario crash-heavy --html pages
  dst sweep --seeds 1..101 --html pages       pages/index.html and pages/seed-N.html

Exit codes: 0 the page was written; 2 bad input (a missing, unreadable, truncated or edited
trace, a folder without summary.json, an output that cannot be written).";

/// `dst report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// A trace file (`dst run --trace`), or a sweep's output folder (with summary.json).
    #[arg(value_name = "TRACE|SWEEP_DIR")]
    pub input: PathBuf,
    /// The HTML file to write (default: the trace with `.html`, or SWEEP_DIR/report.html).
    #[arg(short, long, value_name = "FILE.html")]
    pub output: Option<PathBuf>,
}
