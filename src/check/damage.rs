//! What a damaging fault does to the model's states, addressed by the stored key the fault
//! report names (read with the checker's own key layout): a truncated or overwritten record
//! becomes [`Slot::Damaged`]; the record a misdirected write was meant for keeps its value.

use std::rc::Rc;

use super::call::{Call, Id};
use super::durable::StoredKey;
use super::state::{AgentState, Slot, ToolState};

/// Marks the record at `key` damaged in `state` (an agent's state). A message is found by its
/// creation time and append number: the `n`-th message created in that ms.
pub fn damage_agent_record(state: &mut AgentState, key: &StoredKey) {
    match key {
        StoredKey::Agent(_) => state.record = Slot::Damaged,
        StoredKey::Blocks(_) => state.blocks = Slot::Damaged,
        StoredKey::Session(_, session) => {
            Rc::make_mut(&mut state.sessions).insert(Id::from(*session), Slot::Damaged);
        }
        StoredKey::Message {
            created_at_ms, n, ..
        } => {
            let first = state
                .messages
                .partition_point(|m| m.created_at_ms < *created_at_ms);
            let index = first + usize::try_from(*n).unwrap_or(usize::MAX);
            let in_ms = state
                .messages
                .get(index)
                .is_some_and(|m| m.created_at_ms == *created_at_ms);
            if in_ms {
                Rc::make_mut(&mut state.messages)[index].message = None;
            }
        }
        StoredKey::Tool(_) => panic!("a tool key addresses no agent state"),
    }
}

/// Undoes, in `next` (the state `call` left from `before`), the write of the record at `key`:
/// a misdirected write never reached it.
pub fn revert_agent_record(
    next: &mut AgentState,
    before: &AgentState,
    key: &StoredKey,
    call: &Call,
) {
    match key {
        StoredKey::Agent(_) => next.record = before.record.clone(),
        StoredKey::Blocks(_) => next.blocks = before.blocks.clone(),
        StoredKey::Session(_, session) => {
            let sessions = Rc::make_mut(&mut next.sessions);
            match before.sessions.get(*session) {
                Some(slot) => sessions.insert(Id::from(*session), slot.clone()),
                None => sessions.remove(*session),
            };
        }
        StoredKey::Message { .. } => {
            let written = match call {
                Call::AppendMessage { message, .. } => Some(message),
                Call::Checkpoint { message, .. } => message.as_ref(),
                _ => None,
            };
            if let Some(written) = written {
                let messages = Rc::make_mut(&mut next.messages);
                let found = messages
                    .iter()
                    .position(|m| m.message.as_ref().is_some_and(|w| Rc::ptr_eq(w, written)));
                if let Some(index) = found {
                    messages.remove(index);
                }
            }
        }
        StoredKey::Tool(_) => panic!("a tool key addresses no agent state"),
    }
}

/// The tool state with the record damaged.
pub fn damaged_tool() -> ToolState {
    ToolState {
        record: Slot::Damaged,
    }
}
