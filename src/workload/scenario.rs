//! Scenarios: what one seed's simulation does, as JSON (`scenarios/*.json`, all embedded).
//!
//! Parsing refuses unknown fields; validation refuses probabilities outside 0..=1, zero counts,
//! numbers beyond their bounds, unsafe names and budgets that cannot hold the run. Every error names the source (file or built-in name),
//! the line and column or the field, and the bad value.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::kv::{FaultConfig, FaultType, KvOp};

use super::op_kind::OpKind;

/// The built-in scenarios, by name, in a fixed order. `default` runs when none is named.
pub const BUILT_IN: [(&str, &str); 9] = [
    ("default", include_str!("../../scenarios/default.json")),
    ("no-faults", include_str!("../../scenarios/no-faults.json")),
    (
        "crash-heavy",
        include_str!("../../scenarios/crash-heavy.json"),
    ),
    (
        "read-faults",
        include_str!("../../scenarios/read-faults.json"),
    ),
    (
        "contention",
        include_str!("../../scenarios/contention.json"),
    ),
    (
        "corruption",
        include_str!("../../scenarios/corruption.json"),
    ),
    ("memory", include_str!("../../scenarios/memory.json")),
    (
        "many-agents",
        include_str!("../../scenarios/many-agents.json"),
    ),
    (
        "lossy-disk",
        include_str!("../../scenarios/lossy-disk.json"),
    ),
];

/// What a scenario expects of a correct system.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Expectation {
    /// Every invariant holds.
    Pass,
    /// The faults are outside the envelope: the checker must report a violation.
    Violation,
}

/// The store a scenario runs on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StoreKind {
    /// `SimStorage`: the simulated store, with every fault and crash.
    #[default]
    Sim,
    /// `MemoryKV`: the plain, fault-free store (no faults, no crashes, no latency).
    Memory,
    /// `RedbStorage`: a real database file in a temporary directory, with only the faults that
    /// can be injected above a database (latency, read fail, write fail, disk full, crashes).
    Redb,
}

/// Crash probabilities, turned into crash fault rules.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CrashConfig {
    /// Chance that a commit crashes the process mid-transaction.
    pub per_commit: f64,
    /// Chance that a single-key write crashes the process (before or after the write, evenly).
    pub per_write: f64,
    /// Most crashes in one run's safety phase, whatever their kind; 0 means none.
    pub crashes_max: u64,
}

/// Injected latency, turned into a latency fault rule.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LatencyConfig {
    /// Chance that an operation is delayed.
    pub probability: f64,
    /// Shortest delay.
    pub ms_min: u64,
    /// Longest delay.
    pub ms_max: u64,
}

/// One seed's simulation, as configured by a scenario file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Name (the file stem for built-ins).
    pub name: String,
    /// What the scenario exercises.
    pub description: String,
    /// Whether a correct system passes it.
    pub expect: Expectation,
    /// Number of agent ids the workload uses.
    pub agents: u32,
    /// Concurrent workload tasks.
    pub tasks: u32,
    /// Operations of the safety phase, over all tasks.
    pub operations: u64,
    /// Relative weight of each operation kind; missing kinds weigh 0.
    pub op_weights: BTreeMap<OpKind, u64>,
    /// Storage fault rules.
    pub faults: Vec<FaultConfig>,
    /// Crashes.
    pub crash: CrashConfig,
    /// Latency.
    pub latency: LatencyConfig,
    /// Most executor steps of the whole run.
    pub steps_max: u64,
    /// Latest simulated time of the whole run, ms.
    pub time_ms_max: u64,
    /// Whether the seed also switches fault types and operation kinds on and off (swarm).
    pub swarm: bool,
    /// Operation kinds swarm never switches off in this scenario: the ones its purpose needs
    /// (each must weigh more than 0).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub swarm_keeps: Vec<OpKind>,
    /// The store the workload runs on (`sim` when absent).
    #[serde(default, skip_serializing_if = "StoreKind::is_sim")]
    pub store: StoreKind,
}

impl StoreKind {
    /// Whether this is the simulated store (the default, left out of serialized scenarios).
    pub fn is_sim(&self) -> bool {
        *self == StoreKind::Sim
    }
}

/// A scenario that could not be loaded: where, and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioError {
    /// The file path, or `built-in NAME`.
    pub source: String,
    /// What is wrong, with the line and column or the field, and the bad value.
    pub message: String,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "scenario {}: {}", self.source, self.message)
    }
}

impl std::error::Error for ScenarioError {}

fn check_probability(field: &str, value: f64) -> Result<(), String> {
    if value.is_nan() || !(0.0..=1.0).contains(&value) {
        return Err(format!("field '{field}' is {value}, must be within 0..=1"));
    }
    Ok(())
}

impl Scenario {
    /// Parses and validates scenario JSON; `source` names it in errors.
    pub fn parse(source: &str, text: &str) -> Result<Scenario, ScenarioError> {
        let error = |message: String| ScenarioError {
            source: source.to_string(),
            message,
        };
        let scenario: Scenario = serde_json::from_str(text).map_err(|e| {
            let detail = e.to_string();
            let detail = detail
                .split(" at line ")
                .next()
                .unwrap_or(&detail)
                .to_string();
            error(format!("{source}:{}:{}: {detail}", e.line(), e.column()))
        })?;
        scenario.validate().map_err(error)?;
        Ok(scenario)
    }

    /// A built-in scenario by name.
    pub fn built_in(name: &str) -> Result<Scenario, ScenarioError> {
        let (_, text) = BUILT_IN.iter().find(|(n, _)| *n == name).ok_or_else(|| {
            let names: Vec<&str> = BUILT_IN.iter().map(|(n, _)| *n).collect();
            ScenarioError {
                source: format!("'{name}'"),
                message: format!(
                    "no built-in scenario '{name}' (built-in: {})",
                    names.join(", ")
                ),
            }
        })?;
        Scenario::parse(&format!("built-in {name}"), text)
    }

    /// A built-in name, or else a path to a JSON file.
    pub fn load(name_or_path: &str) -> Result<Scenario, ScenarioError> {
        let is_path = name_or_path.ends_with(".json") || name_or_path.contains('/');
        if !is_path {
            return Scenario::built_in(name_or_path);
        }
        let text = std::fs::read_to_string(Path::new(name_or_path)).map_err(|e| ScenarioError {
            source: name_or_path.to_string(),
            message: format!("cannot read file: {e}"),
        })?;
        Scenario::parse(name_or_path, &text)
    }

    /// The `default` scenario.
    pub fn default_scenario() -> Scenario {
        Scenario::built_in("default").expect("the built-in default scenario is valid")
    }

    /// Checks every field; the error names the field and its bad value. Every number has a
    /// bound, so no accepted scenario overflows, exhausts memory or runs for hours: see
    /// [`Scenario::LIMITS`].
    pub fn validate(&self) -> Result<(), String> {
        self.validate_text()?;
        self.validate_numbers()?;
        self.validate_weights()?;
        self.validate_faults()
    }

    /// This scenario's workload on redb: the store set to `redb` and the fault rules that
    /// cannot be injected above a real database left out. Every fault left is inside the fault
    /// envelope, so the copy expects every invariant to hold. Returns the copy and the fault
    /// types left out, in rule order, each once.
    pub fn on_redb(&self) -> (Scenario, Vec<FaultType>) {
        let mut scenario = self.clone();
        let mut dropped: Vec<FaultType> = Vec::new();
        for rule in &self.faults {
            if !crate::kv::injectable(rule.fault) && !dropped.contains(&rule.fault) {
                dropped.push(rule.fault);
            }
        }
        scenario
            .faults
            .retain(|rule| crate::kv::injectable(rule.fault));
        scenario.store = StoreKind::Redb;
        scenario.expect = Expectation::Pass;
        assert!(scenario
            .faults
            .iter()
            .all(|r| crate::kv::injectable(r.fault)));
        (scenario, dropped)
    }

    /// The name (it names files and is printed) and the description.
    fn validate_text(&self) -> Result<(), String> {
        let name_ok = |c: char| c.is_ascii_alphanumeric() || "-_.".contains(c);
        if self.name.is_empty()
            || self.name.len() > Self::NAME_LEN_MAX
            || !self.name.chars().all(name_ok)
            || self.name.starts_with('.')
        {
            return Err(format!(
                "field 'name' is {:?}: 1 to {} ASCII letters, digits, '-', '_' or '.', not starting with '.'",
                self.name,
                Self::NAME_LEN_MAX
            ));
        }
        if self.description.len() > Self::DESCRIPTION_LEN_MAX {
            return Err(format!(
                "field 'description' is {} bytes, more than {}",
                self.description.len(),
                Self::DESCRIPTION_LEN_MAX
            ));
        }
        Ok(())
    }

    /// Every field of [`Scenario::LIMITS`] within its bound (and above 0 where 0 means nothing
    /// to run), and budgets that can hold the operations.
    fn validate_numbers(&self) -> Result<(), String> {
        for (field, max) in Self::LIMITS {
            let value = self.number(field);
            if value == 0 && !field.starts_with("crash.") && !field.starts_with("latency.") {
                return Err(format!("field '{field}' is 0, must be > 0"));
            }
            if value > max {
                return Err(format!(
                    "field '{field}' is {value}, more than the most allowed, {max}"
                ));
            }
        }
        if self.steps_max < self.operations.saturating_mul(4) {
            return Err(format!(
                "field 'steps_max' is {}, below 4 steps per operation ({} operations)",
                self.steps_max, self.operations
            ));
        }
        Ok(())
    }

    /// Operation weights: bounded, not all 0, and with swarm on, one that swarm keeps on.
    fn validate_weights(&self) -> Result<(), String> {
        /// Operation kinds swarm never switches off (`swarm::ALWAYS_ON`): a swarm scenario must
        /// weigh one of them, or a seed could switch every operation off.
        const SWARM_KEEPS: [OpKind; 2] = [OpKind::CreateAgent, OpKind::Iterate];
        if let Some((kind, weight)) = self.op_weights.iter().find(|(_, w)| **w > Self::WEIGHT_MAX) {
            return Err(format!(
                "field 'op_weights.{}' is {weight}, more than the most allowed, {}",
                kind.name(),
                Self::WEIGHT_MAX
            ));
        }
        if self.op_weights.values().all(|w| *w == 0) {
            return Err("field 'op_weights' gives every operation weight 0".to_string());
        }
        let weight = |kind: &OpKind| self.op_weights.get(kind).copied().unwrap_or(0);
        if let Some(kind) = self.swarm_keeps.iter().find(|k| weight(k) == 0) {
            return Err(format!(
                "field 'swarm_keeps' names {}, which weighs 0 in 'op_weights'",
                kind.name()
            ));
        }
        if self.swarm && SWARM_KEEPS.iter().all(|k| weight(k) == 0) {
            return Err(format!(
                "field 'op_weights': with swarm on, one of {} must weigh more than 0 (swarm may switch every other operation off)",
                SWARM_KEEPS.map(OpKind::name).join(", ")
            ));
        }
        Ok(())
    }

    /// Probabilities, the latency range and the fault rules.
    fn validate_faults(&self) -> Result<(), String> {
        check_probability("crash.per_commit", self.crash.per_commit)?;
        check_probability("crash.per_write", self.crash.per_write)?;
        check_probability("latency.probability", self.latency.probability)?;
        if self.latency.ms_min > self.latency.ms_max {
            return Err(format!(
                "field 'latency.ms_min' {} exceeds 'latency.ms_max' {}",
                self.latency.ms_min, self.latency.ms_max
            ));
        }
        if self.faults.len() > Self::FAULT_RULES_MAX {
            return Err(format!(
                "field 'faults' has {} rules, more than {}",
                self.faults.len(),
                Self::FAULT_RULES_MAX
            ));
        }
        let faultless = self.faults.is_empty()
            && self.crash.per_commit == 0.0
            && self.crash.per_write == 0.0
            && self.crash.crashes_max == 0
            && self.latency.probability == 0.0;
        if self.store == StoreKind::Memory && !faultless {
            return Err(
                "field 'store' is 'memory', which injects no faults: 'faults' must be empty and \
                 'crash' and 'latency' all 0"
                    .to_string(),
            );
        }
        for (i, rule) in self.faults.iter().enumerate() {
            rule.validate().map_err(|e| format!("faults[{i}]: {e}"))?;
            if self.store == StoreKind::Redb && !crate::kv::injectable(rule.fault) {
                return Err(format!(
                    "faults[{i}]: {} cannot be injected above a real database (store 'redb')",
                    rule.fault.name()
                ));
            }
            if rule.fault.is_crash() || rule.fault == FaultType::StorageLatency {
                return Err(format!(
                    "faults[{i}]: {} is configured by the 'crash' and 'latency' fields, not as a rule",
                    rule.fault.name()
                ));
            }
            if rule.latency_ms_max > 0 || rule.latency_ms_min > 0 {
                return Err(format!(
                    "faults[{i}]: latency_ms_min and latency_ms_max apply to latency, set by the 'latency' field"
                ));
            }
        }
        Ok(())
    }

    /// Longest scenario name, bytes.
    pub const NAME_LEN_MAX: usize = 64;
    /// Longest description, bytes.
    pub const DESCRIPTION_LEN_MAX: usize = 4096;
    /// Heaviest operation weight (swarm triples weights; sums stay far from overflow).
    pub const WEIGHT_MAX: u64 = 1_000_000;
    /// Most fault rules.
    pub const FAULT_RULES_MAX: usize = 64;
    /// The bound of every numeric field, by field name. `agents` and `tasks` bound the
    /// identifiers and tasks kept in memory, `operations` and `steps_max` the work of a seed
    /// (the default scenario's 1,500 operations take about 20 ms), `time_ms_max` the simulated
    /// clock, `crash.crashes_max` the restarts, `latency.ms_max` one delay.
    pub const LIMITS: [(&'static str, u64); 8] = [
        ("agents", 1_000),
        ("tasks", 256),
        ("operations", 1_000_000),
        ("steps_max", 100_000_000),
        ("time_ms_max", 30 * 24 * 3_600_000),
        ("crash.crashes_max", 1_000),
        ("latency.ms_min", 60_000),
        ("latency.ms_max", 60_000),
    ];

    /// The value of a field named in [`Scenario::LIMITS`].
    fn number(&self, field: &str) -> u64 {
        match field {
            "agents" => u64::from(self.agents),
            "tasks" => u64::from(self.tasks),
            "operations" => self.operations,
            "steps_max" => self.steps_max,
            "time_ms_max" => self.time_ms_max,
            "crash.crashes_max" => self.crash.crashes_max,
            "latency.ms_min" => self.latency.ms_min,
            "latency.ms_max" => self.latency.ms_max,
            other => unreachable!("no numeric field '{other}'"),
        }
    }

    /// The full fault rule list: the scenario's rules, then latency, then crashes. Crash rules
    /// come last so a crash never masks another fault's draw. `crash.crashes_max` bounds the
    /// crashes of all these rules together (the injector's crash budget), not each rule.
    pub fn fault_rules(&self) -> Vec<FaultConfig> {
        let mut rules = self.faults.clone();
        if self.latency.probability > 0.0 {
            rules.push(
                FaultConfig::new(FaultType::StorageLatency, self.latency.probability)
                    .latency_ms(self.latency.ms_min, self.latency.ms_max),
            );
        }
        if self.crash.per_commit > 0.0 {
            rules.push(FaultConfig::new(
                FaultType::CrashDuringTransaction,
                self.crash.per_commit,
            ));
        }
        if self.crash.per_write > 0.0 {
            let half = self.crash.per_write / 2.0;
            for fault in [FaultType::CrashBeforeWrite, FaultType::CrashAfterWrite] {
                rules.push(FaultConfig::new(fault, half).on(&[
                    KvOp::Set,
                    KvOp::Delete,
                    KvOp::Commit,
                ]));
            }
        }
        rules
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_built_in_scenario_parses_and_validates() {
        for (name, _) in BUILT_IN {
            let scenario = Scenario::built_in(name).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(scenario.name, name);
        }
        assert_eq!(Scenario::default_scenario().name, "default");
    }

    #[test]
    fn unknown_fields_are_refused_with_line_and_column() {
        let text = "{\"name\": \"x\",\n  \"bogus_field\": 1}";
        let err = Scenario::parse("my.json", text).unwrap_err();
        assert!(err.message.contains("my.json:2:"), "{err}");
        assert!(err.message.contains("bogus_field"), "{err}");
    }

    #[test]
    fn bad_values_are_refused_naming_field_and_value() {
        let mut scenario = Scenario::default_scenario();
        scenario.crash.per_commit = 1.5;
        let err = scenario.validate().unwrap_err();
        assert!(
            err.contains("crash.per_commit") && err.contains("1.5"),
            "{err}"
        );
        let mut scenario = Scenario::default_scenario();
        scenario.tasks = 0;
        assert!(scenario.validate().unwrap_err().contains("'tasks' is 0"));
        let unknown = Scenario::built_in("nope").unwrap_err();
        assert!(unknown.message.contains("nope") && unknown.message.contains("default"));
    }
}
