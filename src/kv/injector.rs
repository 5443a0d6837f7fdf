//! `FaultInjector`: decides, per storage operation, whether a fault fires.
//!
//! Covers every storage fault type; the rules come from the scenario. Every draw comes from the
//! two streams handed in (`faults` for whether and which, `latency` for how long), so the fault
//! sequence is a pure function of the seed, the rules and the sequence of operations.

use std::collections::BTreeMap;

use super::{FaultConfig, FaultType, KvOp};
use crate::sim::DeterministicRng;

/// A fault the injector fired on one operation. `delay_ms` is the injected delay of a
/// `storage_latency` fault (within the rule's `latency_ms_min..=latency_ms_max`), 0 otherwise.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FiredFault {
    /// Which fault fired.
    pub fault: FaultType,
    /// The injected delay in simulated ms (latency only).
    pub delay_ms: u64,
}

#[derive(Clone, Debug)]
struct Rule {
    config: FaultConfig,
    triggers: u64,
}

/// A list of fault rules with their trigger counters and two seeded streams.
///
/// Invariants: every rule validates; a rule never fires more than its `max_triggers`; while the
/// injector is inactive, or for a rule that is disabled, silent or exhausted, nothing is drawn.
#[derive(Clone, Debug)]
pub struct FaultInjector {
    faults_rng: DeterministicRng,
    latency_rng: DeterministicRng,
    rules: Vec<Rule>,
    active: bool,
    operations_seen: u64,
    triggered: BTreeMap<FaultType, u64>,
}

impl FaultInjector {
    /// An active injector over `rules`. Panics if a rule does not validate (scenarios are
    /// validated before they get here, so that is a harness bug).
    pub fn new(
        faults_rng: DeterministicRng,
        latency_rng: DeterministicRng,
        rules: Vec<FaultConfig>,
    ) -> Self {
        for rule in &rules {
            if let Err(reason) = rule.validate() {
                panic!("invalid fault rule: {reason}");
            }
        }
        FaultInjector {
            faults_rng,
            latency_rng,
            rules: rules
                .into_iter()
                .map(|config| Rule {
                    config,
                    triggers: 0,
                })
                .collect(),
            active: true,
            operations_seen: 0,
            triggered: BTreeMap::new(),
        }
    }

    /// An injector that never fires (for runs without faults).
    pub fn disabled() -> Self {
        let rng = DeterministicRng::new(0);
        FaultInjector::new(rng.fork("faults"), rng.fork("latency"), Vec::new())
    }

    /// Counts `op` and decides whether a fault fires on it. Rules are walked in order; each
    /// rule that matches `op`, has seen more than `after_operations` operations and has
    /// triggers left draws once from the faults stream with its probability. The first rule
    /// that fires wins and later rules do not draw. A latency delay is drawn from the latency
    /// stream. An inactive injector counts the operation and draws nothing.
    pub fn check(&mut self, op: KvOp) -> Option<FiredFault> {
        self.operations_seen += 1;
        if !self.active {
            return None;
        }
        let seen = self.operations_seen;
        let index = self.rules.iter().position(|rule| {
            rule.config.matches(op)
                && seen > rule.config.after_operations
                && rule
                    .config
                    .max_triggers
                    .is_none_or(|max| rule.triggers < max)
                && self.faults_rng.chance(rule.config.probability)
        })?;
        let rule = &mut self.rules[index];
        rule.triggers += 1;
        assert!(rule
            .config
            .max_triggers
            .is_none_or(|max| rule.triggers <= max));
        let fault = rule.config.fault;
        assert!(
            fault.applies_to(op),
            "{} fired on {}",
            fault.name(),
            op.name()
        );
        let delay_ms = if fault == FaultType::StorageLatency {
            self.latency_rng
                .range_inclusive_u64(rule.config.latency_ms_min, rule.config.latency_ms_max)
        } else {
            0
        };
        *self.triggered.entry(fault).or_insert(0) += 1;
        Some(FiredFault { fault, delay_ms })
    }

    /// The faults stream, for the draws that shape a fault's effect once it fired (which byte
    /// to corrupt, which key a misdirected write lands on, how much of a value survives).
    pub(crate) fn faults_stream(&mut self) -> &mut DeterministicRng {
        &mut self.faults_rng
    }

    /// Turns all injection on or off (the liveness phase turns it off).
    pub fn set_active(&mut self, active: bool) {
        self.active = active;
    }

    /// Whether injection is on.
    pub fn is_active(&self) -> bool {
        self.active
    }

    /// How many operations the injector has been asked about.
    pub fn operations_seen(&self) -> u64 {
        self.operations_seen
    }

    /// How many times `fault` has fired.
    pub fn triggered(&self, fault: FaultType) -> u64 {
        self.triggered.get(&fault).copied().unwrap_or(0)
    }

    /// How many times each fault has fired; faults that never fired are absent.
    pub fn triggered_counts(&self) -> BTreeMap<FaultType, u64> {
        self.triggered.clone()
    }
}
