//! The durable-state checks on hand-built histories and stored entries.

use dst::agent::codec::encode;
use dst::agent::keys::{agent_key, blocks_key, message_key, session_key};
use dst::check::tokens::fingerprint;
use dst::check::{check_durable_state, Effect, Model};
use dst::trace::Outcome;
use dst::workload::records;
use dst::{Block, MessageRole};

type Entries = Vec<(Vec<u8>, Vec<u8>)>;

fn entry<T: serde::Serialize>(key: Vec<u8>, record: &T) -> (Vec<u8>, Vec<u8>) {
    let value = encode(&key, record).expect("records encode");
    (key, value)
}

fn invariants(model: &Model, entries: &Entries) -> Vec<&'static str> {
    let report = check_durable_state(model, entries);
    assert!(report.checks > 0, "a state check runs checks");
    report.findings.iter().map(|f| f.invariant).collect()
}

/// An agent `a` created by an ok op; returns the model and its durable entry.
fn with_agent() -> (Model, Entries) {
    let mut model = Model::new();
    let record = records::agent("a", 0, 0);
    let effects = vec![Effect::Put {
        key: agent_key("a"),
        fingerprint: fingerprint(&record),
    }];
    let op = model.begin(0, "save_agent", effects);
    model.end(op, Outcome::Ok);
    (model, vec![entry(agent_key("a"), &record)])
}

#[test]
fn a_consistent_state_passes() {
    let (model, entries) = with_agent();
    assert!(invariants(&model, &entries).is_empty());
}

#[test]
fn a_message_of_a_missing_agent_is_an_orphan() {
    let mut model = Model::new();
    let message = records::message("ghost", 0, MessageRole::User, 0);
    let effects = vec![Effect::Message {
        agent_id: "ghost".into(),
        message_id: message.id.clone(),
        fingerprint: fingerprint(&message),
    }];
    let op = model.begin(0, "append_message", effects);
    model.end(op, Outcome::Ok);
    let entries = vec![entry(message_key("ghost", 0), &message)];
    assert!(invariants(&model, &entries).contains(&"no_orphans"));
}

#[test]
fn a_checkpoint_session_without_its_message_breaks_atomicity() {
    let (mut model, mut entries) = with_agent();
    let first = records::new_session("a", 0, 0);
    let op = model.next_op_id();
    let next = records::next_session(&first, op, 1, 0);
    let message = records::message("a", op, MessageRole::Assistant, 1);
    let effects = vec![
        Effect::Put {
            key: session_key("a", &next.session_id),
            fingerprint: fingerprint(&next),
        },
        Effect::Message {
            agent_id: "a".into(),
            message_id: message.id.clone(),
            fingerprint: fingerprint(&message),
        },
    ];
    assert_eq!(model.begin(0, "checkpoint", effects), op);
    assert_eq!(
        model.crash().len(),
        1,
        "the checkpoint's outcome is unknown"
    );
    entries.push(entry(session_key("a", &next.session_id), &next));
    assert_eq!(invariants(&model, &entries), vec!["checkpoint_atomicity"]);
    entries.push(entry(message_key("a", 0), &message));
    entries.sort();
    assert!(
        invariants(&model, &entries).is_empty(),
        "both halves: atomic"
    );
}

#[test]
fn an_append_after_the_base_write_must_survive() {
    let (mut model, mut entries) = with_agent();
    let block_effect = || {
        vec![Effect::Block {
            agent_id: "a".into(),
            label: "persona".into(),
        }]
    };
    let create = model.begin(0, "save_blocks", block_effect());
    model.end(create, Outcome::Ok);
    let append = model.begin(0, "append_block", block_effect());
    model.end(append, Outcome::Ok);
    let mut block = Block {
        id: "b".into(),
        label: "persona".into(),
        value: format!("c{create};"),
        description: None,
        limit: None,
        created_at_ms: 0,
        updated_at_ms: 0,
    };
    entries.push(entry(blocks_key("a"), &vec![block.clone()]));
    assert_eq!(invariants(&model, &entries), vec!["no_lost_updates"]);
    block.value = format!("c{create};a{append};");
    entries.pop();
    entries.push(entry(blocks_key("a"), &vec![block]));
    assert!(invariants(&model, &entries).is_empty());
}

#[test]
fn an_undecodable_value_is_allowed_only_where_a_fault_damaged_it() {
    let (mut model, mut entries) = with_agent();
    entries[0].1.truncate(20);
    assert_eq!(invariants(&model, &entries), vec!["no_phantoms"]);
    model.mark_damaged(agent_key("a"));
    assert!(invariants(&model, &entries).is_empty());
}

#[test]
fn messages_stored_out_of_append_order_are_reported() {
    let (mut model, entries) = with_agent();
    let mut messages = Vec::new();
    for _ in 0..2 {
        let op = model.next_op_id();
        let message = records::message("a", op, MessageRole::User, 0);
        let effects = vec![Effect::Message {
            agent_id: "a".into(),
            message_id: message.id.clone(),
            fingerprint: fingerprint(&message),
        }];
        assert_eq!(model.begin(0, "append_message", effects), op);
        model.end(op, Outcome::Ok);
        messages.push(message);
    }
    let in_order = |first: usize, second: usize| {
        let mut all = entries.clone();
        all.push(entry(message_key("a", 0), &messages[first]));
        all.push(entry(message_key("a", 1), &messages[second]));
        all
    };
    assert!(invariants(&model, &in_order(0, 1)).is_empty());
    assert_eq!(
        invariants(&model, &in_order(1, 0)),
        vec!["read_consistency"]
    );
}
