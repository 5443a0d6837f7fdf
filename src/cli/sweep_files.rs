//! What a sweep leaves on disk under `--out`: `seeds.jsonl` (one line per seed, in seed order,
//! flushed per seed), `summary.json` (written atomically) and `traces/seed-N.jsonl` for the
//! first failing seeds (re-run with a trace writer; the re-run must hash as the sweep did).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use crate::run::sweep::{SeedResult, SweepSpec};
use crate::run::{run_seed, RunConfig};
use crate::trace::TraceWriter;

/// Most failing seeds whose trace a sweep writes.
pub const FAILURE_TRACES_MAX: usize = 32;

/// `seeds.jsonl`, flushed after every line so a killed sweep leaves every finished seed.
pub struct SeedsLog {
    path: PathBuf,
    file: BufWriter<File>,
}

impl SeedsLog {
    /// Creates (truncates) `DIR/seeds.jsonl`, creating `dir`.
    pub fn create(dir: &Path) -> Result<SeedsLog, String> {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create output directory '{}': {e}", dir.display()))?;
        let path = dir.join("seeds.jsonl");
        let file =
            File::create(&path).map_err(|e| format!("cannot create '{}': {e}", path.display()))?;
        Ok(SeedsLog {
            path,
            file: BufWriter::new(file),
        })
    }

    /// Appends one seed's line and flushes it.
    pub fn write(&mut self, result: &SeedResult) -> Result<(), String> {
        serde_json::to_writer(&mut self.file, result).expect("a seed result serializes");
        self.file
            .write_all(b"\n")
            .and_then(|()| self.file.flush())
            .map_err(|e| format!("cannot write '{}': {e}", self.path.display()))
    }
}

/// A failing seed's trace, as written by [`write_failure_traces`].
pub struct FailureTrace {
    /// The seed.
    pub seed: u64,
    /// Where its trace is, if it could be written.
    pub path: Option<PathBuf>,
    /// What went wrong writing it: a re-run that hashed differently (nondeterminism), a panic,
    /// or an I/O error.
    pub problem: Option<String>,
}

fn write_one(config: &RunConfig, expected_hash: &str, path: &Path) -> Result<(), String> {
    let mut writer = TraceWriter::new();
    let report = catch_unwind(AssertUnwindSafe(|| run_seed(config, &mut writer)))
        .map_err(|_| "the re-run panicked; no trace".to_string())?;
    if report.trace_hash != expected_hash {
        return Err(format!(
            "nondeterminism: the sweep hashed {expected_hash}, the re-run {}",
            report.trace_hash
        ));
    }
    writer
        .finish(config, &report, path)
        .map_err(|e| format!("cannot write '{}': {e}", path.display()))
}

/// Re-runs the first [`FAILURE_TRACES_MAX`] failures with a trace writer into `DIR/traces/`.
pub fn write_failure_traces(
    spec: &SweepSpec,
    failures: &[SeedResult],
    dir: &Path,
) -> Vec<FailureTrace> {
    let mut config = spec.template.clone();
    failures
        .iter()
        .take(FAILURE_TRACES_MAX)
        .map(|failure| {
            config.seed = failure.seed;
            let path = dir
                .join("traces")
                .join(format!("seed-{}.jsonl", failure.seed));
            match write_one(&config, &failure.trace_hash, &path) {
                Ok(()) => FailureTrace {
                    seed: failure.seed,
                    path: Some(path),
                    problem: None,
                },
                Err(problem) => FailureTrace {
                    seed: failure.seed,
                    path: None,
                    problem: Some(problem),
                },
            }
        })
        .collect()
}
