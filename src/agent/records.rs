//! The records `AgentStorage` keeps, with the fields of the original server. Timestamps are
//! simulated milliseconds. Every record is plain data with a fixed field order, so its JSON
//! encoding is deterministic.

use std::rc::Rc;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Longest agent name, in bytes.
pub const AGENT_NAME_BYTES_MAX: usize = 256;
/// Longest session id, in bytes.
pub const SESSION_ID_BYTES_MAX: usize = 64;
/// Most pending tool calls one session may hold.
pub const PENDING_TOOL_CALLS_MAX: usize = 10;
/// Largest tool input, in bytes of its JSON encoding.
pub const TOOL_INPUT_BYTES_MAX: usize = 1024 * 1024;
/// Largest `limit` of `load_messages`.
pub const MESSAGE_LOAD_LIMIT_MAX: usize = 1000;
/// `limit` of `load_messages` when the caller has no preference.
pub const MESSAGE_LOAD_LIMIT_DEFAULT: usize = 50;

/// An agent's metadata, stored at `agents/{id}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AgentMetadata {
    /// Unique id; must be non-empty and free of `/`.
    pub id: String,
    /// Display name, at most [`AGENT_NAME_BYTES_MAX`] bytes.
    pub name: String,
    /// Kind of agent loop.
    pub agent_type: String,
    /// Model name.
    pub model: Option<String>,
    /// Embedding model name.
    pub embedding: Option<String>,
    /// System prompt.
    pub system: Option<String>,
    /// Free text.
    pub description: Option<String>,
    /// Tools the agent may call.
    pub tool_ids: Vec<String>,
    /// Labels.
    pub tags: Vec<String>,
    /// Arbitrary JSON.
    pub metadata: Value,
    /// Creation time, simulated ms.
    pub created_at_ms: u64,
    /// Last update time, simulated ms.
    pub updated_at_ms: u64,
}

/// A core memory block; an agent's blocks are stored together at `blocks/{agent_id}`. Its
/// texts are shared (`Rc<str>`), so the copies storage returns allocate no text.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Block {
    /// Unique id.
    pub id: Rc<str>,
    /// Label, unique within the agent (e.g. `persona`, `human`).
    pub label: Rc<str>,
    /// Contents.
    pub value: Rc<str>,
    /// Free text.
    pub description: Option<Rc<str>>,
    /// Largest allowed `value` length in bytes, if any.
    pub limit: Option<u64>,
    /// Creation time, simulated ms.
    pub created_at_ms: u64,
    /// Last update time, simulated ms.
    pub updated_at_ms: u64,
}

/// A tool call the agent loop started and may not have finished.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PendingToolCall {
    /// Call id.
    pub id: String,
    /// Tool name.
    pub tool_name: String,
    /// Input, at most [`TOOL_INPUT_BYTES_MAX`] bytes as JSON.
    pub tool_input: Value,
    /// Start time, simulated ms.
    pub started_at_ms: u64,
    /// Whether the call finished.
    pub completed: bool,
    /// Its result, once finished.
    pub result: Option<String>,
}

/// The state of one agent-loop session, stored at `sessions/{agent_id}/{session_id}`. Its
/// texts and pending calls are shared (`Rc`), so the copies storage returns allocate nothing.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SessionState {
    /// Session id, at most [`SESSION_ID_BYTES_MAX`] bytes.
    pub session_id: Rc<str>,
    /// Owning agent.
    pub agent_id: Rc<str>,
    /// Completed loop iterations.
    pub iteration: u64,
    /// The loop sleeps until this simulated time, if set.
    pub pause_until_ms: Option<u64>,
    /// At most [`PENDING_TOOL_CALLS_MAX`] calls in flight.
    pub pending_tool_calls: Rc<[PendingToolCall]>,
    /// Result of the last finished tool call.
    pub last_tool_result: Option<Rc<str>>,
    /// Why the session stopped; `None` while it runs.
    pub stop_reason: Option<Rc<str>>,
    /// Start time, simulated ms.
    pub started_at_ms: u64,
    /// Time of the last checkpoint, simulated ms.
    pub checkpointed_at_ms: u64,
}

/// Who wrote a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageRole {
    /// The user.
    User,
    /// The agent.
    Assistant,
    /// The system prompt or the server.
    System,
    /// A tool's output.
    Tool,
}

/// One message of an agent's history, stored at `messages/{agent_id}/{sequence}` so keys sort
/// in append order. Its texts are shared (`Rc<str>`): a message is copied whenever storage
/// returns it, and a copy then allocates nothing.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Message {
    /// Unique id.
    pub id: Rc<str>,
    /// Owning agent.
    pub agent_id: Rc<str>,
    /// Kind of message (e.g. `user_message`, `assistant_message`).
    pub message_type: Rc<str>,
    /// Author.
    pub role: MessageRole,
    /// Text.
    pub content: Rc<str>,
    /// The tool call this message answers, if any.
    pub tool_call_id: Option<Rc<str>>,
    /// Tool calls this message makes.
    pub tool_calls: Vec<String>,
    /// Creation time, simulated ms, set by the caller from the simulated clock and stored as
    /// given (`load_messages_since` filters on it).
    pub created_at_ms: u64,
}

/// A custom tool, stored at `tools/{name}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CustomToolRecord {
    /// Unique name.
    pub name: String,
    /// Free text.
    pub description: String,
    /// JSON schema of the input.
    pub input_schema: Value,
    /// Source code.
    pub source_code: String,
    /// Runtime (e.g. `python`).
    pub runtime: String,
    /// Packages the tool needs.
    pub requirements: Vec<String>,
    /// Creation time, simulated ms.
    pub created_at_ms: u64,
    /// Last update time, simulated ms.
    pub updated_at_ms: u64,
}
