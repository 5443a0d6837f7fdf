//! `dst sweep`: many seeds across workers, progress on stderr, results on disk, a summary.
//!
//! Output problems never hide a result: a seed line, checkpoint, trace or summary that cannot be
//! written becomes a warning (printed when it happens and again after the summary), the sweep
//! goes on, and the exit code is 1 if a failure was found, else 2. A first Ctrl-C or SIGTERM
//! ends the sweep after the running seeds with a partial summary (exit 130 or 143).

use std::path::Path;
use std::time::{Duration, Instant};

use crate::run::sweep::{sweep, StopReason, SweepEvent, SweepStats};
use crate::run::Verdict;
use crate::trace::write_atomically;

use super::exit::Exit;
use super::progress::Progress;
use super::render_sweep::{header, write_json_with_results, SweepContext, SweepOutcome};
use super::repro::shell_quote;
use super::request::SweepRequest;
use super::signals::Interrupt;
use super::sweep_dir::{self, Checkpoint, Opened, SUMMARY_FILE};
use super::sweep_files::{write_failure_traces, FailureTrace, SeedsLog};
use super::text::path_text;

/// How often the checkpoint `--resume` needs is rewritten, at most.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(500);

/// Whether the checkpoint is due: [`CHECKPOINT_EVERY`] has passed since it was last written
/// (`since`) and a seed has finished since (`seeds_since`). A sweep of slow seeds (a long
/// scenario, or one under valgrind) does not rewrite the same checkpoint on every tick.
fn checkpoint_due(since: Duration, seeds_since: u64) -> bool {
    seeds_since > 0 && since >= CHECKPOINT_EVERY
}

/// Warnings met while the sweep runs: each printed once as it happens, all kept for the end.
#[derive(Default)]
pub struct Warnings {
    /// Every warning, in order.
    pub all: Vec<String>,
    /// Whether an output file could not be written.
    pub output_failed: bool,
}

impl Warnings {
    /// A piece of advice, not a failure.
    pub fn advise(&mut self, warning: String) {
        eprintln!("warning: {}", super::text::escape_controls(&warning));
        self.all.push(warning);
    }

    /// An output file that could not be written.
    pub fn output(&mut self, warning: String) {
        self.output_failed = true;
        self.advise(warning);
    }
}

/// The command that continues this sweep: the same arguments, with `--out` and `--resume`.
fn resume_command(request: &SweepRequest) -> String {
    let mut words: Vec<String> = std::env::args().skip(1).collect();
    if !words
        .iter()
        .any(|w| w == "--out" || w.starts_with("--out="))
    {
        words.push("--out".to_string());
        words.push(request.out.display().to_string());
    }
    if !words.iter().any(|w| w == "--resume") {
        words.push("--resume".to_string());
    }
    let quoted: Vec<String> = words.iter().map(|w| shell_quote(w)).collect();
    format!("dst {}", quoted.join(" "))
}

/// Writes the checkpoint when `seeds.jsonl` holds exactly the seeds `stats` counts.
fn checkpoint(
    log: &SeedsLog,
    stats: &SweepStats,
    request: &SweepRequest,
    warnings: &mut Warnings,
    failed: &mut bool,
) {
    if *failed || !log.is_whole() || log.lines() != stats.seeds {
        return;
    }
    if let Err(e) = Checkpoint::of(stats).write(&request.out) {
        *failed = true;
        warnings.output(format!(
            "{e}; --resume will redo the seeds after the last checkpoint"
        ));
    }
}

/// What the summary says besides the totals, before the sweep ends.
fn context(request: &SweepRequest) -> SweepContext<'_> {
    let spec = &request.spec;
    SweepContext {
        origin: &request.origin,
        seeds: &spec.seeds,
        shard: spec.shard,
        planned: (!spec.seeds.is_stream()).then(|| spec.count()),
        jobs: spec.jobs,
        budget: spec.budget,
        out: &request.out,
        interrupted_by: None,
        resume_command: Some(resume_command(request)),
        merged_from: Vec::new(),
    }
}

/// Says what happened to the output folder, then prints the one header (stderr with --json).
fn announce(request: &SweepRequest, opened: &Opened, context: &SweepContext) {
    if request.resume && !opened.resumed {
        eprintln!(
            "sweep: nothing to resume in {}; starting afresh",
            path_text(&request.out)
        );
    }
    if opened.cleared {
        eprintln!(
            "sweep: removed the previous sweep's files from {}",
            path_text(&request.out)
        );
    }
    let header = header(context, opened.resumed.then_some(opened.done.seeds));
    if request.json {
        eprintln!("{header}");
    } else {
        println!("{header}");
    }
}

/// Runs the seeds after `done`, writing each line, the progress and the checkpoints; returns
/// the totals and whether `seeds.jsonl` holds every seed.
fn run_seeds(
    request: &SweepRequest,
    done: SweepStats,
    interrupt: &Interrupt,
    warnings: &mut Warnings,
) -> Result<(SweepStats, bool), String> {
    let spec = &request.spec;
    let mut log = SeedsLog::open(&request.out, done.seeds)?;
    let planned = (!spec.seeds.is_stream()).then(|| spec.count());
    let time_budget = spec.budget.wall_s_max.map(Duration::from_secs);
    let mut progress = Progress::new(planned, done.seeds, done.failed, time_budget);
    let mut checkpointed = (Instant::now(), done.seeds);
    let mut checkpoint_failed = false;
    let mut announced = false;
    let stats = sweep(spec, done, interrupt.flag(), &mut |event, stats| {
        if !announced && interrupt.received().is_some() {
            announced = true;
            progress.finish();
            eprintln!("sweep: stopping after the running seeds (Ctrl-C again to exit at once)");
        }
        match event {
            SweepEvent::Result(result) => {
                if let Err(e) = log.write(result) {
                    warnings.output(format!("{e}; --resume will redo the seeds after it"));
                }
                progress.tick(result.verdict == Verdict::Fail);
            }
            SweepEvent::Tick => progress.draw(),
        }
        let (written_at, written_seeds) = checkpointed;
        assert!(stats.seeds >= written_seeds, "the seeds done never fall");
        if checkpoint_due(written_at.elapsed(), stats.seeds - written_seeds) {
            checkpointed = (Instant::now(), stats.seeds);
            checkpoint(&log, stats, request, warnings, &mut checkpoint_failed);
        }
    });
    progress.finish();
    checkpoint(&log, &stats, request, warnings, &mut checkpoint_failed);
    Ok((stats, log.is_whole()))
}

/// The traces of the first failing seeds (none after an interruption: `--resume` writes them;
/// a Ctrl-C while they are written skips the rest).
fn failure_traces(
    request: &SweepRequest,
    stats: &SweepStats,
    interrupt: &Interrupt,
    warnings: &mut Warnings,
) -> Vec<FailureTrace> {
    if stats.stop == StopReason::Interrupted {
        return Vec::new();
    }
    let traces = write_failure_traces(
        &request.spec,
        &stats.failures,
        &request.out,
        interrupt.flag(),
    );
    for trace in &traces {
        let problem = trace.problem.as_ref();
        if let Some(problem) = problem.filter(|p| p.starts_with("cannot write")) {
            warnings.output(format!("seed {}: {problem}", trace.seed));
        }
    }
    traces
}

/// Runs the sweep and prints its summary; the error (exit 2) is an output folder that cannot
/// be used or a sweep that cannot be resumed.
pub fn run(request: &SweepRequest) -> Result<Exit, String> {
    let interrupt = Interrupt::install()?;
    let mut warnings = Warnings::default();
    if let Some(warning) = &request.jobs_warning {
        warnings.advise(warning.clone());
    }
    for note in &request.notes {
        eprintln!("note: {note}");
    }
    let opened = sweep_dir::open(&request.out, &request.manifest, request.resume)?;
    let mut context = context(request);
    announce(request, &opened, &context);
    let (stats, results_whole) = run_seeds(request, opened.done, &interrupt, &mut warnings)?;
    let received = interrupt
        .received()
        .filter(|_| stats.stop == StopReason::Interrupted);
    context.interrupted_by = received.map(|(_, name)| name);
    let traces = failure_traces(request, &stats, &interrupt, &mut warnings);
    finish(
        request.json,
        &context,
        &stats,
        &traces,
        &mut warnings,
        results_whole,
    );
    let uncovered = request.require_coverage && !coverage_complete(&stats);
    Ok(match received {
        Some((signal, _)) => Exit::Interrupted { signal },
        None if stats.failed > 0 || uncovered => Exit::Failure,
        None if warnings.output_failed => Exit::BadInput,
        None => Exit::Pass,
    })
}

/// Whether every coverage mark fired in the sweep; when not, says which did not on stderr.
fn coverage_complete(stats: &SweepStats) -> bool {
    let unfired = crate::workload::unfired(&stats.coverage);
    if !unfired.is_empty() {
        eprintln!(
            "coverage: --require-coverage: {} of {} marks never fired: {}",
            unfired.len(),
            crate::workload::mark_names().len(),
            unfired.join(", ")
        );
    }
    unfired.is_empty()
}

/// Writes `summary.json` into the context's folder and prints the summary (a write failure
/// becomes one more warning); `--json` lists every seed's result when `seeds.jsonl` holds them
/// all (`results_whole`).
pub fn finish(
    json_mode: bool,
    context: &SweepContext,
    stats: &SweepStats,
    traces: &[FailureTrace],
    warnings: &mut Warnings,
    results_whole: bool,
) {
    let summary_path = context.out.join(SUMMARY_FILE);
    let render = |warnings: &[String]| {
        let outcome = SweepOutcome {
            context,
            stats,
            traces,
            warnings,
        };
        (
            serde_json::to_string_pretty(&outcome.json()).expect("a summary serializes"),
            outcome.human(),
        )
    };
    let (json, _) = render(&warnings.all);
    if let Err(e) = write_atomically(&summary_path, json.as_bytes()) {
        warnings.output(format!("cannot write '{}': {e}", path_text(&summary_path)));
    }
    let (json, human) = render(&warnings.all);
    print_summary(json_mode, results_whole, &json, &human, context.out);
}

/// Prints the human summary, or the JSON one with `results` streamed from the `seeds.jsonl` of
/// `dir` when that file holds every seed (`with_results`).
fn print_summary(json_mode: bool, with_results: bool, json: &str, human: &str, dir: &Path) {
    if !json_mode {
        print!("{human}");
    } else if with_results {
        let mut stdout = std::io::stdout().lock();
        if let Err(e) = write_json_with_results(&mut stdout, json, dir) {
            eprintln!("warning: {}", super::text::escape_controls(&e));
        }
    } else {
        println!("{json}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_checkpoint_is_due_once_the_period_passed_and_a_seed_finished() {
        assert!(checkpoint_due(CHECKPOINT_EVERY, 1));
        assert!(checkpoint_due(CHECKPOINT_EVERY * 3, 40));
        assert!(
            !checkpoint_due(CHECKPOINT_EVERY * 3, 0),
            "no seed finished: the checkpoint on disk is already this one"
        );
        assert!(!checkpoint_due(
            CHECKPOINT_EVERY - Duration::from_millis(1),
            5
        ));
    }
}
