//! `RedbStorage`, the `ActorKV` contract over a real redb file (the shared contract runs in
//! `kv_contract.rs`): limited reverse range reads inside and outside transactions, agreeing
//! with `SimStorage`; durability and versions across a reopen; crash faults that drop the
//! handle; and `dst run --backend redb`.

use crate::{common, support};

use common::Scratch;
use dst::kv::{CommitMode, KvError, RangeScan, RedbStorage};
use dst::{ActorKV, ActorTransaction, BugSet, DeterministicRng, FaultConfig, FaultType};
use dst::{KillSwitch, SimClock};
use support::{actor, entries, run, shared_key, value, Sim};

fn temporary(rules: Vec<FaultConfig>, kill_switch: KillSwitch) -> RedbStorage {
    let root = DeterministicRng::new(3);
    RedbStorage::temporary(
        CommitMode::Durable,
        &root,
        SimClock::new(),
        rules,
        kill_switch,
    )
    .unwrap()
}

/// Writes the same keys to `store`, then reads the same ranges, in and out of a transaction
/// holding buffered writes under the prefix.
async fn ranges<S: ActorKV>(store: S) -> Vec<Vec<(String, String)>> {
    let a = actor("a");
    for key in ["m/01", "m/02", "m/03", "m/04", "m/05", "m0", "l/9"] {
        store
            .set(&a, &shared_key(key.as_bytes()), value(key.as_bytes()))
            .await
            .unwrap();
    }
    let text = |found: Vec<(dst::kv::Key, dst::kv::Value)>| -> Vec<(String, String)> {
        found
            .into_iter()
            .map(|(k, v)| {
                let k = String::from_utf8(k.to_vec()).unwrap();
                (k, String::from_utf8(v.to_vec()).unwrap())
            })
            .collect()
    };
    let from = RangeScan {
        prefix: b"m/",
        from: b"m/03",
        limit: 2,
        reverse: false,
    };
    let reverse_from = RangeScan {
        reverse: true,
        ..from
    };
    let mut seen = Vec::new();
    for scan in [
        RangeScan::last(b"m/", 2),
        RangeScan::prefix(b"m/", 3),
        from,
        reverse_from,
    ] {
        seen.push(text(store.scan_range(&a, scan).await.unwrap()));
    }
    let mut txn = store.begin_transaction(&a).await.unwrap();
    txn.set(&shared_key(b"m/06"), value(b"new")).await.unwrap();
    txn.delete(&shared_key(b"m/05")).await.unwrap();
    for scan in [RangeScan::last(b"m/", 2), from, reverse_from] {
        seen.push(text(txn.scan_range(scan).await.unwrap()));
    }
    seen
}

#[test]
fn limited_reverse_range_reads_agree_with_sim_storage() {
    let redb = run(ranges(temporary(Vec::new(), KillSwitch::new())));
    let sim = run(ranges(Sim::new(1, Vec::new(), BugSet::none()).storage));
    assert_eq!(redb, sim);
    let pair = |k: &str, v: &str| (k.to_string(), v.to_string());
    assert_eq!(redb[0], [pair("m/05", "m/05"), pair("m/04", "m/04")]);
    assert_eq!(redb[3], [pair("m/05", "m/05"), pair("m/04", "m/04")]);
    assert_eq!(redb[4], [pair("m/06", "new"), pair("m/04", "m/04")]);
    assert_eq!(redb[6], [pair("m/06", "new"), pair("m/04", "m/04")]);
}

#[test]
fn acknowledged_writes_and_versions_survive_a_reopen() {
    let dir = Scratch::new("redb-reopen");
    let path = dir.join("store.redb");
    let a = actor("a");
    {
        let store = RedbStorage::plain(&path, CommitMode::Durable).unwrap();
        run(store.set(&a, &shared_key(b"k"), value(b"1"))).unwrap();
        let mut txn = run(store.begin_transaction(&a)).unwrap();
        run(txn.set(&shared_key(b"t"), value(b"2"))).unwrap();
        run(txn.commit()).unwrap();
    }
    let store = RedbStorage::plain(&path, CommitMode::Durable).unwrap();
    assert_eq!(store.entries(&a), entries(&[("k", "1"), ("t", "2")]));
    let mut txn = run(store.begin_transaction(&a)).unwrap();
    run(txn.get(b"k")).unwrap();
    run(txn.set(&shared_key(b"u"), value(b"3"))).unwrap();
    run(store.delete(&a, &shared_key(b"k"))).unwrap();
    run(store.set(&a, &shared_key(b"k"), value(b"1"))).unwrap();
    let conflict = KvError::Conflict { key: b"k".to_vec() };
    assert_eq!(run(txn.commit()), Err(conflict), "same value, new version");
    assert_eq!(store.take_changes(&a).len(), 2);
    assert!(store.take_changes(&a).is_empty());
}

#[test]
fn a_crash_drops_the_handle_and_a_restart_reopens_what_was_committed() {
    let kill_switch = KillSwitch::new();
    let rule = FaultConfig::new(FaultType::CrashAfterWrite, 1.0);
    let store = temporary(vec![rule], kill_switch.clone());
    let a = actor("a");
    let crashed = run(store.set(&a, &shared_key(b"k"), value(b"v")));
    assert!(matches!(crashed, Err(KvError::FaultInjected { .. })));
    assert!(kill_switch.is_triggered());
    store.restart();
    assert!(!kill_switch.is_triggered());
    assert_eq!(store.entries(&a), entries(&[("k", "v")]));
    assert_eq!(store.injector_counts()[&FaultType::CrashAfterWrite], 1);
}

#[test]
#[should_panic(expected = "storage_corruption cannot be injected above redb")]
fn faults_below_a_database_are_refused() {
    let rule = FaultConfig::new(FaultType::StorageCorruption, 1.0);
    temporary(vec![rule], KillSwitch::new());
}

fn dst(args: &[&str]) -> (i32, String, String) {
    let scratch = Scratch::new("redb-cli");
    let run = common::dst(&scratch.path, args);
    (run.code, run.stdout, run.stderr)
}

#[test]
fn run_on_redb_judges_a_scenario_with_the_faults_injectable_above_a_database() {
    let (code, out, err) = dst(&[
        "run",
        "--seed",
        "2",
        "--scenario",
        "lossy-disk",
        "--backend",
        "redb",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(err.contains("left out unflushed_loss, fsync_fail"), "{err}");
    assert!(
        out.contains("verdict: PASS") && out.contains("crashes:"),
        "{out}"
    );
    let (code, _, err) = dst(&[
        "run",
        "--seed",
        "2",
        "--backend",
        "redb",
        "--bug",
        "torn-commit",
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("bug 'torn-commit' lives in SimStorage"),
        "{err}"
    );
    let (code, _, err) = dst(&["run", "--seed", "2", "--backend", "fdb"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("backend 'fdb' must be 'sim' or 'redb'"),
        "{err}"
    );
}

/// With faults on, a scenario whose faults can all be injected above a database runs on redb
/// exactly as on `SimStorage`: crashes, latency, read and write failures and disk full fire at
/// the same operations with the same effects, so every event, and the trace hash, agree.
#[test]
fn injected_faults_act_on_redb_as_on_sim_storage() {
    use dst::run::{run_seed, RunConfig, Verdict};
    use dst::workload::Scenario;
    for name in ["default", "crash-heavy"] {
        for seed in 1..=4 {
            let scenario = Scenario::built_in(name).unwrap();
            let (on_redb, dropped) = scenario.on_redb();
            assert!(dropped.is_empty(), "{name} injects only faults redb takes");
            let config = |scenario| RunConfig {
                seed,
                scenario,
                bugs: BugSet::none(),
                decisions: None,
            };
            let sim = run_seed(&config(scenario), &mut dst::trace::NullSink);
            let redb = run_seed(&config(on_redb), &mut dst::trace::NullSink);
            assert_eq!(redb.verdict, Verdict::Pass, "{name} seed {seed}");
            assert!(redb.faults.values().sum::<u64>() > 0, "{name} seed {seed}");
            assert_eq!(redb.trace_hash, sim.trace_hash, "{name} seed {seed}");
        }
    }
}
