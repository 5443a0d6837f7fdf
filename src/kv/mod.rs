//! The byte-level transactional KV ([`ActorKV`], [`ActorTransaction`]), its two
//! implementations ([`SimStorage`] with faults and crashes, [`MemoryKV`] without), and the
//! seeded [`FaultInjector`].

mod actor_kv;
mod error;
mod fault;
mod injector;
mod memory;
mod sim_state;
mod sim_storage;
mod sim_transaction;
mod store;
mod txn_buffer;

pub use actor_kv::{ActorId, ActorKV, ActorTransaction, Key, KvOp, RangeScan, Value};
pub use error::KvError;
pub use fault::{FaultConfig, FaultEffect, FaultType, InjectedFault, KvEvent};
pub use injector::{FaultDecider, FaultInjector, FiredFault};
pub use memory::{MemoryKV, MemoryTransaction};
pub use sim_storage::{KvObserver, SimStorage};
pub use sim_transaction::SimTransaction;
