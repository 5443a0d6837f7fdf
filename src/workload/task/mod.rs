//! A workload task: an agent loop plus admin work, drawing each action from its own stream,
//! checking every successful read against the model as it returns.
//!
//! The actions live in `agent_loop.rs` (sessions and messages), `admin.rs` (agents, blocks,
//! tools) and `reads.rs` (reads and their checks).

mod admin;
mod agent_loop;
mod reads;

use std::collections::BTreeMap;
use std::future::Future;
use std::rc::Rc;

use crate::agent::{KvAdapter, SessionState, StorageError};
use crate::check::{check_register, Effect, Finding, Observed, Window};
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

    /// A custom-tool action on a random tool name.
    async fn tool_action(&mut self, action: OpKind) {
        let name = records::TOOL_NAMES[self.draw(records::TOOL_NAMES.len() as u64) as usize];
        match action {
            OpKind::SaveTool => self.save_tool(name).await,
            OpKind::DeleteTool => self.delete_tool(name).await,
            _ => self.load_tool(name).await,
        }
    }

    /// One storage call (retried when retriable) whose record does not depend on its op id.
    /// Returns the op id of the last attempt and its result.
    async fn call<'a, T, Fut>(
        &'a self,
        name: &'static str,
        args: &str,
        effects: Vec<Effect>,
        call: impl Fn(&'a Store) -> Fut,
    ) -> (u64, Result<T, StorageError>)
    where
        Fut: Future<Output = Result<T, StorageError>>,
    {
        call_with_retries(&self.world, self.id, |_| Attempt {
            name,
            args: args.to_string(),
            effects: effects.clone(),
            call: call(&self.store),
        })
        .await
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

    /// Counts `findings` as checks and records the violations among them.
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
}
