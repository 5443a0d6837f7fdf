//! A sweep's output folder (`--out`): what is in it, how a new sweep clears a previous one's
//! files, and how `--resume` picks one up.
//!
//! Files: `sweep.json` (the [`Manifest`]: what is swept, written first), `seeds.jsonl` (one
//! line per seed, in seed order), `checkpoint.json` (how many of those lines the saved
//! histograms cover, rewritten atomically about once a second), `summary.json`, and
//! `traces/seed-N.jsonl`. Nothing is written outside the folder: entries are replaced by
//! rename or unlinked, never followed, and only these names are touched. A lock on the folder
//! keeps two processes from writing one sweep.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::xxh3_64;

use crate::run::sweep::{
    decode_histogram, encode_histogram, Budget, SeedResult, SeedSet, Shard, SweepStats,
};
use crate::trace::{write_atomically, HarnessVersion};
use crate::workload::Scenario;

/// The manifest's file name.
pub const SWEEP_FILE: &str = "sweep.json";
/// The per-seed lines' file name.
pub const SEEDS_FILE: &str = "seeds.jsonl";
/// The checkpoint's file name.
pub const CHECKPOINT_FILE: &str = "checkpoint.json";
/// The summary's file name.
pub const SUMMARY_FILE: &str = "summary.json";
/// The failing seeds' traces' folder name.
pub const TRACES_DIR: &str = "traces";

/// The version of the folder layout and of [`Manifest`].
const SWEEP_FORMAT: u32 = 1;

/// What a sweep folder holds the results of: everything that decides them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// [`SWEEP_FORMAT`].
    pub sweep_format: u32,
    /// The harness that ran the seeds.
    pub harness: HarnessVersion,
    /// The whole seed set (of every shard).
    pub seeds: SeedSet,
    /// This folder's slice of it.
    pub shard: Shard,
    /// The scenario, embedded.
    pub scenario: Scenario,
    /// The `--scenario` value, for repro lines.
    pub scenario_arg: String,
    /// Planted bugs by name.
    pub bugs: Vec<String>,
    /// When the sweep stops early.
    pub budget: Budget,
}

/// Why two manifests are not of one sweep, or `None` when they are (shards aside).
fn identity_difference(a: &Manifest, b: &Manifest) -> Option<String> {
    if a.seeds != b.seeds {
        return Some(format!("seeds {} and {}", a.seeds, b.seeds));
    }
    if a.scenario != b.scenario {
        return Some(format!(
            "scenario '{}' and '{}' (the embedded scenarios differ)",
            a.scenario.name, b.scenario.name
        ));
    }
    if a.bugs != b.bugs {
        return Some(format!(
            "bugs [{}] and [{}]",
            a.bugs.join(","),
            b.bugs.join(",")
        ));
    }
    if a.budget != b.budget {
        return Some(format!("budgets {:?} and {:?}", a.budget, b.budget));
    }
    if a.harness != b.harness {
        return Some(format!("harness dst {} and dst {}", a.harness, b.harness));
    }
    None
}

impl Manifest {
    /// 16 hex digits naming what the results depend on (not the shard or the harness).
    pub fn fingerprint(&self) -> String {
        let identity =
            serde_json::to_string(&(&self.seeds, &self.scenario, &self.bugs, &self.budget))
                .expect("a manifest serializes");
        format!("{:016x}", xxh3_64(identity.as_bytes()))
    }

    /// Whether `other` is a shard of the same sweep; the error names the difference.
    pub fn same_sweep(&self, other: &Manifest) -> Result<(), String> {
        match identity_difference(self, other) {
            Some(difference) => Err(difference),
            None => Ok(()),
        }
    }

    /// Reads `DIR/sweep.json`; the error names the file and what is wrong.
    pub fn read(dir: &Path) -> Result<Manifest, String> {
        let path = dir.join(SWEEP_FILE);
        let text = read_regular(&path)?;
        serde_json::from_str(&text).map_err(|e| {
            format!(
                "'{}' is not a sweep manifest of this dst (format {SWEEP_FORMAT}): {e}",
                path.display()
            )
        })
    }

    /// A manifest of this harness.
    pub fn new(
        seeds: SeedSet,
        shard: Shard,
        scenario: Scenario,
        scenario_arg: String,
        bugs: Vec<String>,
        budget: Budget,
    ) -> Manifest {
        Manifest {
            sweep_format: SWEEP_FORMAT,
            harness: HarnessVersion::current(),
            seeds,
            shard,
            scenario,
            scenario_arg,
            bugs,
            budget,
        }
    }
}

/// What `--resume` needs besides the seed lines: the histograms of the first `seeds_done`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Checkpoint {
    /// How many lines of `seeds.jsonl` the histograms cover.
    pub seeds_done: u64,
    /// Wall time spent so far, seconds.
    pub elapsed_s: f64,
    /// Wall time per seed, microseconds (V2 HdrHistogram, base64).
    pub wall_us: String,
    /// Simulated latency by call name, ms (V2 HdrHistogram, base64).
    pub latency_ms: BTreeMap<String, String>,
}

impl Checkpoint {
    /// The checkpoint of `stats`.
    pub fn of(stats: &SweepStats) -> Checkpoint {
        Checkpoint {
            seeds_done: stats.seeds,
            elapsed_s: stats.elapsed.as_secs_f64(),
            wall_us: encode_histogram(&stats.wall_us),
            latency_ms: stats
                .latency_ms
                .iter()
                .map(|(op, h)| (op.clone(), encode_histogram(h)))
                .collect(),
        }
    }

    /// Writes `DIR/checkpoint.json` atomically.
    pub fn write(&self, dir: &Path) -> Result<(), String> {
        let path = dir.join(CHECKPOINT_FILE);
        let text = serde_json::to_string(self).expect("a checkpoint serializes");
        write_atomically(&path, text.as_bytes())
            .map_err(|e| format!("cannot write '{}': {e}", path.display()))
    }

    /// Reads `DIR/checkpoint.json`, `None` if there is none.
    pub fn read(dir: &Path) -> Result<Option<Checkpoint>, String> {
        let path = dir.join(CHECKPOINT_FILE);
        if fs::symlink_metadata(&path).is_err() {
            return Ok(None);
        }
        let text = read_regular(&path)?;
        serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| format!("'{}' is damaged: {e}", path.display()))
    }

    /// Puts the saved histograms and wall time into `stats` (whose counts come from the lines).
    pub fn restore(&self, stats: &mut SweepStats, dir: &Path) -> Result<(), String> {
        let damaged = |e: String| format!("'{}': {e}", dir.join(CHECKPOINT_FILE).display());
        stats.wall_us = decode_histogram(&self.wall_us).map_err(damaged)?;
        let mut latency = BTreeMap::new();
        for (op, text) in &self.latency_ms {
            latency.insert(op.clone(), decode_histogram(text).map_err(damaged)?);
        }
        stats.latency_ms.clear();
        stats.add_latency(&latency);
        stats.elapsed = Duration::from_secs_f64(self.elapsed_s.max(0.0));
        Ok(())
    }
}

/// What kind of entry `path` is, if it is not a regular file (`None` if it is, or is absent).
pub fn irregular_kind(path: &Path) -> Option<&'static str> {
    use std::os::unix::fs::FileTypeExt;
    let kind = fs::symlink_metadata(path).ok()?.file_type();
    if kind.is_file() {
        None
    } else if kind.is_symlink() {
        Some("symlink")
    } else if kind.is_dir() {
        Some("directory")
    } else if kind.is_fifo() {
        Some("FIFO")
    } else if kind.is_char_device() || kind.is_block_device() {
        Some("device")
    } else {
        Some("socket")
    }
}

fn read_regular(path: &Path) -> Result<String, String> {
    if let Some(kind) = irregular_kind(path) {
        return Err(format!(
            "'{}' is a {kind}, not a regular file: dst reads and writes only regular files in a sweep folder",
            path.display()
        ));
    }
    fs::read_to_string(path).map_err(|e| format!("cannot read '{}': {e}", path.display()))
}

/// Reads `seeds.jsonl` line by line; the error of an item names the file and line. A last line
/// without its newline (a writer killed mid-line) is an error too.
pub struct SeedLines {
    path: PathBuf,
    reader: BufReader<File>,
    line: usize,
    offset: u64,
    buffer: Vec<u8>,
}

impl SeedLines {
    /// Opens `DIR/seeds.jsonl`.
    pub fn open(dir: &Path) -> Result<SeedLines, String> {
        let path = dir.join(SEEDS_FILE);
        if let Some(kind) = irregular_kind(&path) {
            return Err(format!(
                "'{}' is a {kind}, not a regular file",
                path.display()
            ));
        }
        let file =
            File::open(&path).map_err(|e| format!("cannot read '{}': {e}", path.display()))?;
        Ok(SeedLines {
            path,
            reader: BufReader::new(file),
            line: 0,
            offset: 0,
            buffer: Vec::new(),
        })
    }

    /// Bytes read so far: the end of the last line returned.
    pub fn offset(&self) -> u64 {
        self.offset
    }
}

impl Iterator for SeedLines {
    type Item = Result<SeedResult, String>;

    fn next(&mut self) -> Option<Self::Item> {
        self.buffer.clear();
        let read = self.reader.read_until(b'\n', &mut self.buffer);
        self.line += 1;
        self.offset += self.buffer.len() as u64;
        let at = format!("{}:{}", self.path.display(), self.line);
        match read {
            Ok(0) => None,
            Err(e) => Some(Err(format!("cannot read {at}: {e}"))),
            Ok(_) if self.buffer.last() != Some(&b'\n') => Some(Err(format!(
                "{at}: the last line is incomplete (the sweep was killed while writing it; --resume it)"
            ))),
            Ok(_) => Some(
                serde_json::from_slice(&self.buffer)
                    .map_err(|e| format!("{at}: not a seed result: {e}")),
            ),
        }
    }
}

/// An output folder this process holds the lock of.
pub struct OutDir {
    /// The folder.
    pub path: PathBuf,
    _lock: File,
}

fn remove_if_present(path: &Path) -> Result<bool, String> {
    match fs::remove_file(path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(format!("cannot remove '{}': {e}", path.display())),
    }
}

fn is_trace_name(name: &str) -> bool {
    let stem = name
        .strip_suffix(".jsonl.tmp")
        .or_else(|| name.strip_suffix(".jsonl"));
    stem.and_then(|s| s.strip_prefix("seed-"))
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// Removes a previous sweep's files (only the names a sweep writes); true if there were any.
fn clear(dir: &Path) -> Result<bool, String> {
    let mut removed = false;
    for name in [SWEEP_FILE, SEEDS_FILE, CHECKPOINT_FILE, SUMMARY_FILE] {
        removed |= remove_if_present(&dir.join(name))?;
        removed |= remove_if_present(&dir.join(format!("{name}.tmp")))?;
    }
    let traces = dir.join(TRACES_DIR);
    match irregular_kind(&traces) {
        Some("directory") => {
            let entries = fs::read_dir(&traces)
                .map_err(|e| format!("cannot read '{}': {e}", traces.display()))?;
            for entry in entries.flatten() {
                if entry.file_name().to_str().is_some_and(is_trace_name) {
                    removed |= remove_if_present(&entry.path())?;
                }
            }
            let _ = fs::remove_dir(&traces);
        }
        Some("symlink") => removed |= remove_if_present(&traces)?,
        _ => {}
    }
    Ok(removed)
}

/// Creates `dir` if needed and takes its lock; the error says another dst holds it.
fn lock(dir: &Path) -> Result<OutDir, String> {
    if let Some(kind) = irregular_kind(dir).filter(|k| *k != "directory" && *k != "symlink") {
        return Err(format!(
            "output folder '{}' is a {kind}, not a folder",
            dir.display()
        ));
    }
    fs::create_dir_all(dir)
        .map_err(|e| format!("cannot create output folder '{}': {e}", dir.display()))?;
    let handle = File::open(dir)
        .map_err(|e| format!("cannot open output folder '{}': {e}", dir.display()))?;
    handle.try_lock().map_err(|_| {
        format!(
            "output folder '{}' is in use by another dst process; wait for it or choose another --out",
            dir.display()
        )
    })?;
    Ok(OutDir {
        path: dir.to_path_buf(),
        _lock: handle,
    })
}

/// Keeps the first `lines` lines of `DIR/seeds.jsonl` (dropping seeds the checkpoint does not
/// cover and any half-written last line) and returns their totals.
fn keep_lines(dir: &Path, lines: u64) -> Result<SweepStats, String> {
    let path = dir.join(SEEDS_FILE);
    let mut stats = SweepStats::new();
    let mut bytes = 0u64;
    if lines > 0 {
        let mut reader = SeedLines::open(dir)?;
        for _ in 0..lines {
            let result = reader.next().unwrap_or_else(|| {
                Err(format!(
                    "'{}' holds fewer seeds than its checkpoint records ({lines}): the folder was changed; run without --resume",
                    path.display()
                ))
            })?;
            stats.add_result(&result);
        }
        bytes = reader.offset();
    }
    let file = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|e| format!("cannot open '{}': {e}", path.display()))?;
    file.set_len(bytes)
        .map_err(|e| format!("cannot truncate '{}': {e}", path.display()))?;
    Ok(stats)
}

/// How an output folder was opened.
pub struct Opened {
    /// The locked folder.
    pub dir: OutDir,
    /// Totals of the seeds already done (none for a fresh sweep).
    pub done: SweepStats,
    /// Whether a previous sweep's files were removed.
    pub cleared: bool,
    /// Whether the sweep continues a previous one.
    pub resumed: bool,
}

/// Opens `dir` for the sweep of `manifest`: with `resume` and the same sweep there, keeps what
/// its checkpoint covers; otherwise removes a previous sweep's files and starts afresh.
pub fn open(dir: &Path, manifest: &Manifest, resume: bool) -> Result<Opened, String> {
    let out = lock(dir)?;
    let has_sweep = fs::symlink_metadata(dir.join(SWEEP_FILE)).is_ok();
    if resume && has_sweep {
        let previous = Manifest::read(dir)?;
        if let Err(difference) = previous.same_sweep(manifest).and_then(|()| {
            if previous.shard == manifest.shard {
                Ok(())
            } else {
                Err(format!("shards {} and {}", previous.shard, manifest.shard))
            }
        }) {
            return Err(format!(
                "cannot resume: '{}' holds another sweep ({difference}); use another --out, or drop --resume to replace it",
                dir.display()
            ));
        }
        for name in [SEEDS_FILE, SUMMARY_FILE, CHECKPOINT_FILE, TRACES_DIR] {
            let path = dir.join(name);
            if let Some(kind) =
                irregular_kind(&path).filter(|k| !(name == TRACES_DIR && *k == "directory"))
            {
                return Err(format!(
                    "cannot resume: '{}' is a {kind}; dst writes only regular files in its output folder",
                    path.display()
                ));
            }
        }
        let checkpoint = Checkpoint::read(dir)?;
        let lines = checkpoint.as_ref().map_or(0, |c| c.seeds_done);
        let mut done = keep_lines(dir, lines)?;
        if let Some(checkpoint) = &checkpoint {
            checkpoint.restore(&mut done, dir)?;
        }
        remove_if_present(&dir.join(SUMMARY_FILE))?;
        return Ok(Opened {
            dir: out,
            done,
            cleared: false,
            resumed: true,
        });
    }
    let cleared = clear(dir)?;
    let text = serde_json::to_string_pretty(manifest).expect("a manifest serializes");
    write_atomically(&dir.join(SWEEP_FILE), text.as_bytes())
        .map_err(|e| format!("cannot write '{}': {e}", dir.join(SWEEP_FILE).display()))?;
    Ok(Opened {
        dir: out,
        done: SweepStats::new(),
        cleared,
        resumed: false,
    })
}

/// Removes what a failed merge left in `dir` (its own files only).
pub fn discard(dir: &OutDir) {
    let _ = clear(&dir.path);
}

/// Reads every byte of a file that must be regular (a trace copied by a merge).
pub fn read_regular_bytes(path: &Path) -> Result<Vec<u8>, String> {
    if let Some(kind) = irregular_kind(path) {
        return Err(format!(
            "'{}' is a {kind}, not a regular file",
            path.display()
        ));
    }
    let mut bytes = Vec::new();
    File::open(path)
        .and_then(|mut f| f.read_to_end(&mut bytes))
        .map_err(|e| format!("cannot read '{}': {e}", path.display()))?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_trace_names_a_sweep_writes_are_cleared() {
        assert!(is_trace_name("seed-12.jsonl"));
        assert!(is_trace_name("seed-12.jsonl.tmp"));
        assert!(!is_trace_name("seed-.jsonl"));
        assert!(!is_trace_name("seed-1x.jsonl"));
        assert!(!is_trace_name("notes.txt"));
    }
}
