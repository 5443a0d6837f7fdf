//! `Tagged`: a task wrapper that tells the world which task is being polled, so a fault that
//! fires inside a storage call is attributed to the op that task has in flight.

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

/// A boxed task future.
pub type BoxedTask = Pin<Box<dyn Future<Output = ()>>>;

/// Sets `current` to `task` before every poll of `inner`.
pub struct Tagged {
    /// The task's id.
    pub task: u32,
    /// Where the id of the task being polled is kept.
    pub current: Rc<Cell<Option<u32>>>,
    /// The task itself.
    pub inner: BoxedTask,
}

impl Future for Tagged {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.current.set(Some(self.task));
        self.inner.as_mut().poll(cx)
    }
}
