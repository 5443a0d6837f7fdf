//! The actions a workload task can take, weighted by the scenario's `op_weights`.

use serde::{Deserialize, Serialize};

/// One workload action. Most issue one `AgentStorage` call; `iterate` issues two (append the
/// user message, then checkpoint the next iteration with the assistant message).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OpKind {
    /// `save_agent` then `save_blocks` for a fresh agent incarnation.
    CreateAgent,
    /// `delete_agent`.
    DeleteAgent,
    /// `load_agent`.
    LoadAgent,
    /// `list_agents`.
    ListAgents,
    /// `agent_exists`.
    AgentExists,
    /// `save_session` of a new session.
    StartSession,
    /// One agent-loop iteration: `append_message` (user) and `checkpoint` (assistant).
    Iterate,
    /// `save_session` with a stop reason.
    StopSession,
    /// `delete_session`.
    DeleteSession,
    /// `load_latest_session`.
    LoadLatestSession,
    /// `list_sessions`.
    ListSessions,
    /// `load_session` of a session the task knows, or of an unknown id.
    LoadSession,
    /// `save_blocks`: replaces the agent's blocks.
    SaveBlocks,
    /// `update_block`.
    UpdateBlock,
    /// `append_block`.
    AppendBlock,
    /// `load_blocks`.
    LoadBlocks,
    /// `load_messages` with a random limit.
    LoadMessages,
    /// `load_messages_since` a random past time.
    LoadMessagesSince,
    /// `count_messages`.
    CountMessages,
    /// `delete_messages`.
    DeleteMessages,
    /// `save_custom_tool`.
    SaveTool,
    /// `load_custom_tool`.
    LoadTool,
    /// `delete_custom_tool`.
    DeleteTool,
    /// `list_custom_tools`.
    ListTools,
}

impl OpKind {
    /// Every kind, in a fixed order.
    pub const ALL: [OpKind; 24] = [
        OpKind::CreateAgent,
        OpKind::DeleteAgent,
        OpKind::LoadAgent,
        OpKind::ListAgents,
        OpKind::AgentExists,
        OpKind::StartSession,
        OpKind::Iterate,
        OpKind::StopSession,
        OpKind::DeleteSession,
        OpKind::LoadLatestSession,
        OpKind::ListSessions,
        OpKind::LoadSession,
        OpKind::SaveBlocks,
        OpKind::UpdateBlock,
        OpKind::AppendBlock,
        OpKind::LoadBlocks,
        OpKind::LoadMessages,
        OpKind::LoadMessagesSince,
        OpKind::CountMessages,
        OpKind::DeleteMessages,
        OpKind::SaveTool,
        OpKind::LoadTool,
        OpKind::DeleteTool,
        OpKind::ListTools,
    ];

    /// The stable snake_case name.
    pub fn name(self) -> &'static str {
        match self {
            OpKind::CreateAgent => "create_agent",
            OpKind::DeleteAgent => "delete_agent",
            OpKind::LoadAgent => "load_agent",
            OpKind::ListAgents => "list_agents",
            OpKind::AgentExists => "agent_exists",
            OpKind::StartSession => "start_session",
            OpKind::Iterate => "iterate",
            OpKind::StopSession => "stop_session",
            OpKind::DeleteSession => "delete_session",
            OpKind::LoadLatestSession => "load_latest_session",
            OpKind::ListSessions => "list_sessions",
            OpKind::LoadSession => "load_session",
            OpKind::SaveBlocks => "save_blocks",
            OpKind::UpdateBlock => "update_block",
            OpKind::AppendBlock => "append_block",
            OpKind::LoadBlocks => "load_blocks",
            OpKind::LoadMessages => "load_messages",
            OpKind::LoadMessagesSince => "load_messages_since",
            OpKind::CountMessages => "count_messages",
            OpKind::DeleteMessages => "delete_messages",
            OpKind::SaveTool => "save_tool",
            OpKind::LoadTool => "load_tool",
            OpKind::DeleteTool => "delete_tool",
            OpKind::ListTools => "list_tools",
        }
    }
}
