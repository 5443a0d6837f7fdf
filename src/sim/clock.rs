//! Simulated time in milliseconds, and timers that fire in deadline order.
//!
//! Time never moves on its own: the executor jumps it to the next deadline only when no task is
//! ready. Timers with the same deadline fire in the order they were registered (a sequence
//! number breaks ties), so the order of wake-ups is a pure function of the program.

use std::cell::RefCell;
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

#[derive(Default)]
struct ClockState {
    now_ms: u64,
    timer_seq: u64,
    /// Min-heap of (deadline, sequence); the waker of each entry is in `wakers`.
    timers: BinaryHeap<Reverse<(u64, u64)>>,
    wakers: BTreeMap<u64, Waker>,
}

impl ClockState {
    /// Pops heap entries whose sleep was dropped, so time never jumps to a dead deadline.
    fn drop_cancelled(&mut self) {
        while let Some(Reverse((_, seq))) = self.timers.peek().copied() {
            if self.wakers.contains_key(&seq) {
                return;
            }
            self.timers.pop();
        }
    }
}

/// A handle to the simulated clock. Clones share one clock.
#[derive(Clone, Default)]
pub struct SimClock {
    state: Rc<RefCell<ClockState>>,
}

impl SimClock {
    /// A clock at 0 ms with no timers.
    pub fn new() -> Self {
        SimClock::default()
    }

    /// The current simulated time in milliseconds.
    pub fn now_ms(&self) -> u64 {
        self.state.borrow().now_ms
    }

    /// A future that completes once the clock reaches `now + duration_ms`. A zero duration
    /// completes at once.
    pub fn sleep(&self, duration_ms: u64) -> Sleep {
        let deadline_ms = self.now_ms().saturating_add(duration_ms);
        Sleep {
            clock: self.clone(),
            deadline_ms,
            timer: None,
        }
    }

    /// The earliest pending deadline, if any timer is pending.
    pub fn next_deadline_ms(&self) -> Option<u64> {
        let mut state = self.state.borrow_mut();
        state.drop_cancelled();
        state.timers.peek().map(|Reverse((d, _))| *d)
    }

    /// Number of pending (not cancelled) timers.
    pub fn pending_timers(&self) -> usize {
        self.state.borrow().wakers.len()
    }

    /// Jumps the clock to the earliest pending deadline and wakes every timer due by then, in
    /// (deadline, registration) order. Returns the new time, or `None` when no timer is pending.
    pub fn fire_next(&self) -> Option<u64> {
        let mut due = Vec::new();
        let now_ms = {
            let mut state = self.state.borrow_mut();
            state.drop_cancelled();
            let Reverse((deadline_ms, _)) = *state.timers.peek()?;
            assert!(deadline_ms >= state.now_ms, "time must not go backwards");
            state.now_ms = deadline_ms;
            while let Some(Reverse((d, seq))) = state.timers.peek().copied() {
                if d > deadline_ms {
                    break;
                }
                state.timers.pop();
                if let Some(waker) = state.wakers.remove(&seq) {
                    due.push(waker);
                }
            }
            deadline_ms
        };
        for waker in due {
            waker.wake();
        }
        Some(now_ms)
    }

    /// Forgets every pending timer (their tasks died in a crash). Time keeps its value.
    pub fn clear_timers(&self) {
        let mut state = self.state.borrow_mut();
        state.timers.clear();
        state.wakers.clear();
    }

    fn register(&self, deadline_ms: u64, waker: Waker) -> u64 {
        let mut state = self.state.borrow_mut();
        let seq = state.timer_seq;
        state.timer_seq += 1;
        state.timers.push(Reverse((deadline_ms, seq)));
        state.wakers.insert(seq, waker);
        seq
    }

    fn refresh(&self, seq: u64, waker: &Waker) {
        let mut state = self.state.borrow_mut();
        if let Some(slot) = state.wakers.get_mut(&seq) {
            if !slot.will_wake(waker) {
                *slot = waker.clone();
            }
        }
    }

    fn cancel(&self, seq: u64) {
        self.state.borrow_mut().wakers.remove(&seq);
    }
}

/// Future returned by [`SimClock::sleep`]. Dropping it cancels its timer's wake-up.
pub struct Sleep {
    clock: SimClock,
    deadline_ms: u64,
    timer: Option<u64>,
}

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.clock.now_ms() >= self.deadline_ms {
            return Poll::Ready(());
        }
        match self.timer {
            Some(seq) => self.clock.refresh(seq, cx.waker()),
            None => {
                let seq = self.clock.register(self.deadline_ms, cx.waker().clone());
                self.timer = Some(seq);
            }
        }
        Poll::Pending
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        if let Some(seq) = self.timer {
            self.clock.cancel(seq);
        }
    }
}
