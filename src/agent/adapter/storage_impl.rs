//! `impl AgentStorage for KvAdapter`: each method is one key operation, one scan, or one
//! transaction (retried on conflict). Planted bugs switch single lines here.

use super::encoded_len::json_encoded_len_over;
use super::helpers::check_message_owner;
use super::KvAdapter;
use crate::agent::keys::{
    agent_key, blocks_key, check_id, messages_after, messages_prefix, session_key, sessions_prefix,
    tool_key, AGENTS_PREFIX, TOOLS_PREFIX,
};
use crate::agent::records::{
    AgentMetadata, Block, CustomToolRecord, Message, SessionState, AGENT_NAME_BYTES_MAX,
    MESSAGE_LOAD_LIMIT_MAX, PENDING_TOOL_CALLS_MAX, SESSION_ID_BYTES_MAX, TOOL_INPUT_BYTES_MAX,
};
use crate::agent::{display_key, AgentStorage, StorageError};
use crate::bugs::Bug;
use std::rc::Rc;

use crate::kv::{ActorKV, ActorTransaction, Key, RangeScan};

fn limit(what: &'static str, value: usize, limit: usize) -> Result<(), StorageError> {
    if value > limit {
        return Err(StorageError::LimitExceeded {
            what,
            value: value as u64,
            limit: limit as u64,
        });
    }
    Ok(())
}

/// The id of a block created by `append_block`: `{agent_id}/{label}`, unique because agent ids
/// contain no `/`.
fn block_id(agent_id: &str, label: &str) -> String {
    let mut id = String::with_capacity(agent_id.len() + 1 + label.len());
    id.push_str(agent_id);
    id.push('/');
    id.push_str(label);
    id
}

/// An empty block labelled `label`, created at `now_ms`.
fn new_block(agent_id: &str, label: &str, now_ms: u64) -> Block {
    Block {
        id: block_id(agent_id, label).into(),
        label: label.into(),
        value: "".into(),
        description: None,
        limit: None,
        created_at_ms: now_ms,
        updated_at_ms: now_ms,
    }
}

fn check_session(state: &SessionState) -> Result<(), StorageError> {
    check_id("agent id", &state.agent_id)?;
    check_id("session id", &state.session_id)?;
    limit(
        "session id bytes",
        state.session_id.len(),
        SESSION_ID_BYTES_MAX,
    )?;
    limit(
        "pending tool calls",
        state.pending_tool_calls.len(),
        PENDING_TOOL_CALLS_MAX,
    )?;
    for call in state.pending_tool_calls.iter() {
        if let Some(input_bytes) = json_encoded_len_over(&call.tool_input, TOOL_INPUT_BYTES_MAX) {
            limit("tool input bytes", input_bytes, TOOL_INPUT_BYTES_MAX)?;
        }
    }
    Ok(())
}

impl<K: ActorKV> KvAdapter<K> {
    /// Reads the agent's blocks, applies `change` to block `label` (`None` when absent) and
    /// writes them back, in one transaction. When `change` refuses, the transaction commits
    /// with nothing written, so the refusal rests on reads that still hold (or it is retried).
    async fn modify_block(
        &self,
        agent_id: &str,
        label: &str,
        change: impl Fn(Option<Block>, u64) -> Result<Block, StorageError>,
    ) -> Result<Block, StorageError> {
        check_id("agent id", agent_id)?;
        self.retry_conflicts(|| async {
            let mut txn = self.kv.begin_transaction(&self.actor).await?;
            self.require_agent_in(&mut txn, agent_id).await?;
            let key = blocks_key(agent_id);
            let mut blocks: Vec<Block> = self
                .txn_get_record(&mut txn, &key)
                .await?
                .unwrap_or_default();
            let now_ms = self.clock.now_ms();
            let position = blocks.iter().position(|b| *b.label == *label);
            let changed = match change(position.map(|i| blocks[i].clone()), now_ms) {
                Ok(changed) => changed,
                Err(refused) => {
                    txn.commit().await?;
                    return Err(refused);
                }
            };
            match position {
                Some(i) => blocks[i] = changed,
                None => blocks.push(changed),
            }
            self.txn_put_record(&mut txn, &key, &blocks).await?;
            let stored = self.stored_block(&mut txn, &key, label).await?;
            txn.commit().await?;
            Ok(stored)
        })
        .await
    }

    /// Reads back, inside `txn`, the block just written: what the caller gets is what the
    /// transaction will commit (read-your-writes).
    async fn stored_block(
        &self,
        txn: &mut K::Transaction,
        key: &Key,
        label: &str,
    ) -> Result<Block, StorageError> {
        let blocks: Vec<Block> = self.txn_get_record(txn, key).await?.unwrap_or_default();
        blocks
            .into_iter()
            .find(|b| *b.label == *label)
            .ok_or_else(|| StorageError::Internal {
                reason: format!(
                    "block '{label}' missing from '{}' right after its write",
                    display_key(key)
                ),
            })
    }

    async fn checkpoint_atomic(
        &self,
        session: &SessionState,
        message: Option<&Message>,
    ) -> Result<(), StorageError> {
        self.retry_conflicts(|| async {
            let mut txn = self.kv.begin_transaction(&self.actor).await?;
            if !self.bugs.has(Bug::CheckpointSkipsAgentCheck) {
                self.require_agent_in(&mut txn, &session.agent_id).await?;
            }
            let key = session_key(&session.agent_id, &session.session_id);
            self.txn_put_record(&mut txn, &key, session).await?;
            if let Some(message) = message {
                self.append_in(&mut txn, message).await?;
            }
            Ok(txn.commit().await?)
        })
        .await
    }

    /// The agent's sessions, ordered by id, shared with the decode cache: choosing among them
    /// copies none.
    async fn shared_sessions(&self, agent_id: &str) -> Result<Vec<Rc<SessionState>>, StorageError> {
        check_id("agent id", agent_id)?;
        let full = sessions_prefix(agent_id);
        let prefix = match self.bugs.has(Bug::PrefixWithoutSeparator) {
            true => &full[..full.len() - 1],
            false => &full[..],
        };
        let entries = self.kv.scan_prefix(&self.actor, prefix).await?;
        entries
            .iter()
            .map(|(key, value)| self.decode_shared(key, value))
            .collect()
    }

    async fn delete_children(&self, agent_id: &str, guard: bool) -> Result<(), StorageError> {
        self.retry_conflicts(|| async {
            let mut txn = self.kv.begin_transaction(&self.actor).await?;
            if guard {
                let missing_ok = self.bugs.has(Bug::DeleteMissingAgentOk);
                match self.require_agent_in(&mut txn, agent_id).await {
                    Err(StorageError::NotFound { .. }) if missing_ok => return Ok(()),
                    checked => checked?,
                }
            }
            for prefix in [messages_prefix(agent_id), sessions_prefix(agent_id)] {
                for key in txn.list_keys(&prefix).await? {
                    txn.delete(&key).await?;
                }
            }
            txn.delete(&blocks_key(agent_id)).await?;
            if guard {
                txn.delete(&agent_key(agent_id)).await?;
            }
            Ok(txn.commit().await?)
        })
        .await
    }
}

impl<K: ActorKV> AgentStorage for KvAdapter<K> {
    async fn save_agent(&self, agent: &AgentMetadata) -> Result<(), StorageError> {
        check_id("agent id", &agent.id)?;
        limit("agent name bytes", agent.name.len(), AGENT_NAME_BYTES_MAX)?;
        self.put_record(&agent_key(&agent.id), agent).await
    }

    async fn load_agent(&self, id: &str) -> Result<Option<AgentMetadata>, StorageError> {
        check_id("agent id", id)?;
        self.get_record(&agent_key(id)).await
    }

    async fn delete_agent(&self, id: &str) -> Result<(), StorageError> {
        check_id("agent id", id)?;
        if self.bugs.has(Bug::DeleteAgentParentFirst) {
            if !self.kv.exists(&self.actor, &agent_key(id)).await? {
                return Err(StorageError::NotFound {
                    kind: "agent",
                    id: id.to_string(),
                });
            }
            self.kv.delete(&self.actor, &agent_key(id)).await?;
            return self.delete_children(id, false).await;
        }
        self.delete_children(id, true).await
    }

    async fn list_agents(&self) -> Result<Vec<AgentMetadata>, StorageError> {
        self.scan_records(AGENTS_PREFIX).await
    }

    async fn agent_exists(&self, id: &str) -> Result<bool, StorageError> {
        check_id("agent id", id)?;
        Ok(self.kv.exists(&self.actor, &agent_key(id)).await?)
    }

    async fn save_blocks(&self, agent_id: &str, blocks: &[Block]) -> Result<(), StorageError> {
        check_id("agent id", agent_id)?;
        let blocks = blocks.to_vec();
        let blocks = &blocks;
        self.retry_conflicts(|| async {
            let mut txn = self.kv.begin_transaction(&self.actor).await?;
            self.require_agent_in(&mut txn, agent_id).await?;
            self.txn_put_record(&mut txn, &blocks_key(agent_id), blocks)
                .await?;
            Ok(txn.commit().await?)
        })
        .await
    }

    async fn load_blocks(&self, agent_id: &str) -> Result<Vec<Block>, StorageError> {
        check_id("agent id", agent_id)?;
        Ok(self
            .get_record(&blocks_key(agent_id))
            .await?
            .unwrap_or_default())
    }

    async fn update_block(
        &self,
        agent_id: &str,
        label: &str,
        value: &str,
    ) -> Result<Block, StorageError> {
        let creates_missing = self.bugs.has(Bug::UpdateCreatesMissing);
        self.modify_block(agent_id, label, |existing, now_ms| {
            let mut block = match existing {
                Some(block) => block,
                None if creates_missing => new_block(agent_id, label, now_ms),
                None => {
                    return Err(StorageError::NotFound {
                        kind: "block",
                        id: block_id(agent_id, label),
                    })
                }
            };
            block.value = value.into();
            block.updated_at_ms = now_ms;
            Ok(block)
        })
        .await
    }

    async fn append_block(
        &self,
        agent_id: &str,
        label: &str,
        content: &str,
    ) -> Result<Block, StorageError> {
        self.modify_block(agent_id, label, |existing, now_ms| {
            let mut block = existing.unwrap_or_else(|| new_block(agent_id, label, now_ms));
            block.value = [&*block.value, content].concat().into();
            block.updated_at_ms = now_ms;
            Ok(block)
        })
        .await
    }

    async fn save_session(&self, state: &SessionState) -> Result<(), StorageError> {
        check_session(state)?;
        self.retry_conflicts(|| async {
            let mut txn = self.kv.begin_transaction(&self.actor).await?;
            self.require_agent_in(&mut txn, &state.agent_id).await?;
            self.txn_put_record(
                &mut txn,
                &session_key(&state.agent_id, &state.session_id),
                state,
            )
            .await?;
            Ok(txn.commit().await?)
        })
        .await
    }

    async fn load_session(
        &self,
        agent_id: &str,
        session_id: &str,
    ) -> Result<Option<SessionState>, StorageError> {
        check_id("agent id", agent_id)?;
        check_id("session id", session_id)?;
        self.get_record(&session_key(agent_id, session_id)).await
    }

    async fn delete_session(&self, agent_id: &str, session_id: &str) -> Result<(), StorageError> {
        check_id("agent id", agent_id)?;
        check_id("session id", session_id)?;
        let key = session_key(agent_id, session_id);
        Ok(self.kv.delete(&self.actor, &key).await?)
    }

    async fn list_sessions(&self, agent_id: &str) -> Result<Vec<SessionState>, StorageError> {
        let sessions = self.shared_sessions(agent_id).await?;
        Ok(sessions.iter().map(|s| SessionState::clone(s)).collect())
    }

    async fn load_latest_session(
        &self,
        agent_id: &str,
    ) -> Result<Option<SessionState>, StorageError> {
        let sessions = self.shared_sessions(agent_id).await?;
        let with_stopped = self.bugs.has(Bug::LatestIncludesStopped);
        let latest = sessions
            .iter()
            .filter(|s| with_stopped || s.stop_reason.is_none())
            .max_by(|a, b| {
                (a.checkpointed_at_ms, &a.session_id).cmp(&(b.checkpointed_at_ms, &b.session_id))
            });
        Ok(latest.map(|s| SessionState::clone(s)))
    }

    async fn append_message(&self, agent_id: &str, message: &Message) -> Result<(), StorageError> {
        check_id("agent id", agent_id)?;
        check_message_owner(agent_id, message)?;
        self.retry_conflicts(|| async {
            let mut txn = self.kv.begin_transaction(&self.actor).await?;
            if !self.bugs.has(Bug::CheckpointSkipsAgentCheck) {
                self.require_agent_in(&mut txn, agent_id).await?;
            }
            self.append_in(&mut txn, message).await?;
            Ok(txn.commit().await?)
        })
        .await
    }

    async fn load_messages(
        &self,
        agent_id: &str,
        limit_count: usize,
    ) -> Result<Vec<Message>, StorageError> {
        check_id("agent id", agent_id)?;
        if limit_count == 0 || limit_count > MESSAGE_LOAD_LIMIT_MAX {
            return Err(StorageError::LimitExceeded {
                what: "message load limit (1..=1000)",
                value: limit_count as u64,
                limit: MESSAGE_LOAD_LIMIT_MAX as u64,
            });
        }
        let prefix = messages_prefix(agent_id);
        self.range_records(RangeScan::last(&prefix, limit_count))
            .await
    }

    async fn load_messages_since(
        &self,
        agent_id: &str,
        since_ms: u64,
    ) -> Result<Vec<Message>, StorageError> {
        check_id("agent id", agent_id)?;
        let first_time = match self.bugs.has(Bug::SinceInclusive) {
            true => since_ms.checked_sub(1),
            false => Some(since_ms),
        };
        let Some(from) = first_time.and_then(|t| messages_after(agent_id, t)) else {
            return Ok(Vec::new());
        };
        let prefix = messages_prefix(agent_id);
        let scan = RangeScan {
            prefix: &prefix,
            from: &from,
            limit: usize::MAX,
            reverse: false,
        };
        self.range_records(scan).await
    }

    async fn count_messages(&self, agent_id: &str) -> Result<usize, StorageError> {
        check_id("agent id", agent_id)?;
        Ok(self
            .kv
            .list_keys(&self.actor, &messages_prefix(agent_id))
            .await?
            .len())
    }

    async fn delete_messages(&self, agent_id: &str) -> Result<(), StorageError> {
        check_id("agent id", agent_id)?;
        self.retry_conflicts(|| async {
            let mut txn = self.kv.begin_transaction(&self.actor).await?;
            for key in txn.list_keys(&messages_prefix(agent_id)).await? {
                txn.delete(&key).await?;
            }
            Ok(txn.commit().await?)
        })
        .await
    }

    async fn save_custom_tool(&self, tool: &CustomToolRecord) -> Result<(), StorageError> {
        check_id("tool name", &tool.name)?;
        self.put_record(&tool_key(&tool.name), tool).await
    }

    async fn load_custom_tool(&self, name: &str) -> Result<Option<CustomToolRecord>, StorageError> {
        check_id("tool name", name)?;
        self.get_record(&tool_key(name)).await
    }

    async fn delete_custom_tool(&self, name: &str) -> Result<(), StorageError> {
        check_id("tool name", name)?;
        Ok(self.kv.delete(&self.actor, &tool_key(name)).await?)
    }

    async fn list_custom_tools(&self) -> Result<Vec<CustomToolRecord>, StorageError> {
        self.scan_records(TOOLS_PREFIX).await
    }

    async fn checkpoint(
        &self,
        session: &SessionState,
        message: Option<&Message>,
    ) -> Result<(), StorageError> {
        check_session(session)?;
        if let Some(message) = message {
            check_message_owner(&session.agent_id, message)?;
        }
        if self.bugs.has(Bug::NonAtomicCheckpoint) {
            self.put_record(
                &session_key(&session.agent_id, &session.session_id),
                session,
            )
            .await?;
            return match message {
                Some(message) => self.append_message(&session.agent_id, message).await,
                None => Ok(()),
            };
        }
        self.checkpoint_atomic(session, message).await
    }
}
