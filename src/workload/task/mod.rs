//! A workload task: an agent loop plus admin work, drawing each action from its own stream.
//! Every call is declared to the model before it runs and judged by it when it returns.
//!
//! The actions live in `agent_loop.rs` (sessions and messages), `admin.rs` (agents, blocks,
//! tools) and `reads.rs` (reads).

mod admin;
mod agent_loop;
mod reads;

use std::collections::BTreeMap;
use std::future::Future;
use std::rc::Rc;

use crate::agent::{KvAdapter, SessionState, StorageError};
use crate::check::{Answer, Call, Id};
use crate::kv::ActorKV;

use super::call::{call_with_retries, Attempt};
use super::world::SharedWorld;
use super::{IdPool, OpKind};

/// The storage a task drives: the adapter over the run's store.
pub type Store<K> = Rc<KvAdapter<K>>;

/// One in this many id draws picks an invalid id, when the `invalid` class is on.
const INVALID_ID_ODDS: u64 = 16;

/// One workload task's state. Its sessions live only in memory: a crash loses them and the
/// task recovers them with `load_latest_session`.
pub struct Task<K: ActorKV + 'static> {
    id: u32,
    world: SharedWorld,
    store: Store<K>,
    sessions: BTreeMap<Id, Rc<SessionState>>,
}

impl<K: ActorKV + 'static> Task<K> {
    /// Task `id` over `store`.
    pub fn new(id: u32, world: SharedWorld, store: Store<K>) -> Self {
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
            OpKind::AgentExists => self.agent_exists(&agent).await,
            OpKind::StartSession => self.start_session(&agent).await,
            OpKind::Iterate => self.iterate(&agent).await,
            OpKind::StopSession => self.stop_session(&agent).await,
            OpKind::DeleteSession => self.delete_session(&agent).await,
            OpKind::LoadLatestSession => {
                self.load_latest_session(&agent).await;
            }
            OpKind::ListSessions => self.list_sessions(&agent).await,
            OpKind::LoadSession => self.load_session(&agent).await,
            OpKind::SaveBlocks => self.save_blocks(&agent).await,
            OpKind::UpdateBlock | OpKind::AppendBlock => self.change_block(&agent, action).await,
            OpKind::LoadBlocks => self.load_blocks(&agent).await,
            OpKind::LoadMessages => self.load_messages(&agent).await,
            OpKind::LoadMessagesSince => self.load_messages_since(&agent).await,
            OpKind::CountMessages => self.count_messages(&agent).await,
            OpKind::DeleteMessages => self.delete_messages(&agent).await,
            OpKind::SaveTool | OpKind::LoadTool | OpKind::DeleteTool => {
                let name = self.pick_tool();
                self.tool_action(action, &name).await
            }
            OpKind::ListTools => self.list_tools().await,
        }
    }

    /// One storage call (retried when retriable) whose arguments do not depend on its op id.
    /// Returns the op id of the last attempt and its result.
    async fn call<'a, Fut>(
        &'a self,
        call: Call,
        run: impl Fn(&'a Store<K>) -> Fut,
    ) -> (u64, Result<Answer, StorageError>)
    where
        Fut: Future<Output = Result<Answer, StorageError>>,
    {
        call_with_retries(&self.world, self.id, |_| Attempt {
            call: call.clone(),
            run: run(&self.store),
        })
        .await
    }

    /// Makes a call whose result only the model needs (it judges every result as it returns).
    async fn judged<'a, Fut>(&'a self, call: Call, run: impl Fn(&'a Store<K>) -> Fut)
    where
        Fut: Future<Output = Result<Answer, StorageError>>,
    {
        let (_op, _result) = self.call(call, run).await;
    }

    /// Like [`Task::judged`], for a call whose records name its op id.
    async fn judged_with_op<Fut>(&self, make: impl FnMut(u64) -> Attempt<Fut>)
    where
        Fut: Future<Output = Result<Answer, StorageError>>,
    {
        let (_op, _result) = call_with_retries(&self.world, self.id, make).await;
    }

    /// The session op `op` (a `save_session` or `checkpoint` that succeeded) stored.
    fn written_session(&self, op: u64) -> Rc<SessionState> {
        match &self.world.borrow().model.op(op).call {
            Call::SaveSession(session) | Call::Checkpoint { session, .. } => Rc::clone(session),
            other => panic!("op {op} is {}, which stores no session", other.name()),
        }
    }

    fn now_ms(&self) -> u64 {
        self.world.borrow().clock.now_ms()
    }

    fn draw(&self, high: u64) -> u64 {
        self.world.borrow_mut().rng(self.id).range_u64(0, high)
    }

    /// An id from `valid`, or now and then an invalid one when that class is on. Draws the
    /// same number of values whatever the classes, so they do not shift later draws.
    fn pick(&self, valid: impl Fn(&IdPool) -> &[Id]) -> Id {
        let odds = self.draw(INVALID_ID_ODDS);
        let index = self.draw(1 << 16) as usize;
        let world = self.world.borrow();
        let invalid = &world.ids.invalid;
        if odds == 0 && !invalid.is_empty() {
            return invalid[index % invalid.len()].clone();
        }
        let valid = valid(&world.ids);
        valid[index % valid.len()].clone()
    }

    fn pick_agent(&self) -> Id {
        self.pick(|ids| &ids.agents)
    }

    fn pick_tool(&self) -> Id {
        self.pick(|ids| &ids.tools)
    }

    /// The agent this task recovers first and iterates on in the liveness phase, named by the
    /// task's number in the scenario (it stays the same when earlier tasks are left out).
    fn home_agent(&self) -> Id {
        let world = self.world.borrow();
        let agents = &world.ids.agents;
        agents[world.task_number(self.id) as usize % agents.len()].clone()
    }
}
