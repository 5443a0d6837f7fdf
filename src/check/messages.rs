//! Message checks: `no_phantoms` and `read_consistency` for every message observed,
//! `acknowledged_durability` for every `ok` append, and `checkpoint_atomicity`: a
//! checkpoint's session state and its message are durable together or not at all.

use std::collections::BTreeMap;

use super::model::{Effect, Model};
use super::register::Finding;
use super::tokens::{fingerprint, message_token};
use crate::agent::keys::messages_prefix;
use crate::agent::Message;

/// Checks one observed message of `agent_id`.
pub fn check_message(model: &Model, agent_id: &str, message: &Message) -> Option<Finding> {
    let phantom = |what: String| Finding {
        invariant: "no_phantoms",
        evidence: format!("message '{}' of agent '{agent_id}': {what}", message.id),
    };
    let Some(op) = message_token(message).filter(|op| model.message_op(&message.id) == Some(*op))
    else {
        return Some(phantom("no operation appended it".to_string()));
    };
    if model.op(op).failed() {
        return Some(phantom(format!(
            "appended by {}, which failed",
            model.describe(op)
        )));
    }
    let expected = model.op(op).effects.iter().find_map(|e| match e {
        Effect::Message {
            agent_id: a,
            fingerprint: f,
            ..
        } => Some((a.clone(), *f)),
        _ => None,
    });
    if expected != Some((agent_id.to_string(), fingerprint(message))) {
        return Some(Finding {
            invariant: "read_consistency",
            evidence: format!(
                "message '{}' under agent '{agent_id}' differs from what {} appended",
                message.id,
                model.describe(op)
            ),
        });
    }
    None
}

/// Checks that `earlier` may precede `later` in an agent's history (append order): it is an
/// error if `later` was certainly appended, and acknowledged, before `earlier` was even issued.
pub fn check_message_order(model: &Model, earlier: &Message, later: &Message) -> Option<Finding> {
    let op_of = |m: &Message| message_token(m).filter(|op| model.message_op(&m.id) == Some(*op));
    let (first, second) = (op_of(earlier)?, op_of(later)?);
    let inverted = model.op(second).ok() && model.op(second).before(model.op(first));
    inverted.then(|| Finding {
        invariant: "read_consistency",
        evidence: format!(
            "message '{}' comes before '{}', but {} finished before {} started",
            earlier.id,
            later.id,
            model.describe(second),
            model.describe(first)
        ),
    })
}

/// Whether message op `op` of `agent_id` may be missing: a clear of the agent's messages may
/// have run after it, or a fault damaged one of the agent's message keys.
fn may_be_missing(model: &Model, agent_id: &str, op: u64) -> bool {
    let appended = model.op(op);
    model.any_damaged_under(&messages_prefix(agent_id))
        || model.message_clearers(agent_id).iter().any(|id| {
            let clear = model.op(*id);
            !clear.failed() && !clear.before(appended)
        })
}

fn message_effect(model: &Model, op: u64) -> Option<(String, String)> {
    model.op(op).effects.iter().find_map(|e| match e {
        Effect::Message {
            agent_id,
            message_id,
            ..
        } => Some((agent_id.clone(), message_id.clone())),
        _ => None,
    })
}

/// `acknowledged_durability` of messages: every `ok` append is among `durable` (message id ->
/// agent id) unless it may be missing.
pub fn check_messages_durable(model: &Model, durable: &BTreeMap<String, String>) -> Vec<Finding> {
    let mut findings = Vec::new();
    for (message_id, op) in model.messages() {
        let Some((agent_id, _)) = message_effect(model, *op) else {
            continue;
        };
        if !model.op(*op).ok()
            || durable.contains_key(message_id)
            || may_be_missing(model, &agent_id, *op)
        {
            continue;
        }
        findings.push(Finding {
            invariant: "acknowledged_durability",
            evidence: format!(
                "message '{message_id}' of agent '{agent_id}' is gone: {}",
                model.describe(*op)
            ),
        });
    }
    findings
}

/// `checkpoint_atomicity`: for every checkpoint with a message, the durable session holds the
/// checkpoint's state exactly when its message is durable, unless a later op explains the
/// difference. `session_tokens` maps durable session keys to the op that wrote them.
pub fn check_checkpoints(
    model: &Model,
    durable_messages: &BTreeMap<String, String>,
    session_tokens: &BTreeMap<Vec<u8>, u64>,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    for op in model.checkpoints() {
        let checkpoint = model.op(*op);
        if checkpoint.failed() || checkpoint.fault_touched {
            continue;
        }
        let Some((agent_id, message_id)) = message_effect(model, *op) else {
            continue;
        };
        let Some(session_key) = checkpoint.effects.iter().find_map(|e| match e {
            Effect::Put { key, .. } => Some(key.clone()),
            _ => None,
        }) else {
            continue;
        };
        let session_has = session_tokens.get(&session_key) == Some(op);
        let message_has = durable_messages.contains_key(&message_id);
        let explained = if session_has && !message_has {
            may_be_missing(model, &agent_id, *op)
        } else if message_has && !session_has {
            model.is_damaged(&session_key)
                || model.writers_of(&session_key).iter().any(|id| {
                    let other = model.op(*id);
                    *id != *op && !other.failed() && !other.before(checkpoint)
                })
        } else {
            true
        };
        if !explained {
            findings.push(Finding {
                invariant: "checkpoint_atomicity",
                evidence: format!(
                    "{}: session '{}' durable with its state: {session_has}, message '{message_id}' durable: {message_has}; session history: {}",
                    model.describe(*op),
                    String::from_utf8_lossy(&session_key),
                    model.history(&model.writers_of(&session_key))
                ),
            });
        }
    }
    findings
}
