//! Reading a sweep's output directory: `summary.json` (required) and `seeds.jsonl` (one line
//! per seed, for the wall-time histogram; optional). Fields the page does not use are ignored,
//! so a summary that grows keeps reading.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

/// Percentiles as `summary.json` records them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct Percentiles {
    /// Values recorded.
    pub count: u64,
    /// Median.
    pub p50: u64,
    /// 90th percentile.
    pub p90: u64,
    /// 99th percentile.
    pub p99: u64,
    /// Largest.
    pub max: u64,
}

/// A kept violation's invariant (its evidence stays in the seed's trace).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct InvariantName {
    /// Stable invariant name.
    pub invariant: String,
}

/// A failing seed as `summary.json` lists it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct Failure {
    /// The seed.
    pub seed: u64,
    /// Its kept violations.
    pub violations: Vec<InvariantName>,
    /// The line that reproduces it.
    pub repro: String,
    /// Where its trace was written, if it was.
    pub trace: Option<String>,
    /// Why no trace was written, if none was.
    pub trace_problem: Option<String>,
}

/// `summary.json`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct SweepSummary {
    /// Seeds run.
    pub total: u64,
    /// Seeds that passed.
    pub passed: u64,
    /// Seeds that failed.
    pub failed: u64,
    /// Whether the sweep stopped before every planned seed ran.
    #[serde(default)]
    pub partial: bool,
    /// The `--seeds` value.
    #[serde(default)]
    pub seeds: String,
    /// The shard, `K/N`.
    #[serde(default)]
    pub shard: String,
    /// The scenario's name.
    #[serde(default)]
    pub scenario: String,
    /// Planted bugs.
    #[serde(default)]
    pub bugs: Vec<String>,
    /// Storage calls over all seeds.
    #[serde(default)]
    pub ops: u64,
    /// Injected faults by type.
    #[serde(default)]
    pub faults_by_type: BTreeMap<String, u64>,
    /// Crashes over all seeds.
    #[serde(default)]
    pub crashes: u64,
    /// Failing seeds, in seed order (the first ones, when there were many).
    #[serde(default)]
    pub failures: Vec<Failure>,
    /// Simulated latency per storage call, ms.
    #[serde(default)]
    pub latency_ms: BTreeMap<String, Percentiles>,
    /// Wall time per seed, microseconds.
    #[serde(default)]
    pub wall_us: Percentiles,
    /// Coverage marks, when the sweep recorded them.
    #[serde(default)]
    pub coverage: Option<serde_json::Value>,
}

/// One line of `seeds.jsonl`, as far as the page uses it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct SeedLine {
    /// The seed.
    pub seed: u64,
    /// `pass` or `fail`.
    pub verdict: String,
    /// Wall time of the seed's run, microseconds.
    pub wall_us: u64,
}

/// A sweep directory, read.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepData {
    /// `summary.json`.
    pub summary: SweepSummary,
    /// `seeds.jsonl`, empty when the file is absent.
    pub seeds: Vec<SeedLine>,
}

/// Reads the sweep in `dir`; the error names the file and what is wrong with it.
pub fn read_sweep(dir: &Path) -> Result<SweepData, String> {
    let path = dir.join("summary.json");
    let text = std::fs::read_to_string(&path).map_err(|e| {
        format!(
            "sweep directory '{}' has no readable summary.json ({e}): a sweep writes it when it ends",
            dir.display()
        )
    })?;
    let summary: SweepSummary = serde_json::from_str(&text)
        .map_err(|e| format!("'{}' is not a sweep summary: {e}", path.display()))?;
    let seeds_path = dir.join("seeds.jsonl");
    let mut seeds = Vec::new();
    if let Ok(lines) = std::fs::read_to_string(&seeds_path) {
        for (number, line) in lines.lines().enumerate().filter(|(_, l)| !l.is_empty()) {
            let seed: SeedLine = serde_json::from_str(line)
                .map_err(|e| format!("'{}' line {}: {e}", seeds_path.display(), number + 1))?;
            seeds.push(seed);
        }
    }
    Ok(SweepData { summary, seeds })
}
