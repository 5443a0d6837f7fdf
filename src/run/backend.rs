//! [`Backend`]: the store a run drives, and what the run loop needs of it beyond `ActorKV`:
//! create it from the seed, restart the process over what is durable, read the durable state
//! for the checks, switch faults off, count them, and report faults and conflicts.
//!
//! [`SimStorage`] is the simulated store with every fault and crash; [`MemoryKV`] the plain,
//! fault-free one (everything it holds is durable, a restart loses nothing).

use std::collections::BTreeMap;

use crate::bugs::BugSet;
use crate::kv::{
    ActorId, ActorKV, FaultConfig, FaultDecider, FaultType, Key, KvObserver, MemoryKV, SimStorage,
    Value,
};
use crate::sim::{DeterministicRng, KillSwitch, SimClock};

/// A store a run can drive. Cheap to clone (clones share the store).
pub trait Backend: ActorKV + Clone + 'static {
    /// The store for one seed: `root` is the seed's stream (to fork named streams from),
    /// `rules` the fault rules in force, `crashes_max` the crash budget.
    fn create(
        root: &DeterministicRng,
        clock: SimClock,
        rules: Vec<FaultConfig>,
        crashes_max: u64,
        kill_switch: KillSwitch,
        bugs: BugSet,
    ) -> Self;
    /// Reports every fault and conflict from now on to `observer`.
    fn observe(&self, observer: KvObserver);
    /// A fresh process starts over what was durable.
    fn restart(&self);
    /// The durable entries of `actor` changed since the last call, each once with its value
    /// now, in an order that depends only on the keys (not necessarily ascending).
    fn take_durable_changes(&self, actor: &ActorId) -> Vec<(Key, Option<Value>)>;
    /// Every durable entry of `actor`, ascending by key.
    fn durable_entries(&self, actor: &ActorId) -> Vec<(Key, Value)>;
    /// How many keys of `actor` are durable.
    fn durable_len(&self, actor: &ActorId) -> usize;
    /// Turns fault injection off for good (the liveness phase).
    fn stop_faults(&self);
    /// How many times each fault fired.
    fn fault_counts(&self) -> BTreeMap<FaultType, u64>;
    /// Lets `decider` record or override which fault rule fires on each operation. A store
    /// that injects no faults has nothing to decide and ignores it.
    fn decide_faults(&self, decider: FaultDecider) {
        let _ = decider;
    }
}

impl Backend for SimStorage {
    fn create(
        root: &DeterministicRng,
        clock: SimClock,
        rules: Vec<FaultConfig>,
        crashes_max: u64,
        kill_switch: KillSwitch,
        bugs: BugSet,
    ) -> Self {
        let storage = SimStorage::seeded(root, clock, rules, kill_switch, bugs);
        storage.limit_crashes(crashes_max);
        storage
    }

    fn observe(&self, observer: KvObserver) {
        self.set_observer(observer);
    }

    fn restart(&self) {
        SimStorage::restart(self);
    }

    fn take_durable_changes(&self, actor: &ActorId) -> Vec<(Key, Option<Value>)> {
        SimStorage::take_durable_changes(self, actor)
    }

    fn durable_entries(&self, actor: &ActorId) -> Vec<(Key, Value)> {
        SimStorage::durable_entries(self, actor)
    }

    fn durable_len(&self, actor: &ActorId) -> usize {
        SimStorage::durable_len(self, actor)
    }

    fn stop_faults(&self) {
        self.set_faults_active(false);
    }

    fn fault_counts(&self) -> BTreeMap<FaultType, u64> {
        self.injector_counts()
    }

    fn decide_faults(&self, decider: FaultDecider) {
        self.set_fault_decider(decider);
    }
}

impl Backend for MemoryKV {
    fn create(
        _root: &DeterministicRng,
        _clock: SimClock,
        rules: Vec<FaultConfig>,
        crashes_max: u64,
        _kill_switch: KillSwitch,
        _bugs: BugSet,
    ) -> Self {
        assert!(rules.is_empty(), "the memory store injects no faults");
        assert_eq!(crashes_max, 0, "the memory store never crashes");
        MemoryKV::tracked()
    }

    fn observe(&self, observer: KvObserver) {
        self.set_observer(observer);
    }

    fn restart(&self) {}

    fn take_durable_changes(&self, actor: &ActorId) -> Vec<(Key, Option<Value>)> {
        self.take_changes(actor)
    }

    fn durable_entries(&self, actor: &ActorId) -> Vec<(Key, Value)> {
        self.entries(actor)
    }

    fn durable_len(&self, actor: &ActorId) -> usize {
        self.entries(actor).len()
    }

    fn stop_faults(&self) {}

    fn fault_counts(&self) -> BTreeMap<FaultType, u64> {
        BTreeMap::new()
    }
}
