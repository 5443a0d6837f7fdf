//! One test per storage fault type: its exact effect on the visible and durable maps, on what
//! the caller sees, and on what the fault observer hears. Plus the all-or-nothing outcome of a
//! crash during commit over many seeds, and "a dead process never completes an operation".

use crate::support;

use std::pin::pin;
use std::task::Poll;

use dst::kv::{FaultEffect, InjectedFault, KvError, KvOp};
use dst::{ActorKV, ActorTransaction, BugSet, FaultConfig, FaultType};
use support::{actor, entries, keys, poll_once, run, shared_key, value, Entries, Sim};

fn injected(fault: FaultType, op: KvOp, key: &str) -> KvError {
    KvError::FaultInjected {
        fault,
        op,
        key: key.as_bytes().to_vec(),
    }
}

fn report(fault: FaultType, op: KvOp, key: &str, effect: FaultEffect) -> InjectedFault {
    InjectedFault {
        fault,
        op,
        key: key.as_bytes().to_vec(),
        effect,
    }
}

/// Storage holding `k = old` (and `other = x`) durably, with `rule` armed afterwards.
fn seeded(rule: FaultConfig) -> Sim {
    let sim = Sim::with_rule(rule);
    run(sim
        .storage
        .set(&actor("a"), &shared_key(b"k"), value(b"old")))
    .unwrap();
    run(sim
        .storage
        .set(&actor("a"), &shared_key(b"other"), value(b"x")))
    .unwrap();
    sim.arm();
    sim
}

/// (visible, durable) entries of actor `a`.
fn both(sim: &Sim) -> (Entries, Entries) {
    let a = actor("a");
    (
        sim.storage.visible_entries(&a),
        sim.storage.durable_entries(&a),
    )
}

const UNTOUCHED: &[(&str, &str)] = &[("k", "old"), ("other", "x")];

#[test]
fn storage_write_fail_writes_nothing() {
    let sim = seeded(FaultConfig::new(FaultType::StorageWriteFail, 1.0));
    let result = run(sim
        .storage
        .set(&actor("a"), &shared_key(b"k"), value(b"new")));
    assert_eq!(
        result,
        Err(injected(FaultType::StorageWriteFail, KvOp::Set, "k"))
    );
    assert!(dst::StorageError::from(result.unwrap_err()).is_retriable());
    assert_eq!(both(&sim), (entries(UNTOUCHED), entries(UNTOUCHED)));
    let expected = report(
        FaultType::StorageWriteFail,
        KvOp::Set,
        "k",
        FaultEffect::Failed,
    );
    assert_eq!(sim.seen(), vec![expected]);
}

#[test]
fn disk_full_writes_nothing() {
    let sim = seeded(FaultConfig::new(FaultType::DiskFull, 1.0));
    let result = run(sim.storage.delete(&actor("a"), &shared_key(b"k")));
    assert_eq!(
        result,
        Err(injected(FaultType::DiskFull, KvOp::Delete, "k"))
    );
    assert_eq!(both(&sim), (entries(UNTOUCHED), entries(UNTOUCHED)));
    let expected = report(FaultType::DiskFull, KvOp::Delete, "k", FaultEffect::Failed);
    assert_eq!(sim.seen(), vec![expected]);
}

#[test]
fn storage_read_fail_reads_nothing() {
    let sim = seeded(FaultConfig::new(FaultType::StorageReadFail, 1.0));
    let result = run(sim.storage.get(&actor("a"), b"k"));
    assert_eq!(
        result,
        Err(injected(FaultType::StorageReadFail, KvOp::Get, "k"))
    );
    let scan = run(sim.storage.scan_prefix(&actor("a"), b"o"));
    assert_eq!(
        scan,
        Err(injected(FaultType::StorageReadFail, KvOp::ScanPrefix, "o"))
    );
    assert_eq!(both(&sim), (entries(UNTOUCHED), entries(UNTOUCHED)));
    assert_eq!(sim.seen().len(), 2);
    assert!(sim.seen().iter().all(|f| f.effect == FaultEffect::Failed));
}

#[test]
fn storage_corruption_flips_one_byte_of_what_is_read_only() {
    let sim = seeded(FaultConfig::new(FaultType::StorageCorruption, 1.0));
    let a = actor("a");
    let read = run(sim.storage.get(&a, b"k")).unwrap().unwrap();
    assert_eq!(read.len(), 3);
    let differing = read.iter().zip(b"old").filter(|(x, y)| x != y).count();
    assert_eq!(differing, 1, "exactly one byte flipped: {read:?}");
    let scanned = run(sim.storage.scan_prefix(&a, b"")).unwrap();
    let intact = entries(UNTOUCHED);
    let corrupted: Vec<_> = scanned
        .iter()
        .zip(&intact)
        .filter(|(x, y)| x != y)
        .collect();
    assert_eq!(corrupted.len(), 1, "a scan corrupts one entry");
    assert_eq!(corrupted[0].0 .0, corrupted[0].1 .0, "keys stay intact");
    sim.storage.set_faults_active(false);
    run(sim.storage.set(&a, &shared_key(b"empty"), value(b""))).unwrap();
    sim.arm();
    assert_eq!(
        run(sim.storage.get(&a, b"empty")).unwrap().unwrap().len(),
        1
    );
    assert_eq!(run(sim.storage.get(&a, b"absent")).unwrap(), None);
    assert!(run(sim.storage.exists(&a, b"k")).unwrap());
    let stored = entries(&[("empty", ""), ("k", "old"), ("other", "x")]);
    assert_eq!(both(&sim), (stored.clone(), stored));
    let seen = sim.seen();
    assert_eq!(seen.len(), 5);
    assert_eq!(
        seen[0],
        report(
            FaultType::StorageCorruption,
            KvOp::Get,
            "k",
            FaultEffect::CorruptedRead
        )
    );
    assert!(seen.iter().all(|f| f.effect == FaultEffect::CorruptedRead));
}

#[test]
fn storage_latency_waits_on_the_simulated_clock() {
    let rule = FaultConfig::new(FaultType::StorageLatency, 1.0)
        .latency_ms(5, 5)
        .on(&[KvOp::Get]);
    let sim = seeded(rule);
    let a = actor("a");
    let mut read = pin!(sim.storage.get(&a, b"k"));
    assert_eq!(
        poll_once(read.as_mut()),
        Poll::Pending,
        "every call yields first"
    );
    assert_eq!(poll_once(read.as_mut()), Poll::Pending);
    assert_eq!(sim.clock.pending_timers(), 1);
    assert_eq!(sim.clock.fire_next(), Some(5));
    assert_eq!(
        poll_once(read.as_mut()),
        Poll::Ready(Ok(Some(value(b"old"))))
    );
    let delayed = FaultEffect::Delayed { delay_ms: 5 };
    assert_eq!(
        sim.seen(),
        vec![report(FaultType::StorageLatency, KvOp::Get, "k", delayed)]
    );
    assert_eq!(both(&sim), (entries(UNTOUCHED), entries(UNTOUCHED)));
}

#[test]
fn crash_before_write_writes_nothing_and_kills_the_process() {
    let sim = seeded(FaultConfig::new(FaultType::CrashBeforeWrite, 1.0));
    let a = actor("a");
    let result = run(sim.storage.set(&a, &shared_key(b"k"), value(b"new")));
    assert_eq!(
        result,
        Err(injected(FaultType::CrashBeforeWrite, KvOp::Set, "k"))
    );
    assert!(sim.storage.is_crashed() && sim.kill_switch.is_triggered());
    assert_eq!(both(&sim), (entries(UNTOUCHED), entries(UNTOUCHED)));
    let crashed = FaultEffect::Crashed { applied: vec![] };
    assert_eq!(
        sim.seen(),
        vec![report(FaultType::CrashBeforeWrite, KvOp::Set, "k", crashed)]
    );
    assert_eq!(poll_once(pin!(sim.storage.get(&a, b"k"))), Poll::Pending);
    assert!(poll_once(pin!(sim.storage.begin_transaction(&a))).is_pending());
    sim.storage.restart();
    sim.storage.set_faults_active(false);
    assert_eq!(run(sim.storage.get(&a, b"k")).unwrap(), Some(value(b"old")));
}

#[test]
fn crash_after_write_lands_durably_and_kills_the_process() {
    let sim = seeded(FaultConfig::new(FaultType::CrashAfterWrite, 1.0));
    let a = actor("a");
    let result = run(sim.storage.set(&a, &shared_key(b"k"), value(b"new")));
    assert_eq!(
        result,
        Err(injected(FaultType::CrashAfterWrite, KvOp::Set, "k"))
    );
    assert!(sim.storage.is_crashed());
    let after = entries(&[("k", "new"), ("other", "x")]);
    assert_eq!(both(&sim), (after.clone(), after.clone()));
    let crashed = FaultEffect::Crashed {
        applied: vec![b"k".to_vec()],
    };
    assert_eq!(
        sim.seen(),
        vec![report(FaultType::CrashAfterWrite, KvOp::Set, "k", crashed)]
    );
    assert_eq!(
        poll_once(pin!(sim.storage.set(&a, &shared_key(b"x"), value(b"y")))),
        Poll::Pending
    );
    sim.storage.restart();
    assert!(!sim.storage.is_crashed());
    assert_eq!(sim.storage.visible_entries(&a), after);
}

/// Commits `a, b, c` under a crash during commit with `seed`; returns the durable keys.
fn crashed_commit(seed: u64, bugs: BugSet) -> Vec<Vec<u8>> {
    let rule = FaultConfig::new(FaultType::CrashDuringTransaction, 1.0);
    let sim = Sim::new(seed, vec![rule], bugs);
    sim.arm();
    let a = actor("a");
    let mut txn = run(sim.storage.begin_transaction(&a)).unwrap();
    for key in [b"a", b"b", b"c"] {
        run(txn.set(&shared_key(key), value(b"v"))).unwrap();
    }
    let result = run(txn.commit());
    assert_eq!(
        result,
        Err(injected(
            FaultType::CrashDuringTransaction,
            KvOp::Commit,
            "a"
        ))
    );
    assert!(sim.storage.is_crashed());
    let (visible, durable) = both(&sim);
    assert_eq!(visible, durable, "a crash during commit writes durably");
    let keys: Vec<Vec<u8>> = durable.into_iter().map(|(k, _)| k.to_vec()).collect();
    let seen = sim.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(
        seen[0].effect,
        FaultEffect::Crashed {
            applied: keys.clone()
        }
    );
    keys
}

#[test]
fn crash_during_transaction_lands_whole_or_not_at_all() {
    let outcomes: Vec<usize> = (0..64)
        .map(|seed| crashed_commit(seed, BugSet::none()).len())
        .collect();
    assert!(
        outcomes.iter().all(|n| *n == 0 || *n == 3),
        "never partial: {outcomes:?}"
    );
    assert!(
        outcomes.contains(&0) && outcomes.contains(&3),
        "both outcomes occur"
    );
    assert_eq!(
        outcomes,
        (0..64)
            .map(|seed| crashed_commit(seed, BugSet::none()).len())
            .collect::<Vec<_>>()
    );
}

#[test]
fn misdirected_write_lands_under_another_key() {
    let sim = seeded(FaultConfig::new(FaultType::MisdirectedWrite, 1.0));
    let a = actor("a");
    run(sim.storage.set(&a, &shared_key(b"k"), value(b"new"))).unwrap();
    let after = entries(&[("k", "old"), ("other", "new")]);
    assert_eq!(both(&sim), (after.clone(), after));
    let landed = FaultEffect::Misdirected {
        landed_at: b"other".to_vec(),
    };
    assert_eq!(
        sim.seen(),
        vec![report(FaultType::MisdirectedWrite, KvOp::Set, "k", landed)]
    );

    let lonely = actor("lonely");
    run(sim.storage.set(&lonely, &shared_key(b"k"), value(b"v"))).unwrap();
    let only = entries(&[("k#misdirected", "v")]);
    assert_eq!(sim.storage.durable_entries(&lonely), only);
}

#[test]
fn misdirected_write_in_a_commit_moves_one_write() {
    let sim = seeded(FaultConfig::new(FaultType::MisdirectedWrite, 1.0));
    let a = actor("a");
    let mut txn = run(sim.storage.begin_transaction(&a)).unwrap();
    run(txn.set(&shared_key(b"n1"), value(b"1"))).unwrap();
    run(txn.set(&shared_key(b"n2"), value(b"2"))).unwrap();
    run(txn.commit()).unwrap();
    let seen = sim.seen();
    assert_eq!(seen.len(), 1);
    let FaultEffect::Misdirected { landed_at } = &seen[0].effect else {
        panic!("unexpected effect {:?}", seen[0].effect)
    };
    let (visible, durable) = both(&sim);
    assert_eq!(visible, durable);
    let missed = &seen[0].key;
    assert!(
        visible.iter().all(|(k, _)| **k != **missed),
        "intended key unchanged (absent)"
    );
    assert!(visible.iter().any(|(k, _)| **k == **landed_at));
    assert_eq!(
        visible.len(),
        3,
        "k, other and the one write that landed right"
    );
}

#[test]
fn partial_write_stores_a_strictly_shorter_value() {
    let sim = seeded(FaultConfig::new(FaultType::PartialWrite, 1.0));
    let a = actor("a");
    run(sim
        .storage
        .set(&a, &shared_key(b"k"), value(b"hello world")))
    .unwrap();
    let (visible, durable) = both(&sim);
    assert_eq!(visible, durable);
    let stored = &visible[0].1;
    assert!(stored.len() < 11 && b"hello world".starts_with(stored));
    let truncated = FaultEffect::Truncated {
        kept_len: stored.len(),
    };
    assert_eq!(
        sim.seen(),
        vec![report(FaultType::PartialWrite, KvOp::Set, "k", truncated)]
    );
}

#[test]
fn fsync_fail_is_visible_not_durable_and_an_error() {
    let sim = seeded(FaultConfig::new(FaultType::FsyncFail, 1.0));
    let a = actor("a");
    let result = run(sim.storage.set(&a, &shared_key(b"k"), value(b"new")));
    assert_eq!(result, Err(injected(FaultType::FsyncFail, KvOp::Set, "k")));
    let visible = entries(&[("k", "new"), ("other", "x")]);
    assert_eq!(both(&sim), (visible, entries(UNTOUCHED)));
    let lost = FaultEffect::NotDurable {
        keys: vec![b"k".to_vec()],
    };
    assert_eq!(
        sim.seen(),
        vec![report(FaultType::FsyncFail, KvOp::Set, "k", lost)]
    );
    sim.storage.restart();
    assert_eq!(sim.storage.visible_entries(&a), entries(UNTOUCHED));
}

#[test]
fn unflushed_loss_is_acknowledged_then_lost() {
    let sim = seeded(FaultConfig::new(FaultType::UnflushedLoss, 1.0).on(&[KvOp::Commit]));
    let a = actor("a");
    let mut txn = run(sim.storage.begin_transaction(&a)).unwrap();
    run(txn.set(&shared_key(b"k"), value(b"new"))).unwrap();
    run(txn.delete(&shared_key(b"other"))).unwrap();
    run(txn.commit()).unwrap();
    assert_eq!(both(&sim), (entries(&[("k", "new")]), entries(UNTOUCHED)));
    let keys = vec![b"k".to_vec(), b"other".to_vec()];
    let lost = FaultEffect::NotDurable { keys };
    assert_eq!(
        sim.seen(),
        vec![report(FaultType::UnflushedLoss, KvOp::Commit, "k", lost)]
    );
    sim.storage.restart();
    assert_eq!(sim.storage.visible_entries(&a), entries(UNTOUCHED));
}

#[test]
fn counts_follow_what_fired() {
    let sim = seeded(FaultConfig::new(FaultType::StorageReadFail, 1.0).max_triggers(2));
    for _ in 0..3 {
        let _ = run(sim.storage.exists(&actor("a"), b"k"));
    }
    let counts = sim.storage.injector_counts();
    assert_eq!(counts.get(&FaultType::StorageReadFail), Some(&2));
    assert_eq!(sim.seen().len(), 2);
}

#[test]
fn transaction_reads_of_unbuffered_keys_and_commits_are_faultable() {
    let rules = vec![
        FaultConfig::new(FaultType::StorageReadFail, 1.0).on(&[KvOp::TxnGet, KvOp::TxnScan]),
        FaultConfig::new(FaultType::StorageWriteFail, 1.0),
    ];
    let sim = Sim::new(1, rules, BugSet::none());
    sim.arm();
    let a = actor("a");
    let mut txn = run(sim.storage.begin_transaction(&a)).unwrap();
    run(txn.set(&shared_key(b"k"), value(b"buffered"))).unwrap();
    assert_eq!(run(txn.get(b"k")).unwrap(), Some(value(b"buffered")));
    let read = run(txn.get(b"j"));
    assert_eq!(
        read,
        Err(injected(FaultType::StorageReadFail, KvOp::TxnGet, "j"))
    );
    let scan = run(txn.list_keys(b"p"));
    assert_eq!(
        scan,
        Err(injected(FaultType::StorageReadFail, KvOp::TxnScan, "p"))
    );
    let commit = run(txn.commit());
    assert_eq!(
        commit,
        Err(injected(FaultType::StorageWriteFail, KvOp::Commit, "k"))
    );
    assert!(both(&sim).1.is_empty());
    assert_eq!(sim.seen().len(), 3);
}

#[test]
fn corruption_reaches_transaction_reads_but_not_the_store() {
    let sim = seeded(FaultConfig::new(FaultType::StorageCorruption, 1.0));
    let mut txn = run(sim.storage.begin_transaction(&actor("a"))).unwrap();
    assert_ne!(run(txn.get(b"k")).unwrap(), Some(value(b"old")));
    assert_ne!(run(txn.scan_prefix(b"")).unwrap(), entries(UNTOUCHED));
    let listed = run(txn.list_keys(b"")).unwrap();
    assert_eq!(listed, keys(&["k", "other"]));
    assert_eq!(both(&sim), (entries(UNTOUCHED), entries(UNTOUCHED)));
    let ops: Vec<KvOp> = sim.seen().iter().map(|f| f.op).collect();
    assert_eq!(ops, vec![KvOp::TxnGet, KvOp::TxnScan, KvOp::TxnScan]);
}

#[test]
fn a_crash_on_a_conflicting_commit_applies_nothing() {
    let sim = seeded(FaultConfig::new(FaultType::CrashAfterWrite, 1.0).on(&[KvOp::Commit]));
    let a = actor("a");
    let mut txn = run(sim.storage.begin_transaction(&a)).unwrap();
    run(txn.get(b"k")).unwrap();
    run(txn.set(&shared_key(b"n"), value(b"1"))).unwrap();
    run(sim.storage.set(&a, &shared_key(b"k"), value(b"changed"))).unwrap();
    let result = run(txn.commit());
    assert_eq!(
        result,
        Err(injected(FaultType::CrashAfterWrite, KvOp::Commit, "n"))
    );
    assert!(sim.storage.is_crashed());
    let after = entries(&[("k", "changed"), ("other", "x")]);
    assert_eq!(both(&sim), (after.clone(), after));
    assert_eq!(
        sim.seen()[0].effect,
        FaultEffect::Crashed { applied: vec![] }
    );
}

#[test]
fn an_operation_asleep_when_the_process_dies_never_completes() {
    let rules = vec![
        FaultConfig::new(FaultType::StorageLatency, 1.0)
            .latency_ms(3, 3)
            .on(&[KvOp::Get]),
        FaultConfig::new(FaultType::CrashBeforeWrite, 1.0),
    ];
    let sim = Sim::new(1, rules, BugSet::none());
    sim.arm();
    let a = actor("a");
    let mut read = pin!(sim.storage.get(&a, b"k"));
    assert!(
        poll_once(read.as_mut()).is_pending(),
        "every call yields first"
    );
    assert!(poll_once(read.as_mut()).is_pending());
    assert_eq!(sim.clock.pending_timers(), 1);
    assert!(run(sim.storage.set(&a, &shared_key(b"k"), value(b"v"))).is_err());
    assert_eq!(sim.clock.fire_next(), Some(3));
    assert!(poll_once(read.as_mut()).is_pending(), "the process is dead");
}

#[test]
fn value_faults_on_a_delete_are_inert() {
    for fault in [FaultType::MisdirectedWrite, FaultType::PartialWrite] {
        let sim = seeded(FaultConfig::new(fault, 1.0));
        let a = actor("a");
        run(sim.storage.delete(&a, &shared_key(b"k"))).unwrap();
        let after = entries(&[("other", "x")]);
        assert_eq!(
            both(&sim),
            (after.clone(), after),
            "{fault:?}: the delete applies"
        );
        let seen = sim.seen();
        assert_eq!(seen.len(), 1);
        assert_eq!(seen[0].effect, FaultEffect::Inert, "{fault:?}");
    }
}
