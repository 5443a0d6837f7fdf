//! The durable-state check, after every recovery and at the end of a run: the durable state of
//! every entity that changed (in the model or on disk) since the last check must be one of the
//! states the model admits; the model's candidates collapse to it.
//!
//! Invariants: `no_orphans` (children of an agent that does not exist), `checkpoint_atomicity`
//! (an unknown checkpoint whose session is durable without its message, or the other way),
//! `acknowledged_durability` (something the model holds is not durable), `no_lost_updates` (a
//! durable block lost appended content), `no_phantoms` (something durable that no operation
//! wrote, or a key outside the layout). After a mismatch the model adopts the durable state,
//! so one fault is reported once.

use std::collections::BTreeSet;
use std::rc::Rc;

use super::mirror::{DurableMirror, MirrorAgent, Stored};
use crate::agent::{Block, CustomToolRecord, Message};
use crate::check::call::{Call, Id};
use crate::check::finding::Finding;
use crate::check::model::Model;
use crate::check::render;
use crate::check::state::{AgentState, ModelBlock, ModelMessage, Slot, ToolState};

/// Which entities a durable check looks at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Only those that changed since the last check (after a recovery).
    Changed,
    /// Every entity, once (the final check).
    Everything,
}

/// Checks the durable state in `mirror` against `model`. Returns the violations and how many
/// entities were compared.
pub fn check_durable(
    model: &mut Model,
    mirror: &mut DurableMirror,
    scope: Scope,
) -> (Vec<Finding>, u64) {
    let changed = mirror.take_changed();
    let mut findings = Vec::new();
    for key in &changed.outside {
        if mirror.holds_outside(key) {
            findings.push(Finding::new(
                "no_phantoms",
                format!(
                    "key '{}' is outside the documented layout",
                    String::from_utf8_lossy(key)
                ),
            ));
        }
    }
    let mut agents: BTreeSet<Id> = changed.agents.iter().map(|id| id.as_str().into()).collect();
    let mut tools: BTreeSet<Id> = changed.tools.iter().map(|id| id.as_str().into()).collect();
    let everything = scope == Scope::Everything;
    agents.extend(
        model
            .agents()
            .iter()
            .filter(|(_, e)| everything || e.dirty)
            .map(|(id, _)| id.clone()),
    );
    tools.extend(
        model
            .tools()
            .iter()
            .filter(|(_, e)| everything || e.dirty)
            .map(|(id, _)| id.clone()),
    );
    if everything {
        agents.extend(mirror.agent_ids().map(|id| id.as_str().into()));
        tools.extend(mirror.tool_names().map(|id| id.as_str().into()));
    }
    let compared = (agents.len() + tools.len()) as u64;
    let empty = MirrorAgent::default();
    for id in agents {
        let durable = mirror.agent(&id).unwrap_or(&empty);
        findings.extend(check_agent(model, &id, durable));
    }
    for name in tools {
        let durable = mirror.tool(&name);
        findings.extend(check_tool(model, &name, durable));
    }
    (findings, compared)
}

fn check_agent(model: &mut Model, id: &Id, durable: &MirrorAgent) -> Vec<Finding> {
    let mut findings = Vec::new();
    if durable.record.is_none() && durable.has_children() {
        let entity = model
            .agents()
            .get(id)
            .map(|e| e.recent(8).to_vec())
            .unwrap_or_default();
        findings.push(Finding::new(
            "no_orphans",
            format!(
                "agent '{id}' does not exist but has durable {}; history: {}",
                children(durable),
                model.history(&entity)
            ),
        ));
    }
    model.agents_mut().get_or_insert(id);
    let entity = model.agents().get(id).expect("just ensured");
    let matching: Vec<AgentState> = entity
        .candidates()
        .iter()
        .filter(|c| agent_matches(c, durable))
        .map(|c| narrowed(c, durable))
        .collect();
    if matching.is_empty() {
        findings.extend(explain_agent(model, id, durable));
        let order_base = model.take_orders(durable.messages.len() as u64);
        let adopted = adopt_agent(durable, order_base);
        let entity = model.agents_mut().get_mut(id).expect("exists");
        entity.replace(vec![adopted]);
    } else {
        let entity = model.agents_mut().get_mut(id).expect("exists");
        entity.replace(matching);
    }
    let entity = model.agents_mut().get_mut(id).expect("exists");
    entity.uncertain.clear();
    entity.dirty = false;
    findings
}

fn children(durable: &MirrorAgent) -> String {
    let mut parts = Vec::new();
    if durable.blocks.is_some() {
        parts.push("blocks".to_string());
    }
    if !durable.sessions.is_empty() {
        parts.push(format!("{} sessions", durable.sessions.len()));
    }
    if !durable.messages.is_empty() {
        parts.push(format!("{} messages", durable.messages.len()));
    }
    parts.join(", ")
}

fn slot_matches<T: PartialEq>(slot: &Slot<T>, stored: Option<&Stored<T>>) -> bool {
    match (slot, stored) {
        (Slot::Absent, None) => true,
        (Slot::Present(record), Some(Stored::Intact(durable))) => **record == *durable,
        (Slot::Damaged, Some(Stored::Damaged(_))) => true,
        _ => false,
    }
}

fn blocks_match(slot: &Slot<Vec<ModelBlock>>, stored: Option<&Stored<Vec<Block>>>) -> bool {
    match (slot, stored) {
        (Slot::Damaged, Some(Stored::Damaged(_))) => true,
        (Slot::Damaged, _) | (_, Some(Stored::Damaged(_))) => false,
        (slot, stored) => {
            let model: &[ModelBlock] = match slot {
                Slot::Present(blocks) => blocks,
                _ => &[],
            };
            let durable: &[Block] = match stored {
                Some(Stored::Intact(blocks)) => blocks,
                _ => &[],
            };
            model.len() == durable.len() && model.iter().zip(durable).all(|(m, d)| m.admits(d))
        }
    }
}

fn message_matches(model: &ModelMessage, key: &(u64, u64), stored: &Stored<Message>) -> bool {
    let content = match (&model.message, stored) {
        (Some(message), Stored::Intact(durable)) => **message == *durable,
        (None, Stored::Damaged(_)) => true,
        _ => false,
    };
    content && model.created_at_ms == key.0
}

fn agent_matches(candidate: &AgentState, durable: &MirrorAgent) -> bool {
    let sessions = candidate.sessions.len() == durable.sessions.len()
        && candidate
            .sessions
            .iter()
            .zip(&durable.sessions)
            .all(|((a, slot), (b, stored))| **a == **b && slot_matches(slot, Some(stored)));
    let messages = candidate.messages.len() == durable.messages.len()
        && candidate
            .messages
            .iter()
            .zip(&durable.messages)
            .all(|(m, (key, stored))| message_matches(m, key, stored));
    slot_matches(&candidate.record, durable.record.as_ref())
        && blocks_match(&candidate.blocks, durable.blocks.as_ref())
        && sessions
        && messages
}

/// `candidate` (which matches `durable`) with its block stamps narrowed to the durable ones.
fn narrowed(candidate: &AgentState, durable: &MirrorAgent) -> AgentState {
    let mut next = candidate.clone();
    if let (Slot::Present(blocks), Some(Stored::Intact(stored))) =
        (&candidate.blocks, &durable.blocks)
    {
        let exact = blocks
            .iter()
            .zip(stored)
            .map(|(m, d)| m.narrowed_to(d))
            .collect();
        next.blocks = Slot::Present(Rc::new(exact));
    }
    next
}

/// The model state that holds exactly what is durable.
fn adopt_agent(durable: &MirrorAgent, order_base: u64) -> AgentState {
    fn slot<T: Clone>(stored: Option<&Stored<T>>) -> Slot<T> {
        match stored {
            None => Slot::Absent,
            Some(Stored::Intact(record)) => Slot::Present(Rc::new(record.clone())),
            Some(Stored::Damaged(_)) => Slot::Damaged,
        }
    }
    let blocks = match &durable.blocks {
        None => Slot::Absent,
        Some(Stored::Intact(blocks)) => {
            Slot::Present(Rc::new(blocks.iter().map(ModelBlock::given).collect()))
        }
        Some(Stored::Damaged(_)) => Slot::Damaged,
    };
    let sessions = durable
        .sessions
        .iter()
        .map(|(id, stored)| (id.as_str().into(), slot(Some(stored))))
        .collect();
    let messages = durable
        .messages
        .iter()
        .enumerate()
        .map(|(i, ((created_at_ms, _), stored))| ModelMessage {
            message: match stored {
                Stored::Intact(message) => Some(Rc::new(message.clone())),
                Stored::Damaged(_) => None,
            },
            created_at_ms: *created_at_ms,
            order: order_base + i as u64,
        })
        .collect();
    AgentState {
        record: slot(durable.record.as_ref()),
        blocks,
        sessions: Rc::new(sessions),
        messages: Rc::new(messages),
    }
}

/// Why `durable` matches none of agent `id`'s candidates: checkpoint atomicity first, then the
/// first record that differs from the first candidate.
fn explain_agent(model: &mut Model, id: &Id, durable: &MirrorAgent) -> Vec<Finding> {
    let entity = model.agents().get(id).expect("checked entity").clone();
    let history = model.history(entity.recent(8));
    let candidates = entity.candidates().len();
    let mut findings = Vec::new();
    for op in &entity.uncertain {
        let Call::Checkpoint {
            session,
            message: Some(message),
        } = &model.op(*op).call
        else {
            continue;
        };
        let session_durable = matches!(durable.sessions.get(session.session_id.as_ref()), Some(Stored::Intact(s)) if s == session.as_ref());
        let message_durable = durable
            .messages
            .values()
            .any(|m| matches!(m, Stored::Intact(m) if m == message.as_ref()));
        if session_durable != message_durable {
            findings.push(Finding::new(
                "checkpoint_atomicity",
                format!(
                    "{}: session '{}' durable with its state: {session_durable}, message {} durable: {message_durable}; history: {history}",
                    model.describe(*op),
                    session.session_id,
                    render::message(message)
                ),
            ));
        }
    }
    if !findings.is_empty() {
        return findings;
    }
    let first = &entity.candidates()[0];
    let (invariant, what) = first_difference(first, durable);
    findings.push(Finding::new(
        invariant,
        format!("agent '{id}' durable state matches none of the {candidates} states the model admits: {what}; history: {history}"),
    ));
    findings
}

/// The first record in which `durable` differs from `model`, named by what the difference
/// means: something held but not durable breaks `acknowledged_durability` (a block that lost
/// appended content, `no_lost_updates`); something durable but never written, `no_phantoms`.
fn first_difference(model: &AgentState, durable: &MirrorAgent) -> (&'static str, String) {
    fn meaning<T, U>(slot: &Slot<T>, durable: Option<&Stored<U>>) -> &'static str {
        match (slot, durable) {
            (_, Some(Stored::Damaged(_))) => "no_phantoms",
            (Slot::Present(_), _) => "acknowledged_durability",
            _ => "no_phantoms",
        }
    }
    if !slot_matches(&model.record, durable.record.as_ref()) {
        let what = format!(
            "agent record: model {}, durable {}",
            render::slot(&model.record, render::agent),
            stored(durable.record.as_ref(), render::agent)
        );
        return (meaning(&model.record, durable.record.as_ref()), what);
    }
    if !blocks_match(&model.blocks, durable.blocks.as_ref()) {
        let shorter = match (&model.blocks, &durable.blocks) {
            (Slot::Present(m), Some(Stored::Intact(d))) => {
                m.iter().zip(d).any(|(m, d)| d.value.len() < m.value.len())
            }
            _ => false,
        };
        let invariant = if shorter {
            "no_lost_updates"
        } else {
            meaning(&model.blocks, durable.blocks.as_ref())
        };
        let what = format!(
            "blocks: model {}, durable {}",
            render::slot(&model.blocks, |b| render::list(b, render::model_block)),
            stored(durable.blocks.as_ref(), |b| render::list(b, render::block))
        );
        return (invariant, what);
    }
    let sessions: Vec<&str> = model
        .sessions
        .keys()
        .map(|k| k.as_ref())
        .chain(durable.sessions.keys().map(String::as_str))
        .collect();
    for session in sessions {
        let slot = model.sessions.get(session).cloned().unwrap_or(Slot::Absent);
        let durable_slot = durable.sessions.get(session);
        if !slot_matches(&slot, durable_slot) {
            let what = format!(
                "session '{session}': model {}, durable {}",
                render::slot(&slot, render::session),
                stored(durable_slot, render::session)
            );
            return (meaning(&slot, durable_slot), what);
        }
    }
    let durable_messages: Vec<(&(u64, u64), &Stored<Message>)> = durable.messages.iter().collect();
    let position = model
        .messages
        .iter()
        .zip(&durable_messages)
        .position(|(m, (key, stored))| !message_matches(m, key, stored))
        .unwrap_or(model.messages.len().min(durable_messages.len()));
    let missing = model.messages.get(position).is_some_and(|m| {
        !durable_messages
            .iter()
            .any(|(key, stored)| message_matches(m, key, stored))
    });
    let what = format!(
        "messages from position {position}: model {}, durable {}",
        render::list(
            &model.messages[position.min(model.messages.len())..],
            render::model_message
        ),
        render::list(
            &durable_messages[position.min(durable_messages.len())..],
            |(_, m)| stored(Some(m), render::message)
        )
    );
    let invariant = if missing {
        "acknowledged_durability"
    } else {
        "no_phantoms"
    };
    (invariant, what)
}

fn stored<T>(stored: Option<&Stored<T>>, item: impl Fn(&T) -> String) -> String {
    match stored {
        None => "absent".to_string(),
        Some(Stored::Intact(record)) => item(record),
        Some(Stored::Damaged(reason)) => format!("damaged ({reason})"),
    }
}

fn check_tool(
    model: &mut Model,
    name: &Id,
    durable: Option<&Stored<CustomToolRecord>>,
) -> Vec<Finding> {
    model.tools_mut().get_or_insert(name);
    let entity = model.tools().get(name).expect("just ensured");
    let matching: Vec<ToolState> = entity
        .candidates()
        .iter()
        .filter(|c| slot_matches(&c.record, durable))
        .cloned()
        .collect();
    let mut findings = Vec::new();
    if matching.is_empty() {
        let first = entity.candidates()[0].clone();
        let history = model.history(entity.recent(8));
        let invariant = match (&first.record, durable) {
            (_, Some(Stored::Damaged(_))) => "no_phantoms",
            (Slot::Present(_), _) => "acknowledged_durability",
            _ => "no_phantoms",
        };
        findings.push(Finding::new(
            invariant,
            format!(
                "tool '{name}': model {}, durable {}; history: {history}",
                render::slot(&first.record, render::tool),
                stored(durable, render::tool)
            ),
        ));
        let record = match durable {
            None => Slot::Absent,
            Some(Stored::Intact(tool)) => Slot::Present(Rc::new(tool.clone())),
            Some(Stored::Damaged(_)) => Slot::Damaged,
        };
        model
            .tools_mut()
            .get_mut(name)
            .expect("exists")
            .replace(vec![ToolState { record }]);
    } else {
        model
            .tools_mut()
            .get_mut(name)
            .expect("exists")
            .replace(matching);
    }
    let entity = model.tools_mut().get_mut(name).expect("exists");
    entity.uncertain.clear();
    entity.dirty = false;
    findings
}
