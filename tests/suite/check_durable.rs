//! The durable-state check on hand-built histories and stored entries: the checker decodes
//! them itself and compares them with the states the model admits.

use std::rc::Rc;

use dst::agent::codec::encode;
use dst::agent::keys::{agent_key, blocks_key, message_key, session_key};
use dst::check::durable::{check_durable, DurableMirror, Scope};
use dst::check::{Answer, Call, Model};
use dst::kv::{FaultEffect, FaultType, InjectedFault, KvOp};
use dst::workload::records;
use dst::{Block, MessageRole};

type Changes = Vec<(Vec<u8>, Option<Vec<u8>>)>;

fn stored<T: dst::agent::record_json::RecordJson>(
    key: Rc<[u8]>,
    record: &T,
) -> (Vec<u8>, Option<Vec<u8>>) {
    let value = encode(&key, record).expect("records encode");
    (key.to_vec(), Some(value))
}

/// `changes` as storage reports them (shared keys and values).
fn shared(changes: Changes) -> Vec<dst::check::durable::Change> {
    let share = |bytes: Vec<u8>| Rc::from(bytes);
    changes
        .into_iter()
        .map(|(k, v)| (share(k), v.map(share)))
        .collect()
}

/// The invariants a durable check of `changes` finds.
fn check(model: &mut Model, changes: Changes) -> Vec<&'static str> {
    let mut mirror = DurableMirror::new();
    mirror.apply(shared(changes));
    let (findings, compared) = check_durable(model, &mut mirror, Scope::Everything);
    assert!(compared > 0, "a durable check compares entities");
    findings.iter().map(|f| f.invariant).collect()
}

fn done(model: &mut Model, call: Call) {
    let op = model.begin(0, call, 1);
    assert!(model.end(op, Ok(&Answer::Done), "", 1).is_empty());
}

/// Agent `a` saved by an ok op, and its durable entry.
fn with_agent() -> (Model, Changes) {
    let mut model = Model::new();
    let record = records::agent("a", 0, 0);
    done(&mut model, Call::SaveAgent(Rc::new(record.clone())));
    (model, vec![stored(agent_key("a"), &record)])
}

#[test]
fn a_matching_state_passes_and_a_lost_acknowledged_write_does_not() {
    let (mut model, changes) = with_agent();
    assert!(check(&mut model, changes).is_empty());
    let (mut model, _) = with_agent();
    assert_eq!(check(&mut model, vec![]), ["acknowledged_durability"]);
}

#[test]
fn a_message_of_a_missing_agent_is_an_orphan() {
    let mut model = Model::new();
    let message = records::message(&Rc::from("ghost"), "m1", MessageRole::User, 4);
    let changes = vec![stored(message_key("ghost", 4, 0), &message)];
    let found = check(&mut model, changes);
    assert!(found.contains(&"no_orphans"), "{found:?}");
}

#[test]
fn a_checkpoint_cut_by_a_crash_lands_whole_or_not_at_all() {
    let outcome = |with_session: bool, with_message: bool| {
        let (mut model, mut changes) = with_agent();
        let session = records::new_session("a", "s1", 1, 2);
        let message = records::message(&Rc::from("a"), "m1", MessageRole::Assistant, 2);
        let call = Call::Checkpoint {
            session: Rc::new(session.clone()),
            message: Some(Rc::new(message.clone())),
        };
        model.begin(0, call, 2);
        assert_eq!(
            model.crash(3).len(),
            1,
            "the checkpoint's outcome is unknown"
        );
        if with_session {
            changes.push(stored(session_key("a", "s1"), &session));
        }
        if with_message {
            changes.push(stored(message_key("a", 2, 0), &message));
        }
        check(&mut model, changes)
    };
    assert!(outcome(false, false).is_empty());
    assert!(outcome(true, true).is_empty());
    assert_eq!(outcome(true, false), ["checkpoint_atomicity"]);
    assert_eq!(outcome(false, true), ["checkpoint_atomicity"]);
}

#[test]
fn a_durable_block_missing_an_append_is_a_lost_update() {
    let (mut model, mut changes) = with_agent();
    let append = |content: &str| Call::AppendBlock {
        agent: "a".into(),
        label: "notes".into(),
        content: content.into(),
    };
    for content in ["x;", "y;"] {
        let op = model.begin(0, append(content), 1);
        let value = if content == "x;" { "x;" } else { "x;y;" };
        let block = Block {
            id: "a/notes".into(),
            label: "notes".into(),
            value: value.into(),
            description: None,
            limit: None,
            created_at_ms: 1,
            updated_at_ms: 1,
        };
        assert!(model.end(op, Ok(&Answer::Block(block)), "", 1).is_empty());
    }
    let lost = vec![Block {
        id: "a/notes".into(),
        label: "notes".into(),
        value: "y;".into(),
        description: None,
        limit: None,
        created_at_ms: 1,
        updated_at_ms: 1,
    }];
    changes.push(stored(blocks_key("a"), &lost));
    assert_eq!(check(&mut model, changes), ["no_lost_updates"]);
}

#[test]
fn a_damaged_value_is_admitted_only_where_a_fault_damaged_it() {
    let (mut model, mut changes) = with_agent();
    let truncate = |changes: &mut Changes| {
        let value = changes[0].1.as_mut().unwrap();
        value.truncate(20);
    };
    truncate(&mut changes);
    assert_eq!(check(&mut model, changes), ["no_phantoms"]);

    let mut model = Model::new();
    let record = records::agent("a", 0, 0);
    let op = model.begin(0, Call::SaveAgent(Rc::new(record.clone())), 1);
    let fault = InjectedFault {
        fault: FaultType::PartialWrite,
        op: KvOp::Set,
        key: agent_key("a").to_vec(),
        effect: FaultEffect::Truncated { kept_len: 20 },
    };
    model.note_fault(0, &fault);
    assert!(model.end(op, Ok(&Answer::Done), "", 1).is_empty());
    let mut changes = vec![stored(agent_key("a"), &record)];
    truncate(&mut changes);
    assert!(check(&mut model, changes).is_empty());
}

#[test]
fn a_key_outside_the_documented_layout_is_a_phantom() {
    let (mut model, mut changes) = with_agent();
    changes.push((b"message_seq/a".to_vec(), Some(b"00000000{}".to_vec())));
    assert_eq!(check(&mut model, changes), ["no_phantoms"]);
}
