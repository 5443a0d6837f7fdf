//! Raw flags into validated requests, in one place. Every error is a lowercase message naming
//! the offending value; the caller exits 2 with it.

use std::path::PathBuf;

use crate::bugs::{Bug, BugSet};
use crate::run::sweep::{parse_seed, SeedSet, Shard, SweepSpec, JOBS_MAX};
use crate::run::RunConfig;
use crate::workload::Scenario;

use super::args::{Command, ReplayArgs, RunArgs, ScenarioArgs, SweepArgs};

/// How to name a run's scenario and bugs on a command line (for repro lines and file names).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    /// The `--scenario` value as given: a built-in name or a path.
    pub scenario_arg: String,
    /// The scenario's name.
    pub scenario_name: String,
    /// The planted bugs.
    pub bugs: BugSet,
}

/// A validated `dst run`.
#[derive(Clone, Debug)]
pub struct RunRequest {
    /// What to run.
    pub config: RunConfig,
    /// How it was named.
    pub origin: Origin,
    /// Where to write the trace, if asked.
    pub trace: Option<PathBuf>,
    /// JSON output.
    pub json: bool,
}

/// A validated `dst sweep`.
#[derive(Clone, Debug)]
pub struct SweepRequest {
    /// What to sweep.
    pub spec: SweepSpec,
    /// How it was named.
    pub origin: Origin,
    /// The `--seeds` value as given.
    pub seeds_arg: String,
    /// Output directory.
    pub out: PathBuf,
    /// JSON output.
    pub json: bool,
}

/// A validated `dst replay`.
#[derive(Clone, Debug)]
pub struct ReplayRequest {
    /// The trace file.
    pub trace: PathBuf,
}

/// A validated command.
#[derive(Clone, Debug)]
pub enum Request {
    /// `dst run`.
    Run(RunRequest),
    /// `dst sweep`.
    Sweep(SweepRequest),
    /// `dst replay`.
    Replay(ReplayRequest),
}

fn scenario_config(args: &ScenarioArgs, seed: u64) -> Result<(RunConfig, Origin), String> {
    let scenario = Scenario::load(&args.scenario).map_err(|e| e.to_string())?;
    let mut bugs = BugSet::none();
    for name in &args.bugs {
        bugs.insert(name.parse::<Bug>()?);
    }
    let origin = Origin {
        scenario_arg: args.scenario.clone(),
        scenario_name: scenario.name.clone(),
        bugs,
    };
    Ok((
        RunConfig {
            seed,
            scenario,
            bugs,
        },
        origin,
    ))
}

fn run_request(args: &RunArgs) -> Result<RunRequest, String> {
    let seed = parse_seed(&args.seed)?;
    let (config, origin) = scenario_config(&args.scenario, seed)?;
    Ok(RunRequest {
        config,
        origin,
        trace: args.trace.clone(),
        json: args.json,
    })
}

fn parse_jobs(jobs: Option<&str>) -> Result<usize, String> {
    let Some(text) = jobs else {
        return Ok(std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(JOBS_MAX));
    };
    match text.trim().parse::<usize>() {
        Ok(n) if (1..=JOBS_MAX).contains(&n) => Ok(n),
        _ => Err(format!(
            "jobs '{text}' must be an integer within 1..={JOBS_MAX}"
        )),
    }
}

/// The default output directory of a sweep: `results/sweeps/SCENARIO[+BUG..]-FIRST-LAST[-shard-K-of-N]`.
fn default_out(origin: &Origin, spec: &SweepSpec) -> PathBuf {
    let mut name = origin.scenario_name.clone();
    for bug in origin.bugs.iter() {
        name.push('+');
        name.push_str(bug.name());
    }
    let last = spec.seeds.seed_at(spec.seeds.count() - 1);
    name.push_str(&format!("-{}-{last}", spec.seeds.seed_at(0)));
    if spec.shard != Shard::ALL {
        name.push_str(&format!(
            "-shard-{}-of-{}",
            spec.shard.index, spec.shard.count
        ));
    }
    PathBuf::from("results").join("sweeps").join(name)
}

fn sweep_request(args: &SweepArgs) -> Result<SweepRequest, String> {
    let seeds: SeedSet = args.seeds.parse()?;
    let shard = match &args.shard {
        Some(text) => text.parse::<Shard>()?,
        None => Shard::ALL,
    };
    if shard.is_empty(seeds.count()) {
        return Err(format!(
            "shard {shard} of {} seeds '{}' holds no seed",
            seeds.count(),
            args.seeds
        ));
    }
    let jobs = parse_jobs(args.jobs.as_deref())?;
    let (template, origin) = scenario_config(&args.scenario, 0)?;
    let spec = SweepSpec {
        template,
        seeds,
        shard,
        jobs,
        fail_fast: args.fail_fast,
    };
    Ok(SweepRequest {
        out: args
            .out
            .clone()
            .unwrap_or_else(|| default_out(&origin, &spec)),
        spec,
        origin,
        seeds_arg: args.seeds.clone(),
        json: args.json,
    })
}

fn replay_request(args: &ReplayArgs) -> ReplayRequest {
    ReplayRequest {
        trace: args.trace.clone(),
    }
}

impl Request {
    /// Validates a parsed command line.
    pub fn from_command(command: &Command) -> Result<Request, String> {
        Ok(match command {
            Command::Run(args) => Request::Run(run_request(args)?),
            Command::Sweep(args) => Request::Sweep(sweep_request(args)?),
            Command::Replay(args) => Request::Replay(replay_request(args)),
        })
    }
}
