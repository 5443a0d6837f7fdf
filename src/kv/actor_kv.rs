//! The byte-level transactional KV: [`ActorKV`] and [`ActorTransaction`].
//!
//! Every call is scoped by an [`ActorId`]; a store keeps each actor's keys apart by prefixing
//! them with `<actor key bytes>/`. Keys handed in and out of these traits are actor-relative.
//! Listing and scanning return keys in ascending byte order.

use std::rc::Rc;

use super::KvError;

/// A stored value, shared: reads hand out the stored bytes, not copies.
pub type Value = Rc<[u8]>;

/// A key (actor-relative), shared: as a listing or scan returns it, and as a write hands it in.
pub type Key = Rc<[u8]>;

/// An actor's identity, `namespace:id`. Both parts are non-empty and contain no `:` or `/`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ActorId {
    namespace: String,
    id: String,
    key: Rc<[u8]>,
}

impl ActorId {
    /// Builds an actor id; refuses empty parts and parts with `:` or `/`.
    pub fn new(namespace: &str, id: &str) -> Result<Self, KvError> {
        for (what, part) in [("namespace", namespace), ("id", id)] {
            if part.is_empty() || part.contains(':') || part.contains('/') {
                return Err(KvError::InvalidActor {
                    part: what,
                    value: part.to_string(),
                });
            }
        }
        Ok(ActorId {
            namespace: namespace.to_string(),
            id: id.to_string(),
            key: Rc::from(format!("{namespace}:{id}").into_bytes()),
        })
    }

    /// The qualified name as bytes, `namespace:id`: what a store files this actor's keys under.
    pub fn key_bytes(&self) -> &Rc<[u8]> {
        &self.key
    }
}

/// The operations a KV performs, by name: what fault rules filter on and traces record.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum KvOp {
    /// `ActorKV::get`.
    Get,
    /// `ActorKV::set`.
    Set,
    /// `ActorKV::delete`.
    Delete,
    /// `ActorKV::exists`.
    Exists,
    /// `ActorKV::list_keys`.
    ListKeys,
    /// `ActorKV::scan_prefix`.
    ScanPrefix,
    /// `ActorTransaction::get` of a key not buffered in the transaction.
    TxnGet,
    /// `ActorTransaction::list_keys` / `scan_prefix`.
    TxnScan,
    /// `ActorTransaction::commit`.
    Commit,
}

impl KvOp {
    /// Every operation, in a fixed order.
    pub const ALL: [KvOp; 9] = [
        KvOp::Get,
        KvOp::Set,
        KvOp::Delete,
        KvOp::Exists,
        KvOp::ListKeys,
        KvOp::ScanPrefix,
        KvOp::TxnGet,
        KvOp::TxnScan,
        KvOp::Commit,
    ];

    /// The stable snake_case name.
    pub fn name(self) -> &'static str {
        match self {
            KvOp::Get => "get",
            KvOp::Set => "set",
            KvOp::Delete => "delete",
            KvOp::Exists => "exists",
            KvOp::ListKeys => "list_keys",
            KvOp::ScanPrefix => "scan_prefix",
            KvOp::TxnGet => "txn_get",
            KvOp::TxnScan => "txn_scan",
            KvOp::Commit => "commit",
        }
    }

    /// Whether the operation writes (set, delete, commit); all others read.
    pub fn is_write(self) -> bool {
        matches!(self, KvOp::Set | KvOp::Delete | KvOp::Commit)
    }
}

/// A bounded range read: the keys under `prefix` that are `>= from`, at most `limit` of them,
/// ascending, or the `limit` largest, descending, when `reverse`.
///
/// Invariants: `from` starts with `prefix` (it is at least the prefix itself); `limit > 0`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RangeScan<'a> {
    /// Every key returned starts with this.
    pub prefix: &'a [u8],
    /// Smallest key returned (inclusive).
    pub from: &'a [u8],
    /// Most entries returned.
    pub limit: usize,
    /// Largest keys first.
    pub reverse: bool,
}

impl<'a> RangeScan<'a> {
    /// Every key under `prefix`, ascending, at most `limit`.
    pub fn prefix(prefix: &'a [u8], limit: usize) -> Self {
        RangeScan {
            prefix,
            from: prefix,
            limit,
            reverse: false,
        }
    }

    /// The `limit` largest keys under `prefix`, descending.
    pub fn last(prefix: &'a [u8], limit: usize) -> Self {
        RangeScan {
            reverse: true,
            ..RangeScan::prefix(prefix, limit)
        }
    }

    /// Applies the range to `entries` (every entry under the prefix, ascending): the entries
    /// from `from` on, the first or last `limit` of them, in the scan's order.
    pub fn select<V>(&self, entries: Vec<(Key, V)>) -> Vec<(Key, V)> {
        assert!(self.from.starts_with(self.prefix), "from lies under prefix");
        assert!(self.limit > 0, "a range scan returns at least one entry");
        let start = entries.partition_point(|(key, _)| key.as_ref() < self.from);
        let in_range = entries.into_iter().skip(start);
        let selected: Vec<(Key, V)> = if self.reverse {
            let all: Vec<_> = in_range.collect();
            let keep = all.len().saturating_sub(self.limit);
            all.into_iter().skip(keep).rev().collect()
        } else {
            in_range.take(self.limit).collect()
        };
        assert!(selected.len() <= self.limit);
        selected
    }
}

/// A byte-level, actor-scoped, transactional key-value store.
///
/// Contract: single-key operations are atomic and, when they return `Ok`, durable (unless a
/// fault outside the envelope says otherwise). `list_keys` and `scan_prefix` return matches in
/// ascending key order. Implementations are cheap-to-clone handles on shared state.
#[allow(async_fn_in_trait)] // single-threaded simulation: futures are deliberately not `Send`
pub trait ActorKV {
    /// The transaction type of this store.
    type Transaction: ActorTransaction;

    /// The value under `key`, or `None`.
    async fn get(&self, actor: &ActorId, key: &[u8]) -> Result<Option<Value>, KvError>;
    /// Stores `value` under `key`, replacing any previous value. The key is shared: a store
    /// that holds its keys in memory keeps the caller's allocation instead of a copy.
    async fn set(&self, actor: &ActorId, key: &Key, value: Value) -> Result<(), KvError>;
    /// Removes `key`; removing an absent key succeeds.
    async fn delete(&self, actor: &ActorId, key: &Key) -> Result<(), KvError>;
    /// Whether `key` holds a value.
    async fn exists(&self, actor: &ActorId, key: &[u8]) -> Result<bool, KvError>;
    /// Every key starting with `prefix`, ascending.
    async fn list_keys(&self, actor: &ActorId, prefix: &[u8]) -> Result<Vec<Key>, KvError>;
    /// Every (key, value) whose key starts with `prefix`, ascending by key.
    async fn scan_prefix(
        &self,
        actor: &ActorId,
        prefix: &[u8],
    ) -> Result<Vec<(Key, Value)>, KvError>;
    /// The entries of `scan`, in its order. The default reads the whole prefix and selects;
    /// stores override it to read only the range.
    async fn scan_range(
        &self,
        actor: &ActorId,
        scan: RangeScan<'_>,
    ) -> Result<Vec<(Key, Value)>, KvError> {
        let entries = self.scan_prefix(actor, scan.prefix).await?;
        Ok(scan.select(entries))
    }
    /// Starts an optimistic transaction on `actor`'s keys.
    async fn begin_transaction(&self, actor: &ActorId) -> Result<Self::Transaction, KvError>;
}

/// An optimistic transaction: reads are recorded (keys with their versions, and scanned
/// prefixes with what they held), writes are buffered.
///
/// Contract: `get` sees the transaction's own buffered writes first (read-your-writes);
/// `commit` validates the read set and fails with `TransactionConflict`, writing nothing, if
/// any key read or any prefix scanned changed since; otherwise it applies every buffered write
/// at once. `abort` (or dropping the transaction) discards everything.
#[allow(async_fn_in_trait)] // single-threaded simulation: futures are deliberately not `Send`
pub trait ActorTransaction {
    /// The value under `key` as this transaction sees it.
    async fn get(&mut self, key: &[u8]) -> Result<Option<Value>, KvError>;
    /// Buffers a write of `value` under `key` (shared, not copied).
    async fn set(&mut self, key: &Key, value: Value) -> Result<(), KvError>;
    /// Buffers a delete of `key` (shared, not copied).
    async fn delete(&mut self, key: &Key) -> Result<(), KvError>;
    /// Every key starting with `prefix` as this transaction sees it, ascending; the prefix joins
    /// the read set, so a concurrent insert or delete under it makes the commit conflict.
    async fn list_keys(&mut self, prefix: &[u8]) -> Result<Vec<Key>, KvError>;
    /// Every (key, value) under `prefix` as this transaction sees it; joins the read set.
    async fn scan_prefix(&mut self, prefix: &[u8]) -> Result<Vec<(Key, Value)>, KvError>;
    /// The entries of `scan` as this transaction sees it, in the scan's order; the scanned
    /// prefix joins the read set. The default reads the whole prefix and selects.
    async fn scan_range(&mut self, scan: RangeScan<'_>) -> Result<Vec<(Key, Value)>, KvError> {
        let entries = self.scan_prefix(scan.prefix).await?;
        Ok(scan.select(entries))
    }
    /// Validates the read set and applies all buffered writes, or none.
    async fn commit(self) -> Result<(), KvError>;
    /// Discards all buffered writes.
    async fn abort(self) -> Result<(), KvError>;
}
