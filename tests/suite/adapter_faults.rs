//! `KvAdapter` over `SimStorage` with faults: corrupted reads, torn writes and misdirected
//! writes surface as `DeserializationFailed` instead of wrong data; read and write failures are
//! retriable; a crash during a checkpoint commit keeps both halves or neither; and with
//! `Bug::UnverifiedRead` planted the same damage goes unnoticed.

use crate::adapter_support;

use adapter_support::{agent, block, message, session, Sim};
use dst::kv::KvOp;
use dst::{AgentStorage, Bug, BugSet, FaultConfig, FaultType, StorageError};

fn rule(fault: FaultType, ops: &[KvOp]) -> FaultConfig {
    FaultConfig::new(fault, 1.0).on(ops)
}

fn assert_detected<T: std::fmt::Debug>(result: &Result<T, StorageError>) {
    assert!(
        matches!(result, Err(StorageError::DeserializationFailed { .. })),
        "expected DeserializationFailed, got {result:?}"
    );
}

/// Storage with `rules` under `seed`, holding agent `a` with a block, session `s1` and two
/// messages, written while faults were off; armed afterwards.
fn populated(seed: u64, rules: Vec<FaultConfig>, adapter_bugs: BugSet) -> Sim {
    let sim = Sim::new(seed, rules, BugSet::none(), adapter_bugs);
    sim.run(|a| async move {
        a.save_agent(&agent("a")).await?;
        a.save_blocks("a", &[block("persona", "p")]).await?;
        a.save_session(&session("a", "s1", 1)).await?;
        a.append_message("a", &message("a", "m1", 1)).await?;
        a.append_message("a", &message("a", "m2", 2)).await
    })
    .unwrap();
    sim.arm();
    sim
}

// --- corruption on read -----------------------------------------------------------------------

#[test]
fn corrupted_point_reads_are_detected_by_load_agent_and_load_session() {
    for seed in 0..16 {
        let sim = populated(
            seed,
            vec![rule(FaultType::StorageCorruption, &[KvOp::Get])],
            BugSet::none(),
        );
        let (loaded_agent, loaded_session) =
            sim.run(|a| async move { (a.load_agent("a").await, a.load_session("a", "s1").await) });
        assert_detected(&loaded_agent);
        assert_detected(&loaded_session);
    }
}

#[test]
fn corrupted_scans_are_detected_by_every_listing() {
    for seed in 0..16 {
        let sim = populated(
            seed,
            vec![rule(FaultType::StorageCorruption, &[KvOp::ScanPrefix])],
            BugSet::none(),
        );
        let (agents, sessions, messages, since) = sim.run(|a| async move {
            (
                a.list_agents().await,
                a.list_sessions("a").await,
                a.load_messages("a", 10).await,
                a.load_messages_since("a", 0).await,
            )
        });
        assert_detected(&agents);
        assert_detected(&sessions);
        assert_detected(&messages);
        assert_detected(&since);
    }
}

#[test]
fn corrupted_read_inside_a_transaction_is_detected_and_writes_nothing() {
    let sim = populated(
        3,
        vec![rule(FaultType::StorageCorruption, &[KvOp::TxnGet])],
        BugSet::none(),
    );
    let result = sim.run(|a| async move { a.append_block("a", "persona", "x").await });
    assert_detected(&result);
    sim.disarm();
    let blocks = sim.run(|a| async move { a.load_blocks("a").await });
    assert_eq!(blocks, Ok(vec![block("persona", "p")]));
}

// --- torn writes ------------------------------------------------------------------------------

#[test]
fn torn_write_of_an_agent_is_detected_on_read() {
    for seed in 0..16 {
        let sim = populated(
            seed,
            vec![rule(FaultType::PartialWrite, &[KvOp::Set]).max_triggers(1)],
            BugSet::none(),
        );
        let saved = sim.run(|a| async move { a.save_agent(&agent("b")).await });
        assert_eq!(saved, Ok(()), "a torn write is acknowledged");
        let (loaded, listed) =
            sim.run(|a| async move { (a.load_agent("b").await, a.list_agents().await) });
        assert_detected(&loaded);
        assert_detected(&listed);
    }
}

#[test]
fn torn_commit_of_a_session_is_detected_on_read() {
    for seed in 0..16 {
        let sim = populated(
            seed,
            vec![rule(FaultType::PartialWrite, &[KvOp::Commit]).max_triggers(1)],
            BugSet::none(),
        );
        let saved = sim.run(|a| async move { a.save_session(&session("a", "s2", 2)).await });
        assert_eq!(saved, Ok(()));
        let (loaded, listed, latest) = sim.run(|a| async move {
            (
                a.load_session("a", "s2").await,
                a.list_sessions("a").await,
                a.load_latest_session("a").await,
            )
        });
        assert_detected(&loaded);
        assert_detected(&listed);
        assert_detected(&latest);
    }
}

// --- misdirected writes -----------------------------------------------------------------------

/// Storage holding only agent `a`; the next `set` (saving agent `b`) lands on `agents/a`, the
/// only other key.
fn misdirected(adapter_bugs: BugSet) -> Sim {
    let rules = vec![rule(FaultType::MisdirectedWrite, &[KvOp::Set]).max_triggers(1)];
    let sim = Sim::new(1, rules, BugSet::none(), adapter_bugs);
    sim.run(|a| async move { a.save_agent(&agent("a")).await })
        .unwrap();
    sim.arm();
    let saved = sim.run(|a| async move { a.save_agent(&agent("b")).await });
    assert_eq!(saved, Ok(()), "a misdirected write is acknowledged");
    sim
}

#[test]
fn misdirected_write_is_detected_instead_of_returning_another_record() {
    let sim = misdirected(BugSet::none());
    let (a, b, listed) = sim.run(|s| async move {
        (
            s.load_agent("a").await,
            s.load_agent("b").await,
            s.list_agents().await,
        )
    });
    assert_detected(&a);
    assert_eq!(b, Ok(None), "the intended key was never written");
    assert_detected(&listed);
}

#[test]
fn misdirected_commit_is_detected_by_the_read_of_the_key_it_hit() {
    for seed in 0..16 {
        let rules = vec![rule(FaultType::MisdirectedWrite, &[KvOp::Commit]).max_triggers(1)];
        let sim = populated(seed, rules, BugSet::none());
        let state = session("a", "s2", 5);
        let done = sim.run(|a| async move { a.save_session(&state).await });
        assert_eq!(done, Ok(()));
        sim.disarm();
        let reads = sim.run(|a| async move {
            let agent = a.load_agent("a").await.map(|_| ());
            let blocks = a.load_blocks("a").await.map(|_| ());
            let sessions = a.list_sessions("a").await.map(|_| ());
            let messages = a.load_messages("a", 10).await.map(|_| ());
            let sequence = a.append_message("a", &message("a", "m3", 3)).await;
            vec![agent, blocks, sessions, messages, sequence]
        });
        let failed: Vec<_> = reads.iter().filter(|r| r.is_err()).collect();
        assert_eq!(failed.len(), 1, "seed {seed}: {reads:?}");
        assert_detected(failed[0]);
    }
}

// --- the UnverifiedRead switch ----------------------------------------------------------------

#[test]
fn with_unverified_read_a_misdirected_write_returns_the_wrong_agent() {
    let sim = misdirected(BugSet::of(&[Bug::UnverifiedRead]));
    let loaded = sim.run(|s| async move { s.load_agent("a").await });
    assert_eq!(
        loaded,
        Ok(Some(agent("b"))),
        "agent b's record read as agent a"
    );
}

/// Whether a corrupted `load_agent` returns a record, for `seed` and `adapter_bugs`.
fn corrupted_load_succeeds(seed: u64, adapter_bugs: BugSet) -> bool {
    let sim = populated(
        seed,
        vec![rule(FaultType::StorageCorruption, &[KvOp::Get])],
        adapter_bugs,
    );
    let loaded = sim.run(|a| async move { a.load_agent("a").await });
    match loaded {
        Ok(found) => {
            assert_eq!(found, Some(agent("a")), "seed {seed}");
            true
        }
        Err(error) => {
            assert_eq!(error.kind(), "deserialization_failed", "seed {seed}");
            false
        }
    }
}

#[test]
fn with_unverified_read_some_corruption_goes_undetected() {
    let unverified = BugSet::of(&[Bug::UnverifiedRead]);
    let seeds = 0..128;
    let missed: Vec<u64> = seeds
        .clone()
        .filter(|seed| corrupted_load_succeeds(*seed, unverified))
        .collect();
    assert!(!missed.is_empty(), "no corruption slipped through");
    for seed in seeds {
        assert!(
            !corrupted_load_succeeds(seed, BugSet::none()),
            "seed {seed}"
        );
    }
}

// --- read and write failures ------------------------------------------------------------------

#[test]
fn read_fail_surfaces_as_a_retriable_error_and_a_retry_succeeds() {
    let rules =
        vec![rule(FaultType::StorageReadFail, &[KvOp::Get, KvOp::ScanPrefix]).max_triggers(2)];
    let sim = populated(1, rules, BugSet::none());
    let (first, second, retried) = sim.run(|a| async move {
        (
            a.load_agent("a").await,
            a.list_sessions("a").await,
            a.load_agent("a").await,
        )
    });
    for failed in [first.map(|_| ()), second.map(|_| ())] {
        let error = failed.unwrap_err();
        assert!(error.is_retriable(), "{error}");
        assert_eq!(error.fault(), Some(FaultType::StorageReadFail));
    }
    assert_eq!(retried, Ok(Some(agent("a"))));
}

#[test]
fn write_fail_surfaces_as_a_retriable_error_and_writes_nothing() {
    let rules = vec![rule(FaultType::StorageWriteFail, &[KvOp::Set]).max_triggers(1)];
    let sim = populated(1, rules, BugSet::none());
    let (failed, missing, retried) = sim.run(|a| async move {
        let failed = a.save_agent(&agent("b")).await;
        let missing = a.load_agent("b").await;
        (failed, missing, a.save_agent(&agent("b")).await)
    });
    let error = failed.unwrap_err();
    assert!(error.is_retriable(), "{error}");
    assert_eq!(error.fault(), Some(FaultType::StorageWriteFail));
    assert_eq!(missing, Ok(None));
    assert_eq!(retried, Ok(()));
}

#[test]
fn write_fail_on_a_checkpoint_commit_is_retriable_and_writes_neither_half() {
    let rules = vec![rule(FaultType::StorageWriteFail, &[KvOp::Commit]).max_triggers(1)];
    let sim = populated(1, rules, BugSet::none());
    let state = session("a", "s2", 9);
    let state_again = state.clone();
    let (failed, session_after, count_after) = sim.run(|a| async move {
        let failed = a.checkpoint(&state, Some(&message("a", "m3", 9))).await;
        (
            failed,
            a.load_session("a", "s2").await,
            a.count_messages("a").await,
        )
    });
    assert!(failed.unwrap_err().is_retriable());
    assert_eq!(session_after, Ok(None));
    assert_eq!(count_after, Ok(2));
    let retried = sim.run(|a| async move {
        a.checkpoint(&state_again, Some(&message("a", "m3", 9)))
            .await?;
        a.count_messages("a").await
    });
    assert_eq!(retried, Ok(3));
}

// --- crash during a checkpoint commit ---------------------------------------------------------

/// The checkpoint halves that survive a crash during its commit and a restart:
/// (session present, message present).
fn checkpoint_crash_outcome(seed: u64) -> (bool, bool) {
    let rules = vec![rule(FaultType::CrashDuringTransaction, &[KvOp::Commit]).max_triggers(1)];
    let sim = Sim::new(seed, rules, BugSet::none(), BugSet::none());
    sim.run(|a| async move { a.save_agent(&agent("a")).await })
        .unwrap();
    sim.arm();
    let outcome = sim.try_run(seed, |a| async move {
        let state = session("a", "s1", 3);
        a.checkpoint(&state, Some(&message("a", "m1", 3))).await
    });
    assert!(!matches!(outcome, Ok(Ok(()))), "seed {seed}: {outcome:?}");
    assert!(sim.storage.is_crashed(), "seed {seed}");
    sim.storage.restart();
    sim.disarm();
    let (loaded, messages) = sim
        .run(|a| async move {
            Ok::<_, StorageError>((
                a.load_session("a", "s1").await?,
                a.load_messages("a", 10).await?,
            ))
        })
        .unwrap();
    if let Some(state) = &loaded {
        assert_eq!(*state, session("a", "s1", 3));
    }
    assert!(messages.is_empty() || messages == vec![message("a", "m1", 3)]);
    let keys = sim.raw_keys();
    let expected_keys = if loaded.is_some() { 3 } else { 1 };
    assert_eq!(keys.len(), expected_keys, "seed {seed}: {keys:?}");
    (loaded.is_some(), !messages.is_empty())
}

#[test]
fn crash_during_checkpoint_commit_keeps_both_halves_or_neither() {
    let outcomes: Vec<(bool, bool)> = (0..32).map(checkpoint_crash_outcome).collect();
    for (seed, (session_kept, message_kept)) in outcomes.iter().enumerate() {
        assert_eq!(
            session_kept, message_kept,
            "seed {seed}: one half without the other"
        );
    }
    assert!(outcomes.contains(&(true, true)), "no seed kept the commit");
    assert!(
        outcomes.contains(&(false, false)),
        "no seed lost the commit"
    );
}
