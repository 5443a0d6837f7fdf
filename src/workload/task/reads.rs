//! Reads. Each is judged by the model when it returns; the task only keeps what it needs
//! (the latest session, to recover).

use std::rc::Rc;

use crate::agent::{AgentStorage, SessionState};
use crate::check::{Answer, Call, Id};
use crate::kv::ActorKV;

use super::Task;

/// One in this many message loads uses a limit outside 1..=1000, when invalid ids are on, and
/// one in this many the largest legal limit, when ids at the length limits are on.
const INVALID_LIMIT_ODDS: u64 = 16;

/// The largest legal `load_messages` limit (the contract's, REFERENCE.md).
const MESSAGE_LOAD_LIMIT_MAX: usize = 1000;

impl<K: ActorKV + 'static> Task<K> {
    pub(super) async fn load_agent(&mut self, agent: &Id) {
        let call = Call::LoadAgent(agent.clone());
        self.judged(call, |store| async move {
            store.load_agent(agent).await.map(Answer::Agent)
        })
        .await;
    }

    pub(super) async fn agent_exists(&mut self, agent: &Id) {
        let call = Call::AgentExists(agent.clone());
        self.judged(call, |store| async move {
            store.agent_exists(agent).await.map(Answer::Exists)
        })
        .await;
    }

    pub(super) async fn list_agents(&mut self) {
        self.judged(Call::ListAgents, |store| async move {
            store.list_agents().await.map(Answer::Agents)
        })
        .await;
    }

    /// The newest running session of `agent`; `None` if there is none or the read failed.
    pub(super) async fn load_latest_session(&mut self, agent: &Id) -> Option<SessionState> {
        let call = Call::LoadLatestSession(agent.clone());
        let (_, loaded) = self
            .call(call, |store| async move {
                store.load_latest_session(agent).await.map(Answer::Session)
            })
            .await;
        match loaded {
            Ok(Answer::Session(session)) => session,
            _ => None,
        }
    }

    pub(super) async fn list_sessions(&mut self, agent: &Id) {
        let call = Call::ListSessions(agent.clone());
        self.judged(call, |store| async move {
            store.list_sessions(agent).await.map(Answer::Sessions)
        })
        .await;
    }

    /// `load_session` of the task's session of `agent`, or of one that never existed.
    pub(super) async fn load_session(&mut self, agent: &Id) {
        let session: Id = match self.sessions.get(agent) {
            Some(session) => session.session_id.as_ref().into(),
            None => Rc::from("s-none"),
        };
        let call = Call::LoadSession {
            agent: agent.clone(),
            session: session.clone(),
        };
        let session = &session;
        self.judged(call, |store| async move {
            store
                .load_session(agent, session)
                .await
                .map(Answer::Session)
        })
        .await;
    }

    pub(super) async fn load_blocks(&mut self, agent: &Id) {
        let call = Call::LoadBlocks(agent.clone());
        self.judged(call, |store| async move {
            store.load_blocks(agent).await.map(Answer::Blocks)
        })
        .await;
    }

    /// `load_messages` with a random limit: 1..=60, or now and then one outside 1..=1000 (when
    /// invalid ids are on) or exactly 1000 (when ids at the length limits are on).
    pub(super) async fn load_messages(&mut self, agent: &Id) {
        let odds = self.draw(INVALID_LIMIT_ODDS);
        let mut limit = 1 + self.draw(60) as usize;
        let classes = self.world.borrow().ids.classes;
        if odds == 0 && classes.invalid {
            limit = if limit.is_multiple_of(2) { 0 } else { 1001 };
        } else if odds == 1 && classes.at_length_limit {
            limit = MESSAGE_LOAD_LIMIT_MAX;
        }
        let call = Call::LoadMessages {
            agent: agent.clone(),
            limit,
        };
        self.judged(call, |store| async move {
            store
                .load_messages(agent, limit)
                .await
                .map(Answer::Messages)
        })
        .await;
    }

    /// `load_messages_since` a random time of the last 500 ms.
    pub(super) async fn load_messages_since(&mut self, agent: &Id) {
        let since_ms = self.now_ms().saturating_sub(self.draw(500));
        let call = Call::LoadMessagesSince {
            agent: agent.clone(),
            since_ms,
        };
        self.judged(call, |store| async move {
            store
                .load_messages_since(agent, since_ms)
                .await
                .map(Answer::Messages)
        })
        .await;
    }

    pub(super) async fn count_messages(&mut self, agent: &Id) {
        let call = Call::CountMessages(agent.clone());
        self.judged(call, |store| async move {
            store.count_messages(agent).await.map(Answer::Count)
        })
        .await;
    }

    pub(super) async fn load_tool(&mut self, name: &Id) {
        let call = Call::LoadTool(name.clone());
        self.judged(call, |store| async move {
            store.load_custom_tool(name).await.map(Answer::Tool)
        })
        .await;
    }

    pub(super) async fn list_tools(&mut self) {
        self.judged(Call::ListTools, |store| async move {
            store.list_custom_tools().await.map(Answer::Tools)
        })
        .await;
    }
}
