//! The agent loop: sessions start, iterate (user message, then a checkpoint of the next
//! iteration with the assistant's message), stop and are deleted; a task that lost its session
//! (a crash, a failed checkpoint) recovers it with `load_latest_session`.

use std::rc::Rc;

use crate::agent::{AgentStorage, MessageRole};
use crate::check::{Answer, Call, Id};
use crate::kv::ActorKV;

use super::super::records;
use super::{call_with_retries, Attempt, Task};

/// Session-id variants drawn per start: the first few are adversarial when their class is on.
const SESSION_ID_VARIANTS: u64 = 8;
/// One in this many appended messages (by op id) names another agent as its owner, when
/// invalid ids are on: the call must be refused with `invalid_argument`.
const FOREIGN_MESSAGE_ODDS: u64 = 32;
/// One in this many iterations checkpoints without a message.
const CHECKPOINT_WITHOUT_MESSAGE_ODDS: u64 = 8;
/// Latest a message is backdated when messages are unordered, ms.
const BACKDATE_MS_MAX: u64 = 30;

impl<K: ActorKV + 'static> Task<K> {
    /// Adopts the newest running session of `agent`, if any.
    pub(super) async fn recover(&mut self, agent: &Id) {
        if let Some(session) = self.load_latest_session(agent).await {
            self.sessions.insert(agent.clone(), Rc::new(session));
        }
    }

    pub(super) async fn start_session(&mut self, agent: &Id) {
        let variant = self.draw(SESSION_ID_VARIANTS);
        let limits = self.draw(SESSION_ID_VARIANTS);
        let now_ms = self.now_ms();
        let store = &self.store;
        let world = &self.world;
        let (op, saved) = call_with_retries(world, self.id, |op| {
            let ids = &world.borrow().ids;
            let mut session = records::new_session(agent, &ids.session_id(op, variant), op, now_ms);
            if ids.classes.at_length_limit {
                records::at_limits(&mut session, op, limits);
            }
            let session = Rc::new(session);
            Attempt {
                call: Call::SaveSession(session.clone()),
                run: async move { store.save_session(&session).await.map(|()| Answer::Done) },
            }
        })
        .await;
        if saved.is_ok() {
            let started = self.written_session(op);
            self.sessions.insert(agent.clone(), started);
        }
    }

    /// One iteration of the agent loop on `agent`'s current session (started if none). Draws
    /// before any call, so what a task draws never depends on what storage answered.
    pub(super) async fn iterate(&mut self, agent: &Id) {
        let pending = self.draw(3);
        let with_message = self.draw(CHECKPOINT_WITHOUT_MESSAGE_ODDS) != 0;
        let backdate_ms = self.draw(BACKDATE_MS_MAX);
        if !self.sessions.contains_key(agent) {
            self.recover(agent).await;
        }
        let Some(session) = self.sessions.get(agent).cloned() else {
            return self.start_session(agent).await;
        };
        let unordered = self.world.borrow().ids.classes.unordered_messages;
        let created_at_ms = match unordered {
            true => self.now_ms().saturating_sub(backdate_ms),
            false => self.now_ms(),
        };
        let now_ms = self.now_ms();
        let (store, world) = (&self.store, &self.world);
        let (_, appended) = call_with_retries(world, self.id, |op| {
            let ids = &world.borrow().ids;
            let id = ids.message_id(op);
            let mut message = records::message(agent, &id, MessageRole::User, created_at_ms);
            if ids.classes.invalid && op.is_multiple_of(FOREIGN_MESSAGE_ODDS) {
                message.agent_id = records::foreign_owner(agent).into();
            }
            let message = Rc::new(message);
            Attempt {
                call: Call::AppendMessage {
                    agent: agent.clone(),
                    message: message.clone(),
                },
                run: async move {
                    store
                        .append_message(agent, &message)
                        .await
                        .map(|()| Answer::Done)
                },
            }
        })
        .await;
        if appended.is_err() {
            self.sessions.remove(agent);
            return;
        }
        let (op, checkpointed) = call_with_retries(world, self.id, |op| {
            let next = Rc::new(records::next_session(&session, op, now_ms, pending));
            let message = with_message.then(|| {
                let id = world.borrow().ids.message_id(op);
                Rc::new(records::message(
                    agent,
                    &id,
                    MessageRole::Assistant,
                    created_at_ms,
                ))
            });
            Attempt {
                call: Call::Checkpoint {
                    session: next.clone(),
                    message: message.clone(),
                },
                run: async move {
                    store
                        .checkpoint(&next, message.as_deref())
                        .await
                        .map(|()| Answer::Done)
                },
            }
        })
        .await;
        match checkpointed {
            Ok(_) => {
                let next = self.written_session(op);
                self.sessions.insert(agent.clone(), next);
            }
            Err(_) => {
                self.sessions.remove(agent);
            }
        }
    }

    pub(super) async fn stop_session(&mut self, agent: &Id) {
        let Some(session) = self.sessions.remove(agent) else {
            return;
        };
        let now_ms = self.now_ms();
        let store = &self.store;
        self.judged_with_op(|op| {
            let stopped = Rc::new(records::stopped_session(&session, op, now_ms));
            Attempt {
                call: Call::SaveSession(stopped.clone()),
                run: async move { store.save_session(&stopped).await.map(|()| Answer::Done) },
            }
        })
        .await;
    }

    pub(super) async fn delete_session(&mut self, agent: &Id) {
        let Some(session) = self.sessions.remove(agent) else {
            return;
        };
        let id: Id = Id::from(session.session_id.as_ref());
        let call = Call::DeleteSession {
            agent: agent.clone(),
            session: id.clone(),
        };
        let id = &id;
        self.judged(call, |store| async move {
            store.delete_session(agent, id).await.map(|()| Answer::Done)
        })
        .await;
    }
}
