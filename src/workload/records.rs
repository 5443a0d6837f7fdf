//! Records the workload writes, each carrying its op id as a write token (see
//! `check::tokens`), so every stored value can be traced to the op that wrote it.

use serde_json::json;

use crate::agent::{
    AgentMetadata, Block, CustomToolRecord, Message, MessageRole, PendingToolCall, SessionState,
};
use crate::check::tokens::{message_id, write_token};

/// Agent ids of a run: `agent-0` .. `agent-{n-1}`.
pub fn agent_id(index: u64) -> String {
    format!("agent-{index}")
}

/// Block labels the workload uses.
pub const BLOCK_LABELS: [&str; 3] = ["persona", "human", "scratch"];

/// Tool names the workload uses.
pub const TOOL_NAMES: [&str; 4] = ["search", "calculator", "weather", "shell"];

/// A fresh agent record written by op `op`.
pub fn agent(id: &str, op: u64, now_ms: u64) -> AgentMetadata {
    AgentMetadata {
        id: id.to_string(),
        name: format!("Agent {id}"),
        agent_type: "memgpt_agent".to_string(),
        model: Some("sim-model".to_string()),
        embedding: None,
        system: Some("You are a simulated agent.".to_string()),
        description: None,
        tool_ids: vec![TOOL_NAMES[0].to_string()],
        tags: vec!["dst".to_string()],
        metadata: json!({ "w": op }),
        created_at_ms: now_ms,
        updated_at_ms: now_ms,
    }
}

/// The initial blocks of an agent, created by op `op`.
pub fn initial_blocks(op: u64, now_ms: u64) -> Vec<Block> {
    BLOCK_LABELS[..2]
        .iter()
        .map(|label| Block {
            id: format!("{label}-{op}"),
            label: label.to_string(),
            value: format!("c{op};"),
            description: None,
            limit: None,
            created_at_ms: now_ms,
            updated_at_ms: now_ms,
        })
        .collect()
}

/// A new session of `agent_id`, started by op `op`.
pub fn new_session(agent_id: &str, op: u64, now_ms: u64) -> SessionState {
    SessionState {
        session_id: format!("s{op}"),
        agent_id: agent_id.to_string(),
        iteration: 0,
        pause_until_ms: None,
        pending_tool_calls: Vec::new(),
        last_tool_result: Some(write_token(op)),
        stop_reason: None,
        started_at_ms: now_ms,
        checkpointed_at_ms: now_ms,
    }
}

/// `previous` advanced by one iteration, written by op `op`, with `pending` tool calls.
pub fn next_session(previous: &SessionState, op: u64, now_ms: u64, pending: u64) -> SessionState {
    let pending_tool_calls = (0..pending)
        .map(|i| PendingToolCall {
            id: format!("call-{op}-{i}"),
            tool_name: TOOL_NAMES[(i as usize) % TOOL_NAMES.len()].to_string(),
            tool_input: json!({ "query": format!("q{op}-{i}") }),
            started_at_ms: now_ms,
            completed: false,
            result: None,
        })
        .collect();
    SessionState {
        iteration: previous.iteration + 1,
        pending_tool_calls,
        last_tool_result: Some(write_token(op)),
        checkpointed_at_ms: now_ms,
        ..previous.clone()
    }
}

/// `previous` stopped, written by op `op`.
pub fn stopped_session(previous: &SessionState, op: u64, now_ms: u64) -> SessionState {
    SessionState {
        stop_reason: Some("end_turn".to_string()),
        last_tool_result: Some(write_token(op)),
        checkpointed_at_ms: now_ms,
        ..previous.clone()
    }
}

/// The message appended by op `op`.
pub fn message(agent_id: &str, op: u64, role: MessageRole, now_ms: u64) -> Message {
    Message {
        id: message_id(op),
        agent_id: agent_id.to_string(),
        message_type: format!("{role:?}_message").to_lowercase(),
        role,
        content: format!("content of op {op}"),
        tool_call_id: None,
        tool_calls: Vec::new(),
        created_at_ms: now_ms,
    }
}

/// A custom tool written by op `op`.
pub fn tool(name: &str, op: u64, now_ms: u64) -> CustomToolRecord {
    CustomToolRecord {
        name: name.to_string(),
        description: write_token(op),
        input_schema: json!({ "type": "object" }),
        source_code: format!("def {name}(): return {op}"),
        runtime: "python".to_string(),
        requirements: Vec::new(),
        created_at_ms: now_ms,
        updated_at_ms: now_ms,
    }
}
