//! Judging what a successful read returned against one candidate state: the exact answer the
//! contract gives (records, order, limits, since-times, counts, the latest session).

use std::rc::Rc;

use super::call::{Answer, Call};
use super::render;
use super::state::{AgentState, ModelBlock, ModelMessage, Slot, ToolState};
use crate::agent::{Block, Message, SessionState};

/// A read whose answer a candidate state does not admit: what the state expected, and what
/// came back, both summarized.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mismatch {
    /// Stable invariant name.
    pub invariant: &'static str,
    /// What the state admits.
    pub expected: String,
    /// What came back.
    pub got: String,
}

impl Mismatch {
    /// A mismatch of `invariant`.
    pub fn new(invariant: &'static str, expected: String, got: String) -> Mismatch {
        assert!(!invariant.is_empty(), "a mismatch names its invariant");
        Mismatch {
            invariant,
            expected,
            got,
        }
    }
}

fn check(
    equal: bool,
    expected: impl FnOnce() -> String,
    got: impl FnOnce() -> String,
) -> Result<(), Mismatch> {
    if equal {
        return Ok(());
    }
    Err(Mismatch::new("read_consistency", expected(), got()))
}

/// Judges `answer` to the read `call` (agent scope) against `state`.
pub fn judge_agent_read(call: &Call, state: &AgentState, answer: &Answer) -> Result<(), Mismatch> {
    match (call, answer) {
        (Call::LoadAgent(_), Answer::Agent(got)) => {
            let expected = state.record.record();
            check(
                expected == got.as_ref(),
                || render::option(expected, render::agent),
                || render::option(got.as_ref(), render::agent),
            )
        }
        (Call::AgentExists(_), Answer::Exists(got)) => check(
            state.record.exists() == *got,
            || state.record.exists().to_string(),
            || got.to_string(),
        ),
        (Call::LoadBlocks(_), Answer::Blocks(got)) => judge_blocks(state, got),
        (Call::LoadSession { session, .. }, Answer::Session(got)) => {
            let expected = state.sessions.get(session).and_then(Slot::record);
            check(
                expected == got.as_ref(),
                || render::option(expected, render::session),
                || render::option(got.as_ref(), render::session),
            )
        }
        (Call::ListSessions(_), Answer::Sessions(got)) => {
            let expected: Vec<&SessionState> =
                state.sessions.values().filter_map(Slot::record).collect();
            let equal =
                expected.len() == got.len() && expected.iter().zip(got).all(|(a, b)| *a == b);
            check(
                equal,
                || render::list(&expected, |s| render::session(s)),
                || render::list(got, render::session),
            )
        }
        (Call::LoadLatestSession(_), Answer::Session(got)) => {
            let expected = latest_session(state);
            check(
                expected == got.as_ref(),
                || render::option(expected, render::session),
                || render::option(got.as_ref(), render::session),
            )
        }
        (Call::LoadMessages { limit, .. }, Answer::Messages(got)) => {
            let skip = state.messages.len().saturating_sub(*limit);
            judge_messages(&state.messages[skip..], got)
        }
        (Call::LoadMessagesSince { since_ms, .. }, Answer::Messages(got)) => {
            let from = state
                .messages
                .partition_point(|m| m.created_at_ms <= *since_ms);
            judge_messages(&state.messages[from..], got)
        }
        (Call::CountMessages(_), Answer::Count(got)) => check(
            state.messages.len() == *got,
            || state.messages.len().to_string(),
            || got.to_string(),
        ),
        (call, answer) => panic!("{} cannot answer {answer:?}", call.name()),
    }
}

/// The session `load_latest_session` must return: among sessions not stopped, the newest
/// checkpoint, ties to the larger id.
pub fn latest_session(state: &AgentState) -> Option<&SessionState> {
    state
        .sessions
        .values()
        .filter_map(Slot::record)
        .filter(|s| s.stop_reason.is_none())
        .max_by(|a, b| {
            (a.checkpointed_at_ms, &a.session_id).cmp(&(b.checkpointed_at_ms, &b.session_id))
        })
}

fn judge_blocks(state: &AgentState, got: &[Block]) -> Result<(), Mismatch> {
    let expected = state
        .block_list()
        .expect("a damaged block list is predicted unreadable");
    let equal = expected.len() == got.len() && expected.iter().zip(got).all(|(m, b)| m.admits(b));
    check(
        equal,
        || render::list(expected, render::model_block),
        || render::list(got, render::block),
    )
}

fn judge_messages(expected: &[ModelMessage], got: &[Message]) -> Result<(), Mismatch> {
    let equal = expected.len() == got.len()
        && expected
            .iter()
            .zip(got)
            .all(|(m, g)| m.message.as_deref() == Some(g));
    check(
        equal,
        || render::list(expected, render::model_message),
        || render::list(got, render::message),
    )
}

/// Judges the block an `update_block` or `append_block` returned against the block the write
/// left (`expected`). A returned value shorter than the model's lost a concurrent change
/// (`no_lost_updates`); any other difference breaks read-your-writes.
pub fn judge_written_block(expected: &ModelBlock, got: &Block) -> Result<(), Mismatch> {
    if expected.admits(got) {
        return Ok(());
    }
    let invariant = if got.value.len() < expected.value.len() {
        "no_lost_updates"
    } else {
        "read_consistency"
    };
    Err(Mismatch::new(
        invariant,
        render::model_block(expected),
        render::block(got),
    ))
}

/// Judges the answer to `load_custom_tool` against `state`.
pub fn judge_tool_read(state: &ToolState, got: &Answer) -> Result<(), Mismatch> {
    let Answer::Tool(got) = got else {
        panic!("load_custom_tool answers a tool, not {got:?}");
    };
    let expected = state.record.record();
    check(
        expected == got.as_ref(),
        || render::option(expected, render::tool),
        || render::option(got.as_ref(), render::tool),
    )
}

/// Whether `state`'s record may be the entry of a listing that returned `got` for this id
/// (`None`: the listing did not return it).
pub fn listed_as<T: PartialEq>(slot: &Slot<T>, got: Option<&T>) -> bool {
    match (slot, got) {
        (Slot::Absent, None) => true,
        (Slot::Present(record), Some(got)) => Rc::as_ref(record) == got,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::state::Stamp;
    use crate::workload::records;
    use crate::MessageRole;

    fn with_messages(times: &[u64]) -> AgentState {
        let mut state = AgentState::default();
        for (order, t) in times.iter().enumerate() {
            let message =
                records::message(&Rc::from("a"), &format!("m{order}"), MessageRole::User, *t);
            state.insert_message(Rc::new(message), order as u64);
        }
        state
    }

    fn messages(state: &AgentState, indices: &[usize]) -> Answer {
        let list = indices
            .iter()
            .map(|i| state.messages[*i].message.as_deref().unwrap().clone())
            .collect();
        Answer::Messages(list)
    }

    #[test]
    fn load_messages_must_return_exactly_the_newest_limit_oldest_first() {
        let state = with_messages(&[1, 2, 2, 7]);
        let call = Call::LoadMessages {
            agent: "a".into(),
            limit: 2,
        };
        assert!(judge_agent_read(&call, &state, &messages(&state, &[2, 3])).is_ok());
        let wrong = judge_agent_read(&call, &state, &messages(&state, &[3, 2])).unwrap_err();
        assert_eq!(wrong.invariant, "read_consistency");
        assert!(judge_agent_read(&call, &state, &messages(&state, &[3])).is_err());
    }

    #[test]
    fn since_is_strictly_after() {
        let state = with_messages(&[1, 2, 2, 7]);
        let call = Call::LoadMessagesSince {
            agent: "a".into(),
            since_ms: 2,
        };
        assert!(judge_agent_read(&call, &state, &messages(&state, &[3])).is_ok());
        assert!(judge_agent_read(&call, &state, &messages(&state, &[1, 2, 3])).is_err());
    }

    #[test]
    fn a_written_block_missing_an_append_is_a_lost_update() {
        let model = ModelBlock {
            id: "a/b".into(),
            label: "b".into(),
            value: "x;y;".into(),
            description: None,
            limit: None,
            created_at: Stamp::exact(1),
            updated_at: Stamp::within(3, 5),
        };
        let mut got = Block {
            id: "a/b".into(),
            label: "b".into(),
            value: "x;y;".into(),
            description: None,
            limit: None,
            created_at_ms: 1,
            updated_at_ms: 4,
        };
        assert!(judge_written_block(&model, &got).is_ok());
        got.updated_at_ms = 6;
        assert_eq!(
            judge_written_block(&model, &got).unwrap_err().invariant,
            "read_consistency"
        );
        got.updated_at_ms = 4;
        got.value = "y;".into();
        assert_eq!(
            judge_written_block(&model, &got).unwrap_err().invariant,
            "no_lost_updates"
        );
    }
}
