//! A workload task: an agent loop plus admin work, drawing each action from its own stream,
//! checking every successful read against the model as it returns.

use std::collections::BTreeMap;
use std::rc::Rc;

use crate::agent::keys::{
    agent_key, blocks_key, messages_prefix, session_key, sessions_prefix, tool_key,
};
use crate::agent::{
    AgentStorage, Block, KvAdapter, Message, MessageRole, SessionState, StorageError,
};
use crate::check::tokens::{agent_token, fingerprint, session_token, tool_token};
use crate::check::{
    check_block, check_message, check_own_block, check_register, Effect, Finding, Observed, Window,
};
use crate::kv::SimStorage;

use super::call::{call_with_retries, Attempt};
use super::records;
use super::world::SharedWorld;
use super::OpKind;

/// The storage a task drives.
pub type Store = Rc<KvAdapter<SimStorage>>;

/// One workload task's state. Its sessions live only in memory: a crash loses them and the
/// task recovers them with `load_latest_session`.
pub struct Task {
    id: u32,
    world: SharedWorld,
    store: Store,
    sessions: BTreeMap<String, SessionState>,
}

impl Task {
    /// Task `id` over `store`.
    pub fn new(id: u32, world: SharedWorld, store: Store) -> Self {
        Task {
            id,
            world,
            store,
            sessions: BTreeMap::new(),
        }
    }

    fn now_ms(&self) -> u64 {
        self.world.borrow().clock.now_ms()
    }

    fn draw(&self, high: u64) -> u64 {
        self.world.borrow_mut().rng(self.id).range_u64(0, high)
    }

    fn pick_agent(&self) -> String {
        let agents = u64::from(self.world.borrow().agents);
        records::agent_id(self.draw(agents))
    }

    fn home_agent(&self) -> String {
        let agents = self.world.borrow().agents;
        records::agent_id(u64::from(self.id % agents))
    }

    fn report(&self, findings: impl IntoIterator<Item = Option<Finding>>, at: &str) {
        let mut checks = 0;
        let found: Vec<Finding> = findings
            .into_iter()
            .inspect(|_| checks += 1)
            .flatten()
            .collect();
        let mut world = self.world.borrow_mut();
        world.checks += checks;
        for finding in found {
            world.violation(
                finding.invariant,
                format!("{} (observed by {at})", finding.evidence),
            );
        }
    }

    fn read_window(&self, op: u64) -> Window {
        let world = self.world.borrow();
        Window {
            start: world.model.op(op).start,
            end: world.model.now(),
            stale_invariant: "read_consistency",
        }
    }

    fn check_point(&self, op: u64, key: &[u8], observed: Observed) {
        let window = self.read_window(op);
        let finding = check_register(&self.world.borrow().model, key, observed, window);
        self.report([finding], "a point read");
    }

    /// Runs actions until the budget is spent; first recovers the home agent's session.
    pub async fn run(mut self) {
        let home = self.home_agent();
        self.recover(&home).await;
        loop {
            let Some(action) = self.world.borrow_mut().next_action(self.id) else {
                return;
            };
            self.act(action).await;
        }
    }

    /// The liveness script: recover, then one iteration on the home agent.
    pub async fn run_liveness(mut self) {
        let home = self.home_agent();
        self.recover(&home).await;
        self.iterate(&home).await;
    }

    async fn recover(&mut self, agent: &str) {
        if let Some(session) = self.load_latest_session(agent).await {
            self.sessions.insert(agent.to_string(), session);
        }
    }

    async fn act(&mut self, action: OpKind) {
        let agent = self.pick_agent();
        match action {
            OpKind::CreateAgent => self.create_agent(&agent).await,
            OpKind::DeleteAgent => self.delete_agent(&agent).await,
            OpKind::LoadAgent => self.load_agent(&agent).await,
            OpKind::ListAgents => self.list_agents().await,
            OpKind::StartSession => self.start_session(&agent).await,
            OpKind::Iterate => self.iterate(&agent).await,
            OpKind::StopSession => self.stop_session(&agent).await,
            OpKind::DeleteSession => self.delete_session(&agent).await,
            OpKind::LoadLatestSession => {
                self.load_latest_session(&agent).await;
            }
            OpKind::ListSessions => self.list_sessions(&agent).await,
            OpKind::UpdateBlock | OpKind::AppendBlock => self.change_block(&agent, action).await,
            OpKind::LoadBlocks => self.load_blocks(&agent).await,
            OpKind::LoadMessages | OpKind::LoadMessagesSince => {
                self.load_messages(&agent, action).await
            }
            OpKind::CountMessages => self.count_messages(&agent).await,
            OpKind::DeleteMessages => self.delete_messages(&agent).await,
            OpKind::SaveTool | OpKind::LoadTool | OpKind::DeleteTool => {
                self.tool_action(action).await
            }
            OpKind::ListTools => self.list_tools().await,
        }
    }

    async fn create_agent(&mut self, agent: &str) {
        let now_ms = self.now_ms();
        let (_, saved) = call_with_retries(&self.world, self.id, |op| {
            let record = records::agent(agent, op, now_ms);
            let effects = vec![Effect::Put {
                key: agent_key(agent),
                fingerprint: fingerprint(&record),
            }];
            let store = self.store.clone();
            Attempt {
                name: "save_agent",
                args: agent.to_string(),
                effects,
                call: async move { store.save_agent(&record).await },
            }
        })
        .await;
        if saved.is_err() {
            return;
        }
        let _ = call_with_retries(&self.world, self.id, |op| {
            let blocks = records::initial_blocks(op, now_ms);
            let effects = blocks
                .iter()
                .map(|b| Effect::Block {
                    agent_id: agent.to_string(),
                    label: b.label.clone(),
                })
                .collect();
            let (store, agent) = (self.store.clone(), agent.to_string());
            Attempt {
                name: "save_blocks",
                args: agent.clone(),
                effects,
                call: async move { store.save_blocks(&agent, &blocks).await },
            }
        })
        .await;
    }

    async fn delete_agent(&mut self, agent: &str) {
        self.sessions.remove(agent);
        let _ = call_with_retries(&self.world, self.id, |_| {
            let effects = vec![
                Effect::Delete {
                    key: agent_key(agent),
                },
                Effect::Delete {
                    key: blocks_key(agent),
                },
                Effect::DeletePrefix {
                    prefix: sessions_prefix(agent),
                },
                Effect::ClearMessages {
                    agent_id: agent.to_string(),
                },
            ];
            let (store, agent) = (self.store.clone(), agent.to_string());
            Attempt {
                name: "delete_agent",
                args: agent.clone(),
                effects,
                call: async move { store.delete_agent(&agent).await },
            }
        })
        .await;
    }

    async fn load_agent(&mut self, agent: &str) {
        let (op, loaded) = call_with_retries(&self.world, self.id, |_| {
            let (store, agent) = (self.store.clone(), agent.to_string());
            Attempt {
                name: "load_agent",
                args: agent.clone(),
                effects: vec![],
                call: async move { store.load_agent(&agent).await },
            }
        })
        .await;
        if let Ok(loaded) = loaded {
            let observed = match &loaded {
                Some(record) => Observed::Present {
                    token: agent_token(record).unwrap_or(u64::MAX),
                    fingerprint: fingerprint(record),
                },
                None => Observed::Absent,
            };
            self.check_point(op, &agent_key(agent), observed);
        }
    }

    async fn list_agents(&mut self) {
        let (op, listed) = call_with_retries(&self.world, self.id, |_| {
            let store = self.store.clone();
            Attempt {
                name: "list_agents",
                args: String::new(),
                effects: vec![],
                call: async move { store.list_agents().await },
            }
        })
        .await;
        for record in listed.unwrap_or_default() {
            let observed = Observed::Present {
                token: agent_token(&record).unwrap_or(u64::MAX),
                fingerprint: fingerprint(&record),
            };
            self.check_point(op, &agent_key(&record.id), observed);
        }
    }

    async fn start_session(&mut self, agent: &str) {
        let now_ms = self.now_ms();
        let (op, saved) = call_with_retries(&self.world, self.id, |op| {
            let session = records::new_session(agent, op, now_ms);
            let effects = vec![Effect::Put {
                key: session_key(agent, &session.session_id),
                fingerprint: fingerprint(&session),
            }];
            let store = self.store.clone();
            Attempt {
                name: "save_session",
                args: format!("{agent}/s{op}"),
                effects,
                call: async move { store.save_session(&session).await },
            }
        })
        .await;
        if saved.is_ok() {
            self.sessions
                .insert(agent.to_string(), records::new_session(agent, op, now_ms));
        }
    }

    async fn iterate(&mut self, agent: &str) {
        if !self.sessions.contains_key(agent) {
            self.recover(agent).await;
        }
        let Some(session) = self.sessions.get(agent).cloned() else {
            return self.start_session(agent).await;
        };
        let now_ms = self.now_ms();
        let (_, appended) = call_with_retries(&self.world, self.id, |op| {
            let message = records::message(agent, op, MessageRole::User, now_ms);
            let effects = vec![Effect::Message {
                agent_id: agent.to_string(),
                message_id: message.id.clone(),
                fingerprint: fingerprint(&message),
            }];
            let (store, agent) = (self.store.clone(), agent.to_string());
            Attempt {
                name: "append_message",
                args: agent.clone(),
                effects,
                call: async move { store.append_message(&agent, &message).await },
            }
        })
        .await;
        if appended.is_err() {
            self.sessions.remove(agent);
            return;
        }
        let pending = self.draw(3);
        let (op, checkpointed) = call_with_retries(&self.world, self.id, |op| {
            let next = records::next_session(&session, op, now_ms, pending);
            let message = records::message(agent, op, MessageRole::Assistant, now_ms);
            let effects = vec![
                Effect::Put {
                    key: session_key(agent, &next.session_id),
                    fingerprint: fingerprint(&next),
                },
                Effect::Message {
                    agent_id: agent.to_string(),
                    message_id: message.id.clone(),
                    fingerprint: fingerprint(&message),
                },
            ];
            let store = self.store.clone();
            let args = format!("{agent}/{} iteration {}", next.session_id, next.iteration);
            Attempt {
                name: "checkpoint",
                args,
                effects,
                call: async move { store.checkpoint(&next, Some(&message)).await },
            }
        })
        .await;
        match checkpointed {
            Ok(()) => {
                self.sessions.insert(
                    agent.to_string(),
                    records::next_session(&session, op, now_ms, pending),
                );
            }
            Err(_) => {
                self.sessions.remove(agent);
            }
        }
    }

    async fn stop_session(&mut self, agent: &str) {
        let Some(session) = self.sessions.remove(agent) else {
            return;
        };
        let now_ms = self.now_ms();
        let _ = call_with_retries(&self.world, self.id, |op| {
            let stopped = records::stopped_session(&session, op, now_ms);
            let effects = vec![Effect::Put {
                key: session_key(agent, &stopped.session_id),
                fingerprint: fingerprint(&stopped),
            }];
            let store = self.store.clone();
            Attempt {
                name: "save_session",
                args: format!("{agent}/{} stop", stopped.session_id),
                effects,
                call: async move { store.save_session(&stopped).await },
            }
        })
        .await;
    }

    async fn delete_session(&mut self, agent: &str) {
        let Some(session) = self.sessions.remove(agent) else {
            return;
        };
        let _ = call_with_retries(&self.world, self.id, |_| {
            let key = session_key(agent, &session.session_id);
            let (store, agent, id) = (
                self.store.clone(),
                agent.to_string(),
                session.session_id.clone(),
            );
            Attempt {
                name: "delete_session",
                args: format!("{agent}/{id}"),
                effects: vec![Effect::Delete { key }],
                call: async move { store.delete_session(&agent, &id).await },
            }
        })
        .await;
    }

    async fn load_latest_session(&mut self, agent: &str) -> Option<SessionState> {
        let (op, loaded) = call_with_retries(&self.world, self.id, |_| {
            let (store, agent) = (self.store.clone(), agent.to_string());
            Attempt {
                name: "load_latest_session",
                args: agent.clone(),
                effects: vec![],
                call: async move { store.load_latest_session(&agent).await },
            }
        })
        .await;
        let session = loaded.ok().flatten()?;
        self.check_session(op, &session);
        Some(session)
    }

    fn check_session(&self, op: u64, session: &SessionState) {
        let observed = Observed::Present {
            token: session_token(session).unwrap_or(u64::MAX),
            fingerprint: fingerprint(session),
        };
        self.check_point(
            op,
            &session_key(&session.agent_id, &session.session_id),
            observed,
        );
    }

    async fn list_sessions(&mut self, agent: &str) {
        let (op, listed) = call_with_retries(&self.world, self.id, |_| {
            let (store, agent) = (self.store.clone(), agent.to_string());
            Attempt {
                name: "list_sessions",
                args: agent.clone(),
                effects: vec![],
                call: async move { store.list_sessions(&agent).await },
            }
        })
        .await;
        for session in listed.unwrap_or_default() {
            self.check_session(op, &session);
        }
    }

    async fn change_block(&mut self, agent: &str, action: OpKind) {
        let label = records::BLOCK_LABELS[self.draw(records::BLOCK_LABELS.len() as u64) as usize];
        let (op, changed) = call_with_retries(&self.world, self.id, |op| {
            let effects = vec![Effect::Block {
                agent_id: agent.to_string(),
                label: label.to_string(),
            }];
            let (store, agent) = (self.store.clone(), agent.to_string());
            let (name, call): (&'static str, _) = match action {
                OpKind::UpdateBlock => ("update_block", BlockChange::Update(format!("u{op};"))),
                _ => ("append_block", BlockChange::Append(format!("a{op};"))),
            };
            Attempt {
                name,
                args: format!("{agent}/{label}"),
                effects,
                call: async move { call.apply(&store, &agent, label).await },
            }
        })
        .await;
        if let Ok(block) = changed {
            let findings = [check_own_block(
                &self.world.borrow().model,
                agent,
                &block,
                op,
            )];
            self.report(findings, "the op's own result");
        }
    }

    async fn load_blocks(&mut self, agent: &str) {
        let (op, loaded) = call_with_retries(&self.world, self.id, |_| {
            let (store, agent) = (self.store.clone(), agent.to_string());
            Attempt {
                name: "load_blocks",
                args: agent.clone(),
                effects: vec![],
                call: async move { store.load_blocks(&agent).await },
            }
        })
        .await;
        let start = self.read_window(op).start;
        let findings: Vec<Option<Finding>> = {
            let model = &self.world.borrow().model;
            loaded
                .unwrap_or_default()
                .iter()
                .map(|block| check_block(model, agent, block, start))
                .collect()
        };
        self.report(findings, "load_blocks");
    }

    async fn load_messages(&mut self, agent: &str, action: OpKind) {
        let limit = 1 + self.draw(60) as usize;
        let since_ms = self.now_ms().saturating_sub(self.draw(500));
        let (_, loaded) = call_with_retries(&self.world, self.id, |_| {
            let (store, agent) = (self.store.clone(), agent.to_string());
            let (name, call) = match action {
                OpKind::LoadMessages => ("load_messages", MessageRead::Latest(limit)),
                _ => ("load_messages_since", MessageRead::Since(since_ms)),
            };
            Attempt {
                name,
                args: agent.clone(),
                effects: vec![],
                call: async move { call.apply(&store, &agent).await },
            }
        })
        .await;
        let findings: Vec<Option<Finding>> = {
            let model = &self.world.borrow().model;
            loaded
                .unwrap_or_default()
                .iter()
                .map(|m| check_message(model, agent, m))
                .collect()
        };
        self.report(findings, "a message read");
    }

    async fn count_messages(&mut self, agent: &str) {
        let _ = call_with_retries(&self.world, self.id, |_| {
            let (store, agent) = (self.store.clone(), agent.to_string());
            Attempt {
                name: "count_messages",
                args: agent.clone(),
                effects: vec![],
                call: async move { store.count_messages(&agent).await },
            }
        })
        .await;
    }

    async fn delete_messages(&mut self, agent: &str) {
        let _ = call_with_retries(&self.world, self.id, |_| {
            let effects = vec![
                Effect::ClearMessages {
                    agent_id: agent.to_string(),
                },
                Effect::DeletePrefix {
                    prefix: messages_prefix(agent),
                },
            ];
            let (store, agent) = (self.store.clone(), agent.to_string());
            Attempt {
                name: "delete_messages",
                args: agent.clone(),
                effects,
                call: async move { store.delete_messages(&agent).await },
            }
        })
        .await;
    }

    async fn tool_action(&mut self, action: OpKind) {
        let name = records::TOOL_NAMES[self.draw(records::TOOL_NAMES.len() as u64) as usize];
        let now_ms = self.now_ms();
        let key = tool_key(name);
        let (op, loaded) = call_with_retries(&self.world, self.id, |op| {
            let store = self.store.clone();
            let record = records::tool(name, op, now_ms);
            let (call_name, effects, call) = match action {
                OpKind::SaveTool => (
                    "save_custom_tool",
                    vec![Effect::Put {
                        key: key.clone(),
                        fingerprint: fingerprint(&record),
                    }],
                    ToolCall::Save(record),
                ),
                OpKind::DeleteTool => (
                    "delete_custom_tool",
                    vec![Effect::Delete { key: key.clone() }],
                    ToolCall::Delete,
                ),
                _ => ("load_custom_tool", vec![], ToolCall::Load),
            };
            Attempt {
                name: call_name,
                args: name.to_string(),
                effects,
                call: async move { call.apply(&store, name).await },
            }
        })
        .await;
        if let (OpKind::LoadTool, Ok(loaded)) = (action, loaded) {
            let observed = match &loaded {
                Some(tool) => Observed::Present {
                    token: tool_token(tool).unwrap_or(u64::MAX),
                    fingerprint: fingerprint(tool),
                },
                None => Observed::Absent,
            };
            self.check_point(op, &key, observed);
        }
    }

    async fn list_tools(&mut self) {
        let (op, listed) = call_with_retries(&self.world, self.id, |_| {
            let store = self.store.clone();
            Attempt {
                name: "list_custom_tools",
                args: String::new(),
                effects: vec![],
                call: async move { store.list_custom_tools().await },
            }
        })
        .await;
        for tool in listed.unwrap_or_default() {
            let observed = Observed::Present {
                token: tool_token(&tool).unwrap_or(u64::MAX),
                fingerprint: fingerprint(&tool),
            };
            self.check_point(op, &tool_key(&tool.name), observed);
        }
    }
}

enum BlockChange {
    Update(String),
    Append(String),
}

impl BlockChange {
    async fn apply(self, store: &Store, agent: &str, label: &str) -> Result<Block, StorageError> {
        match self {
            BlockChange::Update(value) => store.update_block(agent, label, &value).await,
            BlockChange::Append(content) => store.append_block(agent, label, &content).await,
        }
    }
}

enum MessageRead {
    Latest(usize),
    Since(u64),
}

impl MessageRead {
    async fn apply(self, store: &Store, agent: &str) -> Result<Vec<Message>, StorageError> {
        match self {
            MessageRead::Latest(limit) => store.load_messages(agent, limit).await,
            MessageRead::Since(since_ms) => store.load_messages_since(agent, since_ms).await,
        }
    }
}

enum ToolCall {
    Save(crate::agent::CustomToolRecord),
    Delete,
    Load,
}

impl ToolCall {
    async fn apply(
        self,
        store: &Store,
        name: &str,
    ) -> Result<Option<crate::agent::CustomToolRecord>, StorageError> {
        match self {
            ToolCall::Save(record) => store.save_custom_tool(&record).await.map(|()| None),
            ToolCall::Delete => store.delete_custom_tool(name).await.map(|()| None),
            ToolCall::Load => store.load_custom_tool(name).await,
        }
    }
}
