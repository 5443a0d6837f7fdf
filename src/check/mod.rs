//! The model (oracle) and the invariants that judge a run against it.
//!
//! Invariants, by stable name: `checkpoint_atomicity`, `no_orphans`,
//! `acknowledged_durability`, `no_phantoms`, `read_consistency`, `no_lost_updates`,
//! `liveness`, plus the harness failures `panic` and `deadlock`.

mod blocks;
mod messages;
mod model;
mod register;
mod state;
pub mod tokens;

pub use blocks::{check_block, check_own_block};
pub use messages::{check_message, check_message_order};
pub use model::{Effect, Model, OpInfo, OPEN_END};
pub use register::{check_register, Finding, Observed, Window, NO_TOKEN};
pub use state::{check_durable_state, StateReport};
