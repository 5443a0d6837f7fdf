//! The kill switch: how a crash fault ends the simulated process.
//!
//! Storage triggers it when a crash fault fires; the executor checks it after every poll and,
//! once triggered, stops running tasks and reports the halt. The run loop then drops every task
//! and restarts the process over what storage kept durable.

use std::cell::Cell;
use std::rc::Rc;

/// A shared flag: "the simulated process has died". Clones share one flag.
#[derive(Clone, Debug, Default)]
pub struct KillSwitch {
    triggered: Rc<Cell<bool>>,
}

impl KillSwitch {
    /// A switch that has not been triggered.
    pub fn new() -> Self {
        KillSwitch::default()
    }

    /// Marks the process as dead. Idempotent.
    pub fn trigger(&self) {
        self.triggered.set(true);
    }

    /// Whether the process is dead.
    pub fn is_triggered(&self) -> bool {
        self.triggered.get()
    }

    /// Brings the process back to life (after a restart).
    pub fn reset(&self) {
        self.triggered.set(false);
    }
}
