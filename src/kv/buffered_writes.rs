//! `BufferedWrites`: the writes a transaction holds until it commits, ascending by key. A
//! transaction writes a few keys, so a sorted vector costs less than a tree; writes in
//! ascending order (a delete of every key under a prefix) append.

use std::collections::BTreeMap;
use std::rc::Rc;

use super::store::Write;
use super::{Key, Value};

/// Buffered writes: each key at most once, ascending.
#[derive(Debug, Default)]
pub(crate) struct BufferedWrites {
    writes: Vec<Write>,
}

impl BufferedWrites {
    /// The buffered write of `key`: `Some(Some(value))`, `Some(None)` for a buffered delete,
    /// `None` when `key` is not written.
    pub(crate) fn get(&self, key: &[u8]) -> Option<Option<Value>> {
        let found = self.writes.binary_search_by(|(k, _)| k.as_ref().cmp(key));
        found.ok().map(|index| self.writes[index].1.clone())
    }

    /// Buffers `value` (`None`: a delete) for `key` (shared, not copied), replacing an
    /// earlier write of it.
    pub(crate) fn put(&mut self, key: &Key, value: Option<Value>) {
        let index = match self.writes.last() {
            Some((last, _)) if last >= key => {
                match self.writes.binary_search_by(|(k, _)| k.cmp(key)) {
                    Ok(index) => {
                        self.writes[index].1 = value;
                        return;
                    }
                    Err(index) => {
                        self.writes.insert(index, (Rc::clone(key), value));
                        index
                    }
                }
            }
            _ => {
                self.writes.push((Rc::clone(key), value));
                self.writes.len() - 1
            }
        };
        let (before, after) = (index.checked_sub(1), index + 1);
        assert!(
            before.is_none_or(|b| self.writes[b].0 < self.writes[index].0)
                && self
                    .writes
                    .get(after)
                    .is_none_or(|(k, _)| self.writes[index].0 < *k),
            "buffered writes stay ascending"
        );
    }

    /// The buffered writes under `prefix`, ascending.
    pub(crate) fn under<'a>(&'a self, prefix: &'a [u8]) -> impl Iterator<Item = &'a Write> {
        let first = self
            .writes
            .partition_point(|(key, _)| key.as_ref() < prefix);
        self.writes[first..]
            .iter()
            .take_while(move |(key, _)| key.starts_with(prefix))
    }

    /// The smallest written key, if any.
    pub(crate) fn first_key(&self) -> Option<&Key> {
        self.writes.first().map(|(key, _)| key)
    }

    /// Takes every write, ascending, leaving none.
    pub(crate) fn take(&mut self) -> Vec<Write> {
        std::mem::take(&mut self.writes)
    }

    /// Lays the writes under `prefix` over `merged` (the stored entries under it): a buffered
    /// value replaces the stored one, a buffered delete removes it.
    pub(crate) fn overlay(&self, prefix: &[u8], merged: &mut BTreeMap<Key, Value>) {
        for (key, value) in self.under(prefix) {
            match value {
                Some(value) => merged.insert(Rc::clone(key), Rc::clone(value)),
                None => merged.remove(key),
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(text: &str) -> Option<Value> {
        Some(Value::from(text.as_bytes()))
    }

    #[test]
    fn writes_stay_ascending_and_the_last_write_of_a_key_wins() {
        let mut writes = BufferedWrites::default();
        for key in ["b/2", "a/1", "c", "b/1", "a/1", "b/3"] {
            writes.put(&Key::from(key.as_bytes()), value(key));
        }
        writes.put(&Key::from(&b"b/2"[..]), None);
        assert_eq!(writes.get(b"b/2"), Some(None));
        assert_eq!(writes.get(b"a/1"), Some(value("a/1")));
        assert_eq!(writes.get(b"b"), None);
        let under: Vec<&[u8]> = writes.under(b"b/").map(|(k, _)| k.as_ref()).collect();
        assert_eq!(under, [&b"b/1"[..], b"b/2", b"b/3"]);
        assert_eq!(writes.first_key().map(|k| k.as_ref()), Some(&b"a/1"[..]));
        let taken: Vec<Vec<u8>> = writes.take().into_iter().map(|(k, _)| k.to_vec()).collect();
        assert_eq!(
            taken,
            ["a/1", "b/1", "b/2", "b/3", "c"].map(|k| k.as_bytes().to_vec())
        );
        assert_eq!(writes.first_key(), None);
    }

    #[test]
    fn overlay_replaces_and_removes_under_the_prefix_only() {
        let mut writes = BufferedWrites::default();
        writes.put(&Key::from(&b"p/a"[..]), value("new"));
        writes.put(&Key::from(&b"p/b"[..]), None);
        writes.put(&Key::from(&b"q/a"[..]), value("other"));
        let mut merged: BTreeMap<Key, Value> = [("p/a", "old"), ("p/b", "gone"), ("p/c", "kept")]
            .into_iter()
            .map(|(k, v)| (Key::from(k.as_bytes()), Value::from(v.as_bytes())))
            .collect();
        writes.overlay(b"p/", &mut merged);
        let got: Vec<(&[u8], &[u8])> = merged
            .iter()
            .map(|(k, v)| (k.as_ref(), v.as_ref()))
            .collect();
        assert_eq!(got, [(&b"p/a"[..], &b"new"[..]), (b"p/c", b"kept")]);
    }
}
