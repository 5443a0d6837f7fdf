//! The single-threaded executor: many tasks, one seeded choice of the next ready task.
//!
//! Guarantees: the order in which tasks run is a pure function of the `scheduler` stream and of
//! the tasks themselves; wakers are task ids (no allocation, no locks); the clock jumps to the
//! next timer only when no task is ready. It reports, never hangs: a deadlock (tasks pending,
//! nothing ready, no timer), an exhausted step or simulated-time budget, or a panic inside a
//! task (caught, with its message) each end the run with an [`ExecutorError`].

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, RawWaker, RawWakerVTable, Waker};

use super::{DeterministicRng, KillSwitch, SimClock};

/// Identifies a task within one executor. Ids are never reused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TaskId(pub u32);

/// Budgets that bound a run: exceeding either is reported, never a hang.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExecutorLimits {
    /// Most task polls in one executor's lifetime.
    pub steps_max: u64,
    /// Latest simulated time the clock may reach, in ms.
    pub time_ms_max: u64,
}

impl Default for ExecutorLimits {
    fn default() -> Self {
        ExecutorLimits {
            steps_max: 10_000_000,
            time_ms_max: 24 * 3600 * 1000,
        }
    }
}

/// How a run that did not fail ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunOutcome {
    /// Every task finished.
    Completed,
    /// The kill switch was triggered: the process died. Tasks are still held; call
    /// [`Executor::drop_all_tasks`] to drop them.
    Halted,
}

/// A run that could not go on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExecutorError {
    /// Tasks are pending but none is ready and no timer is set.
    Deadlock {
        /// Tasks still pending, none of them ready.
        pending_tasks: usize,
        /// Simulated time when the deadlock was detected, ms.
        now_ms: u64,
    },
    /// More than `steps_max` polls.
    StepBudgetExhausted {
        /// Polls made before the budget ran out (equals `steps_max`).
        steps: u64,
    },
    /// The clock would pass `time_ms_max`.
    TimeBudgetExhausted {
        /// Deadline of the next timer, past the budget, ms.
        now_ms: u64,
        /// The simulated-time budget, ms.
        time_ms_max: u64,
    },
    /// A task panicked; the message is the panic payload.
    TaskPanicked {
        /// The task that panicked.
        task: TaskId,
        /// The panic payload as text.
        message: String,
    },
    /// The kill switch ended the run before the awaited future finished (`block_on` only).
    Killed {
        /// Tasks still held when the kill switch fired.
        pending_tasks: usize,
    },
}

impl fmt::Display for ExecutorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExecutorError::Deadlock { pending_tasks, now_ms } => write!(
                f,
                "deadlock: {pending_tasks} tasks pending, none ready, no timer set (at {now_ms} ms)"
            ),
            ExecutorError::StepBudgetExhausted { steps } => {
                write!(f, "step budget exhausted after {steps} steps")
            }
            ExecutorError::TimeBudgetExhausted { now_ms, time_ms_max } => write!(
                f,
                "simulated-time budget exhausted: next timer at {now_ms} ms, budget {time_ms_max} ms"
            ),
            ExecutorError::TaskPanicked { task, message } => {
                write!(f, "task {} panicked: {message}", task.0)
            }
            ExecutorError::Killed { pending_tasks } => {
                write!(f, "the process was killed with {pending_tasks} tasks pending")
            }
        }
    }
}

impl std::error::Error for ExecutorError {}

type BoxedTask = Pin<Box<dyn Future<Output = ()>>>;

/// The ready queue that wakers push into, reached through a thread-local while a run polls.
#[derive(Default)]
struct ReadyQueue {
    executor_id: u32,
    ready: Vec<TaskId>,
    queued: Vec<bool>,
}

impl ReadyQueue {
    fn push(&mut self, task: TaskId) {
        let slot = task.0 as usize;
        if slot < self.queued.len() && !self.queued[slot] {
            self.queued[slot] = true;
            self.ready.push(task);
        }
    }
}

thread_local! {
    static CURRENT: RefCell<Option<Rc<RefCell<ReadyQueue>>>> = const { RefCell::new(None) };
    static NEXT_EXECUTOR_ID: std::cell::Cell<u32> = const { std::cell::Cell::new(1) };
}

fn waker_data(executor_id: u32, task: TaskId) -> *const () {
    (((executor_id as usize) << 32) | task.0 as usize) as *const ()
}

fn wake_data(data: *const ()) {
    let bits = data as usize;
    let executor_id = (bits >> 32) as u32;
    let task = TaskId(bits as u32);
    CURRENT.with(|current| {
        if let Some(queue) = current.borrow().as_ref() {
            let mut queue = queue.borrow_mut();
            if queue.executor_id == executor_id {
                queue.push(task);
            }
        }
    });
}

const VTABLE: RawWakerVTable = RawWakerVTable::new(
    |data| RawWaker::new(data, &VTABLE),
    wake_data,
    wake_data,
    |_| {},
);

fn task_waker(executor_id: u32, task: TaskId) -> Waker {
    // SAFETY: the data is a plain integer, never dereferenced; every vtable function is
    // sound for any data value, and a wake outside the owning executor's run is ignored.
    unsafe { Waker::from_raw(RawWaker::new(waker_data(executor_id, task), &VTABLE)) }
}

/// Installs a run's ready queue as the thread's current one, restoring the previous on drop.
struct CurrentGuard {
    previous: Option<Rc<RefCell<ReadyQueue>>>,
}

impl CurrentGuard {
    fn install(queue: Rc<RefCell<ReadyQueue>>) -> Self {
        let previous = CURRENT.with(|current| current.borrow_mut().replace(queue));
        CurrentGuard { previous }
    }
}

impl Drop for CurrentGuard {
    fn drop(&mut self) {
        CURRENT.with(|current| *current.borrow_mut() = self.previous.take());
    }
}

/// A handle that spawns tasks onto an executor from inside its tasks. Tasks spawned this way
/// become ready at once.
#[derive(Clone, Default)]
pub struct Spawner {
    pending: Rc<RefCell<Vec<BoxedTask>>>,
}

impl Spawner {
    /// Queues `future` to become a task of the executor this spawner belongs to.
    pub fn spawn(&self, future: impl Future<Output = ()> + 'static) {
        self.pending.borrow_mut().push(Box::pin(future));
    }
}

/// Where the scheduler's choices among two or more ready tasks come from besides the dice.
#[derive(Debug)]
enum Picks {
    /// The dice alone.
    Dice,
    /// The dice, each choice recorded (its index in the ready queue).
    Record(Vec<u32>),
    /// Recorded choices, in order (taken modulo the ready tasks); once spent, the first ready
    /// task. The dice are still thrown, so an unchanged script replays its run exactly.
    Script { picks: Vec<u32>, next: usize },
}

/// A single-threaded, deterministic executor with simulated time.
pub struct Executor {
    id: u32,
    rng: DeterministicRng,
    picks: Picks,
    clock: SimClock,
    kill_switch: KillSwitch,
    limits: ExecutorLimits,
    tasks: Vec<Option<BoxedTask>>,
    live_tasks: usize,
    steps: u64,
    queue: Rc<RefCell<ReadyQueue>>,
    spawner: Spawner,
}

impl Executor {
    /// An executor drawing its scheduling choices from `scheduler_rng`, driving `clock`, and
    /// halting once `kill_switch` is triggered.
    pub fn new(
        scheduler_rng: DeterministicRng,
        clock: SimClock,
        kill_switch: KillSwitch,
        limits: ExecutorLimits,
    ) -> Self {
        assert!(limits.steps_max > 0, "step budget must be positive");
        let id = NEXT_EXECUTOR_ID.with(|next| {
            let id = next.get();
            next.set(id.wrapping_add(1).max(1));
            id
        });
        let queue = ReadyQueue {
            executor_id: id,
            ..ReadyQueue::default()
        };
        Executor {
            id,
            rng: scheduler_rng,
            picks: Picks::Dice,
            clock,
            kill_switch,
            limits,
            tasks: Vec::new(),
            live_tasks: 0,
            steps: 0,
            queue: Rc::new(RefCell::new(queue)),
            spawner: Spawner::default(),
        }
    }

    /// Records every choice among two or more ready tasks from now on (see
    /// [`Executor::take_recorded_picks`]).
    pub fn record_picks(&mut self) {
        self.picks = Picks::Record(Vec::new());
    }

    /// The choices recorded since [`Executor::record_picks`] (empty when not recording).
    pub fn take_recorded_picks(&mut self) -> Vec<u32> {
        match &mut self.picks {
            Picks::Record(picks) => std::mem::take(picks),
            Picks::Dice | Picks::Script { .. } => Vec::new(),
        }
    }

    /// Makes each choice among two or more ready tasks from `picks`, in order (modulo the
    /// number of ready tasks); once they are spent, the first ready task is chosen.
    pub fn script_picks(&mut self, picks: Vec<u32>) {
        self.picks = Picks::Script { picks, next: 0 };
    }

    /// The clock this executor drives.
    pub fn clock(&self) -> &SimClock {
        &self.clock
    }

    /// A handle for spawning from inside tasks.
    pub fn spawner(&self) -> Spawner {
        self.spawner.clone()
    }

    /// Adds a task; it is ready at once.
    pub fn spawn(&mut self, future: impl Future<Output = ()> + 'static) -> TaskId {
        self.insert(Box::pin(future))
    }

    fn insert(&mut self, task: BoxedTask) -> TaskId {
        let id = TaskId(u32::try_from(self.tasks.len()).expect("fewer than 2^32 tasks"));
        self.tasks.push(Some(task));
        self.live_tasks += 1;
        let mut queue = self.queue.borrow_mut();
        queue.queued.push(false);
        queue.push(id);
        assert_eq!(queue.queued.len(), self.tasks.len());
        id
    }

    /// Number of tasks not yet finished.
    pub fn live_tasks(&self) -> usize {
        self.live_tasks
    }

    /// Total polls so far.
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// Drops every task (the process died) and forgets every timer and queued wake-up.
    pub fn drop_all_tasks(&mut self) {
        self.tasks.iter_mut().for_each(|task| *task = None);
        self.live_tasks = 0;
        self.spawner.pending.borrow_mut().clear();
        let mut queue = self.queue.borrow_mut();
        queue.ready.clear();
        queue.queued.iter_mut().for_each(|queued| *queued = false);
        self.clock.clear_timers();
    }

    /// Runs until every task finishes (`Completed`), the kill switch is triggered (`Halted`),
    /// or the run cannot go on (an [`ExecutorError`]).
    pub fn run(&mut self) -> Result<RunOutcome, ExecutorError> {
        let _guard = CurrentGuard::install(self.queue.clone());
        loop {
            self.adopt_spawned();
            if self.kill_switch.is_triggered() {
                return Ok(RunOutcome::Halted);
            }
            if let Some(task) = self.pick_ready() {
                self.poll_task(task)?;
                continue;
            }
            if self.live_tasks == 0 {
                return Ok(RunOutcome::Completed);
            }
            self.advance_clock()?;
        }
    }

    /// Runs `future` as the only task to completion and returns its output.
    pub fn block_on<T: 'static>(
        &mut self,
        future: impl Future<Output = T> + 'static,
    ) -> Result<T, ExecutorError> {
        let slot: Rc<RefCell<Option<T>>> = Rc::new(RefCell::new(None));
        let output = slot.clone();
        self.spawn(async move {
            let value = future.await;
            *output.borrow_mut() = Some(value);
        });
        match self.run()? {
            RunOutcome::Completed => {}
            RunOutcome::Halted => {
                let pending_tasks = self.live_tasks;
                return Err(ExecutorError::Killed { pending_tasks });
            }
        }
        let value = slot.borrow_mut().take();
        Ok(value.expect("a completed run finished the task"))
    }

    fn adopt_spawned(&mut self) {
        let spawned: Vec<BoxedTask> = std::mem::take(&mut *self.spawner.pending.borrow_mut());
        for task in spawned {
            self.insert(task);
        }
    }

    fn pick_ready(&mut self) -> Option<TaskId> {
        let mut queue = self.queue.borrow_mut();
        if queue.ready.is_empty() {
            return None;
        }
        let ready = queue.ready.len();
        let mut index = self.rng.index(ready);
        if ready > 1 {
            match &mut self.picks {
                Picks::Dice => {}
                Picks::Record(picks) => picks.push(index as u32),
                Picks::Script { picks, next } => {
                    index = picks.get(*next).map_or(0, |&pick| pick as usize % ready);
                    *next += 1;
                }
            }
        }
        assert!(index < ready, "a pick names a ready task");
        let task = queue.ready.swap_remove(index);
        queue.queued[task.0 as usize] = false;
        Some(task)
    }

    fn poll_task(&mut self, task: TaskId) -> Result<(), ExecutorError> {
        self.steps += 1;
        if self.steps > self.limits.steps_max {
            return Err(ExecutorError::StepBudgetExhausted {
                steps: self.steps - 1,
            });
        }
        let slot = task.0 as usize;
        let Some(future) = self.tasks[slot].as_mut() else {
            return Ok(());
        };
        let waker = task_waker(self.id, task);
        let mut cx = Context::from_waker(&waker);
        match catch_unwind(AssertUnwindSafe(|| future.as_mut().poll(&mut cx))) {
            Ok(Poll::Pending) => Ok(()),
            Ok(Poll::Ready(())) => {
                self.tasks[slot] = None;
                self.live_tasks -= 1;
                Ok(())
            }
            Err(payload) => {
                self.tasks[slot] = None;
                self.live_tasks -= 1;
                Err(ExecutorError::TaskPanicked {
                    task,
                    message: panic_message(payload.as_ref()),
                })
            }
        }
    }

    fn advance_clock(&mut self) -> Result<(), ExecutorError> {
        let Some(deadline_ms) = self.clock.next_deadline_ms() else {
            return Err(ExecutorError::Deadlock {
                pending_tasks: self.live_tasks,
                now_ms: self.clock.now_ms(),
            });
        };
        if deadline_ms > self.limits.time_ms_max {
            return Err(ExecutorError::TimeBudgetExhausted {
                now_ms: deadline_ms,
                time_ms_max: self.limits.time_ms_max,
            });
        }
        let now_ms = self.clock.fire_next();
        assert_eq!(
            now_ms,
            Some(deadline_ms),
            "the clock jumps to the next deadline"
        );
        Ok(())
    }
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_string()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "non-string panic payload".to_string()
    }
}

/// A future that yields once: it wakes itself and returns `Pending` on its first poll, letting
/// the scheduler pick another ready task.
pub fn yield_now() -> YieldNow {
    YieldNow { yielded: false }
}

/// Future returned by [`yield_now`].
pub struct YieldNow {
    yielded: bool,
}

impl Future for YieldNow {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            return Poll::Ready(());
        }
        self.yielded = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}
