//! `dst merge DIR... --out DIR`: joins the output folders of a sweep's shards into the output of
//! one sweep: `seeds.jsonl` in seed order, the histograms added, the failing seeds' traces
//! copied, and the `summary.json` the unsharded sweep writes (equal in all but wall times).
//!
//! Every input must be a finished shard of the same sweep, and together they must hold every
//! seed exactly once; anything else is bad input (exit 2) with a message naming the folders
//! and the seeds, and the output folder is left without a merged sweep in it.

use std::path::{Path, PathBuf};

use crate::bugs::{Bug, BugSet};
use crate::run::sweep::{add_histogram, merge_results, MergeInput, Shard, SweepStats};
use crate::trace::write_atomically;
use crate::workload::StoreKind;

use super::exit::Exit;
use super::render_sweep::SweepContext;
use super::request::{MergeRequest, Origin};
use super::sweep_cmd::{finish, Warnings};
use super::sweep_dir::{self, Checkpoint, Manifest, OutDir, SeedLines, SUMMARY_FILE};
use super::sweep_files::{trace_path, FailureTrace, SeedsLog, FAILURE_TRACES_MAX};
use super::text::path_text;

/// One shard folder, read.
struct ShardDir {
    path: PathBuf,
    manifest: Manifest,
    checkpoint: Checkpoint,
    jobs: usize,
}

fn read_shard(dir: &Path) -> Result<ShardDir, String> {
    let name = path_text(dir);
    let manifest =
        Manifest::read(dir).map_err(|e| format!("'{name}' is not a sweep output folder: {e}"))?;
    if manifest.seeds.is_stream() {
        return Err(format!(
            "'{name}' is a continuous sweep ({}): only sweeps of --seeds can be merged",
            manifest.seeds
        ));
    }
    let planned = manifest.shard.len(manifest.seeds.count());
    let checkpoint = Checkpoint::read(dir)?.ok_or_else(|| {
        format!("'{name}' has no checkpoint.json: its sweep stopped before its first seed was saved; finish it with --resume")
    })?;
    if checkpoint.seeds_done != planned {
        return Err(format!(
            "'{name}' holds {} of the {planned} seeds of shard {}: its sweep stopped early; finish it with --resume",
            checkpoint.seeds_done, manifest.shard
        ));
    }
    let jobs = std::fs::read_to_string(dir.join(SUMMARY_FILE))
        .ok()
        .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
        .and_then(|summary| summary["jobs"].as_u64())
        .map_or(1, |jobs| jobs as usize);
    Ok(ShardDir {
        path: dir.to_path_buf(),
        manifest,
        checkpoint,
        jobs,
    })
}

/// Checks that the shards are of one sweep, each once; the error names the folders.
fn check_shards(shards: &[ShardDir]) -> Result<(), String> {
    let first = &shards[0];
    for (i, shard) in shards.iter().enumerate() {
        first
            .manifest
            .same_sweep(&shard.manifest)
            .map_err(|difference| {
                format!(
                    "'{}' and '{}' are not shards of one sweep: {difference}",
                    path_text(&first.path),
                    path_text(&shard.path)
                )
            })?;
        let same = |other: &ShardDir| {
            other.manifest.shard == shard.manifest.shard
                || std::fs::canonicalize(&other.path).ok()
                    == std::fs::canonicalize(&shard.path).ok()
        };
        if let Some(other) = shards[..i].iter().find(|other| same(other)) {
            return Err(format!(
                "shard {} is given twice: '{}' and '{}' (seed {} appears twice)",
                shard.manifest.shard,
                path_text(&other.path),
                path_text(&shard.path),
                shard
                    .manifest
                    .seeds
                    .seed_at(shard.manifest.shard.position(0))
            ));
        }
    }
    Ok(())
}

fn origin(manifest: &Manifest) -> Result<Origin, String> {
    let mut bugs = BugSet::none();
    for name in &manifest.bugs {
        bugs.insert(name.parse::<Bug>()?);
    }
    Ok(Origin {
        scenario_arg: manifest.scenario_arg.clone(),
        scenario_name: manifest.scenario.name.clone(),
        bugs,
        on_redb: manifest.scenario.store == StoreKind::Redb,
    })
}

/// Merges the seed lines into `out`, counting them; the error is a gap, an overlap or a bad line.
fn merge_lines(
    shards: &[ShardDir],
    out: &OutDir,
    warnings: &mut Warnings,
) -> Result<(SweepStats, bool), String> {
    let mut inputs = Vec::new();
    for shard in shards {
        inputs.push(MergeInput {
            name: format!("'{}'", path_text(&shard.path)),
            results: Box::new(SeedLines::open(&shard.path)?),
        });
    }
    let mut log = SeedsLog::open(&out.path, 0)?;
    let mut stats = SweepStats::new();
    merge_results(&shards[0].manifest.seeds, inputs, &mut |result| {
        if let Err(e) = log.write(result) {
            warnings.output(e);
        }
        stats.add_result(result);
        Ok(())
    })?;
    for shard in shards {
        let mut part = SweepStats::new();
        shard.checkpoint.restore(&mut part, &shard.path)?;
        add_histogram(&mut stats.wall_us, &part.wall_us);
        stats.add_latency(&part.latency_ms);
        stats.elapsed = stats.elapsed.max(part.elapsed);
    }
    Ok((stats, log.is_whole()))
}

/// Copies the traces the shards kept of the first failing seeds.
fn copy_traces(shards: &[ShardDir], stats: &SweepStats, out: &Path) -> Vec<FailureTrace> {
    let copy = |seed: u64| -> Result<PathBuf, String> {
        let source = shards
            .iter()
            .map(|s| trace_path(&s.path, seed))
            .find(|p| p.exists())
            .ok_or_else(|| "no shard kept a trace of it; its repro line re-runs it".to_string())?;
        let bytes = sweep_dir::read_regular_bytes(&source)?;
        let target = trace_path(out, seed);
        write_atomically(&target, &bytes)
            .map_err(|e| format!("cannot write '{}': {e}", path_text(&target)))?;
        Ok(target)
    };
    stats
        .failures
        .iter()
        .take(FAILURE_TRACES_MAX)
        .map(|failure| FailureTrace::new(failure.seed, copy(failure.seed)))
        .collect()
}

/// Reads the request's shard folders and checks they merge into a new folder; returns them
/// with the merged sweep's manifest.
fn read_inputs(request: &MergeRequest) -> Result<(Vec<ShardDir>, Manifest), String> {
    assert!(!request.dirs.is_empty(), "clap requires a folder");
    let shards = request
        .dirs
        .iter()
        .map(|d| read_shard(d))
        .collect::<Result<Vec<_>, String>>()?;
    check_shards(&shards)?;
    let out_real = std::fs::canonicalize(&request.out).ok();
    if let Some(shard) = shards
        .iter()
        .find(|s| out_real.is_some() && std::fs::canonicalize(&s.path).ok() == out_real)
    {
        return Err(format!(
            "--out '{}' is one of the shards being merged; name a new folder",
            path_text(&shard.path)
        ));
    }
    let mut manifest = shards[0].manifest.clone();
    manifest.shard = Shard::ALL;
    Ok((shards, manifest))
}

/// The one header line of a merge.
fn header(shards: usize, manifest: &Manifest, out: &Path) -> String {
    let bugs = if manifest.bugs.is_empty() {
        "none".to_string()
    } else {
        manifest.bugs.join(",")
    };
    format!(
        "merge: {shards} shards of {} seeds ({}), scenario {}, bugs {bugs}, out {}",
        manifest.seeds.count(),
        manifest.seeds,
        super::text::escape_controls(&manifest.scenario.name),
        path_text(out)
    )
}

/// Merges the request's shard folders; the error (exit 2) names what keeps them from merging.
pub fn run(request: &MergeRequest) -> Result<Exit, String> {
    let (shards, manifest) = read_inputs(request)?;
    let origin = origin(&manifest)?;
    let opened = sweep_dir::open(&request.out, &manifest, false)?;
    let mut warnings = Warnings::default();
    let (stats, whole) = match merge_lines(&shards, &opened.dir, &mut warnings) {
        Ok(merged) => merged,
        Err(e) => {
            sweep_dir::discard(&opened.dir);
            return Err(e);
        }
    };
    if whole {
        if let Err(e) = Checkpoint::of(&stats).write(&request.out) {
            warnings.output(e);
        }
    }
    let traces = copy_traces(&shards, &stats, &request.out);
    let context = SweepContext {
        origin: &origin,
        seeds: &manifest.seeds,
        shard: Shard::ALL,
        planned: Some(manifest.seeds.count()),
        jobs: shards.iter().map(|s| s.jobs).max().unwrap_or(1),
        budget: manifest.budget,
        out: &request.out,
        interrupted_by: None,
        resume_command: None,
        merged_from: shards.iter().map(|s| path_text(&s.path)).collect(),
    };
    let header = header(shards.len(), &manifest, &request.out);
    if request.json {
        eprintln!("{header}");
    } else {
        println!("{header}");
    }
    finish(
        request.json,
        &context,
        &stats,
        &traces,
        &mut warnings,
        whole,
    );
    Ok(if stats.failed > 0 {
        Exit::Failure
    } else if warnings.output_failed {
        Exit::BadInput
    } else {
        Exit::Pass
    })
}
