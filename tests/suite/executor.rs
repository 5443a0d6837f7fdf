//! Executor guarantees: seeded, reproducible interleavings; timers in deadline order; every
//! way a run can go wrong is reported rather than hung.

use std::cell::RefCell;
use std::rc::Rc;

use dst::sim::{
    yield_now, DeterministicRng, Executor, ExecutorError, ExecutorLimits, KillSwitch, RunOutcome,
    SimClock,
};

fn executor(seed: u64, limits: ExecutorLimits) -> Executor {
    let rng = DeterministicRng::new(seed).fork("scheduler");
    Executor::new(rng, SimClock::new(), KillSwitch::new(), limits)
}

/// Runs five tasks of ten steps each and returns which task ran at each step.
fn interleaving(seed: u64) -> Vec<u32> {
    let mut exec = executor(seed, ExecutorLimits::default());
    let order = Rc::new(RefCell::new(Vec::new()));
    for task in 0..5u32 {
        let order = order.clone();
        exec.spawn(async move {
            for _ in 0..10 {
                order.borrow_mut().push(task);
                yield_now().await;
            }
        });
    }
    assert_eq!(exec.run(), Ok(RunOutcome::Completed));
    let order = order.borrow().clone();
    assert_eq!(order.len(), 50);
    order
}

#[test]
fn same_seed_gives_the_same_interleaving() {
    for seed in [1, 2, 99, u64::MAX] {
        assert_eq!(interleaving(seed), interleaving(seed), "seed {seed}");
    }
}

#[test]
fn different_seeds_give_different_interleavings() {
    let runs: Vec<Vec<u32>> = (1..=8).map(interleaving).collect();
    let distinct = runs
        .iter()
        .enumerate()
        .filter(|(i, run)| runs[..*i].iter().all(|earlier| earlier != *run))
        .count();
    assert!(
        distinct >= 7,
        "only {distinct} distinct interleavings of 8 seeds"
    );
}

#[test]
fn timers_fire_in_deadline_order_and_ties_in_registration_order() {
    let mut exec = executor(3, ExecutorLimits::default());
    let clock = exec.clock().clone();
    let fired = Rc::new(RefCell::new(Vec::new()));
    for (name, delay_ms) in [("c", 30u64), ("a", 10), ("b", 20), ("a2", 10), ("z", 0)] {
        let fired = fired.clone();
        let clock = clock.clone();
        exec.spawn(async move {
            clock.sleep(delay_ms).await;
            fired.borrow_mut().push((clock.now_ms(), name));
        });
    }
    assert_eq!(exec.run(), Ok(RunOutcome::Completed));
    let fired = fired.borrow();
    let times: Vec<u64> = fired.iter().map(|(t, _)| *t).collect();
    assert_eq!(times, vec![0, 10, 10, 20, 30]);
    assert_eq!(fired[3].1, "b");
    assert_eq!(fired[4].1, "c");
    assert_eq!(clock.now_ms(), 30);
}

#[test]
fn clock_moves_only_when_nothing_is_ready() {
    let mut exec = executor(5, ExecutorLimits::default());
    let clock = exec.clock().clone();
    let seen = Rc::new(RefCell::new(Vec::new()));
    let busy_seen = seen.clone();
    let busy_clock = clock.clone();
    exec.spawn(async move {
        for _ in 0..20 {
            busy_seen.borrow_mut().push(busy_clock.now_ms());
            yield_now().await;
        }
    });
    let sleeper_clock = clock.clone();
    exec.spawn(async move { sleeper_clock.sleep(5).await });
    assert_eq!(exec.run(), Ok(RunOutcome::Completed));
    assert!(seen.borrow().iter().all(|t| *t == 0));
    assert_eq!(clock.now_ms(), 5);
}

#[test]
fn deadlock_is_reported() {
    let mut exec = executor(1, ExecutorLimits::default());
    exec.spawn(futures::future::pending::<()>());
    exec.spawn(async {});
    match exec.run() {
        Err(ExecutorError::Deadlock { pending_tasks, .. }) => assert_eq!(pending_tasks, 1),
        other => panic!("expected a deadlock, got {other:?}"),
    }
}

#[test]
fn step_budget_exhaustion_is_reported() {
    let limits = ExecutorLimits {
        steps_max: 100,
        ..ExecutorLimits::default()
    };
    let mut exec = executor(1, limits);
    exec.spawn(async {
        loop {
            yield_now().await;
        }
    });
    assert_eq!(
        exec.run(),
        Err(ExecutorError::StepBudgetExhausted { steps: 100 })
    );
}

#[test]
fn time_budget_exhaustion_is_reported() {
    let limits = ExecutorLimits {
        time_ms_max: 1_000,
        ..ExecutorLimits::default()
    };
    let mut exec = executor(1, limits);
    let clock = exec.clock().clone();
    exec.spawn(async move {
        loop {
            clock.sleep(300).await;
        }
    });
    assert_eq!(
        exec.run(),
        Err(ExecutorError::TimeBudgetExhausted {
            now_ms: 1_200,
            time_ms_max: 1_000
        })
    );
}

#[test]
fn a_panicking_task_is_caught_and_reported_with_its_message() {
    let mut exec = executor(1, ExecutorLimits::default());
    exec.spawn(async {});
    let id = exec.spawn(async {
        yield_now().await;
        panic!("invariant broken in task");
    });
    match exec.run() {
        Err(ExecutorError::TaskPanicked { task, message }) => {
            assert_eq!(task, id);
            assert_eq!(message, "invariant broken in task");
        }
        other => panic!("expected a panic report, got {other:?}"),
    }
}

#[test]
fn kill_switch_halts_and_dropping_tasks_clears_everything() {
    let kill = KillSwitch::new();
    let clock = SimClock::new();
    let mut exec = Executor::new(
        DeterministicRng::new(4).fork("scheduler"),
        clock.clone(),
        kill.clone(),
        ExecutorLimits::default(),
    );
    let sleeper_clock = clock.clone();
    exec.spawn(async move { sleeper_clock.sleep(1_000).await });
    let killer = kill.clone();
    exec.spawn(async move {
        killer.trigger();
        futures::future::pending::<()>().await;
    });
    assert_eq!(exec.run(), Ok(RunOutcome::Halted));
    assert_eq!(exec.live_tasks(), 2);
    exec.drop_all_tasks();
    assert_eq!(exec.live_tasks(), 0);
    assert_eq!(clock.pending_timers(), 0);
    kill.reset();
    assert_eq!(exec.run(), Ok(RunOutcome::Completed));
    assert_eq!(clock.now_ms(), 0, "a dropped sleeper does not move time");
}

#[test]
fn tasks_spawned_from_tasks_run_and_block_on_returns_output() {
    let mut exec = executor(8, ExecutorLimits::default());
    let spawner = exec.spawner();
    let hits = Rc::new(RefCell::new(0));
    let inner_hits = hits.clone();
    let value = exec
        .block_on(async move {
            spawner.spawn(async move { *inner_hits.borrow_mut() += 1 });
            yield_now().await;
            41 + 1
        })
        .unwrap();
    assert_eq!(value, 42);
    assert_eq!(*hits.borrow(), 1);
}
