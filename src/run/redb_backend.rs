//! [`Backend`] for [`RedbStorage`]: a run on a real database file in a temporary directory,
//! every commit fsynced, with the faults that can be injected above a database. A restart
//! drops the database handle (a crash already has) and reopens the file.

use std::collections::BTreeMap;

use super::backend::Backend;
use crate::bugs::BugSet;
use crate::kv::{
    ActorId, CommitMode, FaultConfig, FaultDecider, FaultType, Key, KvObserver, RedbStorage, Value,
};
use crate::sim::{DeterministicRng, KillSwitch, SimClock};

/// The planted bugs that live in `SimStorage` itself: a run on another store cannot plant them.
pub fn storage_bugs(bugs: BugSet) -> Vec<&'static str> {
    use crate::bugs::Bug;
    let in_storage = [
        Bug::TornCommit,
        Bug::OccDisabled,
        Bug::AckBeforeDurable,
        Bug::StaleReadYourWrites,
    ];
    in_storage
        .into_iter()
        .filter(|bug| bugs.has(*bug))
        .map(|bug| bug.name())
        .collect()
}

impl Backend for RedbStorage {
    fn create(
        root: &DeterministicRng,
        clock: SimClock,
        rules: Vec<FaultConfig>,
        crashes_max: u64,
        kill_switch: KillSwitch,
        bugs: BugSet,
    ) -> Self {
        assert!(
            storage_bugs(bugs).is_empty(),
            "bugs planted in SimStorage cannot be planted in redb"
        );
        let storage = RedbStorage::temporary(CommitMode::Durable, root, clock, rules, kill_switch)
            .unwrap_or_else(|e| panic!("redb: {e}"));
        storage.limit_crashes(crashes_max);
        storage
    }

    fn observe(&self, observer: KvObserver) {
        self.set_observer(observer);
    }

    fn restart(&self) {
        RedbStorage::restart(self);
    }

    fn take_durable_changes(&self, actor: &ActorId) -> Vec<(Key, Option<Value>)> {
        self.take_changes(actor)
    }

    fn durable_entries(&self, actor: &ActorId) -> Vec<(Key, Value)> {
        self.entries(actor)
    }

    fn durable_len(&self, actor: &ActorId) -> usize {
        self.entries(actor).len()
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
