//! `KvAdapter`: `AgentStorage` over any `ActorKV`, as JSON records under hierarchical keys of
//! the `kelpie:server` actor (layout in [`super::keys`], encoding in [`super::codec`]).
//!
//! Multi-key operations are single transactions: `checkpoint`, `delete_agent`,
//! `delete_messages`, and every write of an agent-owned record, which reads the agent's key in
//! the same transaction so that a concurrent `delete_agent` makes one of the two conflict
//! instead of leaving an orphan. Read-modify-writes (`update_block`, `append_block`, message
//! sequence numbers) rely on the read set too. A conflict is retried, at most
//! [`CONFLICT_ATTEMPTS_MAX`] times in all.

mod decoded;
mod encoded_len;
mod helpers;
mod storage_impl;

use std::cell::RefCell;
use std::rc::Rc;

use crate::bugs::BugSet;
use crate::kv::{ActorId, ActorKV};
use crate::sim::SimClock;

use super::keys::SERVER_ACTOR;

/// Most attempts of one transactional operation that keeps conflicting.
pub const CONFLICT_ATTEMPTS_MAX: u32 = 8;

/// `AgentStorage` over the store `K`. Cheap to clone when `K` is.
#[derive(Clone)]
pub struct KvAdapter<K: ActorKV> {
    kv: K,
    actor: ActorId,
    clock: SimClock,
    bugs: BugSet,
    decoded: Rc<decoded::Decoded>,
    /// The buffer every record is encoded into before storage copies it: grown once, then
    /// reused. Borrowed only inside one synchronous encode.
    encoded: Rc<RefCell<Vec<u8>>>,
}

impl<K: ActorKV> KvAdapter<K> {
    /// An adapter over `kv`, stamping updates with `clock`.
    pub fn new(kv: K, clock: SimClock) -> Self {
        let actor =
            ActorId::new(SERVER_ACTOR.0, SERVER_ACTOR.1).expect("the server actor id is valid");
        KvAdapter {
            kv,
            actor,
            clock,
            bugs: BugSet::none(),
            decoded: Rc::default(),
            encoded: Rc::default(),
        }
    }

    /// The same adapter with `bugs` planted (adapter-level bugs only take effect here).
    pub fn with_bugs(mut self, bugs: BugSet) -> Self {
        self.bugs = bugs;
        self
    }

    /// The actor all records live under.
    pub fn actor(&self) -> &ActorId {
        &self.actor
    }

    /// The underlying store.
    pub fn kv(&self) -> &K {
        &self.kv
    }
}
