//! The `ActorKV` contract, run against every store (memory, simulated, redb): ordered listing, actor isolation, and
//! optimistic transactions (read-your-writes, conflicts on points and prefixes, abort, commit).

use crate::support;

use dst::kv::KvError;
use dst::{ActorKV, ActorTransaction, BugSet, MemoryKV};
use support::{actor, entries, keys, run, shared_key, value, Sim};

fn conflict(key: &str) -> KvError {
    KvError::Conflict {
        key: key.as_bytes().to_vec(),
    }
}

async fn ordered_listing_never_leaks_other_actors<S: ActorKV>(store: S) {
    let (a, b) = (actor("a"), actor("b"));
    for key in ["p/3", "p/1", "q/1", "p/2", "p"] {
        store
            .set(&a, &shared_key(key.as_bytes()), value(key.as_bytes()))
            .await
            .unwrap();
    }
    store
        .set(&b, &shared_key(b"p/0"), value(b"other"))
        .await
        .unwrap();
    let listed = store.list_keys(&a, b"p/").await.unwrap();
    assert_eq!(listed, keys(&["p/1", "p/2", "p/3"]));
    let scanned = store.scan_prefix(&a, b"").await.unwrap();
    let expected = entries(&[
        ("p", "p"),
        ("p/1", "p/1"),
        ("p/2", "p/2"),
        ("p/3", "p/3"),
        ("q/1", "q/1"),
    ]);
    assert_eq!(scanned, expected);
    assert_eq!(
        store.scan_prefix(&b, b"").await.unwrap(),
        entries(&[("p/0", "other")])
    );
    assert_eq!(store.get(&b, b"p/1").await.unwrap(), None);
    assert!(store.exists(&a, b"p/1").await.unwrap());
    store.delete(&a, &shared_key(b"p/1")).await.unwrap();
    assert!(!store.exists(&a, b"p/1").await.unwrap());
    store.delete(&a, &shared_key(b"never")).await.unwrap();
}

async fn transaction_reads_its_own_writes<S: ActorKV>(store: S) {
    let a = actor("a");
    store
        .set(&a, &shared_key(b"k"), value(b"old"))
        .await
        .unwrap();
    store
        .set(&a, &shared_key(b"p/gone"), value(b"x"))
        .await
        .unwrap();
    let mut txn = store.begin_transaction(&a).await.unwrap();
    assert_eq!(txn.get(b"k").await.unwrap(), Some(value(b"old")));
    txn.set(&shared_key(b"k"), value(b"new")).await.unwrap();
    txn.set(&shared_key(b"p/b"), value(b"2")).await.unwrap();
    txn.set(&shared_key(b"p/a"), value(b"1")).await.unwrap();
    txn.delete(&shared_key(b"p/gone")).await.unwrap();
    assert_eq!(txn.get(b"k").await.unwrap(), Some(value(b"new")));
    assert_eq!(txn.get(b"p/gone").await.unwrap(), None);
    let scanned = txn.scan_prefix(b"p/").await.unwrap();
    assert_eq!(scanned, entries(&[("p/a", "1"), ("p/b", "2")]));
    assert_eq!(txn.list_keys(b"").await.unwrap().len(), 3);
    assert_eq!(store.get(&a, b"k").await.unwrap(), Some(value(b"old")));
    txn.commit().await.unwrap();
    let all = store.scan_prefix(&a, b"").await.unwrap();
    assert_eq!(all, entries(&[("k", "new"), ("p/a", "1"), ("p/b", "2")]));
}

async fn point_read_conflicts<S: ActorKV>(store: S) {
    let a = actor("a");
    store.set(&a, &shared_key(b"k"), value(b"1")).await.unwrap();
    let mut txn = store.begin_transaction(&a).await.unwrap();
    txn.get(b"k").await.unwrap();
    txn.get(b"absent").await.unwrap();
    txn.set(&shared_key(b"out"), value(b"x")).await.unwrap();
    store.set(&a, &shared_key(b"k"), value(b"2")).await.unwrap();
    assert_eq!(txn.commit().await, Err(conflict("k")));
    assert_eq!(store.get(&a, b"out").await.unwrap(), None);

    let mut txn = store.begin_transaction(&a).await.unwrap();
    txn.get(b"absent").await.unwrap();
    txn.set(&shared_key(b"out"), value(b"x")).await.unwrap();
    store
        .set(&a, &shared_key(b"absent"), value(b"now present"))
        .await
        .unwrap();
    assert_eq!(txn.commit().await, Err(conflict("absent")));

    let mut txn = store.begin_transaction(&a).await.unwrap();
    txn.get(b"k").await.unwrap();
    store.delete(&a, &shared_key(b"k")).await.unwrap();
    store.set(&a, &shared_key(b"k"), value(b"2")).await.unwrap();
    assert_eq!(txn.commit().await, Err(conflict("k")), "delete + re-create");
}

async fn scanned_prefix_conflicts<S: ActorKV>(store: S) {
    let (a, b) = (actor("a"), actor("b"));
    store
        .set(&a, &shared_key(b"p/1"), value(b"1"))
        .await
        .unwrap();
    let mut txn = store.begin_transaction(&a).await.unwrap();
    assert_eq!(txn.list_keys(b"p/").await.unwrap().len(), 1);
    txn.set(&shared_key(b"count"), value(b"1")).await.unwrap();
    store
        .set(&a, &shared_key(b"q/1"), value(b"unrelated"))
        .await
        .unwrap();
    store
        .set(&b, &shared_key(b"p/2"), value(b"other actor"))
        .await
        .unwrap();
    store
        .set(&a, &shared_key(b"p/2"), value(b"concurrent insert"))
        .await
        .unwrap();
    assert_eq!(txn.commit().await, Err(conflict("p/")));
    assert_eq!(store.get(&a, b"count").await.unwrap(), None);

    let mut txn = store.begin_transaction(&a).await.unwrap();
    txn.scan_prefix(b"p/").await.unwrap();
    txn.set(&shared_key(b"count"), value(b"2")).await.unwrap();
    store
        .set(&a, &shared_key(b"q/2"), value(b"unrelated"))
        .await
        .unwrap();
    store
        .set(&b, &shared_key(b"p/3"), value(b"other actor"))
        .await
        .unwrap();
    txn.commit().await.unwrap();
    assert_eq!(store.get(&a, b"count").await.unwrap(), Some(value(b"2")));
}

async fn abort_and_drop_discard<S: ActorKV>(store: S) {
    let a = actor("a");
    let mut txn = store.begin_transaction(&a).await.unwrap();
    txn.set(&shared_key(b"k"), value(b"aborted")).await.unwrap();
    txn.abort().await.unwrap();
    let mut txn = store.begin_transaction(&a).await.unwrap();
    txn.set(&shared_key(b"k"), value(b"dropped")).await.unwrap();
    drop(txn);
    assert_eq!(store.get(&a, b"k").await.unwrap(), None);
    let txn = store.begin_transaction(&a).await.unwrap();
    txn.commit().await.unwrap();
    assert!(store.scan_prefix(&a, b"").await.unwrap().is_empty());
}

fn sim() -> dst::SimStorage {
    Sim::new(7, Vec::new(), BugSet::none()).storage
}

/// A redb store in a temporary directory, removed when the store is dropped.
fn redb() -> dst::kv::RedbStorage {
    let root = dst::DeterministicRng::new(7);
    let (clock, kill_switch) = (dst::SimClock::new(), dst::KillSwitch::new());
    let mode = dst::kv::CommitMode::Durable;
    dst::kv::RedbStorage::temporary(mode, &root, clock, Vec::new(), kill_switch).unwrap()
}

macro_rules! both_stores {
    ($($name:ident),* $(,)?) => {
        mod memory {
            $(#[test] fn $name() { super::run(super::$name(dst::MemoryKV::new())); })*
        }
        mod sim_storage {
            $(#[test] fn $name() { super::run(super::$name(super::sim())); })*
        }
        mod redb {
            $(#[test] fn $name() { super::run(super::$name(super::redb())); })*
        }
    };
}

both_stores!(
    ordered_listing_never_leaks_other_actors,
    transaction_reads_its_own_writes,
    point_read_conflicts,
    scanned_prefix_conflicts,
    abort_and_drop_discard,
);

#[test]
fn memory_clones_share_one_store() {
    let store = MemoryKV::new();
    let clone = store.clone();
    run(clone.set(&actor("a"), &shared_key(b"k"), value(b"v"))).unwrap();
    assert_eq!(
        run(store.get(&actor("a"), b"k")).unwrap(),
        Some(value(b"v"))
    );
}
