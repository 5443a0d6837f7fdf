//! Shared helpers of the `KvAdapter` integration tests: record constructors, adapters over
//! `MemoryKV` and over a faultable `SimStorage`, driving futures on the simulation `Executor`,
//! and raw-key inspection of the `kelpie:server` actor.

use std::future::Future;

use dst::{
    ActorKV, AgentMetadata, Block, BugSet, CustomToolRecord, DeterministicRng, Executor,
    ExecutorError, ExecutorLimits, FaultConfig, KillSwitch, KvAdapter, MemoryKV, Message,
    MessageRole, PendingToolCall, SessionState, SimClock, SimStorage,
};

// ---------------------------------------------------------------------------------------------
// Records

/// An agent with `id`, named after it, created at `created_at_ms`.
pub fn agent(id: &str) -> AgentMetadata {
    AgentMetadata {
        id: id.to_string(),
        name: format!("agent {id}"),
        agent_type: "memgpt_agent".to_string(),
        model: Some("model-x".to_string()),
        embedding: None,
        system: Some("you are a test agent".to_string()),
        description: None,
        tool_ids: vec!["search".to_string()],
        tags: vec!["test".to_string()],
        metadata: serde_json::json!({ "owner": id }),
        created_at_ms: 1,
        updated_at_ms: 1,
    }
}

/// A block labelled `label` holding `value`.
pub fn block(label: &str, value: &str) -> Block {
    Block {
        id: format!("block-{label}").into(),
        label: label.into(),
        value: value.into(),
        description: None,
        limit: Some(4096),
        created_at_ms: 1,
        updated_at_ms: 1,
    }
}

/// A running session `session_id` of `agent_id`, last checkpointed at `checkpointed_at_ms`.
pub fn session(agent_id: &str, session_id: &str, checkpointed_at_ms: u64) -> SessionState {
    SessionState {
        session_id: session_id.into(),
        agent_id: agent_id.into(),
        iteration: 0,
        pause_until_ms: None,
        pending_tool_calls: Vec::new().into(),
        last_tool_result: None,
        stop_reason: None,
        started_at_ms: 0,
        checkpointed_at_ms,
    }
}

/// A pending tool call number `n`.
pub fn pending_call(n: usize) -> PendingToolCall {
    PendingToolCall {
        id: format!("call-{n}"),
        tool_name: "search".to_string(),
        tool_input: serde_json::json!({ "query": n }),
        started_at_ms: 0,
        completed: false,
        result: None,
    }
}

/// A user message `id` of `agent_id` created at `created_at_ms`.
pub fn message(agent_id: &str, id: &str, created_at_ms: u64) -> Message {
    Message {
        id: id.into(),
        agent_id: agent_id.into(),
        message_type: "user_message".into(),
        role: MessageRole::User,
        content: format!("content of {id}").into(),
        tool_call_id: None,
        tool_calls: Vec::new(),
        created_at_ms,
    }
}

/// A custom tool named `name`.
pub fn tool(name: &str) -> CustomToolRecord {
    CustomToolRecord {
        name: name.to_string(),
        description: format!("tool {name}"),
        input_schema: serde_json::json!({ "type": "object" }),
        source_code: "def run(): return 1".to_string(),
        runtime: "python".to_string(),
        requirements: vec!["requests".to_string()],
        created_at_ms: 1,
        updated_at_ms: 1,
    }
}

// ---------------------------------------------------------------------------------------------
// Driving futures

/// Runs `future` to completion on a fresh executor over `clock` and `kill_switch`, scheduling
/// with `seed`.
pub fn block_on_with<T: 'static>(
    seed: u64,
    clock: &SimClock,
    kill_switch: &KillSwitch,
    future: impl Future<Output = T> + 'static,
) -> Result<T, ExecutorError> {
    let rng = DeterministicRng::new(seed).fork("scheduler");
    let mut executor = Executor::new(
        rng,
        clock.clone(),
        kill_switch.clone(),
        ExecutorLimits::default(),
    );
    executor.block_on(future)
}

// ---------------------------------------------------------------------------------------------
// Adapter over MemoryKV

/// An adapter over a fresh `MemoryKV`, with its clock.
pub struct Mem {
    pub adapter: KvAdapter<MemoryKV>,
    pub clock: SimClock,
}

impl Mem {
    pub fn new() -> Mem {
        let clock = SimClock::new();
        Mem {
            adapter: KvAdapter::new(MemoryKV::new(), clock.clone()),
            clock,
        }
    }

    /// Runs `op` with a clone of the adapter to completion and returns its output.
    pub fn run<T: 'static, F: Future<Output = T> + 'static>(
        &self,
        op: impl FnOnce(KvAdapter<MemoryKV>) -> F,
    ) -> T {
        let future = op(self.adapter.clone());
        block_on_with(0, &self.clock, &KillSwitch::new(), future).expect("the run completes")
    }

    /// Every raw key of the server actor, ascending.
    pub fn raw_keys(&self) -> Vec<String> {
        self.run(|adapter| async move { raw_keys_of(&adapter).await })
    }
}

impl Default for Mem {
    fn default() -> Self {
        Mem::new()
    }
}

/// Every raw key of the adapter's actor, as text, ascending.
pub async fn raw_keys_of<K: ActorKV>(adapter: &KvAdapter<K>) -> Vec<String> {
    let keys = adapter
        .kv()
        .list_keys(adapter.actor(), b"")
        .await
        .expect("listing raw keys succeeds");
    keys.into_iter()
        .map(|k| String::from_utf8(k.to_vec()).expect("keys are UTF-8"))
        .collect()
}

/// The raw keys among `keys` that belong to agent `id` (its record included).
pub fn keys_of_agent(keys: &[String], id: &str) -> Vec<String> {
    let exact = [format!("agents/{id}"), format!("blocks/{id}")];
    let prefixes = [format!("messages/{id}/"), format!("sessions/{id}/")];
    keys.iter()
        .filter(|k| exact.contains(k) || prefixes.iter().any(|p| k.starts_with(p.as_str())))
        .cloned()
        .collect()
}

/// The raw keys among `keys` owned by agent `id` (its record excluded): what would be an
/// orphan once the agent is gone.
pub fn children_of_agent(keys: &[String], id: &str) -> Vec<String> {
    let record = format!("agents/{id}");
    keys_of_agent(keys, id)
        .into_iter()
        .filter(|k| *k != record)
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Adapter over SimStorage

/// An adapter over a `SimStorage` with fault rules, inactive until [`Sim::arm`].
pub struct Sim {
    pub storage: SimStorage,
    pub clock: SimClock,
    pub kill_switch: KillSwitch,
    pub adapter: KvAdapter<SimStorage>,
}

impl Sim {
    /// Storage for `seed` with `rules` and storage bugs `storage_bugs`, an adapter with
    /// `adapter_bugs`; faults off until armed.
    pub fn new(
        seed: u64,
        rules: Vec<FaultConfig>,
        storage_bugs: BugSet,
        adapter_bugs: BugSet,
    ) -> Sim {
        let root = DeterministicRng::new(seed);
        let clock = SimClock::new();
        let kill_switch = KillSwitch::new();
        let storage = SimStorage::seeded(
            &root,
            clock.clone(),
            rules,
            kill_switch.clone(),
            storage_bugs,
        );
        storage.set_faults_active(false);
        let adapter = KvAdapter::new(storage.clone(), clock.clone()).with_bugs(adapter_bugs);
        Sim {
            storage,
            clock,
            kill_switch,
            adapter,
        }
    }

    /// Turns the fault rules on.
    pub fn arm(&self) {
        self.storage.set_faults_active(true);
    }

    /// Turns the fault rules off.
    pub fn disarm(&self) {
        self.storage.set_faults_active(false);
    }

    /// Runs `op` with a clone of the adapter on a fresh executor (scheduler seed `seed`).
    pub fn try_run<T: 'static, F: Future<Output = T> + 'static>(
        &self,
        seed: u64,
        op: impl FnOnce(KvAdapter<SimStorage>) -> F,
    ) -> Result<T, ExecutorError> {
        let future = op(self.adapter.clone());
        block_on_with(seed, &self.clock, &self.kill_switch, future)
    }

    /// Like [`Sim::try_run`] with seed 0, expecting the run to complete.
    pub fn run<T: 'static, F: Future<Output = T> + 'static>(
        &self,
        op: impl FnOnce(KvAdapter<SimStorage>) -> F,
    ) -> T {
        self.try_run(0, op).expect("the run completes")
    }

    /// Every raw key of the server actor (faults must be off).
    pub fn raw_keys(&self) -> Vec<String> {
        self.run(|adapter| async move { raw_keys_of(&adapter).await })
    }
}
