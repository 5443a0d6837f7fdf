//! Short, readable summaries of records and lists for violation evidence. Only called when a
//! violation is found: nothing here runs on a passing check.

use super::call::{Answer, Call};
use super::state::{ModelBlock, ModelMessage, Slot};
use crate::agent::{AgentMetadata, Block, CustomToolRecord, Message, SessionState, StorageError};

/// Most list items a summary names before eliding the rest.
const ITEMS_SHOWN_MAX: usize = 8;

/// `[n: a, b, ...]`, naming at most [`ITEMS_SHOWN_MAX`] items.
pub fn list<T>(items: &[T], item: impl Fn(&T) -> String) -> String {
    let shown: Vec<String> = items.iter().take(ITEMS_SHOWN_MAX).map(item).collect();
    let more = items.len().saturating_sub(ITEMS_SHOWN_MAX);
    let tail = if more > 0 {
        format!(", ... {more} more")
    } else {
        String::new()
    };
    format!("[{}: {}{tail}]", items.len(), shown.join(", "))
}

/// `none`, or the record's summary.
pub fn option<T>(value: Option<&T>, item: impl Fn(&T) -> String) -> String {
    value.map_or_else(|| "none".to_string(), item)
}

/// An agent: its id and what its metadata names.
pub fn agent(agent: &AgentMetadata) -> String {
    format!("agent '{}' ({}, {})", agent.id, agent.name, agent.metadata)
}

/// A session: id, iteration, checkpoint time, running or stopped.
pub fn session(session: &SessionState) -> String {
    let state = session.stop_reason.as_deref().unwrap_or("running");
    format!(
        "session '{}' iteration {} at {} ms {state} ({})",
        session.session_id,
        session.iteration,
        session.checkpointed_at_ms,
        session.last_tool_result.as_deref().unwrap_or("-")
    )
}

/// A message: id and creation time.
pub fn message(message: &Message) -> String {
    format!("'{}'@{}", message.id, message.created_at_ms)
}

/// A message as the model holds it.
pub fn model_message(message: &ModelMessage) -> String {
    match &message.message {
        Some(m) => self::message(m),
        None => format!("<damaged>@{}", message.created_at_ms),
    }
}

/// A block: label and value.
pub fn block(block: &Block) -> String {
    format!(
        "'{}' = '{}' (id '{}', updated {} ms)",
        block.label, block.value, block.id, block.updated_at_ms
    )
}

/// A block as the model holds it, with its stamp window.
pub fn model_block(block: &ModelBlock) -> String {
    format!(
        "'{}' = '{}' (id '{}', updated {}..={} ms)",
        block.label, block.value, block.id, block.updated_at.low_ms, block.updated_at.high_ms
    )
}

/// A tool: name and description.
pub fn tool(tool: &CustomToolRecord) -> String {
    format!("tool '{}' ({})", tool.name, tool.description)
}

/// A slot: `absent`, `damaged`, or the record's summary.
pub fn slot<T>(slot: &Slot<T>, item: impl Fn(&T) -> String) -> String {
    match slot {
        Slot::Absent => "absent".to_string(),
        Slot::Present(record) => item(record),
        Slot::Damaged => "damaged".to_string(),
    }
}

/// What an operation returned: its answer, or its error's kind and text.
pub fn returned(returned: Result<&Answer, &StorageError>) -> String {
    match returned {
        Ok(answer) => answer_summary(answer),
        Err(error) => format!("{} ({error})", error.kind()),
    }
}

fn answer_summary(answer: &Answer) -> String {
    match answer {
        Answer::Done => "success".to_string(),
        Answer::Exists(exists) => exists.to_string(),
        Answer::Agent(agent) => option(agent.as_ref(), self::agent),
        Answer::Agents(agents) => list(agents, self::agent),
        Answer::Blocks(blocks) => list(blocks, self::block),
        Answer::Block(block) => self::block(block),
        Answer::Session(session) => option(session.as_ref(), self::session),
        Answer::Sessions(sessions) => list(sessions, self::session),
        Answer::Messages(messages) => list(messages, self::message),
        Answer::Count(count) => count.to_string(),
        Answer::Tool(tool) => option(tool.as_ref(), self::tool),
        Answer::Tools(tools) => list(tools, self::tool),
    }
}

/// The arguments of a call, short: ids, labels, limits and record ids.
pub fn call_args(call: &Call) -> String {
    match call {
        Call::SaveAgent(agent) => format!("'{}'", agent.id),
        Call::LoadAgent(id)
        | Call::DeleteAgent(id)
        | Call::AgentExists(id)
        | Call::LoadBlocks(id)
        | Call::ListSessions(id)
        | Call::LoadLatestSession(id)
        | Call::CountMessages(id)
        | Call::DeleteMessages(id)
        | Call::LoadTool(id)
        | Call::DeleteTool(id) => format!("'{id}'"),
        Call::ListAgents | Call::ListTools => String::new(),
        Call::SaveBlocks { agent, blocks } => format!("'{agent}', {} blocks", blocks.len()),
        Call::UpdateBlock {
            agent,
            label,
            value,
        } => format!("'{agent}', '{label}', '{value}'"),
        Call::AppendBlock {
            agent,
            label,
            content,
        } => format!("'{agent}', '{label}', +'{content}'"),
        Call::SaveSession(s) => format!("'{}', {}", s.agent_id, session(s)),
        Call::LoadSession { agent, session } | Call::DeleteSession { agent, session } => {
            format!("'{agent}', '{session}'")
        }
        Call::AppendMessage { agent, message: m } => format!("'{agent}', {}", message(m)),
        Call::LoadMessages { agent, limit } => format!("'{agent}', limit {limit}"),
        Call::LoadMessagesSince { agent, since_ms } => format!("'{agent}', since {since_ms} ms"),
        Call::SaveTool(t) => tool(t),
        Call::Checkpoint {
            session: s,
            message: m,
        } => {
            let m = m.as_deref().map_or("no message".to_string(), message);
            format!("'{}', {}, {m}", s.agent_id, session(s))
        }
    }
}
