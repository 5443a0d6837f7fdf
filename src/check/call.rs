//! What the model is told about each operation: the `AgentStorage` call with its arguments
//! ([`Call`]), the entity it touches ([`Scope`]), and what came back ([`Answer`]).
//!
//! Records are shared (`Rc`) between the workload that writes them and the model that keeps
//! them, so declaring a call copies nothing.

use std::rc::Rc;

use crate::agent::{AgentMetadata, Block, CustomToolRecord, Message, SessionState};

/// An identifier (agent id, session id, label, tool name), shared.
pub type Id = Rc<str>;

/// One `AgentStorage` call with its arguments.
#[derive(Clone, Debug)]
pub enum Call {
    /// `save_agent`.
    SaveAgent(Rc<AgentMetadata>),
    /// `load_agent`.
    LoadAgent(Id),
    /// `delete_agent`.
    DeleteAgent(Id),
    /// `list_agents`.
    ListAgents,
    /// `agent_exists`.
    AgentExists(Id),
    /// `save_blocks`.
    SaveBlocks {
        /// Owning agent.
        agent: Id,
        /// The blocks that replace the agent's blocks.
        blocks: Rc<Vec<Block>>,
    },
    /// `load_blocks`.
    LoadBlocks(Id),
    /// `update_block`.
    UpdateBlock {
        /// Owning agent.
        agent: Id,
        /// Label of the block.
        label: Id,
        /// The new value.
        value: Id,
    },
    /// `append_block`.
    AppendBlock {
        /// Owning agent.
        agent: Id,
        /// Label of the block.
        label: Id,
        /// Text appended to the value.
        content: Id,
    },
    /// `save_session`.
    SaveSession(Rc<SessionState>),
    /// `load_session`.
    LoadSession {
        /// Owning agent.
        agent: Id,
        /// Session id.
        session: Id,
    },
    /// `delete_session`.
    DeleteSession {
        /// Owning agent.
        agent: Id,
        /// Session id.
        session: Id,
    },
    /// `list_sessions`.
    ListSessions(Id),
    /// `load_latest_session`.
    LoadLatestSession(Id),
    /// `append_message`.
    AppendMessage {
        /// The agent the message is appended to.
        agent: Id,
        /// The message.
        message: Rc<Message>,
    },
    /// `load_messages`.
    LoadMessages {
        /// Owning agent.
        agent: Id,
        /// Most messages returned.
        limit: usize,
    },
    /// `load_messages_since`.
    LoadMessagesSince {
        /// Owning agent.
        agent: Id,
        /// Only messages created strictly after this time.
        since_ms: u64,
    },
    /// `count_messages`.
    CountMessages(Id),
    /// `delete_messages`.
    DeleteMessages(Id),
    /// `save_custom_tool`.
    SaveTool(Rc<CustomToolRecord>),
    /// `load_custom_tool`.
    LoadTool(Id),
    /// `delete_custom_tool`.
    DeleteTool(Id),
    /// `list_custom_tools`.
    ListTools,
    /// `checkpoint`.
    Checkpoint {
        /// The session state saved.
        session: Rc<SessionState>,
        /// The message appended with it, if any.
        message: Option<Rc<Message>>,
    },
}

/// The entity a call reads or changes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope<'a> {
    /// One agent and everything it owns.
    Agent(&'a str),
    /// One custom tool.
    Tool(&'a str),
    /// Every agent's record.
    AllAgents,
    /// Every tool.
    AllTools,
}

impl Call {
    /// Every `AgentStorage` method name, indexed by [`Call::kind`].
    pub const NAMES: [&'static str; 24] = [
        "save_agent",
        "load_agent",
        "delete_agent",
        "list_agents",
        "agent_exists",
        "save_blocks",
        "load_blocks",
        "update_block",
        "append_block",
        "save_session",
        "load_session",
        "delete_session",
        "list_sessions",
        "load_latest_session",
        "append_message",
        "load_messages",
        "load_messages_since",
        "count_messages",
        "delete_messages",
        "save_custom_tool",
        "load_custom_tool",
        "delete_custom_tool",
        "list_custom_tools",
        "checkpoint",
    ];

    /// Which method this calls: an index of [`Call::NAMES`], for tallies kept by method.
    pub fn kind(&self) -> usize {
        match self {
            Call::SaveAgent(_) => 0,
            Call::LoadAgent(_) => 1,
            Call::DeleteAgent(_) => 2,
            Call::ListAgents => 3,
            Call::AgentExists(_) => 4,
            Call::SaveBlocks { .. } => 5,
            Call::LoadBlocks(_) => 6,
            Call::UpdateBlock { .. } => 7,
            Call::AppendBlock { .. } => 8,
            Call::SaveSession(_) => 9,
            Call::LoadSession { .. } => 10,
            Call::DeleteSession { .. } => 11,
            Call::ListSessions(_) => 12,
            Call::LoadLatestSession(_) => 13,
            Call::AppendMessage { .. } => 14,
            Call::LoadMessages { .. } => 15,
            Call::LoadMessagesSince { .. } => 16,
            Call::CountMessages(_) => 17,
            Call::DeleteMessages(_) => 18,
            Call::SaveTool(_) => 19,
            Call::LoadTool(_) => 20,
            Call::DeleteTool(_) => 21,
            Call::ListTools => 22,
            Call::Checkpoint { .. } => 23,
        }
    }

    /// The `AgentStorage` method name.
    pub fn name(&self) -> &'static str {
        Call::NAMES[self.kind()]
    }

    /// The entity the call touches.
    pub fn scope(&self) -> Scope<'_> {
        match self {
            Call::SaveAgent(agent) => Scope::Agent(&agent.id),
            Call::SaveSession(session) | Call::Checkpoint { session, .. } => {
                Scope::Agent(&session.agent_id)
            }
            Call::LoadAgent(agent)
            | Call::DeleteAgent(agent)
            | Call::AgentExists(agent)
            | Call::LoadBlocks(agent)
            | Call::ListSessions(agent)
            | Call::LoadLatestSession(agent)
            | Call::CountMessages(agent)
            | Call::DeleteMessages(agent)
            | Call::SaveBlocks { agent, .. }
            | Call::UpdateBlock { agent, .. }
            | Call::AppendBlock { agent, .. }
            | Call::LoadSession { agent, .. }
            | Call::DeleteSession { agent, .. }
            | Call::AppendMessage { agent, .. }
            | Call::LoadMessages { agent, .. }
            | Call::LoadMessagesSince { agent, .. } => Scope::Agent(agent),
            Call::SaveTool(tool) => Scope::Tool(&tool.name),
            Call::LoadTool(name) | Call::DeleteTool(name) => Scope::Tool(name),
            Call::ListAgents => Scope::AllAgents,
            Call::ListTools => Scope::AllTools,
        }
    }

    /// Whether a successful call changes storage.
    pub fn writes(&self) -> bool {
        matches!(
            self,
            Call::SaveAgent(_)
                | Call::DeleteAgent(_)
                | Call::SaveBlocks { .. }
                | Call::UpdateBlock { .. }
                | Call::AppendBlock { .. }
                | Call::SaveSession(_)
                | Call::DeleteSession { .. }
                | Call::AppendMessage { .. }
                | Call::DeleteMessages(_)
                | Call::SaveTool(_)
                | Call::DeleteTool(_)
                | Call::Checkpoint { .. }
        )
    }

    /// Whether the call stores a record owned by an agent that must exist (a write of it for
    /// a missing agent would leave an orphan).
    pub fn writes_child(&self) -> bool {
        matches!(
            self,
            Call::SaveBlocks { .. }
                | Call::UpdateBlock { .. }
                | Call::AppendBlock { .. }
                | Call::SaveSession(_)
                | Call::AppendMessage { .. }
                | Call::Checkpoint { .. }
        )
    }
}

/// What a successful call returned.
#[derive(Clone, Debug, PartialEq)]
pub enum Answer {
    /// `()`: a write that returns nothing.
    Done,
    /// `agent_exists`.
    Exists(bool),
    /// `load_agent`.
    Agent(Option<AgentMetadata>),
    /// `list_agents`.
    Agents(Vec<AgentMetadata>),
    /// `load_blocks`.
    Blocks(Vec<Block>),
    /// `update_block`, `append_block`: the block as stored.
    Block(Block),
    /// `load_session`, `load_latest_session`.
    Session(Option<SessionState>),
    /// `list_sessions`.
    Sessions(Vec<SessionState>),
    /// `load_messages`, `load_messages_since`.
    Messages(Vec<Message>),
    /// `count_messages`.
    Count(usize),
    /// `load_custom_tool`.
    Tool(Option<CustomToolRecord>),
    /// `list_custom_tools`.
    Tools(Vec<CustomToolRecord>),
}

impl Call {
    /// Appends the call's identifying arguments as short text for the trace to `out`: the ids
    /// it addresses, and a load's limit or since-time.
    pub fn write_trace_args(&self, out: &mut String) {
        let mut digits = itoa::Buffer::new();
        let parts: &[&str] = match self {
            Call::SaveAgent(agent) => &[&agent.id],
            Call::ListAgents | Call::ListTools => &[],
            Call::UpdateBlock { agent, label, .. } | Call::AppendBlock { agent, label, .. } => {
                &[agent, "/", label]
            }
            Call::SaveSession(session) | Call::Checkpoint { session, .. } => {
                &[&session.agent_id, "/", &session.session_id]
            }
            Call::LoadSession { agent, session } | Call::DeleteSession { agent, session } => {
                &[agent, "/", session]
            }
            Call::LoadMessages { agent, limit } => &[agent, " limit ", digits.format(*limit)],
            Call::LoadMessagesSince { agent, since_ms } => {
                &[agent, " since ", digits.format(*since_ms)]
            }
            Call::AppendMessage { agent, message } => &[agent, " ", &message.id],
            Call::SaveTool(tool) => &[&tool.name],
            Call::LoadAgent(id)
            | Call::DeleteAgent(id)
            | Call::AgentExists(id)
            | Call::LoadBlocks(id)
            | Call::ListSessions(id)
            | Call::LoadLatestSession(id)
            | Call::CountMessages(id)
            | Call::DeleteMessages(id)
            | Call::SaveBlocks { agent: id, .. }
            | Call::LoadTool(id)
            | Call::DeleteTool(id) => &[id],
        };
        parts.iter().for_each(|part| out.push_str(part));
    }
}
