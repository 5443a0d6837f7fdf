//! `EntityMap`: the model's entities by id (agents, or tools by name), iterated in ascending
//! id order as a `BTreeMap` would be, and found by a hash of the id: the model looks an entity
//! up several times per operation, and a tree search compares the id with many others.
//!
//! Invariants: `slots` is ascending by id, each id once; `index` maps every id in `slots` to
//! its position and nothing else. The index is only ever asked for one id, never iterated.

use std::collections::HashMap;

use super::call::Id;
use super::entity::{Candidate, Entity};
use crate::sim::KeyHashing;

/// Entities by id (see the module documentation).
#[derive(Clone, Debug)]
pub struct EntityMap<S> {
    slots: Vec<(Id, Entity<S>)>,
    index: HashMap<Id, usize, KeyHashing>,
}

impl<S> Default for EntityMap<S> {
    fn default() -> Self {
        EntityMap {
            slots: Vec::new(),
            index: HashMap::default(),
        }
    }
}

impl<S: Candidate> EntityMap<S> {
    /// The entity of `id`, if the model has met it.
    pub fn get(&self, id: &str) -> Option<&Entity<S>> {
        let slot = *self.index.get(id)?;
        Some(&self.slots[slot].1)
    }

    /// The entity of `id` to change, if the model has met it.
    pub fn get_mut(&mut self, id: &str) -> Option<&mut Entity<S>> {
        let slot = *self.index.get(id)?;
        Some(&mut self.slots[slot].1)
    }

    /// The entity of `id`, created with its one default candidate when the model has not met
    /// it yet.
    pub fn get_or_insert(&mut self, id: &str) -> &mut Entity<S> {
        let slot = match self.index.get(id) {
            Some(&slot) => slot,
            None => self.insert_new(id),
        };
        assert_eq!(
            &*self.slots[slot].0, id,
            "the index points at the id's slot"
        );
        &mut self.slots[slot].1
    }

    /// Every id and its entity, ascending by id.
    pub fn iter(&self) -> impl Iterator<Item = (&Id, &Entity<S>)> {
        self.slots.iter().map(|(id, entity)| (id, entity))
    }

    /// Every entity, ascending by id.
    pub fn values(&self) -> impl Iterator<Item = &Entity<S>> {
        self.slots.iter().map(|(_, entity)| entity)
    }

    /// Every id and its entity to change, ascending by id.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (&Id, &mut Entity<S>)> {
        self.slots.iter_mut().map(|(id, entity)| (&*id, entity))
    }

    /// Adds `id` (not met yet) in its place and returns its slot; the slots after it move
    /// up one, and the index follows them.
    fn insert_new(&mut self, id: &str) -> usize {
        let slot = self.slots.partition_point(|(other, _)| other.as_ref() < id);
        assert!(
            self.slots
                .get(slot)
                .is_none_or(|(other, _)| other.as_ref() != id),
            "a new id is not met yet"
        );
        let id: Id = id.into();
        self.slots.insert(slot, (id.clone(), Entity::default()));
        self.index.insert(id, slot);
        for (moved, (other, _)) in self.slots.iter().enumerate().skip(slot + 1) {
            *self.index.get_mut(other).expect("every slot is indexed") = moved;
        }
        assert_eq!(
            self.index.len(),
            self.slots.len(),
            "one index entry per slot"
        );
        slot
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::state::ToolState;
    use std::collections::BTreeMap;

    #[test]
    fn ids_come_out_ascending_and_each_is_found_where_a_tree_would_find_it() {
        let mut map: EntityMap<ToolState> = EntityMap::default();
        let mut tree: BTreeMap<Id, u64> = BTreeMap::new();
        let ids = [
            "m",
            "a",
            "z",
            "agent-10",
            "agent-1",
            "agent-100",
            "é",
            "",
            "a",
            "m",
            "b",
        ];
        for (n, id) in ids.iter().enumerate() {
            map.get_or_insert(id).history.push(n as u64);
            *tree.entry((*id).into()).or_default() += 1;
            let ours: Vec<&str> = map.iter().map(|(id, _)| id.as_ref()).collect();
            let theirs: Vec<&str> = tree.keys().map(|id| id.as_ref()).collect();
            assert_eq!(ours, theirs, "the same ids in the same order");
            for (id, count) in &tree {
                let entity = map.get(id).expect("every inserted id is found");
                assert_eq!(entity.history.len() as u64, *count, "{id}");
            }
        }
        assert!(map.get("agent-1").is_some() && map.get("agent-2").is_none());
        assert!(map.get("zz").is_none() && map.get_mut("zz").is_none());
        map.iter_mut().for_each(|(_, entity)| entity.dirty = true);
        assert!(map.iter().all(|(_, entity)| entity.dirty));
    }
}
