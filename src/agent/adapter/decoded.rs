//! `Decoded`: records this process already has, by the identity of the stored value they
//! encode, so reading a value it wrote or read before costs a lookup, not a decode.
//!
//! Sound because stored values are immutable and shared (`Rc`): storage hands back the very
//! allocation it holds, and any change (a corrupted read, a truncated write, a new write) is a
//! different allocation. A value that lands under another key than the one it was decoded for
//! (a misdirected write) does not match: the entry remembers its key. The cache is dropped
//! with the adapter, so a restarted process decodes (and verifies) what it reads afresh.

use std::any::Any;
use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::rc::Rc;

use crate::kv::{Key, Value};

/// Most records kept; past it the cache starts over (which only costs decodes).
const ENTRIES_MAX: usize = 8192;

/// Hashes a value's address: one multiply. Lookups only; the map is never iterated, so its
/// order cannot reach behaviour.
#[derive(Default)]
struct AddressHasher(u64);

impl Hasher for AddressHasher {
    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 = (self.0 ^ u64::from(*byte)).wrapping_mul(0x100_0000_01b3);
        }
    }

    fn write_usize(&mut self, address: usize) {
        self.0 = (address as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

struct Entry {
    /// Keeps the allocation alive, so its address is not reused while the entry exists.
    value: Value,
    /// The key the value was decoded for, shared with the caller (not copied).
    key: Key,
    record: Rc<dyn Any>,
}

/// Entries the cache has room for before it first grows (a process between two crashes of a
/// `default` seed holds a few hundred).
const ENTRIES_RESERVED: usize = 1024;

/// Records by the address of the stored value they were decoded from (or encoded to).
pub(super) struct Decoded {
    entries: RefCell<HashMap<usize, Entry, BuildHasherDefault<AddressHasher>>>,
}

impl Default for Decoded {
    fn default() -> Self {
        let entries = HashMap::with_capacity_and_hasher(ENTRIES_RESERVED, Default::default());
        Decoded {
            entries: RefCell::new(entries),
        }
    }
}

fn address(value: &Value) -> usize {
    Rc::as_ptr(value) as *const u8 as usize
}

impl Decoded {
    /// The record `value`, stored under `key`, encodes, if this process has it.
    pub(super) fn get<T: 'static>(&self, key: &[u8], value: &Value) -> Option<Rc<T>> {
        let entries = self.entries.borrow();
        let entry = entries.get(&address(value))?;
        let same = Rc::ptr_eq(&entry.value, value) && *entry.key == *key;
        let record = Rc::clone(&entry.record).downcast::<T>().ok()?;
        same.then_some(record)
    }

    /// Remembers that `value`, stored under `key`, encodes `record`.
    pub(super) fn insert<T: 'static>(&self, key: &Key, value: &Value, record: Rc<T>) {
        let mut entries = self.entries.borrow_mut();
        if entries.len() >= ENTRIES_MAX {
            entries.clear();
        }
        let entry = Entry {
            value: Rc::clone(value),
            key: Rc::clone(key),
            record,
        };
        entries.insert(address(value), entry);
        assert!(entries.len() <= ENTRIES_MAX, "the cache stays bounded");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_is_found_only_for_the_same_value_key_and_type() {
        let decoded = Decoded::default();
        let value: Value = Rc::from(&b"bytes"[..]);
        decoded.insert(&Key::from(&b"k"[..]), &value, Rc::new(7u64));
        assert_eq!(decoded.get::<u64>(b"k", &value).as_deref(), Some(&7));
        assert_eq!(decoded.get::<u64>(b"other", &value), None);
        assert_eq!(decoded.get::<u32>(b"k", &value), None);
        let equal_bytes: Value = Rc::from(&b"bytes"[..]);
        assert_eq!(decoded.get::<u64>(b"k", &equal_bytes), None);
    }
}
