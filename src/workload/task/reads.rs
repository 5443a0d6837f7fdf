//! Reads, each checked against the model as it returns: point reads and listings by the
//! register check, blocks by the lost-update check, messages by the message check.

use crate::agent::keys::{agent_key, session_key, tool_key};
use crate::agent::{AgentStorage, SessionState};
use crate::check::tokens::{agent_token, session_token, tool_token};
use crate::check::{check_block, check_message, check_message_order, Finding, Observed};

use super::{OpKind, Task};

impl Task {
    pub(super) async fn load_agent(&mut self, agent: &str) {
        let (op, loaded) = self
            .call("load_agent", agent, vec![], |store| store.load_agent(agent))
            .await;
        if let Ok(loaded) = loaded {
            let observed =
                loaded.map_or(Observed::Absent, |r| Observed::record(agent_token(&r), &r));
            self.check_point(op, &agent_key(agent), observed);
        }
    }

    pub(super) async fn list_agents(&mut self) {
        let (op, listed) = self
            .call("list_agents", "", vec![], |store| store.list_agents())
            .await;
        for record in listed.unwrap_or_default() {
            let observed = Observed::record(agent_token(&record), &record);
            self.check_point(op, &agent_key(&record.id), observed);
        }
    }

    /// The newest running session of `agent`, checked; `None` if there is none or the read
    /// failed.
    pub(super) async fn load_latest_session(&mut self, agent: &str) -> Option<SessionState> {
        let (op, loaded) = self
            .call("load_latest_session", agent, vec![], |store| {
                store.load_latest_session(agent)
            })
            .await;
        let session = loaded.ok().flatten()?;
        self.check_session(op, &session);
        Some(session)
    }

    fn check_session(&self, op: u64, session: &SessionState) {
        let key = session_key(&session.agent_id, &session.session_id);
        self.check_point(op, &key, Observed::record(session_token(session), session));
    }

    pub(super) async fn list_sessions(&mut self, agent: &str) {
        let (op, listed) = self
            .call("list_sessions", agent, vec![], |store| {
                store.list_sessions(agent)
            })
            .await;
        for session in listed.unwrap_or_default() {
            self.check_session(op, &session);
        }
    }

    pub(super) async fn load_blocks(&mut self, agent: &str) {
        let (op, loaded) = self
            .call("load_blocks", agent, vec![], |store| {
                store.load_blocks(agent)
            })
            .await;
        let start = self.read_window(op).start;
        let findings: Vec<Option<Finding>> = {
            let model = &self.world.borrow().model;
            let blocks = loaded.unwrap_or_default();
            blocks
                .iter()
                .map(|b| check_block(model, agent, b, start))
                .collect()
        };
        self.report(findings, "load_blocks");
    }

    /// `load_messages` with a random limit, or `load_messages_since` a random recent time.
    pub(super) async fn load_messages(&mut self, agent: &str, action: OpKind) {
        let limit = 1 + self.draw(60) as usize;
        let since_ms = self.now_ms().saturating_sub(self.draw(500));
        let (_, loaded) = match action {
            OpKind::LoadMessages => {
                self.call("load_messages", agent, vec![], |store| {
                    store.load_messages(agent, limit)
                })
                .await
            }
            _ => {
                self.call("load_messages_since", agent, vec![], |store| {
                    store.load_messages_since(agent, since_ms)
                })
                .await
            }
        };
        let findings: Vec<Option<Finding>> = {
            let model = &self.world.borrow().model;
            let messages = loaded.unwrap_or_default();
            let each = messages.iter().map(|m| check_message(model, agent, m));
            let order = messages
                .windows(2)
                .map(|pair| check_message_order(model, &pair[0], &pair[1]));
            each.chain(order).collect()
        };
        self.report(findings, "a message read");
    }

    pub(super) async fn count_messages(&mut self, agent: &str) {
        let _ = self
            .call("count_messages", agent, vec![], |store| {
                store.count_messages(agent)
            })
            .await;
    }

    pub(super) async fn load_tool(&mut self, name: &str) {
        let (op, loaded) = self
            .call("load_custom_tool", name, vec![], |store| {
                store.load_custom_tool(name)
            })
            .await;
        if let Ok(loaded) = loaded {
            let observed =
                loaded.map_or(Observed::Absent, |t| Observed::record(tool_token(&t), &t));
            self.check_point(op, &tool_key(name), observed);
        }
    }

    pub(super) async fn list_tools(&mut self) {
        let (op, listed) = self
            .call("list_custom_tools", "", vec![], |store| {
                store.list_custom_tools()
            })
            .await;
        for tool in listed.unwrap_or_default() {
            self.check_point(
                op,
                &tool_key(&tool.name),
                Observed::record(tool_token(&tool), &tool),
            );
        }
    }
}
