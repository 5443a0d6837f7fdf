//! The four planted storage bugs each change `SimStorage` exactly as `bugs.rs` describes, and
//! the same scenario without the bug behaves correctly.

use crate::support;

use dst::kv::FaultEffect;
use dst::kv::KvError;
use dst::{ActorKV, ActorTransaction, Bug, BugSet, FaultConfig, FaultType};
use support::{actor, entries, run, shared_key, value, Sim};

fn planted(bug: Bug, rules: Vec<FaultConfig>, seed: u64) -> Sim {
    let sim = Sim::new(seed, rules, BugSet::of(&[bug]));
    sim.arm();
    sim
}

#[test]
fn ack_before_durable_loses_acknowledged_writes_in_a_crash() {
    let sim = planted(Bug::AckBeforeDurable, Vec::new(), 1);
    let a = actor("a");
    run(sim.storage.set(&a, &shared_key(b"k"), value(b"v"))).unwrap();
    let mut txn = run(sim.storage.begin_transaction(&a)).unwrap();
    run(txn.set(&shared_key(b"t"), value(b"1"))).unwrap();
    run(txn.commit()).unwrap();
    assert_eq!(
        sim.storage.visible_entries(&a),
        entries(&[("k", "v"), ("t", "1")])
    );
    assert!(sim.storage.durable_entries(&a).is_empty());
    sim.storage.restart();
    assert!(run(sim.storage.scan_prefix(&a, b"")).unwrap().is_empty());

    let correct = Sim::new(1, Vec::new(), BugSet::none());
    run(correct.storage.set(&a, &shared_key(b"k"), value(b"v"))).unwrap();
    assert_eq!(correct.storage.durable_entries(&a), entries(&[("k", "v")]));
}

/// Commits `a, b, c` under a crash during commit; returns the keys that became durable.
fn torn(seed: u64) -> Vec<Vec<u8>> {
    let rule = FaultConfig::new(FaultType::CrashDuringTransaction, 1.0);
    let sim = planted(Bug::TornCommit, vec![rule], seed);
    let a = actor("a");
    let mut txn = run(sim.storage.begin_transaction(&a)).unwrap();
    for key in [b"a", b"b", b"c"] {
        run(txn.set(&shared_key(key), value(b"v"))).unwrap();
    }
    assert!(run(txn.commit()).is_err());
    let durable: Vec<Vec<u8>> = sim
        .storage
        .durable_entries(&a)
        .into_iter()
        .map(|(k, _)| k.to_vec())
        .collect();
    assert_eq!(
        sim.seen()[0].effect,
        FaultEffect::Crashed {
            applied: durable.clone()
        }
    );
    durable
}

#[test]
fn torn_commit_applies_a_strict_non_empty_prefix() {
    let outcomes: Vec<Vec<Vec<u8>>> = (0..32).map(torn).collect();
    let (a, ab) = (vec![b"a".to_vec()], vec![b"a".to_vec(), b"b".to_vec()]);
    assert!(
        outcomes.iter().all(|keys| *keys == a || *keys == ab),
        "{outcomes:?}"
    );
    assert!(outcomes.contains(&a) && outcomes.contains(&ab));
}

#[test]
fn occ_disabled_commits_over_a_changed_read_set() {
    let a = actor("a");
    let lost_update = |bugs: BugSet| {
        let sim = Sim::new(1, Vec::new(), bugs);
        run(sim.storage.set(&a, &shared_key(b"n"), value(b"1"))).unwrap();
        let mut txn = run(sim.storage.begin_transaction(&a)).unwrap();
        run(txn.get(b"n")).unwrap();
        run(txn.set(&shared_key(b"n"), value(b"2"))).unwrap();
        run(sim.storage.set(&a, &shared_key(b"n"), value(b"concurrent"))).unwrap();
        (run(txn.commit()), sim.storage.visible_entries(&a))
    };
    let (result, state) = lost_update(BugSet::of(&[Bug::OccDisabled]));
    assert_eq!(result, Ok(()));
    assert_eq!(state, entries(&[("n", "2")]));
    let (result, state) = lost_update(BugSet::none());
    let conflict = KvError::Conflict { key: b"n".to_vec() };
    assert_eq!(result, Err(conflict));
    assert_eq!(state, entries(&[("n", "concurrent")]));
}

#[test]
fn stale_read_your_writes_reads_the_store_instead_of_the_buffer() {
    let a = actor("a");
    let read_back = |bugs: BugSet| {
        let sim = Sim::new(1, Vec::new(), bugs);
        run(sim.storage.set(&a, &shared_key(b"k"), value(b"stored"))).unwrap();
        let mut txn = run(sim.storage.begin_transaction(&a)).unwrap();
        run(txn.set(&shared_key(b"k"), value(b"buffered"))).unwrap();
        run(txn.set(&shared_key(b"fresh"), value(b"buffered"))).unwrap();
        (run(txn.get(b"k")).unwrap(), run(txn.get(b"fresh")).unwrap())
    };
    let stale = read_back(BugSet::of(&[Bug::StaleReadYourWrites]));
    assert_eq!(stale, (Some(value(b"stored")), None));
    let correct = read_back(BugSet::none());
    assert_eq!(
        correct,
        (Some(value(b"buffered")), Some(value(b"buffered")))
    );
}
