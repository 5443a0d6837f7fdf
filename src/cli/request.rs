//! Raw flags into validated requests, in one place. Every error is a lowercase message naming
//! the offending value; the caller exits 2 with it.

use std::path::PathBuf;

use crate::bugs::{Bug, BugSet};
use crate::run::sweep::{parse_seed, Budget, SeedSet, Shard, SweepSpec, JOBS_MAX};
use crate::run::RunConfig;
use crate::trace::read_trace;
use crate::workload::{Scenario, StoreKind};

use super::args::{
    BackendArgs, Command, CrashTestArgs, DiffArgs, MergeArgs, ReplayArgs, RunArgs, ScenarioArgs,
    ShrinkArgs, SweepArgs,
};
use super::duration::parse_duration;
use super::repro::default_shrunk_path;
use super::sweep_dir::Manifest;

/// The variable `--shard-index-from-env` reads (0-based), as a Kubernetes Indexed Job sets it.
pub const SHARD_INDEX_VAR: &str = "JOB_COMPLETION_INDEX";

/// Memory one sweep job holds (one seed's simulation of a built-in scenario), as `--help` says;
/// measured as the peak RSS of `--jobs 2` less that of `--jobs 1`.
pub const JOB_MEMORY_MB: u64 = 10;

/// How to name a run's scenario and bugs on a command line (for repro lines and file names).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    /// The `--scenario` value as given: a built-in name or a path.
    pub scenario_arg: String,
    /// The scenario's name.
    pub scenario_name: String,
    /// The planted bugs.
    pub bugs: BugSet,
    /// Whether the workload runs on redb (`--backend redb`) instead of the scenario's store.
    pub on_redb: bool,
}

impl Origin {
    /// The run's name in file and folder names: `SCENARIO[+BUG..][-on-redb]`, made one safe
    /// path component ([`path_component`]): no name steers a path.
    pub fn file_stem(&self) -> String {
        let mut name = self.scenario_name.clone();
        for bug in self.bugs.iter() {
            name.push('+');
            name.push_str(bug.name());
        }
        if self.on_redb {
            name.push_str("-on-redb");
        }
        let stem = path_component(&name);
        assert!(
            !stem.is_empty() && !stem.contains('/'),
            "one path component"
        );
        stem
    }
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
    /// Where to draw the run's HTML page on failure, if asked.
    pub html: Option<PathBuf>,
    /// JSON output.
    pub json: bool,
    /// What the user should know before the run (faults left out on redb), one line each.
    pub notes: Vec<String>,
}

/// A validated `dst sweep`.
#[derive(Clone, Debug)]
pub struct SweepRequest {
    /// What to sweep.
    pub spec: SweepSpec,
    /// How it was named.
    pub origin: Origin,
    /// What the output folder holds the results of (boxed: it embeds the scenario again).
    pub manifest: Box<Manifest>,
    /// Output directory.
    pub out: PathBuf,
    /// Continue the sweep in `out`.
    pub resume: bool,
    /// Why the number of jobs is unwise, if it is.
    pub jobs_warning: Option<String>,
    /// Where to draw the sweep's HTML pages, if asked.
    pub html: Option<PathBuf>,
    /// JSON output.
    pub json: bool,
    /// Fail (exit 1) when a coverage mark never fired.
    pub require_coverage: bool,
    /// What the user should know before the sweep (faults left out on redb), one line each.
    pub notes: Vec<String>,
}

/// A validated `dst diff-backends`.
#[derive(Clone, Debug)]
pub struct DiffRequest {
    /// The seeds to compare (a range or a list).
    pub seeds: SeedSet,
    /// The run of every seed (its seed replaced), faults and all: the comparison turns them off.
    pub config: RunConfig,
    /// The `--scenario` value as given, for repro lines.
    pub scenario_arg: String,
}

/// Most kill points one crash test runs.
pub const KILLS_MAX: u32 = 1000;

/// A validated `dst crash-test`.
#[derive(Clone, Debug)]
pub struct CrashTestRequest {
    /// The seed's run (its faults are turned off).
    pub config: RunConfig,
    /// How many kill points.
    pub kills: u32,
    /// The `--scenario` value as given, for the child and repro lines.
    pub scenario_arg: String,
}

/// A validated `dst crash-child`.
#[derive(Clone, Debug)]
pub struct CrashChildRequest {
    /// The seed's run (its faults are turned off).
    pub config: RunConfig,
    /// The redb file to write.
    pub db: PathBuf,
}

/// A validated `dst merge`.
#[derive(Clone, Debug)]
pub struct MergeRequest {
    /// The shards' output folders.
    pub dirs: Vec<PathBuf>,
    /// Where the merged output goes.
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

/// A validated `dst shrink`.
#[derive(Clone, Debug)]
pub struct ShrinkRequest {
    /// The failing run to shrink (with any decisions its trace recorded).
    pub config: RunConfig,
    /// How it was named (for the default output path).
    pub origin: Origin,
    /// The invariant to keep failing, if named.
    pub invariant: Option<String>,
    /// Where the minimal trace goes.
    pub output: PathBuf,
    /// Most runs to try (at least 1).
    pub max_attempts: u64,
    /// Most seconds to search (at least 1).
    pub max_seconds: u64,
    /// JSON output.
    pub json: bool,
}

/// A validated `dst report`.
#[derive(Clone, Debug)]
pub struct ReportRequest {
    /// A trace file or a sweep's output folder.
    pub input: PathBuf,
    /// The page to write, if named.
    pub output: Option<PathBuf>,
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
    /// `dst shrink`.
    Shrink(ShrinkRequest),
    /// `dst merge`.
    Merge(MergeRequest),
    /// `dst report`.
    Report(ReportRequest),
    /// `dst diff-backends`.
    DiffBackends(DiffRequest),
    /// `dst crash-test`.
    CrashTest(CrashTestRequest),
    /// `dst crash-child`.
    CrashChild(CrashChildRequest),
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
        on_redb: false,
    };
    Ok((
        RunConfig {
            seed,
            scenario,
            bugs,
            decisions: None,
        },
        origin,
    ))
}

fn diff_request(args: &DiffArgs) -> Result<DiffRequest, String> {
    let seeds = match (&args.seed, &args.seeds) {
        (Some(seed), _) => SeedSet::List(vec![parse_seed(seed)?]),
        (None, Some(seeds)) => seeds.parse::<SeedSet>()?,
        (None, None) => return Err("give --seed N or --seeds A..B".to_string()),
    };
    let config = plain_config(&seeds.seed_at(0).to_string(), &args.scenario)?;
    Ok(DiffRequest {
        seeds,
        config,
        scenario_arg: args.scenario.clone(),
    })
}

fn plain_config(seed: &str, scenario: &str) -> Result<RunConfig, String> {
    let seed = parse_seed(seed)?;
    let scenario_args = ScenarioArgs {
        scenario: scenario.to_string(),
        bugs: Vec::new(),
    };
    Ok(scenario_config(&scenario_args, seed)?.0)
}

fn crash_test_request(args: &CrashTestArgs) -> Result<CrashTestRequest, String> {
    let config = plain_config(&args.seed, &args.scenario)?;
    let kills = match args.kills.trim().parse::<u32>() {
        Ok(n) if (1..=KILLS_MAX).contains(&n) => n,
        _ => {
            return Err(format!(
                "kills '{}' must be an integer within 1..={KILLS_MAX}",
                args.kills
            ))
        }
    };
    Ok(CrashTestRequest {
        config,
        kills,
        scenario_arg: args.scenario.clone(),
    })
}

fn run_request(args: &RunArgs) -> Result<RunRequest, String> {
    let seed = parse_seed(&args.seed)?;
    let (mut config, mut origin) = scenario_config(&args.scenario, seed)?;
    let notes = apply_backend(&args.backend, &mut config, &mut origin)?;
    Ok(RunRequest {
        config,
        origin,
        trace: args.trace.clone(),
        html: args.html.clone(),
        json: args.json,
        notes,
    })
}

/// Moves `config` and `origin` onto the store `--backend` names (`sim` leaves them as they
/// are); returns what the user should know about the move, one line each.
fn apply_backend(
    args: &BackendArgs,
    config: &mut RunConfig,
    origin: &mut Origin,
) -> Result<Vec<String>, String> {
    match args.backend.as_str() {
        "sim" => Ok(Vec::new()),
        "redb" => {
            let notes = redb_config(config)?;
            origin.on_redb = true;
            assert_eq!(config.scenario.store, StoreKind::Redb, "the scenario moved");
            Ok(notes)
        }
        other => Err(format!("backend '{other}' must be 'sim' or 'redb'")),
    }
}

/// Moves `config` onto redb: the scenario's workload with the faults that can be injected above
/// a real database. Refuses bugs planted in `SimStorage` itself; returns what was left out.
pub fn redb_config(config: &mut RunConfig) -> Result<Vec<String>, String> {
    let planted = crate::run::storage_bugs(config.bugs);
    if !planted.is_empty() {
        return Err(format!(
            "bug '{}' lives in SimStorage and cannot be planted in redb",
            planted.join("', '")
        ));
    }
    let (scenario, dropped) = config.scenario.on_redb();
    let mut notes = Vec::new();
    if !dropped.is_empty() {
        let names: Vec<&str> = dropped.iter().map(|f| f.name()).collect();
        notes.push(format!(
            "redb: left out {} (injected below a database, not above it)",
            names.join(", ")
        ));
    }
    if config.scenario.expect != scenario.expect {
        notes.push(format!(
            "redb: scenario '{}' expects a violation from faults outside the envelope; without them it expects every invariant to hold",
            scenario.name
        ));
    }
    config.scenario = scenario;
    Ok(notes)
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// The number of jobs, and a warning when it exceeds the cores.
fn parse_jobs(jobs: Option<&str>) -> Result<(usize, Option<String>), String> {
    let Some(text) = jobs else {
        return Ok((cores().min(JOBS_MAX), None));
    };
    let jobs = match text.trim().parse::<usize>() {
        Ok(n) if (1..=JOBS_MAX).contains(&n) => n,
        _ => {
            return Err(format!(
                "jobs '{text}' must be an integer within 1..={JOBS_MAX}"
            ))
        }
    };
    let cores = cores();
    let warning = (jobs > cores).then(|| {
        format!(
            "--jobs {jobs} exceeds the {cores} cores available: seeds/s will not improve, and each job holds about {JOB_MEMORY_MB} MB ({} MB in all)",
            jobs as u64 * JOB_MEMORY_MB
        )
    });
    Ok((jobs, warning))
}

/// `name` as one safe path component: ASCII letters, digits and `.+-_` only (others become
/// `_`), no leading dot, at most 80 bytes. Names from scenario files never steer a path.
pub fn path_component(name: &str) -> String {
    let mut safe: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "+-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .take(80)
        .collect();
    while safe.starts_with('.') {
        safe.replace_range(0..1, "_");
    }
    if safe.is_empty() {
        safe.push('_');
    }
    safe
}

/// The default output directory of a sweep:
/// `results/sweeps/SCENARIO[+BUG..][-on-redb]-SEEDS-FINGERPRINT[-shard-K-of-N]`, where the
/// fingerprint covers the seeds, the scenario's content, the bugs and the budget: different
/// sweeps never share a folder, and the same command finds its folder again (`--resume`).
fn default_out(origin: &Origin, manifest: &Manifest) -> PathBuf {
    let seeds = match &manifest.seeds {
        SeedSet::Range { first, last } => format!("{first}-{last}"),
        SeedSet::List(seeds) => format!("list{}", seeds.len()),
        SeedSet::Stream { base } => format!("base{base}"),
    };
    let fingerprint = &manifest.fingerprint()[..8];
    let mut name = format!("{}-{seeds}-{fingerprint}", origin.file_stem());
    if manifest.shard != Shard::ALL {
        let shard = manifest.shard;
        name.push_str(&format!("-shard-{}-of-{}", shard.index, shard.count));
    }
    PathBuf::from("results").join("sweeps").join(name)
}

/// The shard `--shard-index-from-env --shard-count N` names: `$JOB_COMPLETION_INDEX + 1` of N.
fn shard_from_env(count: &str, index: Option<String>) -> Result<Shard, String> {
    let count: u64 = count
        .trim()
        .parse()
        .ok()
        .filter(|n| *n >= 1)
        .ok_or_else(|| format!("shard count '{count}' must be a positive integer"))?;
    let index = index.ok_or_else(|| {
        format!("--shard-index-from-env: {SHARD_INDEX_VAR} is not set (a Kubernetes Indexed Job sets it; elsewhere set it to the 0-based shard index)")
    })?;
    let zero_based: u64 = index
        .trim()
        .parse()
        .map_err(|_| format!("{SHARD_INDEX_VAR} '{index}' is not a non-negative integer"))?;
    if zero_based >= count {
        return Err(format!(
            "{SHARD_INDEX_VAR} {zero_based} is not below --shard-count {count} (it is 0-based)"
        ));
    }
    Ok(Shard {
        index: zero_based + 1,
        count,
    })
}

/// The seed set: `--seeds`, or else a stream from `--base-seed` (default: the Unix time).
fn seed_set(args: &SweepArgs) -> Result<SeedSet, String> {
    if let Some(text) = &args.seeds {
        return text.parse();
    }
    let base = match &args.base_seed {
        Some(text) => parse_seed(text)?,
        None => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
    };
    Ok(SeedSet::Stream { base })
}

fn budget(args: &SweepArgs) -> Result<Budget, String> {
    let failures_max = match (&args.until_failures, args.fail_fast) {
        (Some(text), _) => Some(
            text.trim()
                .parse::<u64>()
                .ok()
                .filter(|n| *n >= 1)
                .ok_or_else(|| format!("--until-failures '{text}' must be a positive integer"))?,
        ),
        (None, true) => Some(1),
        (None, false) => None,
    };
    let wall_s_max = args.for_.as_deref().map(parse_duration).transpose()?;
    Ok(Budget {
        failures_max,
        wall_s_max,
    })
}

fn sweep_request(args: &SweepArgs) -> Result<SweepRequest, String> {
    let seeds = seed_set(args)?;
    let shard = match (&args.shard, &args.shard_count) {
        (Some(text), _) => text.parse::<Shard>()?,
        (None, Some(count)) => shard_from_env(count, std::env::var(SHARD_INDEX_VAR).ok())?,
        (None, None) => Shard::ALL,
    };
    if seeds.is_stream() && shard != Shard::ALL {
        return Err(format!(
            "shard {shard} of a continuous sweep (no --seeds): an endless stream cannot be split; give each machine its own --base-seed instead"
        ));
    }
    if shard.is_empty(seeds.count()) {
        return Err(format!(
            "shard {shard} of {} seeds '{seeds}' holds no seed",
            seeds.count()
        ));
    }
    let (jobs, jobs_warning) = parse_jobs(args.jobs.as_deref())?;
    let (mut template, mut origin) = scenario_config(&args.scenario, 0)?;
    let notes = apply_backend(&args.backend, &mut template, &mut origin)?;
    let budget = budget(args)?;
    let manifest = Box::new(Manifest::new(
        seeds.clone(),
        shard,
        template.scenario.clone(),
        origin.scenario_arg.clone(),
        origin.bugs.iter().map(|b| b.name().to_string()).collect(),
        budget,
    ));
    let spec = SweepSpec {
        template,
        seeds,
        shard,
        jobs,
        budget,
    };
    Ok(SweepRequest {
        out: args
            .out
            .clone()
            .unwrap_or_else(|| default_out(&origin, &manifest)),
        html: args.html.clone(),
        spec,
        origin,
        manifest,
        resume: args.resume,
        json: args.json,
        require_coverage: args.require_coverage,
        jobs_warning,
        notes,
    })
}

fn merge_request(args: &MergeArgs) -> MergeRequest {
    MergeRequest {
        dirs: args.dirs.clone(),
        out: args.out.clone(),
        json: args.json,
    }
}

/// Seconds in `text`: a plain number of seconds or a duration such as `10m`.
fn seconds(text: &str) -> Result<u64, String> {
    let seconds = match text.trim().parse::<u64>() {
        Ok(seconds) => seconds,
        Err(_) => parse_duration(text)?,
    };
    if seconds == 0 {
        return Err(format!("--max-seconds '{text}' must be at least 1 second"));
    }
    Ok(seconds)
}

fn shrink_request(args: &ShrinkArgs) -> Result<ShrinkRequest, String> {
    let (config, origin) = match (&args.trace, &args.seed) {
        (Some(path), _) => {
            let trace = read_trace(path).map_err(|e| e.to_string())?;
            let config = trace.header.run_config()?;
            let origin = Origin {
                scenario_arg: config.scenario.name.clone(),
                scenario_name: config.scenario.name.clone(),
                bugs: config.bugs,
                on_redb: config.scenario.store == StoreKind::Redb,
            };
            (config, origin)
        }
        (None, Some(seed)) => scenario_config(&args.scenario, parse_seed(seed)?)?,
        (None, None) => return Err("dst shrink needs a TRACE or --seed N".to_string()),
    };
    let max_attempts = args
        .max_attempts
        .trim()
        .parse::<u64>()
        .ok()
        .filter(|&n| n > 0)
        .ok_or_else(|| {
            format!(
                "--max-attempts '{}' is not a whole number of runs, at least 1",
                args.max_attempts
            )
        })?;
    let output = args
        .output
        .clone()
        .unwrap_or_else(|| default_shrunk_path(config.seed, &origin));
    Ok(ShrinkRequest {
        config,
        origin,
        invariant: args.invariant.clone(),
        output,
        max_attempts,
        max_seconds: seconds(&args.max_seconds)?,
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
            Command::Shrink(args) => Request::Shrink(shrink_request(args)?),
            Command::Merge(args) => Request::Merge(merge_request(args)),
            Command::Report(args) => Request::Report(ReportRequest {
                input: args.input.clone(),
                output: args.output.clone(),
            }),
            Command::DiffBackends(args) => Request::DiffBackends(diff_request(args)?),
            Command::CrashTest(args) => Request::CrashTest(crash_test_request(args)?),
            Command::CrashChild(args) => Request::CrashChild(CrashChildRequest {
                config: plain_config(&args.seed, &args.scenario)?,
                db: args.db.clone(),
            }),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_from_scenario_files_become_one_safe_path_component() {
        assert_eq!(path_component("default"), "default");
        assert_eq!(path_component("../../etc/passwd"), "_._.._etc_passwd");
        assert_eq!(path_component("a\nb c"), "a_b_c");
        assert_eq!(path_component(""), "_");
        assert_eq!(path_component(&"x".repeat(300)).len(), 80);
    }

    #[test]
    fn the_shard_index_from_the_environment_is_zero_based() {
        assert_eq!(
            shard_from_env("4", Some("0".to_string())),
            Ok(Shard { index: 1, count: 4 })
        );
        assert!(shard_from_env("4", Some("4".to_string()))
            .unwrap_err()
            .contains("not below --shard-count 4"));
        assert!(shard_from_env("4", None).unwrap_err().contains("not set"));
        assert!(shard_from_env("4", Some("x".to_string()))
            .unwrap_err()
            .contains("'x'"));
        assert!(shard_from_env("0", Some("0".to_string()))
            .unwrap_err()
            .contains("'0'"));
    }
}
