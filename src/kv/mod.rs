//! The byte-level transactional KV ([`ActorKV`], [`ActorTransaction`]), its implementations
//! ([`SimStorage`] with faults and crashes, [`MemoryKV`] without, [`RedbStorage`] over a real
//! database file), and the seeded [`FaultInjector`].

mod actor_kv;
mod buffered_writes;
mod change_log;
mod durable_overlay;
mod error;
mod fault;
mod injector;
mod memory;
mod redb_store;
mod redb_table;
mod redb_transaction;
mod sim_state;
mod sim_storage;
mod sim_transaction;
mod store;
mod txn_buffer;
mod write_log;

pub use actor_kv::{ActorId, ActorKV, ActorTransaction, Key, KvOp, RangeScan, Value};
pub use error::KvError;
pub use fault::{
    FaultConfig, FaultEffect, FaultType, InjectedFault, KvEvent, TORN_NEAR_START_BYTES,
};
pub use injector::{FaultDecider, FaultInjector, FiredFault};
pub use memory::{MemoryKV, MemoryTransaction};
pub use redb_store::{injectable, CommitMode, RedbStorage};
pub use redb_table::{check_file, open_database};
pub use redb_transaction::RedbTransaction;
pub use sim_storage::{KvObserver, SimStorage};
pub use sim_transaction::SimTransaction;
