//! The byte-level transactional KV ([`ActorKV`], [`ActorTransaction`]), its two
//! implementations ([`SimStorage`] with faults and crashes, [`MemoryKV`] without), and the
//! seeded [`FaultInjector`].

mod actor_kv;
mod fault;

pub use actor_kv::{ActorId, ActorKV, ActorTransaction, KvOp};
pub use fault::{FaultConfig, FaultEffect, FaultType, InjectedFault};
