//! Writing a sweep's per-seed lines (`seeds.jsonl`: whole lines only, so a full disk or a kill
//! never leaves half a line to read back) and the traces of its first failing seeds (re-run with
//! a trace writer; the re-run must hash as the sweep did).

use std::fs::{File, OpenOptions};
use std::io::{Seek, SeekFrom, Write};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use crate::run::sweep::{SeedResult, SweepSpec};
use crate::run::{run_judged, RunConfig};
use crate::trace::TraceWriter;

use super::sweep_dir::{SEEDS_FILE, TRACES_DIR};

/// Most failing seeds whose trace a sweep writes.
pub const FAILURE_TRACES_MAX: usize = 32;

/// `seeds.jsonl`, appended one whole line per write. After a failed write the file is cut back
/// to its last whole line and nothing more is written.
pub struct SeedsLog {
    path: PathBuf,
    file: File,
    length: u64,
    lines: u64,
    broken: bool,
    line: Vec<u8>,
}

impl SeedsLog {
    /// Opens `DIR/seeds.jsonl` for appending after its `lines` whole lines.
    pub fn open(dir: &Path, lines: u64) -> Result<SeedsLog, String> {
        let path = dir.join(SEEDS_FILE);
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|e| format!("cannot open '{}': {e}", path.display()))?;
        let length = file
            .seek(SeekFrom::End(0))
            .map_err(|e| format!("cannot open '{}': {e}", path.display()))?;
        Ok(SeedsLog {
            path,
            file,
            length,
            lines,
            broken: false,
            line: Vec::with_capacity(512),
        })
    }

    /// Whole lines in the file.
    pub fn lines(&self) -> u64 {
        self.lines
    }

    /// Whether every line so far was written.
    pub fn is_whole(&self) -> bool {
        !self.broken
    }

    /// Appends one seed's line. The first failure is returned (the caller warns once); the
    /// file is cut back to its last whole line and later lines are not written.
    pub fn write(&mut self, result: &SeedResult) -> Result<(), String> {
        if self.broken {
            return Ok(());
        }
        self.line.clear();
        serde_json::to_writer(&mut self.line, result).expect("a seed result serializes");
        self.line.push(b'\n');
        match self.file.write_all(&self.line) {
            Ok(()) => {
                self.length += self.line.len() as u64;
                self.lines += 1;
                Ok(())
            }
            Err(e) => {
                self.broken = true;
                let _ = self.file.set_len(self.length);
                Err(format!(
                    "cannot write '{}': {e}; it keeps the first {} seeds",
                    self.path.display(),
                    self.lines
                ))
            }
        }
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

impl FailureTrace {
    /// The outcome of writing `seed`'s trace: where it is, or why it is not.
    pub fn new(seed: u64, written: Result<PathBuf, String>) -> Self {
        let (path, problem) = match written {
            Ok(path) => (Some(path), None),
            Err(problem) => (None, Some(problem)),
        };
        assert!(
            path.is_some() != problem.is_some(),
            "a trace is written or has a problem"
        );
        FailureTrace {
            seed,
            path,
            problem,
        }
    }
}

fn write_one(config: &RunConfig, expected_hash: &str, path: &Path) -> Result<(), String> {
    let mut writer = TraceWriter::new();
    let report = catch_unwind(AssertUnwindSafe(|| run_judged(config, &mut writer)))
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

/// The path of a failing seed's trace in the output folder `dir`.
pub fn trace_path(dir: &Path, seed: u64) -> PathBuf {
    dir.join(TRACES_DIR).join(format!("seed-{seed}.jsonl"))
}

/// Re-runs the first [`FAILURE_TRACES_MAX`] failures with a trace writer into `DIR/traces/`;
/// once `stop` is set (Ctrl-C), the rest are skipped with a problem saying so.
pub fn write_failure_traces(
    spec: &SweepSpec,
    failures: &[SeedResult],
    dir: &Path,
    stop: &AtomicBool,
) -> Vec<FailureTrace> {
    let mut config = spec.template.clone();
    failures
        .iter()
        .take(FAILURE_TRACES_MAX)
        .map(|failure| {
            config.seed = failure.seed;
            let path = trace_path(dir, failure.seed);
            let written = if stop.load(Ordering::Relaxed) {
                Err("not written: interrupted; its repro line re-runs it".to_string())
            } else {
                write_one(&config, &failure.trace_hash, &path).map(|()| path)
            };
            FailureTrace::new(failure.seed, written)
        })
        .collect()
}
