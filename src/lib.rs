//! `dst`: a deterministic simulation test harness for the storage layer of an AI-agent server.
//!
//! A seed goes in; a verdict, a trace and a trace hash come out. Everything in between is a
//! pure function of the seed and the scenario: a single-threaded executor with simulated time
//! ([`sim`]), a transactional byte-level KV with a seeded fault injector ([`kv`]), and the
//! `AgentStorage` API mapped onto it by `KvAdapter` ([`agent`]).

#![warn(missing_docs)]

pub mod agent;
pub mod alloc;
pub mod bugs;
pub mod check;
pub mod cli;
pub mod kv;
pub mod report;
pub mod run;
pub mod sim;
pub mod trace;
pub mod workload;

pub use agent::StorageError;
pub use agent::{
    AgentMetadata, AgentStorage, Block, CustomToolRecord, KvAdapter, Message, MessageRole,
    PendingToolCall, SessionState,
};
pub use bugs::{Bug, BugSet};
pub use kv::{
    ActorId, ActorKV, ActorTransaction, FaultConfig, FaultInjector, FaultType, MemoryKV, SimStorage,
};
pub use sim::{
    DeterministicRng, Executor, ExecutorError, ExecutorLimits, KillSwitch, RunOutcome, SimClock,
};
