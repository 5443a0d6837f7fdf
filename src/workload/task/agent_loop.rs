//! The agent loop: sessions start, iterate (user message, then a checkpoint of the next
//! iteration with the assistant's message), stop and are deleted; a task that lost its session
//! (a crash, a failed checkpoint) recovers it with `load_latest_session`.

use crate::agent::keys::session_key;
use crate::agent::{AgentStorage, MessageRole, SessionState};
use crate::check::tokens::fingerprint;
use crate::check::Effect;

use super::{call_with_retries, records, Attempt, Task};

fn session_put(session: &SessionState) -> Effect {
    Effect::Put {
        key: session_key(&session.agent_id, &session.session_id),
        fingerprint: fingerprint(session),
    }
}

impl Task {
    /// Adopts the newest running session of `agent`, if any.
    pub(super) async fn recover(&mut self, agent: &str) {
        if let Some(session) = self.load_latest_session(agent).await {
            self.sessions.insert(agent.to_string(), session);
        }
    }

    pub(super) async fn start_session(&mut self, agent: &str) {
        let now_ms = self.now_ms();
        let store = &self.store;
        let (op, saved) = call_with_retries(&self.world, self.id, |op| {
            let session = records::new_session(agent, op, now_ms);
            Attempt {
                name: "save_session",
                args: format!("{agent}/{}", session.session_id),
                effects: vec![session_put(&session)],
                call: async move { store.save_session(&session).await },
            }
        })
        .await;
        if saved.is_ok() {
            let session = records::new_session(agent, op, now_ms);
            self.sessions.insert(agent.to_string(), session);
        }
    }

    /// One iteration of the agent loop on `agent`'s current session (started if none). Draws
    /// before any call, so what a task draws never depends on what storage answered.
    pub(super) async fn iterate(&mut self, agent: &str) {
        let pending = self.draw(3);
        if !self.sessions.contains_key(agent) {
            self.recover(agent).await;
        }
        let Some(session) = self.sessions.get(agent).cloned() else {
            return self.start_session(agent).await;
        };
        let now_ms = self.now_ms();
        let store = &self.store;
        let (_, appended) = call_with_retries(&self.world, self.id, |op| {
            let message = records::message(agent, op, MessageRole::User, now_ms);
            Attempt {
                name: "append_message",
                args: agent.to_string(),
                effects: vec![Effect::Message {
                    agent_id: agent.to_string(),
                    message_id: message.id.clone(),
                    fingerprint: fingerprint(&message),
                }],
                call: async move { store.append_message(agent, &message).await },
            }
        })
        .await;
        if appended.is_err() {
            self.sessions.remove(agent);
            return;
        }
        let (op, checkpointed) = call_with_retries(&self.world, self.id, |op| {
            let next = records::next_session(&session, op, now_ms, pending);
            let message = records::message(agent, op, MessageRole::Assistant, now_ms);
            let effects = vec![
                session_put(&next),
                Effect::Message {
                    agent_id: agent.to_string(),
                    message_id: message.id.clone(),
                    fingerprint: fingerprint(&message),
                },
            ];
            Attempt {
                name: "checkpoint",
                args: format!("{agent}/{} iteration {}", next.session_id, next.iteration),
                effects,
                call: async move { store.checkpoint(&next, Some(&message)).await },
            }
        })
        .await;
        match checkpointed {
            Ok(()) => {
                let next = records::next_session(&session, op, now_ms, pending);
                self.sessions.insert(agent.to_string(), next);
            }
            Err(_) => {
                self.sessions.remove(agent);
            }
        }
    }

    pub(super) async fn stop_session(&mut self, agent: &str) {
        let Some(session) = self.sessions.remove(agent) else {
            return;
        };
        let now_ms = self.now_ms();
        let store = &self.store;
        let _ = call_with_retries(&self.world, self.id, |op| {
            let stopped = records::stopped_session(&session, op, now_ms);
            Attempt {
                name: "save_session",
                args: format!("{agent}/{} stop", stopped.session_id),
                effects: vec![session_put(&stopped)],
                call: async move { store.save_session(&stopped).await },
            }
        })
        .await;
    }

    pub(super) async fn delete_session(&mut self, agent: &str) {
        let Some(session) = self.sessions.remove(agent) else {
            return;
        };
        let id = session.session_id.as_str();
        let effects = vec![Effect::Delete {
            key: session_key(agent, id),
        }];
        let args = format!("{agent}/{id}");
        let _ = self
            .call("delete_session", &args, effects, |store| {
                store.delete_session(agent, id)
            })
            .await;
    }
}
