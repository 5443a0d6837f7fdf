//! The model on hand-built histories: for each class of judgement, the right answer is
//! accepted and a wrong one is flagged with the expected invariant.

use std::rc::Rc;

use dst::agent::CONFLICT_ATTEMPTS_MAX;
use dst::check::{Answer, Call, Model};
use dst::kv::{FaultEffect, FaultType, InjectedFault, KvOp};
use dst::workload::records;
use dst::{Block, MessageRole, SessionState, StorageError};

/// One op by task 0 at `ms`, ended with `returned`; the invariants of what the model finds.
fn judge(
    model: &mut Model,
    call: Call,
    returned: Result<Answer, StorageError>,
    ms: u64,
) -> Vec<&'static str> {
    let op = model.begin(0, call, ms);
    let detail = returned
        .as_ref()
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    let findings = model.end(op, returned.as_ref(), &detail, ms);
    findings.iter().map(|f| f.invariant).collect()
}

fn ok(model: &mut Model, call: Call, answer: Answer) -> Vec<&'static str> {
    judge(model, call, Ok(answer), 1)
}

fn id(text: &str) -> Rc<str> {
    text.into()
}

/// A model where agent `a` exists.
fn with_agent(agent: &str) -> Model {
    let mut model = Model::new();
    let record = Rc::new(records::agent(agent, 0, 0));
    assert!(ok(&mut model, Call::SaveAgent(record), Answer::Done).is_empty());
    model
}

fn message(agent: &str, name: &str, at_ms: u64) -> Rc<dst::Message> {
    Rc::new(records::message(
        &Rc::from(agent),
        name,
        MessageRole::User,
        at_ms,
    ))
}

fn append(model: &mut Model, agent: &str, message: &Rc<dst::Message>) {
    let call = Call::AppendMessage {
        agent: id(agent),
        message: message.clone(),
    };
    assert!(ok(model, call, Answer::Done).is_empty());
}

fn messages(list: &[&Rc<dst::Message>]) -> Answer {
    Answer::Messages(list.iter().map(|m| m.as_ref().clone()).collect())
}

#[test]
fn reads_must_return_exactly_the_admitted_answer() {
    let mut model = with_agent("a");
    let (m1, m2, m3) = (
        message("a", "m1", 5),
        message("a", "m2", 9),
        message("a", "m3", 7),
    );
    for m in [&m1, &m2, &m3] {
        append(&mut model, "a", m);
    }
    let load = |limit| Call::LoadMessages {
        agent: id("a"),
        limit,
    };
    assert!(ok(&mut model, load(2), messages(&[&m3, &m2])).is_empty());
    assert_eq!(
        ok(&mut model, load(2), messages(&[&m2])),
        ["read_consistency"]
    );
    assert_eq!(
        ok(&mut model, load(2), messages(&[&m1, &m2])),
        ["read_consistency"]
    );
    let since = |since_ms| Call::LoadMessagesSince {
        agent: id("a"),
        since_ms,
    };
    assert!(ok(&mut model, since(7), messages(&[&m2])).is_empty());
    assert_eq!(
        ok(&mut model, since(7), messages(&[&m3, &m2])),
        ["read_consistency"]
    );
    let count = Call::CountMessages(id("a"));
    assert!(ok(&mut model, count.clone(), Answer::Count(3)).is_empty());
    assert_eq!(
        ok(&mut model, count, Answer::Count(2)),
        ["read_consistency"]
    );
    assert_eq!(
        ok(&mut model, Call::LoadAgent(id("a")), Answer::Agent(None)),
        ["read_consistency"]
    );
    assert_eq!(
        ok(&mut model, Call::ListAgents, Answer::Agents(vec![])),
        ["read_consistency"]
    );
}

fn session(agent: &str, session_id: &str, at_ms: u64, stopped: bool) -> Rc<SessionState> {
    let mut state = records::new_session(agent, session_id, 0, at_ms);
    if stopped {
        state.stop_reason = Some("end_turn".into());
    }
    Rc::new(state)
}

#[test]
fn the_latest_session_is_the_newest_running_one() {
    let mut model = with_agent("a");
    let (old, newest_stopped, running) = (
        session("a", "s1", 5, false),
        session("a", "s2", 9, true),
        session("a", "s3", 7, false),
    );
    for s in [&old, &newest_stopped, &running] {
        assert!(ok(&mut model, Call::SaveSession(s.clone()), Answer::Done).is_empty());
    }
    let latest = || Call::LoadLatestSession(id("a"));
    let answer = |s: &Rc<SessionState>| Answer::Session(Some(s.as_ref().clone()));
    assert!(ok(&mut model, latest(), answer(&running)).is_empty());
    assert_eq!(
        ok(&mut model, latest(), answer(&newest_stopped)),
        ["read_consistency"]
    );
    assert_eq!(ok(&mut model, latest(), answer(&old)), ["read_consistency"]);
    let list = Call::ListSessions(id("a"));
    let all: Vec<SessionState> = [&old, &newest_stopped, &running]
        .iter()
        .map(|s| s.as_ref().clone())
        .collect();
    assert!(ok(&mut model, list.clone(), Answer::Sessions(all.clone())).is_empty());
    let reversed = all.into_iter().rev().collect();
    assert_eq!(
        ok(&mut model, list, Answer::Sessions(reversed)),
        ["read_consistency"]
    );
}

fn block(label: &str, value: &str, id: &str, created: u64, updated: u64) -> Block {
    Block {
        id: id.into(),
        label: label.into(),
        value: value.into(),
        description: None,
        limit: None,
        created_at_ms: created,
        updated_at_ms: updated,
    }
}

#[test]
fn appends_concatenate_and_updates_of_missing_labels_are_not_found() {
    let mut model = with_agent("a");
    let append = |content: &str| Call::AppendBlock {
        agent: id("a"),
        label: id("notes"),
        content: id(content),
    };
    let created = block("notes", "x;", "a/notes", 1, 1);
    assert!(ok(&mut model, append("x;"), Answer::Block(created)).is_empty());
    let replaced = block("notes", "y;", "a/notes", 1, 1);
    assert_eq!(
        ok(&mut model, append("y;"), Answer::Block(replaced)),
        ["no_lost_updates"]
    );
    let update = Call::UpdateBlock {
        agent: id("a"),
        label: id("persona"),
        value: id("v"),
    };
    let missing = StorageError::NotFound {
        kind: "block",
        id: "a/persona".into(),
    };
    assert!(judge(&mut model, update.clone(), Err(missing), 1).is_empty());
    let made = block("persona", "v", "a/persona", 1, 1);
    assert_eq!(
        ok(&mut model, update, Answer::Block(made)),
        ["error_contract"]
    );
    let loaded = Answer::Blocks(vec![block("notes", "x;y;", "a/notes", 1, 1)]);
    assert_eq!(
        ok(&mut model, Call::LoadBlocks(id("a")), loaded),
        ["read_consistency"]
    );
}

#[test]
fn errors_the_state_or_a_fault_does_not_explain_are_flagged() {
    let mut model = with_agent("a");
    let missing = |what: &str| StorageError::NotFound {
        kind: "agent",
        id: what.into(),
    };
    assert_eq!(
        judge(&mut model, Call::DeleteAgent(id("a")), Err(missing("a")), 1),
        ["error_contract"]
    );
    assert!(judge(&mut model, Call::DeleteAgent(id("b")), Err(missing("b")), 1).is_empty());
    assert_eq!(
        ok(&mut model, Call::DeleteAgent(id("b")), Answer::Done),
        ["error_contract"]
    );
    let write_fail = StorageError::FaultInjected {
        fault: FaultType::StorageWriteFail,
        operation: "set".into(),
        key: "agents/a".into(),
    };
    let save = Call::SaveAgent(Rc::new(records::agent("a", 1, 0)));
    assert_eq!(
        judge(&mut model, save.clone(), Err(write_fail.clone()), 1),
        ["error_contract"]
    );
    let op = model.begin(0, save, 1);
    let fault = InjectedFault {
        fault: FaultType::StorageWriteFail,
        op: KvOp::Set,
        key: b"agents/a".to_vec(),
        effect: FaultEffect::Failed,
    };
    model.note_fault(0, &fault);
    let found = model.end(op, Err(&write_fail), &write_fail.to_string(), 1);
    assert!(found.is_empty(), "{found:?}");
}

#[test]
fn a_conflict_must_follow_every_documented_attempt() {
    let mut model = with_agent("a");
    let conflict = StorageError::TransactionConflict {
        operation: "commit".into(),
        key: "blocks/a".into(),
    };
    let save = || Call::SaveBlocks {
        agent: id("a"),
        blocks: Rc::new(vec![]),
    };
    for (attempts, expected) in [(1, vec!["retry_contract"]), (CONFLICT_ATTEMPTS_MAX, vec![])] {
        let op = model.begin(0, save(), 1);
        for _ in 0..attempts {
            model.note_conflict(0);
        }
        let found = model.end(op, Err(&conflict), &conflict.to_string(), 1);
        let invariants: Vec<&str> = found.iter().map(|f| f.invariant).collect();
        assert_eq!(invariants, expected);
    }
}

#[test]
fn prefix_related_ids_are_isolated_and_invalid_ids_refused() {
    let mut model = with_agent("agent-1");
    let other = Rc::new(records::agent("agent-10", 1, 0));
    assert!(ok(&mut model, Call::SaveAgent(other), Answer::Done).is_empty());
    let foreign = session("agent-10", "s1", 3, false);
    assert!(ok(&mut model, Call::SaveSession(foreign.clone()), Answer::Done).is_empty());
    let leaked = Answer::Sessions(vec![foreign.as_ref().clone()]);
    assert_eq!(
        ok(&mut model, Call::ListSessions(id("agent-1")), leaked),
        ["read_consistency"]
    );
    assert!(ok(
        &mut model,
        Call::ListSessions(id("agent-1")),
        Answer::Sessions(vec![])
    )
    .is_empty());
    let invalid = StorageError::InvalidArgument {
        what: "agent id",
        value: "agent/1".into(),
        reason: "must be non-empty and contain no '/'",
    };
    assert!(judge(&mut model, Call::LoadAgent(id("agent/1")), Err(invalid), 1).is_empty());
    assert_eq!(
        ok(
            &mut model,
            Call::LoadAgent(id("agent/1")),
            Answer::Agent(None)
        ),
        ["error_contract"]
    );
}

#[test]
fn a_write_for_a_missing_agent_is_an_orphan() {
    let mut model = Model::new();
    let call = Call::AppendMessage {
        agent: id("ghost"),
        message: message("ghost", "m1", 1),
    };
    assert_eq!(ok(&mut model, call, Answer::Done), ["no_orphans"]);
}
