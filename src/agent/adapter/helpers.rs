//! Record-level building blocks of `KvAdapter`: verified reads, encoded writes, the agent
//! guard, message appends inside a transaction, and the bounded conflict retry.

use std::future::Future;

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::{KvAdapter, CONFLICT_ATTEMPTS_MAX};
use crate::agent::codec::{decode, encode};
use crate::agent::keys::{agent_key, message_key, message_seq_key};
use crate::agent::records::Message;
use crate::agent::StorageError;
use crate::bugs::Bug;
use crate::kv::{ActorKV, ActorTransaction};

impl<K: ActorKV> KvAdapter<K> {
    pub(super) fn verify_reads(&self) -> bool {
        !self.bugs.has(Bug::UnverifiedRead)
    }

    pub(super) async fn get_record<T: DeserializeOwned>(
        &self,
        key: &[u8],
    ) -> Result<Option<T>, StorageError> {
        match self.kv.get(&self.actor, key).await? {
            Some(bytes) => decode(key, &bytes, self.verify_reads()).map(Some),
            None => Ok(None),
        }
    }

    pub(super) async fn put_record<T: Serialize>(
        &self,
        key: &[u8],
        record: &T,
    ) -> Result<(), StorageError> {
        let bytes = encode(key, record)?;
        self.kv.set(&self.actor, key, &bytes).await
    }

    pub(super) async fn scan_records<T: DeserializeOwned>(
        &self,
        prefix: &[u8],
    ) -> Result<Vec<T>, StorageError> {
        self.scan_records_tail(prefix, usize::MAX).await
    }

    /// The last `count` records under `prefix`, ascending by key. Only those are decoded (and
    /// verified): the records before them are not read back at all.
    pub(super) async fn scan_records_tail<T: DeserializeOwned>(
        &self,
        prefix: &[u8],
        count: usize,
    ) -> Result<Vec<T>, StorageError> {
        assert!(count > 0, "a tail scan returns at least one record");
        let entries = self.kv.scan_prefix(&self.actor, prefix).await?;
        let skip = entries.len().saturating_sub(count);
        let verify = self.verify_reads();
        entries[skip..]
            .iter()
            .map(|(key, bytes)| decode(key, bytes, verify))
            .collect()
    }

    pub(super) async fn txn_get_record<T: DeserializeOwned>(
        &self,
        txn: &mut K::Transaction,
        key: &[u8],
    ) -> Result<Option<T>, StorageError> {
        match txn.get(key).await? {
            Some(bytes) => decode(key, &bytes, self.verify_reads()).map(Some),
            None => Ok(None),
        }
    }

    pub(super) async fn txn_put_record<T: Serialize>(
        &self,
        txn: &mut K::Transaction,
        key: &[u8],
        record: &T,
    ) -> Result<(), StorageError> {
        let bytes = encode(key, record)?;
        txn.set(key, &bytes).await
    }

    /// Reads the agent's key inside `txn`: `NotFound` if absent, and a concurrent delete of the
    /// agent makes the commit conflict.
    pub(super) async fn require_agent_in(
        &self,
        txn: &mut K::Transaction,
        agent_id: &str,
    ) -> Result<(), StorageError> {
        match txn.get(&agent_key(agent_id)).await? {
            Some(_) => Ok(()),
            None => Err(StorageError::NotFound {
                kind: "agent",
                id: agent_id.to_string(),
            }),
        }
    }

    /// Appends `message` at the agent's next sequence number inside `txn`.
    pub(super) async fn append_in(
        &self,
        txn: &mut K::Transaction,
        message: &Message,
    ) -> Result<(), StorageError> {
        let seq_key = message_seq_key(&message.agent_id);
        let next: u64 = self.txn_get_record(txn, &seq_key).await?.unwrap_or(0);
        self.txn_put_record(txn, &message_key(&message.agent_id, next), message)
            .await?;
        self.txn_put_record(txn, &seq_key, &(next + 1)).await
    }

    /// Runs `attempt` until it does not conflict, at most [`CONFLICT_ATTEMPTS_MAX`] times; the
    /// last conflict is returned if every attempt conflicts.
    pub(super) async fn retry_conflicts<T, F, Fut>(&self, mut attempt: F) -> Result<T, StorageError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, StorageError>>,
    {
        let mut attempts = 0;
        loop {
            attempts += 1;
            match attempt().await {
                Err(StorageError::TransactionConflict { .. })
                    if attempts < CONFLICT_ATTEMPTS_MAX => {}
                outcome => return outcome,
            }
        }
    }
}

/// Refuses a message whose `agent_id` is not the agent it is appended to.
pub(super) fn check_message_owner(agent_id: &str, message: &Message) -> Result<(), StorageError> {
    if message.agent_id != agent_id {
        return Err(StorageError::Internal {
            reason: format!(
                "message '{}' belongs to agent '{}', not '{agent_id}'",
                message.id, message.agent_id
            ),
        });
    }
    Ok(())
}
