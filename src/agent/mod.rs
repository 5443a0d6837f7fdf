//! `AgentStorage`, the high-level API the agent server uses, its records, and `KvAdapter`,
//! which maps it onto any `ActorKV`.

mod error;

pub use error::{display_key, StorageError};
