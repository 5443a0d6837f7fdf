//! The oracle: an exact reference model of `AgentStorage` that judges every answer, and the
//! checks of the durable state against it.
//!
//! The model ([`Model`]) keeps, per agent and per tool, the few states the entity may be in
//! (typed records in ordered maps; no keys, no JSON, no code shared with the adapter). Every
//! operation is judged as it returns: a read's answer must be exactly what a candidate state
//! gives, an error must be one the state or a fault explains, a write's effect is folded in.
//! After every recovery, and at the end, the durable state (decoded by the checker's own
//! reader of the documented format, [`durable`]) must be one of the candidates.
//!
//! Invariants, by stable name: see [`INVARIANTS`].

mod answers;
pub mod call;
pub mod contract;
mod damage;
pub mod durable;
mod entity;
mod entity_map;
mod finding;
mod in_flight;
mod listing;
mod model;
mod names;
mod notes;
mod render;
mod semantics;
mod settle;
pub mod state;

pub use call::{Answer, Call, Id, Scope};
pub use finding::{Finding, INVARIANTS};
pub use model::{Model, OpOutcome, OpRecord};
pub use notes::{Damage, OpNotes};
