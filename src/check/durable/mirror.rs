//! The checker's decoded copy of the durable state, kept up to date incrementally: each check
//! decodes only the keys storage reports changed since the last one.
//!
//! The mirror also keeps a digest of every stored value, so a final check can confirm, without
//! decoding anything, that no durable change went unreported. The digests are a hash map,
//! only asked about one key at a time (its one walk picks the smallest key it finds), so its
//! order cannot reach behaviour.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::rc::Rc;

use serde::de::DeserializeOwned;
use xxhash_rust::xxh3::xxh3_64;

use super::decode::decode_stored;
use super::layout::{parse_key, StoredKey};
use crate::agent::record_json_read::ReadJson;
use crate::agent::{AgentMetadata, Block, CustomToolRecord, Message, SessionState};
use crate::sim::KeyHashing;

/// One durable change: a key, and its value now (`None`: deleted).
pub type Change = (Rc<[u8]>, Option<Rc<[u8]>>);

/// A stored value as the checker decoded it.
#[derive(Clone, Debug, PartialEq)]
pub enum Stored<T> {
    /// It verified and decoded to this record.
    Intact(T),
    /// It did not verify; the reason.
    Damaged(String),
}

impl<T: DeserializeOwned + ReadJson> Stored<T> {
    fn decode(key: &[u8], value: &[u8]) -> Stored<T> {
        match decode_stored(key, value) {
            Ok(record) => Stored::Intact(record),
            Err(reason) => Stored::Damaged(reason),
        }
    }
}

/// Everything durable for one agent id.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MirrorAgent {
    /// `agents/{id}`.
    pub record: Option<Stored<AgentMetadata>>,
    /// `blocks/{id}`.
    pub blocks: Option<Stored<Vec<Block>>>,
    /// `sessions/{id}/...`, by session id.
    pub sessions: BTreeMap<String, Stored<SessionState>>,
    /// `messages/{id}/...`, by (creation time, append number).
    pub messages: BTreeMap<(u64, u64), Stored<Message>>,
}

impl MirrorAgent {
    /// Whether anything but the agent record is stored.
    pub fn has_children(&self) -> bool {
        self.blocks.is_some() || !self.sessions.is_empty() || !self.messages.is_empty()
    }

    fn is_empty(&self) -> bool {
        self.record.is_none() && !self.has_children()
    }
}

/// The decoded durable state, by agent and tool, with what changed since the last check.
#[derive(Debug, Default)]
pub struct DurableMirror {
    agents: BTreeMap<String, MirrorAgent>,
    tools: BTreeMap<String, Stored<CustomToolRecord>>,
    outside: BTreeSet<Vec<u8>>,
    digests: HashMap<Rc<[u8]>, u64, KeyHashing>,
    changed_agents: BTreeSet<String>,
    changed_tools: BTreeSet<String>,
    changed_outside: BTreeSet<Vec<u8>>,
}

/// The ids whose durable records changed since the last [`DurableMirror::take_changed`].
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Changed {
    /// Agent ids.
    pub agents: BTreeSet<String>,
    /// Tool names.
    pub tools: BTreeSet<String>,
    /// Keys outside the documented layout.
    pub outside: BTreeSet<Vec<u8>>,
}

impl DurableMirror {
    /// An empty mirror (an empty store).
    pub fn new() -> Self {
        DurableMirror::default()
    }

    /// Applies durable changes: each key with its value now (`None`: deleted). A delete of a
    /// key the mirror does not hold (one written and deleted again since the last check) leaves
    /// the durable state as the last check saw it, so it changes nothing and marks nothing
    /// changed.
    pub fn apply(&mut self, changes: Vec<Change>) {
        for (key, value) in changes {
            let held_before = match &value {
                Some(bytes) => self.digests.insert(Rc::clone(&key), xxh3_64(bytes)),
                None => self.digests.remove(&key),
            };
            if value.is_none() && held_before.is_none() {
                continue;
            }
            self.apply_one(&key, value.as_deref());
        }
    }

    fn apply_one(&mut self, key: &[u8], value: Option<&[u8]>) {
        let Some(parsed) = parse_key(key) else {
            match value {
                Some(_) => self.outside.insert(key.to_vec()),
                None => self.outside.remove(key),
            };
            self.changed_outside.insert(key.to_vec());
            return;
        };
        if let StoredKey::Tool(name) = parsed {
            match value {
                Some(bytes) => self
                    .tools
                    .insert(name.to_string(), Stored::decode(key, bytes)),
                None => self.tools.remove(name),
            };
            if !self.changed_tools.contains(name) {
                self.changed_tools.insert(name.to_string());
            }
            return;
        }
        let id = match parsed {
            StoredKey::Agent(id) => id,
            child => child.owner().expect("a child key has an owner"),
        };
        if !self.agents.contains_key(id) {
            self.agents.insert(id.to_string(), MirrorAgent::default());
        }
        let agent = self.agents.get_mut(id).expect("just ensured");
        match parsed {
            StoredKey::Agent(_) => agent.record = value.map(|v| Stored::decode(key, v)),
            StoredKey::Blocks(_) => agent.blocks = value.map(|v| Stored::decode(key, v)),
            StoredKey::Session(_, session) => match value {
                Some(bytes) => {
                    agent
                        .sessions
                        .insert(session.to_string(), Stored::decode(key, bytes));
                }
                None => {
                    agent.sessions.remove(session);
                }
            },
            StoredKey::Message {
                created_at_ms, n, ..
            } => match value {
                Some(bytes) => {
                    agent
                        .messages
                        .insert((created_at_ms, n), Stored::decode(key, bytes));
                }
                None => {
                    agent.messages.remove(&(created_at_ms, n));
                }
            },
            StoredKey::Tool(_) => unreachable!("tools are handled above"),
        }
        if agent.is_empty() {
            self.agents.remove(id);
        }
        if !self.changed_agents.contains(id) {
            self.changed_agents.insert(id.to_string());
        }
    }

    /// What changed since the last call.
    pub fn take_changed(&mut self) -> Changed {
        Changed {
            agents: std::mem::take(&mut self.changed_agents),
            tools: std::mem::take(&mut self.changed_tools),
            outside: std::mem::take(&mut self.changed_outside),
        }
    }

    /// What is durable for agent `id` (nothing: `None`).
    pub fn agent(&self, id: &str) -> Option<&MirrorAgent> {
        self.agents.get(id)
    }

    /// Every agent id with something durable.
    pub fn agent_ids(&self) -> impl Iterator<Item = &String> {
        self.agents.keys()
    }

    /// The durable tool `name`, if any.
    pub fn tool(&self, name: &str) -> Option<&Stored<CustomToolRecord>> {
        self.tools.get(name)
    }

    /// Every tool name with something durable.
    pub fn tool_names(&self) -> impl Iterator<Item = &String> {
        self.tools.keys()
    }

    /// Whether `key` (outside the layout) is durable.
    pub fn holds_outside(&self, key: &[u8]) -> bool {
        self.outside.contains(key)
    }

    /// The first durable entry (of all of `entries`, ascending) whose value the mirror does
    /// not hold, or a key the mirror holds that is not durable: a change storage never
    /// reported.
    pub fn unreported_change<K: AsRef<[u8]>, V: AsRef<[u8]>>(
        &self,
        entries: &[(K, V)],
    ) -> Option<Vec<u8>> {
        let differs = entries
            .iter()
            .find(|(key, value)| self.digests.get(key.as_ref()) != Some(&xxh3_64(value.as_ref())));
        if let Some((key, _)) = differs {
            return Some(key.as_ref().to_vec());
        }
        (self.digests.len() != entries.len()).then(|| {
            let durable: BTreeSet<&[u8]> = entries.iter().map(|(k, _)| k.as_ref()).collect();
            let extra = self
                .digests
                .keys()
                .filter(|k| !durable.contains(k.as_ref()))
                .min();
            extra
                .expect("more digests than entries means an extra key")
                .to_vec()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(key: &str, value: Option<&str>) -> Change {
        (
            Rc::from(key.as_bytes()),
            value.map(|v| Rc::from(v.as_bytes())),
        )
    }

    fn entries(pairs: &[(&str, &str)]) -> Vec<(Vec<u8>, Vec<u8>)> {
        let owned = pairs.iter().map(|(k, v)| (k.as_bytes(), v.as_bytes()));
        owned.map(|(k, v)| (k.to_vec(), v.to_vec())).collect()
    }

    #[test]
    fn an_unreported_change_is_the_smallest_key_the_mirror_does_not_hold_as_it_is() {
        let mut mirror = DurableMirror::new();
        mirror.apply(vec![
            change("tools/b", Some("1")),
            change("tools/a", Some("2")),
            change("x/d", Some("3")),
            change("tools/c", Some("4")),
            change("tools/c", None),
        ]);
        let held = [("tools/a", "2"), ("tools/b", "1"), ("x/d", "3")];
        assert_eq!(mirror.unreported_change(&entries(&held)), None);
        let changed = [("tools/a", "2"), ("tools/b", "9"), ("x/d", "9")];
        let found = mirror.unreported_change(&entries(&changed));
        assert_eq!(found.as_deref(), Some(&b"tools/b"[..]), "a value changed");
        let added = [
            ("tools/a", "2"),
            ("tools/b", "1"),
            ("tools/c", "4"),
            ("x/d", "3"),
        ];
        let found = mirror.unreported_change(&entries(&added));
        assert_eq!(found.as_deref(), Some(&b"tools/c"[..]), "a key appeared");
        let removed = [("tools/b", "1")];
        let found = mirror.unreported_change(&entries(&removed));
        assert_eq!(
            found.as_deref(),
            Some(&b"tools/a"[..]),
            "of the keys gone, the smallest"
        );
    }

    #[test]
    fn a_delete_of_a_key_never_held_changes_nothing() {
        let mut mirror = DurableMirror::new();
        mirror.apply(vec![change("tools/a", Some("2"))]);
        mirror.take_changed();
        mirror.apply(vec![change("tools/z", None), change("agents/z", None)]);
        assert_eq!(mirror.take_changed(), Changed::default());
        assert_eq!(mirror.agent("z"), None, "no empty agent left behind");
        mirror.apply(vec![change("tools/a", None)]);
        assert!(
            mirror.take_changed().tools.contains("a"),
            "a held key deleted"
        );
        assert_eq!(mirror.tool("a"), None);
        assert_eq!(mirror.unreported_change::<&[u8], &[u8]>(&[]), None);
    }
}
