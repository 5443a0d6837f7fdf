//! The reference semantics of `AgentStorage`: for a call with valid arguments and one candidate
//! state, what the call must do ([`predict`]) and the state it leaves ([`apply_agent`],
//! [`apply_tool`]).
//!
//! Written from the trait's contract, not from the adapter: a write of an agent-owned record
//! needs the agent; `update_block` of a missing label is `not_found`; `append_block` creates a
//! missing block (id `{agent_id}/{label}`, empty value) and concatenates; `delete_agent` of a
//! missing agent is `not_found` and otherwise removes everything the agent owns; deletes of
//! sessions, messages and tools succeed when there is nothing to delete; a damaged record
//! exists but cannot be read.

use std::rc::Rc;

use super::call::{Answer, Call, Scope};
use super::state::{AgentState, ModelBlock, Slot, Stamp, ToolState};

/// What a call with valid arguments must do, given one candidate state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Prediction {
    /// Succeed.
    Succeeds,
    /// Fail with `not_found` of this kind of entity (`agent`, `block`).
    NotFound(&'static str),
    /// Fail verification: it must read a damaged record.
    Unreadable,
}

/// A set of predictions: those a write saw hold at some point while it ran.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Predictions(u8);

impl Predictions {
    fn bit(prediction: Prediction) -> u8 {
        match prediction {
            Prediction::Succeeds => 1,
            Prediction::NotFound("agent") => 2,
            Prediction::NotFound("block") => 4,
            Prediction::NotFound(_) => 8,
            Prediction::Unreadable => 16,
        }
    }

    /// Adds `prediction`.
    pub fn insert(&mut self, prediction: Prediction) {
        self.0 |= Predictions::bit(prediction);
    }

    /// Whether `prediction` is in the set.
    pub fn contains(self, prediction: Prediction) -> bool {
        self.0 & Predictions::bit(prediction) != 0
    }
}

/// The window of simulated time an operation ran in, ms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    /// When it started.
    pub start_ms: u64,
    /// When it ended (or the process died).
    pub end_ms: u64,
}

/// What `call` (valid arguments, agent scope) must do in `state`.
pub fn predict(call: &Call, state: &AgentState) -> Prediction {
    assert!(matches!(call.scope(), Scope::Agent(_)), "an agent call");
    let agent_exists = state.record.exists();
    if call.writes_child() && !agent_exists {
        return Prediction::NotFound("agent");
    }
    match call {
        Call::DeleteAgent(_) if !agent_exists => Prediction::NotFound("agent"),
        Call::LoadAgent(_) if state.record == Slot::Damaged => Prediction::Unreadable,
        Call::LoadBlocks(_) | Call::AppendBlock { .. } if state.block_list().is_none() => {
            Prediction::Unreadable
        }
        Call::UpdateBlock { label, .. } => match state.block_list() {
            None => Prediction::Unreadable,
            Some(blocks) if blocks.iter().any(|b| *b.label == **label) => Prediction::Succeeds,
            Some(_) => Prediction::NotFound("block"),
        },
        Call::LoadSession { session, .. }
            if state.sessions.get(session) == Some(&Slot::Damaged) =>
        {
            Prediction::Unreadable
        }
        Call::ListSessions(_) | Call::LoadLatestSession(_)
            if state.sessions.values().any(|s| *s == Slot::Damaged) =>
        {
            Prediction::Unreadable
        }
        Call::LoadMessages { limit, .. } => {
            let skip = state.messages.len().saturating_sub(*limit);
            unreadable_if(state.messages[skip..].iter().any(|m| m.message.is_none()))
        }
        Call::LoadMessagesSince { since_ms, .. } => unreadable_if(
            state
                .messages
                .iter()
                .any(|m| m.created_at_ms > *since_ms && m.message.is_none()),
        ),
        _ => Prediction::Succeeds,
    }
}

fn unreadable_if(damaged: bool) -> Prediction {
    if damaged {
        Prediction::Unreadable
    } else {
        Prediction::Succeeds
    }
}

/// What a tool call (valid arguments) must do in `state`.
pub fn predict_tool(call: &Call, state: &ToolState) -> Prediction {
    assert!(matches!(call.scope(), Scope::Tool(_)), "a tool call");
    match call {
        Call::LoadTool(_) if state.record == Slot::Damaged => Prediction::Unreadable,
        _ => Prediction::Succeeds,
    }
}

/// The state a successful write `call` leaves, from `state`. `answer` is what the call
/// returned, `None` when the outcome is unknown (then block stamps stay within `window`).
/// `order` places an appended message among messages created in the same ms.
pub fn apply_agent(
    call: &Call,
    state: AgentState,
    answer: Option<&Answer>,
    window: Window,
    order: u64,
) -> AgentState {
    assert_eq!(
        predict(call, &state),
        Prediction::Succeeds,
        "only a success applies"
    );
    let mut next = state;
    match call {
        Call::SaveAgent(agent) => next.record = Slot::Present(Rc::clone(agent)),
        Call::DeleteAgent(_) => next = AgentState::default(),
        Call::SaveBlocks { blocks, .. } => {
            next.blocks = Slot::Present(Rc::new(blocks.iter().map(ModelBlock::given).collect()));
        }
        Call::UpdateBlock {
            agent,
            label,
            value,
        } => {
            change_block(&mut next, agent, label, answer, window, |_| {
                Rc::from(value.as_ref())
            });
        }
        Call::AppendBlock {
            agent,
            label,
            content,
        } => change_block(&mut next, agent, label, answer, window, |v| {
            [v, content.as_ref()].concat().into()
        }),
        Call::SaveSession(session) => {
            let id = Rc::clone(&session.session_id);
            Rc::make_mut(&mut next.sessions).insert(id, Slot::Present(Rc::clone(session)));
        }
        Call::DeleteSession { session, .. } => {
            if next.sessions.contains_key(session) {
                Rc::make_mut(&mut next.sessions).remove(session);
            }
        }
        Call::AppendMessage { message, .. } => next.insert_message(Rc::clone(message), order),
        Call::DeleteMessages(_) => next.messages = Rc::new(Vec::new()),
        Call::Checkpoint { session, message } => {
            let id = Rc::clone(&session.session_id);
            Rc::make_mut(&mut next.sessions).insert(id, Slot::Present(Rc::clone(session)));
            if let Some(message) = message {
                next.insert_message(Rc::clone(message), order);
            }
        }
        read => panic!("{} does not write", read.name()),
    }
    next
}

/// Changes (or, for an append, creates) block `label`: `edit` changes its value, its update
/// stamp becomes the window (narrowed to the returned block when there is one).
fn change_block(
    state: &mut AgentState,
    agent: &str,
    label: &str,
    answer: Option<&Answer>,
    window: Window,
    edit: impl FnOnce(&str) -> Rc<str>,
) {
    let stamp = Stamp::within(window.start_ms, window.end_ms);
    let mut blocks: Vec<ModelBlock> = state.block_list().expect("readable blocks").to_vec();
    let position = match blocks.iter().position(|b| *b.label == *label) {
        Some(i) => i,
        None => {
            blocks.push(ModelBlock {
                id: format!("{agent}/{label}").into(),
                label: label.into(),
                value: "".into(),
                description: None,
                limit: None,
                created_at: stamp,
                updated_at: stamp,
            });
            blocks.len() - 1
        }
    };
    let block = &mut blocks[position];
    block.value = edit(&block.value);
    block.updated_at = stamp;
    if let Some(Answer::Block(returned)) = answer {
        if block.admits(returned) {
            *block = block.narrowed_to(returned);
        }
    }
    state.blocks = Slot::Present(Rc::new(blocks));
}

/// The block `label` of `state` after a write, for judging what the write returned.
pub fn block_after<'a>(state: &'a AgentState, label: &str) -> Option<&'a ModelBlock> {
    state.block_list()?.iter().find(|b| *b.label == *label)
}

/// The state a successful tool write leaves.
pub fn apply_tool(call: &Call, state: &ToolState) -> ToolState {
    match call {
        Call::SaveTool(tool) => ToolState {
            record: Slot::Present(Rc::clone(tool)),
        },
        Call::DeleteTool(_) => ToolState::default(),
        read => {
            assert!(!read.writes(), "every tool write is handled");
            state.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window() -> Window {
        Window {
            start_ms: 5,
            end_ms: 9,
        }
    }

    #[test]
    fn appends_concatenate_and_create_missing_blocks() {
        let state = AgentState::default();
        let append = |content: &str| Call::AppendBlock {
            agent: "a".into(),
            label: "notes".into(),
            content: content.into(),
        };
        assert_eq!(predict(&append("x"), &state), Prediction::NotFound("agent"));
        let state = AgentState {
            record: Slot::Damaged,
            ..AgentState::default()
        };
        let once = apply_agent(&append("x;"), state, None, window(), 0);
        let twice = apply_agent(&append("y;"), once, None, window(), 1);
        let block = block_after(&twice, "notes").unwrap();
        assert_eq!(
            (block.id.as_ref(), block.value.as_ref()),
            ("a/notes", "x;y;")
        );
        assert_eq!(block.updated_at, Stamp::within(5, 9));
    }

    #[test]
    fn update_of_a_missing_label_is_not_found() {
        let mut state = AgentState {
            record: Slot::Damaged,
            ..AgentState::default()
        };
        let update = Call::UpdateBlock {
            agent: "a".into(),
            label: "persona".into(),
            value: "v".into(),
        };
        assert_eq!(predict(&update, &state), Prediction::NotFound("block"));
        state.blocks = Slot::Damaged;
        assert_eq!(predict(&update, &state), Prediction::Unreadable);
    }
}
