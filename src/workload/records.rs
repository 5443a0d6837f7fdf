//! Records the workload writes. Each names the op that wrote it (a token in a free-text field),
//! so a human reading a trace or a violation can tell which write a value came from; the
//! checker compares whole records and does not rely on the tokens.

use std::rc::Rc;

use serde_json::json;

use super::text::{concat, Part};

use crate::agent::{
    AgentMetadata, Block, CustomToolRecord, Message, MessageRole, PendingToolCall, SessionState,
};

/// Block labels the workload uses; labels are not part of any key, so `/` is fine in them.
pub const BLOCK_LABELS: [&str; 4] = ["persona", "human", "scratch", "notes/ü"];

/// `w{op}`: the token naming the op that wrote a record.
pub fn write_token(op: u64) -> String {
    concat(&[Part::Text("w"), Part::Number(op)])
}

/// A fresh agent record written by op `op`.
pub fn agent(id: &str, op: u64, now_ms: u64) -> AgentMetadata {
    AgentMetadata {
        id: id.to_string(),
        name: concat(&[Part::Text("Agent "), Part::Number(op)]),
        agent_type: "memgpt_agent".to_string(),
        model: Some("sim-model".to_string()),
        embedding: None,
        system: Some("You are a simulated agent.".to_string()),
        description: None,
        tool_ids: vec!["search".to_string()],
        tags: vec!["dst".to_string()],
        metadata: json!({ "w": op }),
        created_at_ms: now_ms,
        updated_at_ms: now_ms,
    }
}

/// The blocks op `op` saves: the first `count` labels, each with value `c{op};`.
pub fn blocks(op: u64, now_ms: u64, count: usize) -> Vec<Block> {
    BLOCK_LABELS[..count]
        .iter()
        .map(|label| Block {
            id: concat(&[Part::Text(label), Part::Text("-"), Part::Number(op)]).into(),
            label: (*label).into(),
            value: concat(&[Part::Text("c"), Part::Number(op), Part::Text(";")]).into(),
            description: None,
            limit: None,
            created_at_ms: now_ms,
            updated_at_ms: now_ms,
        })
        .collect()
}

/// A new session `session_id` of `agent_id`, started by op `op`.
pub fn new_session(agent_id: &str, session_id: &str, op: u64, now_ms: u64) -> SessionState {
    SessionState {
        session_id: session_id.into(),
        agent_id: agent_id.into(),
        iteration: 0,
        pause_until_ms: None,
        pending_tool_calls: Rc::from([]),
        last_tool_result: Some(write_token(op).into()),
        stop_reason: None,
        started_at_ms: now_ms,
        checkpointed_at_ms: now_ms,
    }
}

/// Largest tool input the contract accepts, in bytes of its JSON encoding.
const TOOL_INPUT_BYTES_MAX: usize = 1024 * 1024;
/// Most pending tool calls the contract accepts in one session.
const PENDING_TOOL_CALLS_MAX: usize = 10;
/// Longest agent name the contract accepts, in bytes.
const AGENT_NAME_BYTES_MAX: usize = 256;

/// A pending call `i` of op `op` with `tool_input`.
fn pending_call(op: u64, i: usize, tool_input: serde_json::Value, now_ms: u64) -> PendingToolCall {
    PendingToolCall {
        id: concat(&[
            Part::Text("call-"),
            Part::Number(op),
            Part::Text("-"),
            Part::Number(i as u64),
        ]),
        tool_name: "search".to_string(),
        tool_input,
        started_at_ms: now_ms,
        completed: false,
        result: None,
    }
}

/// A tool input well within the contract's limit but far larger than the workload's usual
/// ones, in bytes of its JSON encoding.
const TOOL_INPUT_BYTES_LARGE: usize = 4096;

/// Puts `session` at (variant even) or just over (variant odd) a limit of the contract:
/// variants 0-1 the number of pending tool calls, 2-3 the size of a tool input (variant 2 a
/// large legal one, variant 3 one byte over the megabyte, only for one op in 256: measuring
/// it costs a pass over the megabyte), others leave it as it is.
pub fn at_limits(session: &mut SessionState, op: u64, variant: u64) {
    let over = usize::from(variant % 2 == 1);
    let now_ms = session.started_at_ms;
    let quotes = 2;
    let input_bytes = match variant {
        0 | 1 => {
            session.pending_tool_calls = (0..PENDING_TOOL_CALLS_MAX + over)
                .map(|i| pending_call(op, i, json!({ "query": i }), now_ms))
                .collect();
            return;
        }
        2 => TOOL_INPUT_BYTES_LARGE,
        3 if op.is_multiple_of(256) => TOOL_INPUT_BYTES_MAX + 1,
        _ => return,
    };
    let text = "x".repeat(input_bytes - quotes);
    session.pending_tool_calls =
        Rc::from([pending_call(op, 0, serde_json::Value::String(text), now_ms)]);
}

/// `agent` with a name at (variant 0) or one byte over (variant 1) the contract's limit.
pub fn agent_name_at_limit(agent: &mut AgentMetadata, variant: u64) {
    if variant < 2 {
        agent.name = "n".repeat(AGENT_NAME_BYTES_MAX + variant as usize);
    }
}

/// `previous` advanced by one iteration, written by op `op`, with `pending` tool calls.
pub fn next_session(previous: &SessionState, op: u64, now_ms: u64, pending: u64) -> SessionState {
    let pending_tool_calls = (0..pending as usize)
        .map(|i| {
            let query = concat(&[
                Part::Text("q"),
                Part::Number(op),
                Part::Text("-"),
                Part::Number(i as u64),
            ]);
            pending_call(op, i, json!({ "query": query }), now_ms)
        })
        .collect();
    SessionState {
        session_id: previous.session_id.clone(),
        agent_id: previous.agent_id.clone(),
        iteration: previous.iteration + 1,
        pause_until_ms: previous.pause_until_ms,
        pending_tool_calls,
        last_tool_result: Some(write_token(op).into()),
        stop_reason: previous.stop_reason.clone(),
        started_at_ms: previous.started_at_ms,
        checkpointed_at_ms: now_ms,
    }
}

/// `previous` stopped, written by op `op`.
pub fn stopped_session(previous: &SessionState, op: u64, now_ms: u64) -> SessionState {
    SessionState {
        stop_reason: Some("end_turn".into()),
        last_tool_result: Some(write_token(op).into()),
        checkpointed_at_ms: now_ms,
        ..previous.clone()
    }
}

/// An owner id that is not `agent`: what a message stored under `agent` must never name.
pub fn foreign_owner(agent: &str) -> String {
    let foreign = format!("{agent}-other");
    assert_ne!(foreign, agent, "a foreign owner differs");
    foreign
}

/// The message `id` of `agent_id` (shared, not copied), written by `role`, created at
/// `created_at_ms`.
pub fn message(agent_id: &Rc<str>, id: &str, role: MessageRole, created_at_ms: u64) -> Message {
    Message {
        id: id.into(),
        agent_id: Rc::clone(agent_id),
        message_type: shared_message_type(role),
        role,
        content: concat(&[Part::Text("content of "), Part::Text(id)]).into(),
        tool_call_id: None,
        tool_calls: Vec::new(),
        created_at_ms,
    }
}

/// The `message_type` of a message by `role`: `{role}_message`, the role in snake case.
fn message_type(role: MessageRole) -> &'static str {
    match role {
        MessageRole::User => "user_message",
        MessageRole::Assistant => "assistant_message",
        MessageRole::System => "system_message",
        MessageRole::Tool => "tool_message",
    }
}

thread_local! {
    /// Each role's `message_type`, allocated once per thread and shared by every message.
    static MESSAGE_TYPES: [Rc<str>; 4] = [
        MessageRole::User,
        MessageRole::Assistant,
        MessageRole::System,
        MessageRole::Tool,
    ]
    .map(|role| Rc::from(message_type(role)));
}

/// [`message_type`] of `role`, shared.
fn shared_message_type(role: MessageRole) -> Rc<str> {
    let shared = MESSAGE_TYPES.with(|types| Rc::clone(&types[role as usize]));
    assert_eq!(*shared, *message_type(role), "the role's own type");
    shared
}

/// A custom tool written by op `op`.
pub fn tool(name: &str, op: u64, now_ms: u64) -> CustomToolRecord {
    CustomToolRecord {
        name: name.to_string(),
        description: write_token(op),
        input_schema: json!({ "type": "object" }),
        source_code: concat(&[Part::Text("def tool(): return "), Part::Number(op)]),
        runtime: "python".to_string(),
        requirements: Vec::new(),
        created_at_ms: now_ms,
        updated_at_ms: now_ms,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_types_are_the_role_in_snake_case() {
        let roles = [
            MessageRole::User,
            MessageRole::Assistant,
            MessageRole::System,
            MessageRole::Tool,
        ];
        for role in roles {
            let snake = serde_json::to_value(role).unwrap();
            assert_eq!(
                message_type(role),
                format!("{}_message", snake.as_str().unwrap())
            );
        }
    }
}
