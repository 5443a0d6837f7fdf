//! The layout of a `RedbStorage` file, and the reads every part of the store shares.
//!
//! Two tables: `entries`, every actor's keys as `<actor key bytes>/<key>` -> (version, value),
//! ascending by bytes, so one actor's keys under a prefix are one contiguous range; and `meta`,
//! the counter the next write's version comes from (kept in the file, so versions never repeat,
//! even across a reopen). A real error from redb panics with the error ([`fail`]): it is no
//! fault the harness injected.

use std::ops::Bound;
use std::path::Path;

use redb::{Database, ReadableTable, TableDefinition};

use super::store::prefix_end;
use super::{Key, RangeScan, Value};

/// Every entry: full key (`<actor>/<key>`) -> (version, value).
pub(crate) const ENTRIES: TableDefinition<&[u8], (u64, &[u8])> = TableDefinition::new("entries");
/// Bookkeeping: `next_version` -> the version the next write takes.
pub(crate) const META: TableDefinition<&str, u64> = TableDefinition::new("meta");
pub(crate) const NEXT_VERSION: &str = "next_version";

/// One write of a batch: a value, or `None` to delete.
pub(crate) type Write = (Key, Option<Value>);

/// What a scan of a prefix held: how many keys, and the newest version among them. Versions are
/// never reused and every write takes a larger one, so equal summaries mean nothing under the
/// prefix was inserted, changed or deleted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct PrefixSeen {
    pub(crate) keys: u64,
    pub(crate) newest: Option<u64>,
}

/// `<actor>/<key>`.
pub(crate) fn full_key(actor: &[u8], key: &[u8]) -> Vec<u8> {
    let mut full = Vec::with_capacity(actor.len() + 1 + key.len());
    full.extend_from_slice(actor);
    full.push(b'/');
    full.extend_from_slice(key);
    full
}

/// Panics with a real database error: no fault the harness injected.
pub(crate) fn fail(what: &str, error: impl std::fmt::Display) -> ! {
    panic!("redb: {what}: {error}")
}

/// One entry of a range read, as redb hands it out: the full key and (version, value).
type EntryGuards<'a> = (
    redb::AccessGuard<'a, &'static [u8]>,
    redb::AccessGuard<'a, (u64, &'static [u8])>,
);

/// The entries of `actor` in `scan`'s range, in its order, at most its limit, with versions.
/// `table` is any readable `ENTRIES` table (of a read or a write transaction).
pub(crate) fn read_range(
    table: &impl ReadableTable<&'static [u8], (u64, &'static [u8])>,
    actor: &[u8],
    scan: RangeScan<'_>,
) -> Vec<(Key, u64, Value)> {
    assert!(scan.from.starts_with(scan.prefix), "from lies under prefix");
    let from = full_key(actor, scan.from);
    let end = prefix_end(&full_key(actor, scan.prefix)).expect("an actor prefix has an end");
    let range = table
        .range::<&[u8]>((Bound::Included(&from[..]), Bound::Excluded(&end[..])))
        .unwrap_or_else(|e| fail("range", e));
    let skip = actor.len() + 1;
    let decode = |item: Result<EntryGuards<'_>, redb::StorageError>| {
        let (key, value) = item.unwrap_or_else(|e| fail("range item", e));
        let (version, bytes) = value.value();
        (Key::from(&key.value()[skip..]), version, Value::from(bytes))
    };
    let entries: Vec<(Key, u64, Value)> = if scan.reverse {
        range.rev().take(scan.limit).map(decode).collect()
    } else {
        range.take(scan.limit).map(decode).collect()
    };
    assert!(entries.len() <= scan.limit);
    entries
}

/// The version of `actor`'s `key` in `table`, `None` when absent.
pub(crate) fn read_version(
    table: &impl ReadableTable<&'static [u8], (u64, &'static [u8])>,
    actor: &[u8],
    key: &[u8],
) -> Option<(u64, Value)> {
    let full = full_key(actor, key);
    let found = table.get(&full[..]).unwrap_or_else(|e| fail("get", e));
    found.map(|guard| {
        let (version, bytes) = guard.value();
        (version, Value::from(bytes))
    })
}

/// What a scan of `actor`'s `prefix` in `table` sees, for a read set.
pub(crate) fn prefix_seen(
    table: &impl ReadableTable<&'static [u8], (u64, &'static [u8])>,
    actor: &[u8],
    prefix: &[u8],
) -> PrefixSeen {
    let entries = read_range(table, actor, RangeScan::prefix(prefix, usize::MAX));
    PrefixSeen {
        keys: entries.len() as u64,
        newest: entries.iter().map(|(_, version, _)| *version).max(),
    }
}

/// Opens the database file at `path` (redb recovers it from an unclean end) and checks its
/// integrity: `Ok(true)` when it passes, `Ok(false)` when redb had to repair it, an error when
/// it cannot be opened or repaired.
pub fn check_file(path: &Path) -> Result<bool, String> {
    let mut db =
        Database::open(path).map_err(|e| format!("cannot open '{}': {e}", path.display()))?;
    db.check_integrity()
        .map_err(|e| format!("'{}' fails redb's integrity check: {e}", path.display()))
}

/// Opens (creating if absent) the database at `path` with both tables present.
pub fn open_database(path: &Path) -> Result<Database, String> {
    let db =
        Database::create(path).map_err(|e| format!("cannot open '{}': {e}", path.display()))?;
    let txn = db.begin_write().map_err(|e| e.to_string())?;
    {
        txn.open_table(ENTRIES).map_err(|e| e.to_string())?;
        let mut meta = txn.open_table(META).map_err(|e| e.to_string())?;
        let next = meta
            .get(NEXT_VERSION)
            .map_err(|e| e.to_string())?
            .map(|guard| guard.value());
        if next.is_none() {
            meta.insert(NEXT_VERSION, 0).map_err(|e| e.to_string())?;
        }
    }
    txn.commit().map_err(|e| e.to_string())?;
    Ok(db)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_end_skips_trailing_ff() {
        assert_eq!(prefix_end(b"a/"), Some(b"a0".to_vec()));
        assert_eq!(prefix_end(&[b'a', 0xff]), Some(vec![b'b']));
        assert_eq!(prefix_end(&[0xff]), None);
    }
}
