//! `KvAdapter` over `SimStorage` under concurrency: several tasks on the seeded `Executor`,
//! interleaving at every storage call, with latency faults to widen the windows. Concurrent
//! appends to one block never lose an append; a checkpoint racing `delete_agent` never leaves
//! an orphan. Planting `Bug::OccDisabled` (storage) or `Bug::CheckpointSkipsAgentCheck`
//! (adapter) makes the same races fail for some seed, so these tests can see.

use crate::adapter_support;

use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;

use adapter_support::{agent, block, children_of_agent, message, session, Sim};
use dst::{
    AgentStorage, Bug, BugSet, DeterministicRng, Executor, ExecutorLimits, FaultConfig, FaultType,
    RunOutcome, StorageError,
};

const SEEDS: std::ops::Range<u64> = 0..24;

/// Latency on half of all storage operations, 1..=5 simulated ms.
fn latency() -> Vec<FaultConfig> {
    vec![FaultConfig::new(FaultType::StorageLatency, 0.5).latency_ms(1, 5)]
}

/// Runs `tasks` concurrently on a fresh executor over `sim`'s clock, scheduled by `seed`.
fn run_concurrently(sim: &Sim, seed: u64, tasks: Vec<std::pin::Pin<Box<dyn Future<Output = ()>>>>) {
    let rng = DeterministicRng::new(seed).fork("scheduler");
    let mut executor = Executor::new(
        rng,
        sim.clock.clone(),
        sim.kill_switch.clone(),
        ExecutorLimits::default(),
    );
    for task in tasks {
        executor.spawn(task);
    }
    assert_eq!(executor.run(), Ok(RunOutcome::Completed), "seed {seed}");
}

// --- concurrent appends to one block ----------------------------------------------------------

const WRITERS: usize = 3;
const APPENDS_PER_WRITER: usize = 3;

/// What an append race left: the tokens whose append was acknowledged, the tokens whose
/// append failed (with the error kinds), and the block's final value.
struct AppendRace {
    acknowledged: Vec<String>,
    failed: Vec<(String, &'static str)>,
    value: String,
}

fn append_race(seed: u64, storage_bugs: BugSet) -> AppendRace {
    let sim = Sim::new(seed, latency(), storage_bugs, BugSet::none());
    sim.run(|a| async move {
        a.save_agent(&agent("a")).await?;
        a.save_blocks("a", &[block("log", "")]).await
    })
    .unwrap();
    sim.arm();
    let acknowledged = Rc::new(RefCell::new(Vec::new()));
    let failed = Rc::new(RefCell::new(Vec::new()));
    let mut tasks: Vec<std::pin::Pin<Box<dyn Future<Output = ()>>>> = Vec::new();
    for writer in 0..WRITERS {
        let adapter = sim.adapter.clone();
        let (acknowledged, failed) = (acknowledged.clone(), failed.clone());
        tasks.push(Box::pin(async move {
            for n in 0..APPENDS_PER_WRITER {
                let token = format!("<{writer}.{n}>");
                match adapter.append_block("a", "log", &token).await {
                    Ok(_) => acknowledged.borrow_mut().push(token),
                    Err(error) => failed.borrow_mut().push((token, error.kind())),
                }
            }
        }));
    }
    run_concurrently(&sim, seed, tasks);
    sim.disarm();
    let blocks = sim
        .run(|a| async move { a.load_blocks("a").await })
        .unwrap();
    assert_eq!(blocks.len(), 1, "seed {seed}");
    let acknowledged = acknowledged.borrow().clone();
    let failed = failed.borrow().clone();
    AppendRace {
        acknowledged,
        failed,
        value: blocks[0].value.to_string(),
    }
}

/// The acknowledged tokens missing from the final value.
fn lost(race: &AppendRace) -> Vec<String> {
    let value = &race.value;
    race.acknowledged
        .iter()
        .filter(|token| !value.contains(token.as_str()))
        .cloned()
        .collect()
}

#[test]
fn concurrent_appends_to_one_block_never_lose_an_append() {
    let mut acknowledged_total = 0;
    for seed in SEEDS {
        let race = append_race(seed, BugSet::none());
        assert_eq!(
            lost(&race),
            Vec::<String>::new(),
            "seed {seed}: {}",
            race.value
        );
        for token in &race.acknowledged {
            assert_eq!(race.value.matches(token.as_str()).count(), 1, "seed {seed}");
        }
        for (token, kind) in &race.failed {
            assert_eq!(*kind, "transaction_conflict", "seed {seed}");
            assert!(
                !race.value.contains(token.as_str()),
                "seed {seed}: failed append landed"
            );
        }
        let expected_len: usize = race.acknowledged.iter().map(String::len).sum();
        assert_eq!(
            race.value.len(),
            expected_len,
            "seed {seed}: {}",
            race.value
        );
        acknowledged_total += race.acknowledged.len();
    }
    let attempted = SEEDS.count() * WRITERS * APPENDS_PER_WRITER;
    assert!(
        acknowledged_total * 10 >= attempted * 9,
        "{acknowledged_total}/{attempted}"
    );
}

#[test]
fn concurrent_appends_in_each_writer_keep_that_writers_order() {
    for seed in SEEDS {
        let race = append_race(seed, BugSet::none());
        for writer in 0..WRITERS {
            let positions: Vec<usize> = (0..APPENDS_PER_WRITER)
                .filter_map(|n| race.value.find(&format!("<{writer}.{n}>")))
                .collect();
            assert!(
                positions.windows(2).all(|w| w[0] < w[1]),
                "seed {seed}: {}",
                race.value
            );
        }
    }
}

#[test]
fn with_occ_disabled_concurrent_appends_lose_an_append_for_some_seed() {
    let losing: Vec<u64> = SEEDS
        .filter(|seed| !lost(&append_race(*seed, BugSet::of(&[Bug::OccDisabled]))).is_empty())
        .collect();
    assert!(!losing.is_empty(), "OccDisabled never lost an append");
}

#[test]
fn append_race_is_deterministic_per_seed() {
    for seed in [1, 7] {
        let (first, second) = (
            append_race(seed, BugSet::none()),
            append_race(seed, BugSet::none()),
        );
        assert_eq!(first.value, second.value);
        assert_eq!(first.acknowledged, second.acknowledged);
    }
}

// --- checkpoint racing delete_agent -----------------------------------------------------------

const CHECKPOINTS: u64 = 3;

/// What a checkpoint / delete race left: the checkpoint results, the delete result, whether
/// the agent exists, and its children's raw keys.
struct DeleteRace {
    checkpoints: Vec<Result<(), StorageError>>,
    deleted: Result<(), StorageError>,
    agent_exists: bool,
    children: Vec<String>,
}

fn checkpoint_delete_race(seed: u64, adapter_bugs: BugSet) -> DeleteRace {
    let sim = Sim::new(seed, latency(), BugSet::none(), adapter_bugs);
    sim.run(|a| async move {
        a.save_agent(&agent("a")).await?;
        a.save_agent(&agent("b")).await?;
        a.save_blocks("a", &[block("persona", "p")]).await?;
        a.checkpoint(&session("a", "s0", 0), Some(&message("a", "m0", 0)))
            .await
    })
    .unwrap();
    sim.arm();
    let checkpoints = Rc::new(RefCell::new(Vec::new()));
    let deleted = Rc::new(RefCell::new(None));
    let checkpointer = {
        let (adapter, checkpoints) = (sim.adapter.clone(), checkpoints.clone());
        Box::pin(async move {
            for i in 1..=CHECKPOINTS {
                let mut state = session("a", "s1", i);
                state.iteration = i;
                let result = adapter
                    .checkpoint(&state, Some(&message("a", &format!("m{i}"), i)))
                    .await;
                checkpoints.borrow_mut().push(result);
            }
        })
    };
    let deleter = {
        let (adapter, deleted) = (sim.adapter.clone(), deleted.clone());
        Box::pin(async move {
            *deleted.borrow_mut() = Some(adapter.delete_agent("a").await);
        })
    };
    run_concurrently(&sim, seed, vec![checkpointer, deleter]);
    sim.disarm();
    let keys = sim.raw_keys();
    assert!(
        keys.contains(&"agents/b".to_string()),
        "seed {seed}: {keys:?}"
    );
    let checkpoints = checkpoints.borrow().clone();
    let deleted = deleted.borrow_mut().take().expect("the delete finished");
    DeleteRace {
        checkpoints,
        deleted,
        agent_exists: keys.contains(&"agents/a".to_string()),
        children: children_of_agent(&keys, "a"),
    }
}

#[test]
fn checkpoint_racing_delete_agent_never_leaves_an_orphan() {
    let mut deletions = 0;
    for seed in SEEDS {
        let race = checkpoint_delete_race(seed, BugSet::none());
        if !race.agent_exists {
            deletions += 1;
            assert_eq!(race.children, Vec::<String>::new(), "seed {seed}: orphans");
        }
        for result in &race.checkpoints {
            if let Err(error) = result {
                let kind = error.kind();
                assert!(
                    kind == "not_found" || kind == "transaction_conflict",
                    "seed {seed}: {error}"
                );
            }
        }
        assert_eq!(
            race.deleted.is_ok(),
            !race.agent_exists,
            "seed {seed}: {:?}",
            race.deleted
        );
    }
    assert!(deletions > 0, "no seed deleted the agent");
}

#[test]
fn checkpoint_after_the_delete_in_the_race_is_not_found() {
    for seed in SEEDS {
        let race = checkpoint_delete_race(seed, BugSet::none());
        if race.agent_exists {
            continue;
        }
        // Once a checkpoint saw the agent gone, every later one must too.
        let first_missing = race
            .checkpoints
            .iter()
            .position(|r| matches!(r, Err(StorageError::NotFound { .. })));
        if let Some(first) = first_missing {
            assert!(
                race.checkpoints[first..]
                    .iter()
                    .all(|r| matches!(r, Err(StorageError::NotFound { .. }))),
                "seed {seed}: {:?}",
                race.checkpoints
            );
        }
    }
}

#[test]
fn with_checkpoint_skipping_the_agent_check_the_race_leaves_an_orphan_for_some_seed() {
    let bugs = BugSet::of(&[Bug::CheckpointSkipsAgentCheck]);
    let orphaning: Vec<u64> = SEEDS
        .filter(|seed| {
            let race = checkpoint_delete_race(*seed, bugs);
            !race.agent_exists && !race.children.is_empty()
        })
        .collect();
    assert!(
        !orphaning.is_empty(),
        "the planted bug never left an orphan"
    );
}
