//! Swarm testing (as in TigerBeetle's VOPR): each seed switches whole fault types, operation
//! kinds and adversarial identifier classes off and reweights the rest, so rare combinations
//! get explored across a sweep.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::kv::{FaultConfig, FaultType};
use crate::sim::DeterministicRng;

use super::{IdClasses, OpKind, Scenario};

/// What swarm testing chose for a seed: whole fault types and operation kinds switched off,
/// the operation weights in force, and the adversarial identifier classes on.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SwarmOptions {
    /// Whether swarm testing was on.
    pub enabled: bool,
    /// Fault types switched off for this seed.
    pub faults_off: Vec<FaultType>,
    /// Operation kinds switched off for this seed.
    pub ops_off: Vec<OpKind>,
    /// The operation weights in force.
    pub op_weights: BTreeMap<OpKind, u64>,
    /// The adversarial identifier classes on for this seed.
    pub ids: IdClasses,
}

/// Operation kinds swarm never switches off: without them a run does nothing worth checking.
const ALWAYS_ON: [OpKind; 2] = [OpKind::CreateAgent, OpKind::Iterate];

/// Chooses this seed's options from the `swarm` stream, and returns them with the fault rules
/// in force. Without swarm, the scenario's weights and rules stand unchanged.
pub fn choose_swarm(
    scenario: &Scenario,
    mut rng: DeterministicRng,
) -> (SwarmOptions, Vec<FaultConfig>) {
    let mut rules = scenario.fault_rules();
    let mut options = SwarmOptions {
        enabled: scenario.swarm,
        op_weights: OpKind::ALL
            .iter()
            .map(|k| (*k, scenario.op_weights.get(k).copied().unwrap_or(0)))
            .collect(),
        ..SwarmOptions::default()
    };
    if !scenario.swarm {
        return (options, rules);
    }
    let mut fault_types: Vec<_> = rules.iter().map(|r| r.fault).collect();
    fault_types.dedup();
    for fault in fault_types {
        if rng.chance(0.25) {
            options.faults_off.push(fault);
        }
    }
    rules.retain(|r| !options.faults_off.contains(&r.fault));
    for (kind, weight) in options.op_weights.iter_mut() {
        let multiplier = rng.range_inclusive_u64(1, 3);
        let drawn_off = !ALWAYS_ON.contains(kind) && *weight > 0 && rng.chance(0.2);
        if drawn_off && !scenario.swarm_keeps.contains(kind) {
            options.ops_off.push(*kind);
            *weight = 0;
        } else {
            *weight *= multiplier;
        }
    }
    assert!(
        options.op_weights.values().any(|w| *w > 0),
        "swarm keeps some operation on"
    );
    options.ids = IdClasses {
        prefixes: rng.chance(0.5),
        unusual_chars: rng.chance(0.5),
        at_length_limit: rng.chance(0.5),
        invalid: rng.chance(0.5),
        unordered_messages: rng.chance(0.5),
    };
    (options, rules)
}
