//! `AgentStorage`, the high-level API the agent server uses, its records, and `KvAdapter`,
//! which maps it onto any `ActorKV`.

mod adapter;
pub mod codec;
mod error;
mod error_text;
pub mod keys;
pub mod record_json;
pub mod record_json_read;
pub mod records;
mod storage;
pub mod utf8;

pub use adapter::{KvAdapter, CONFLICT_ATTEMPTS_MAX};
pub use error::{display_key, StorageError};
pub use records::{
    AgentMetadata, Block, CustomToolRecord, Message, MessageRole, PendingToolCall, SessionState,
};
pub use storage::AgentStorage;
