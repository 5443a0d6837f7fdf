//! Checks of the durable state after every recovery and at the end of a run: `no_orphans`,
//! `no_phantoms`, `acknowledged_durability`, `no_lost_updates` and `checkpoint_atomicity`.
//!
//! The checker decodes every stored record itself, with verification, independently of the
//! adapter: a value that fails verification is allowed only where a fault damaged that key.

use std::collections::{BTreeMap, BTreeSet};

use serde::de::DeserializeOwned;

use super::blocks::check_block;
use super::messages::{
    check_checkpoints, check_message, check_message_order, check_messages_durable,
};
use super::model::Model;
use super::register::{check_register, Finding, Observed, Window, NO_TOKEN};
use super::tokens::{agent_token, session_token, tool_token};
use crate::agent::codec::decode;
use crate::agent::keys::{agent_key, RecordKey};
use crate::agent::{AgentMetadata, Block, CustomToolRecord, Message, SessionState};

/// The result of checking one durable state.
#[derive(Default)]
pub struct StateReport {
    /// Violations found.
    pub findings: Vec<Finding>,
    /// Individual checks run.
    pub checks: u64,
}

struct Walk<'a> {
    model: &'a Model,
    window: Window,
    report: StateReport,
    agents: BTreeSet<String>,
    messages: BTreeMap<String, String>,
    session_tokens: BTreeMap<Vec<u8>, u64>,
    /// The previous message in key order, to check append order.
    last_message: Option<Message>,
}

impl Walk<'_> {
    fn push(&mut self, finding: Option<Finding>) {
        self.report.checks += 1;
        self.report.findings.extend(finding);
    }

    fn decode<T: DeserializeOwned>(&mut self, key: &[u8], value: &[u8]) -> Option<T> {
        match decode(key, value, true) {
            Ok(record) => Some(record),
            Err(error) if !self.model.is_damaged(key) => {
                self.push(Some(Finding {
                    invariant: "no_phantoms",
                    evidence: format!("{error}, and no fault damaged this key"),
                }));
                None
            }
            Err(_) => None,
        }
    }

    fn register<T: serde::Serialize>(&mut self, key: &[u8], token: Option<u64>, record: &T) {
        let observed = Observed::record(token, record);
        let finding = check_register(self.model, key, observed, self.window);
        self.push(finding);
    }

    fn entry(&mut self, key: &[u8], value: &[u8]) {
        let Some(parsed) = RecordKey::parse(key) else {
            if !self.model.is_damaged(key) {
                let evidence = format!(
                    "key '{}' is outside the layout",
                    String::from_utf8_lossy(key)
                );
                self.push(Some(Finding {
                    invariant: "no_phantoms",
                    evidence,
                }));
            }
            return;
        };
        if let Some(owner) = parsed.owner() {
            let orphan = !self.agents.contains(owner);
            self.push(orphan.then(|| Finding {
                invariant: "no_orphans",
                evidence: format!(
                    "key '{}' belongs to agent '{owner}', which does not exist; agent history: {}",
                    String::from_utf8_lossy(key),
                    self.model.history(&self.model.writers_of(&agent_key(owner)))
                ),
            }));
        }
        match parsed {
            RecordKey::Agent { .. } => {
                if let Some(agent) = self.decode::<AgentMetadata>(key, value) {
                    self.register(key, agent_token(&agent), &agent);
                }
            }
            RecordKey::Session { .. } => {
                if let Some(session) = self.decode::<SessionState>(key, value) {
                    let token = session_token(&session);
                    self.session_tokens
                        .insert(key.to_vec(), token.unwrap_or(NO_TOKEN));
                    self.register(key, token, &session);
                }
            }
            RecordKey::Tool { .. } => {
                if let Some(tool) = self.decode::<CustomToolRecord>(key, value) {
                    self.register(key, tool_token(&tool), &tool);
                }
            }
            RecordKey::Message { agent_id, .. } => {
                if let Some(message) = self.decode::<Message>(key, value) {
                    let finding = check_message(self.model, &agent_id, &message);
                    self.push(finding);
                    if let Some(previous) = self
                        .last_message
                        .as_ref()
                        .filter(|m| m.agent_id == agent_id)
                    {
                        let finding = check_message_order(self.model, previous, &message);
                        self.push(finding);
                    }
                    self.messages.insert(message.id.clone(), agent_id);
                    self.last_message = Some(message);
                }
            }
            RecordKey::Blocks { agent_id } => {
                for block in self.decode::<Vec<Block>>(key, value).unwrap_or_default() {
                    let finding = check_block(self.model, &agent_id, &block, self.window.start);
                    self.push(finding);
                }
            }
            RecordKey::MessageSeq { .. } => {
                self.decode::<u64>(key, value);
            }
        }
    }
}

/// Checks the durable `entries` (ascending by key) against the model at its current time.
pub fn check_durable_state(model: &Model, entries: &[(Vec<u8>, Vec<u8>)]) -> StateReport {
    let window = Window::after_all(model);
    let agents = entries
        .iter()
        .filter_map(|(key, _)| match RecordKey::parse(key) {
            Some(RecordKey::Agent { agent_id }) => Some(agent_id),
            _ => None,
        })
        .collect();
    let mut walk = Walk {
        model,
        window,
        report: StateReport::default(),
        agents,
        messages: BTreeMap::new(),
        session_tokens: BTreeMap::new(),
        last_message: None,
    };
    for (key, value) in entries {
        walk.entry(key, value);
    }
    let present: BTreeSet<&[u8]> = entries.iter().map(|(k, _)| k.as_slice()).collect();
    let absent: Vec<Vec<u8>> = model
        .written_keys()
        .filter(|key| {
            !present.contains(key.as_slice())
                && !matches!(RecordKey::parse(key), Some(RecordKey::Blocks { .. }))
        })
        .cloned()
        .collect();
    for key in absent {
        let finding = check_register(model, &key, Observed::Absent, window);
        walk.push(finding);
    }
    let durable = check_messages_durable(model, &walk.messages);
    let atomicity = check_checkpoints(model, &walk.messages, &walk.session_tokens);
    walk.report.checks += 2;
    walk.report.findings.extend(durable);
    walk.report.findings.extend(atomicity);
    walk.report
}
