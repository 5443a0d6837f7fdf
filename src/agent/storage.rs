//! `AgentStorage`: the high-level async storage API of the agent server.

use super::records::{AgentMetadata, Block, CustomToolRecord, Message, SessionState};
use super::StorageError;

/// The storage API of the agent server: agents, core memory blocks, sessions, messages and
/// custom tools, plus the atomic `checkpoint` of one agent-loop iteration.
///
/// Contract of every implementation:
/// - a successful write is visible to every later read;
/// - `checkpoint` saves the session and its message atomically: both or neither;
/// - `delete_agent` removes the agent and everything it owns atomically;
/// - no session, message or block set is ever stored for an agent that does not exist;
/// - a read never returns a record other than one that was written (corruption surfaces as an
///   error).
#[allow(async_fn_in_trait)] // single-threaded simulation: futures are deliberately not `Send`
pub trait AgentStorage {
    /// Creates or replaces an agent.
    async fn save_agent(&self, agent: &AgentMetadata) -> Result<(), StorageError>;
    /// The agent with `id`, if any.
    async fn load_agent(&self, id: &str) -> Result<Option<AgentMetadata>, StorageError>;
    /// Removes the agent and its blocks, sessions and messages; `NotFound` if absent.
    async fn delete_agent(&self, id: &str) -> Result<(), StorageError>;
    /// Every agent, ordered by id.
    async fn list_agents(&self) -> Result<Vec<AgentMetadata>, StorageError>;
    /// Whether the agent exists.
    async fn agent_exists(&self, id: &str) -> Result<bool, StorageError>;

    /// Replaces the agent's blocks; `NotFound` if the agent is absent.
    async fn save_blocks(&self, agent_id: &str, blocks: &[Block]) -> Result<(), StorageError>;
    /// The agent's blocks (empty if none were saved).
    async fn load_blocks(&self, agent_id: &str) -> Result<Vec<Block>, StorageError>;
    /// Sets the value of the block labelled `label`; `NotFound` if the agent or block is absent.
    async fn update_block(
        &self,
        agent_id: &str,
        label: &str,
        value: &str,
    ) -> Result<Block, StorageError>;
    /// Appends `content` to the block labelled `label`, creating it if absent.
    async fn append_block(
        &self,
        agent_id: &str,
        label: &str,
        content: &str,
    ) -> Result<Block, StorageError>;

    /// Creates or replaces a session; `NotFound` if its agent is absent.
    async fn save_session(&self, state: &SessionState) -> Result<(), StorageError>;
    /// The session, if any.
    async fn load_session(
        &self,
        agent_id: &str,
        session_id: &str,
    ) -> Result<Option<SessionState>, StorageError>;
    /// Removes the session (absent is fine).
    async fn delete_session(&self, agent_id: &str, session_id: &str) -> Result<(), StorageError>;
    /// The agent's sessions, ordered by session id.
    async fn list_sessions(&self, agent_id: &str) -> Result<Vec<SessionState>, StorageError>;
    /// The session with the newest checkpoint among those not stopped (ties: larger id).
    async fn load_latest_session(
        &self,
        agent_id: &str,
    ) -> Result<Option<SessionState>, StorageError>;

    /// Appends a message to the agent's history; `NotFound` if the agent is absent.
    async fn append_message(&self, agent_id: &str, message: &Message) -> Result<(), StorageError>;
    /// The most recent `limit` messages, oldest first; `limit` in 1..=1000.
    async fn load_messages(
        &self,
        agent_id: &str,
        limit: usize,
    ) -> Result<Vec<Message>, StorageError>;
    /// Every message created strictly after `since_ms`, oldest first.
    async fn load_messages_since(
        &self,
        agent_id: &str,
        since_ms: u64,
    ) -> Result<Vec<Message>, StorageError>;
    /// Number of messages of the agent.
    async fn count_messages(&self, agent_id: &str) -> Result<usize, StorageError>;
    /// Removes every message of the agent.
    async fn delete_messages(&self, agent_id: &str) -> Result<(), StorageError>;

    /// Creates or replaces a custom tool.
    async fn save_custom_tool(&self, tool: &CustomToolRecord) -> Result<(), StorageError>;
    /// The tool named `name`, if any.
    async fn load_custom_tool(&self, name: &str) -> Result<Option<CustomToolRecord>, StorageError>;
    /// Removes the tool (absent is fine).
    async fn delete_custom_tool(&self, name: &str) -> Result<(), StorageError>;
    /// Every tool, ordered by name.
    async fn list_custom_tools(&self) -> Result<Vec<CustomToolRecord>, StorageError>;

    /// Saves `session` and, if given, appends `message`, atomically; `NotFound` if the agent is
    /// absent.
    async fn checkpoint(
        &self,
        session: &SessionState,
        message: Option<&Message>,
    ) -> Result<(), StorageError>;
}
