//! `WriteLog`: the writes a store applied since the oldest snapshot an open transaction still
//! validates against, so that validating a scanned prefix costs the writes made since the scan,
//! not a walk of every key under the prefix.
//!
//! A transaction pins the store's next version when it first scans; while any snapshot is
//! pinned every write is logged, and the log keeps exactly the writes at or after the oldest
//! pinned snapshot. With nothing pinned the log is empty and writing costs nothing extra.

use std::collections::{BTreeMap, VecDeque};
use std::rc::Rc;

use super::store::Key;

/// One logged write: its version, the actor and key it wrote, and whether the key held a
/// value just before it.
#[derive(Clone, Debug)]
pub(crate) struct LoggedWrite {
    pub(crate) version: u64,
    pub(crate) actor: Rc<[u8]>,
    pub(crate) key: Key,
    pub(crate) existed_before: bool,
}

/// The pinned snapshots (version -> how many transactions pin it) and the writes since the
/// oldest of them, ascending by version.
#[derive(Clone, Debug, Default)]
pub(crate) struct WriteLog {
    pins: BTreeMap<u64, usize>,
    writes: VecDeque<LoggedWrite>,
}

impl WriteLog {
    /// Pins the snapshot `version`: every write from now on is kept until it is unpinned.
    pub(crate) fn pin(&mut self, version: u64) {
        assert!(
            self.writes.back().is_none_or(|w| w.version < version),
            "a new snapshot is no older than the writes already logged"
        );
        *self.pins.entry(version).or_insert(0) += 1;
    }

    /// Releases one pin of `version`, then forgets the writes no pinned snapshot needs.
    pub(crate) fn unpin(&mut self, version: u64) {
        let count = self
            .pins
            .get_mut(&version)
            .expect("only a pinned snapshot is unpinned");
        *count -= 1;
        if *count == 0 {
            self.pins.remove(&version);
        }
        match self.pins.keys().next() {
            None => self.writes.clear(),
            Some(&oldest) => {
                while self.writes.front().is_some_and(|w| w.version < oldest) {
                    self.writes.pop_front();
                }
            }
        }
    }

    /// Whether some snapshot is pinned (then writes must be logged).
    pub(crate) fn is_pinned(&self) -> bool {
        !self.pins.is_empty()
    }

    /// Logs a write of `actor`'s `key` at `version` (newer than every write logged so far),
    /// sharing the key; ignored, at no cost, when nothing is pinned.
    pub(crate) fn record(
        &mut self,
        version: u64,
        actor: &Rc<[u8]>,
        key: &Key,
        existed_before: bool,
    ) {
        if self.pins.is_empty() {
            return;
        }
        assert!(
            self.writes.back().is_none_or(|w| w.version < version),
            "writes are logged in version order"
        );
        self.writes.push_back(LoggedWrite {
            version,
            actor: Rc::clone(actor),
            key: Rc::clone(key),
            existed_before,
        });
    }

    /// The logged writes at or after `since`, oldest first. `since` must be no older than the
    /// oldest pinned snapshot, or writes it needs may have been forgotten.
    pub(crate) fn since(&self, since: u64) -> impl Iterator<Item = &LoggedWrite> {
        let oldest = self.pins.keys().next().copied();
        assert!(
            oldest.is_some_and(|oldest| oldest <= since),
            "snapshot {since} is covered by a pin"
        );
        let start = self.writes.partition_point(|w| w.version < since);
        self.writes.range(start..)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(log: &mut WriteLog, version: u64) {
        log.record(version, &Rc::from(&b"a"[..]), &Rc::from(&b"k"[..]), false);
    }

    fn versions(log: &WriteLog, since: u64) -> Vec<u64> {
        log.since(since).map(|w| w.version).collect()
    }

    #[test]
    fn keeps_exactly_the_writes_a_pinned_snapshot_needs() {
        let mut log = WriteLog::default();
        write(&mut log, 1);
        assert!(!log.is_pinned());
        log.pin(2);
        write(&mut log, 2);
        log.pin(3);
        log.pin(3);
        write(&mut log, 3);
        write(&mut log, 4);
        assert_eq!(versions(&log, 2), [2, 3, 4]);
        assert_eq!(versions(&log, 3), [3, 4]);
        log.unpin(2);
        assert_eq!(versions(&log, 3), [3, 4]);
        log.unpin(3);
        assert_eq!(versions(&log, 3), [3, 4], "one pin of 3 remains");
        log.unpin(3);
        assert!(!log.is_pinned());
        log.pin(5);
        assert!(versions(&log, 5).is_empty(), "the log was emptied");
    }
}
