//! One entity of the model (an agent and all it owns, or one tool): the few states it may be
//! in, given the operations whose outcome is unknown, and its history for evidence.
//!
//! Invariant: there is always at least one candidate, and no two candidates hold the same
//! records. An unknown outcome at most doubles the candidates; every read prunes them to
//! those that admit its answer, and every durable check collapses them to the one on disk.

use std::collections::BTreeMap;

/// Most candidate states one entity may have: 2 to the number of tasks that can have an
/// unknown write on one entity at once, with room to spare.
pub const CANDIDATES_MAX: usize = 1 << 14;

/// Most candidates deduplicated by comparing every pair; more are grouped by fingerprint
/// first (a fingerprint costs about one comparison, so grouping pays only for many).
const PAIRWISE_MAX: usize = 8;

/// The first of each group of candidates that are the same, in order. Only candidates with
/// equal `group` keys are compared, so `group` must give the same key to candidates that are
/// the same (a constant key compares every pair).
fn unique_by<S: Candidate>(next: Vec<S>, group: impl Fn(&S) -> u64) -> Vec<S> {
    let mut unique: Vec<S> = Vec::with_capacity(next.len());
    let mut groups: BTreeMap<u64, Vec<usize>> = BTreeMap::new();
    for candidate in next {
        let alike = groups.entry(group(&candidate)).or_default();
        if !alike.iter().any(|&kept| unique[kept].same(&candidate)) {
            alike.push(unique.len());
            unique.push(candidate);
        }
    }
    unique
}

/// A state kind the model keeps candidates of.
pub trait Candidate: Clone + Default {
    /// Whether two candidates hold the same records.
    fn same(&self, other: &Self) -> bool;

    /// A digest equal for candidates that are the same (and usually different otherwise), so
    /// that deduplicating compares only candidates with equal digests.
    fn fingerprint(&self) -> u64;
}

impl Candidate for super::state::AgentState {
    fn same(&self, other: &Self) -> bool {
        super::state::AgentState::same(self, other)
    }

    fn fingerprint(&self) -> u64 {
        super::state::AgentState::fingerprint(self)
    }
}

impl Candidate for super::state::ToolState {
    fn same(&self, other: &Self) -> bool {
        super::state::ToolState::same(self, other)
    }

    fn fingerprint(&self) -> u64 {
        super::state::ToolState::fingerprint(self)
    }
}

/// The candidates of one entity, with the ops that touched it.
#[derive(Clone, Debug)]
pub struct Entity<S> {
    candidates: Vec<S>,
    /// An empty vector kept from the last judgement, whose memory the next one reuses.
    spare: Vec<S>,
    /// Writes whose outcome is unknown since the last durable check.
    pub uncertain: Vec<u64>,
    /// Every op that touched the entity, oldest first.
    pub history: Vec<u64>,
    /// Whether the candidates changed since the last durable check.
    pub dirty: bool,
}

impl<S: Candidate> Default for Entity<S> {
    fn default() -> Self {
        Entity {
            candidates: vec![S::default()],
            spare: Vec::new(),
            uncertain: Vec::new(),
            history: Vec::new(),
            dirty: false,
        }
    }
}

impl<S: Candidate> Entity<S> {
    /// The candidate states, at least one.
    pub fn candidates(&self) -> &[S] {
        assert!(!self.candidates.is_empty(), "an entity has a candidate");
        &self.candidates
    }

    /// Replaces the candidates with `next` (deduplicated); an empty `next` leaves them as they
    /// were (the caller reports why none is left). Returns whether `next` was non-empty.
    pub fn replace(&mut self, next: Vec<S>) -> bool {
        if next.is_empty() {
            return false;
        }
        let unique = match next.len() {
            1 => next,
            2..=PAIRWISE_MAX => unique_by(next, |_| 0),
            _ => unique_by(next, S::fingerprint),
        };
        assert!(
            unique.len() <= CANDIDATES_MAX,
            "{} candidate states: more unknown outcomes than tasks can leave",
            unique.len()
        );
        self.candidates = unique;
        true
    }

    /// Takes the candidates out, to be judged and put back with [`Entity::replace`] (which
    /// must follow before the entity is used again), with an empty vector for the next
    /// candidates (reusing the memory [`Entity::recycle`] kept).
    pub fn take_candidates(&mut self) -> (Vec<S>, Vec<S>) {
        let taken = std::mem::take(&mut self.candidates);
        let next = std::mem::take(&mut self.spare);
        assert!(!taken.is_empty(), "an entity has a candidate");
        assert!(next.is_empty(), "the spare vector holds no candidate");
        (taken, next)
    }

    /// Keeps `spent`, emptied, for the next [`Entity::take_candidates`].
    pub fn recycle(&mut self, mut spent: Vec<S>) {
        spent.clear();
        self.spare = spent;
    }

    /// Applies `change` to every candidate in place.
    pub fn for_each(&mut self, mut change: impl FnMut(&mut S)) {
        self.candidates.iter_mut().for_each(&mut change);
        self.dirty = true;
    }

    /// The last `count` ops of the history.
    pub fn recent(&self, count: usize) -> &[u64] {
        let skip = self.history.len().saturating_sub(count);
        &self.history[skip..]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::state::{Slot, ToolState};

    #[test]
    fn a_recycled_vector_comes_back_empty_for_the_next_candidates() {
        let mut entity: Entity<ToolState> = Entity::default();
        let (mut taken, next) = entity.take_candidates();
        assert_eq!((taken.len(), next.len()), (1, 0));
        let kept = vec![taken.pop().expect("the default candidate")];
        let capacity = taken.capacity();
        entity.recycle(taken);
        assert!(entity.replace(kept));
        let (taken, next) = entity.take_candidates();
        assert_eq!((taken.len(), next.len()), (1, 0));
        assert_eq!(next.capacity(), capacity, "the recycled memory is reused");
    }

    #[test]
    fn replace_deduplicates_and_refuses_to_empty() {
        let mut entity: Entity<ToolState> = Entity::default();
        let damaged = ToolState {
            record: Slot::Damaged,
        };
        assert!(entity.replace(vec![ToolState::default(), damaged.clone(), damaged]));
        assert_eq!(entity.candidates().len(), 2);
        assert!(!entity.replace(Vec::new()));
        assert_eq!(entity.candidates().len(), 2);
    }

    #[test]
    fn replace_keeps_the_first_of_each_state_in_order() {
        let tool = |description: &str| ToolState {
            record: Slot::Present(std::rc::Rc::new(crate::agent::CustomToolRecord {
                name: "t".to_string(),
                description: description.to_string(),
                input_schema: serde_json::json!({}),
                source_code: String::new(),
                runtime: "python".to_string(),
                requirements: Vec::new(),
                created_at_ms: 0,
                updated_at_ms: u64::from(description == "late"),
            })),
        };
        let next = vec![
            tool("a"),
            ToolState::default(),
            tool("b"),
            tool("a"),
            tool("late"),
            ToolState::default(),
            tool("b"),
        ];
        let many: Vec<ToolState> = next
            .iter()
            .cycle()
            .take(3 * PAIRWISE_MAX)
            .cloned()
            .collect();
        for candidates in [next.clone(), many] {
            let mut entity: Entity<ToolState> = Entity::default();
            assert!(entity.replace(candidates));
            let kept = entity.candidates();
            assert_eq!(kept.len(), 4);
            for (kept, expected) in kept.iter().zip([&next[0], &next[1], &next[2], &next[4]]) {
                assert!(kept.same(expected));
            }
        }
        assert_eq!(tool("a").fingerprint(), tool("a").fingerprint());
    }
}
