//! Record-level building blocks of `KvAdapter`: verified reads, encoded writes, the agent
//! guard, message appends inside a transaction, and the bounded conflict retry.

use std::future::Future;
use std::rc::Rc;

use crate::agent::record_json::RecordJson;
use crate::agent::record_json_read::ReadJson;
use serde::de::DeserializeOwned;

use super::{KvAdapter, CONFLICT_ATTEMPTS_MAX};
use crate::agent::codec::{decode, encode_into};
use crate::agent::keys::{agent_key, message_bucket, message_key, message_number};
use crate::agent::records::Message;
use crate::agent::{display_key, StorageError};
use crate::bugs::Bug;
use crate::kv::{ActorKV, ActorTransaction, Key, RangeScan, Value};

impl<K: ActorKV> KvAdapter<K> {
    pub(super) fn verify_reads(&self) -> bool {
        !self.bugs.has(Bug::UnverifiedRead)
    }

    /// The record `value` (stored under `key`) encodes: decoded and verified, unless this
    /// process already has it.
    fn decode_value<T: DeserializeOwned + ReadJson + Clone + 'static>(
        &self,
        key: &Key,
        value: &Value,
    ) -> Result<T, StorageError> {
        self.decode_shared(key, value)
            .map(|record| T::clone(&record))
    }

    /// Like [`KvAdapter::decode_value`], shared with the cache: no copy of the record.
    pub(super) fn decode_shared<T: DeserializeOwned + ReadJson + 'static>(
        &self,
        key: &Key,
        value: &Value,
    ) -> Result<Rc<T>, StorageError> {
        if let Some(record) = self.decoded.get::<T>(key, value) {
            return Ok(record);
        }
        let record: Rc<T> = Rc::new(decode(key, value, self.verify_reads())?);
        self.decoded.insert(key, value, Rc::clone(&record));
        Ok(record)
    }

    /// `record` encoded for `key`, and kept so that reading it back costs no decode: a copy
    /// costs less than a decode for every record kind, since most are read back.
    fn encode_value<T: RecordJson + Clone + 'static>(
        &self,
        key: &Key,
        record: &T,
    ) -> Result<Value, StorageError> {
        let value = {
            let mut encoded = self.encoded.borrow_mut();
            encoded.clear();
            encode_into(&mut encoded, key, record)?;
            Value::from(encoded.as_slice())
        };
        self.decoded.insert(key, &value, Rc::new(record.clone()));
        Ok(value)
    }

    pub(super) async fn get_record<T: DeserializeOwned + ReadJson + Clone + 'static>(
        &self,
        key: &Key,
    ) -> Result<Option<T>, StorageError> {
        match self.kv.get(&self.actor, key).await? {
            Some(value) => self.decode_value(key, &value).map(Some),
            None => Ok(None),
        }
    }

    pub(super) async fn put_record<T: RecordJson + Clone + 'static>(
        &self,
        key: &Key,
        record: &T,
    ) -> Result<(), StorageError> {
        let value = self.encode_value(key, record)?;
        Ok(self.kv.set(&self.actor, key, value).await?)
    }

    pub(super) async fn scan_records<T: DeserializeOwned + ReadJson + Clone + 'static>(
        &self,
        prefix: &[u8],
    ) -> Result<Vec<T>, StorageError> {
        self.range_records(RangeScan::prefix(prefix, usize::MAX))
            .await
    }

    /// The records of `scan`, decoded (and verified) in ascending key order whatever the scan's
    /// direction: only the records in the range are read back at all.
    pub(super) async fn range_records<T: DeserializeOwned + ReadJson + Clone + 'static>(
        &self,
        scan: RangeScan<'_>,
    ) -> Result<Vec<T>, StorageError> {
        let mut entries = self.kv.scan_range(&self.actor, scan).await?;
        if scan.reverse {
            entries.reverse();
        }
        assert!(entries.windows(2).all(|pair| pair[0].0 < pair[1].0));
        entries
            .iter()
            .map(|(key, value)| self.decode_value(key, value))
            .collect()
    }

    pub(super) async fn txn_get_record<T: DeserializeOwned + ReadJson + Clone + 'static>(
        &self,
        txn: &mut K::Transaction,
        key: &Key,
    ) -> Result<Option<T>, StorageError> {
        match txn.get(key).await? {
            Some(value) => self.decode_value(key, &value).map(Some),
            None => Ok(None),
        }
    }

    pub(super) async fn txn_put_record<T: RecordJson + Clone + 'static>(
        &self,
        txn: &mut K::Transaction,
        key: &Key,
        record: &T,
    ) -> Result<(), StorageError> {
        let value = self.encode_value(key, record)?;
        Ok(txn.set(key, value).await?)
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

    /// Appends `message` inside `txn`, after the agent's messages created in the same ms: the
    /// last key of that ms (read without its value) gives the next append number, and the
    /// scanned ms joins the read set, so concurrent appends in the same ms conflict.
    pub(super) async fn append_in(
        &self,
        txn: &mut K::Transaction,
        message: &Message,
    ) -> Result<(), StorageError> {
        let (agent_id, created_at_ms) = (&message.agent_id, message.created_at_ms);
        let bucket = message_bucket(agent_id, created_at_ms);
        let last = txn.scan_range(RangeScan::last(&bucket, 1)).await?;
        let next = match last.first() {
            Some((key, _)) => message_number(key)
                .and_then(|n| n.checked_add(1))
                .ok_or_else(|| StorageError::Internal {
                    reason: format!("message key '{}' has no append number", display_key(key)),
                })?,
            None => 0,
        };
        let n = if self.bugs.has(Bug::MessageKeyWithoutNumber) {
            0
        } else {
            next
        };
        let key = message_key(agent_id, created_at_ms, n);
        assert!(key.starts_with(&bucket), "the message lands in its ms");
        let value = self.encode_value(&key, message)?;
        Ok(txn.set(&key, value).await?)
    }

    /// Runs `attempt` until it does not conflict, at most [`CONFLICT_ATTEMPTS_MAX`] times; the
    /// last conflict is returned if every attempt conflicts.
    pub(super) async fn retry_conflicts<T, F, Fut>(&self, mut attempt: F) -> Result<T, StorageError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, StorageError>>,
    {
        let attempts_max = if self.bugs.has(Bug::ConflictNotRetried) {
            1
        } else {
            CONFLICT_ATTEMPTS_MAX
        };
        let mut attempts = 0;
        loop {
            attempts += 1;
            assert!(
                attempts <= attempts_max,
                "never more attempts than the limit"
            );
            match attempt().await {
                Err(StorageError::TransactionConflict { .. }) if attempts < attempts_max => {}
                outcome => return outcome,
            }
        }
    }
}

/// Refuses a message whose `agent_id` is not the agent it is appended to.
pub(super) fn check_message_owner(agent_id: &str, message: &Message) -> Result<(), StorageError> {
    if *message.agent_id != *agent_id {
        return Err(StorageError::InvalidArgument {
            what: "message agent id",
            value: message.agent_id.to_string(),
            reason: "differs from the agent the message is stored under",
        });
    }
    Ok(())
}
