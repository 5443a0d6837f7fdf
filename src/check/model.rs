//! The model (oracle): every operation's call, window and outcome, and for every entity the
//! few states it may be in. Each operation is judged when it returns; storage applies a
//! transaction at its commit, which is the last thing an operation does before it returns
//! (nothing else runs in between), so the order in which operations return is the order in
//! which their effects happened.
//!
//! Operations are classified as Jepsen does: `ok` took effect, `failed` did not, `unknown`
//! (a crash, an fsync failure) may or may not have: the model keeps both outcomes as candidate
//! states until a read or a durable check tells them apart.

use super::call::{Answer, Call, Id, Scope};
use super::contract::{argument_errors, ArgumentErrors};
use super::damage::{damage_agent_record, damaged_tool};
use super::durable::{parse_key, StoredKey};
use super::entity::Entity;
use super::entity_map::EntityMap;
use super::finding::Finding;
use super::in_flight::InFlight;
use super::listing::{settle_listing, settle_unreadable_listing, Disagreement, AGENTS, TOOLS};
use super::names::{effect_fits, fault_name, op_name};
use super::notes::{classify, Damage, ErrorClass, OpNotes};
use super::render;
use super::semantics::{apply_agent, apply_tool, predict, predict_tool, Prediction, Window};
use super::settle::{agent_outcome, tool_outcome};
use super::state::{AgentState, ToolState};
use crate::agent::StorageError;
use crate::kv::{FaultType, InjectedFault};

/// How an operation ended, as the model judged it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpOutcome {
    /// Still running.
    InFlight,
    /// Returned successfully: took effect.
    Ok,
    /// Returned an error: took no effect.
    Failed,
    /// May or may not have taken effect.
    Unknown,
}

/// One operation as the model knows it.
#[derive(Clone, Debug)]
pub struct OpRecord {
    /// The call and its arguments.
    pub call: Call,
    /// Workload task that issued it.
    pub task: u32,
    /// Simulated time it started, ms.
    pub start_ms: u64,
    /// Simulated time it returned or was cut short, ms.
    pub end_ms: Option<u64>,
    /// How it ended.
    pub outcome: OpOutcome,
    /// The error kinds the call's arguments alone make right (none: valid arguments).
    arguments: ArgumentErrors,
    notes: OpNotes,
}

/// Everything the checks know about the run so far.
#[derive(Default)]
pub struct Model {
    agents: EntityMap<AgentState>,
    tools: EntityMap<ToolState>,
    ops: Vec<OpRecord>,
    in_flight: InFlight,
    /// The in-flight writes of agent-owned records with valid arguments, and their agent: what
    /// [`Model::observe`] keeps up to date.
    watching: Vec<(u64, Id)>,
    next_order: u64,
    faults_off: bool,
    judgements: u64,
}

impl Model {
    /// An empty model: no agent, no tool.
    pub fn new() -> Self {
        Model::default()
    }

    /// An empty model with room for `ops` operations before its history grows (a grown
    /// history is copied whole).
    pub fn with_capacity(ops: usize) -> Self {
        let model = Model {
            ops: Vec::with_capacity(ops),
            ..Model::default()
        };
        assert!(model.ops.capacity() >= ops, "the room is reserved");
        model
    }

    /// Records the start of `call` by `task` at `now_ms`; returns its op id. A task has at
    /// most one operation in flight.
    pub fn begin(&mut self, task: u32, call: Call, now_ms: u64) -> u64 {
        let id = self.ops.len() as u64;
        let previous = self.in_flight.insert(task, id);
        assert!(
            previous.is_none(),
            "task {task} already has an op in flight"
        );
        let arguments = argument_errors(&call);
        self.ops.push(OpRecord {
            call,
            task,
            start_ms: now_ms,
            end_ms: None,
            outcome: OpOutcome::InFlight,
            arguments,
            notes: OpNotes::default(),
        });
        let call = &self.ops[id as usize].call;
        if let (Scope::Agent(agent), true) = (call.scope(), call.writes()) {
            if arguments.none() {
                let agent: Id = agent.into();
                self.watching.push((id, agent.clone()));
                self.observe(&agent);
            }
        }
        id
    }

    /// Records, for every watched write in flight on agent `id`, what it would do in each of
    /// the entity's candidate states now.
    fn observe(&mut self, id: &str) {
        if !self.watching.iter().any(|(_, agent)| agent.as_ref() == id) {
            return;
        }
        if let Some(entity) = self.agents.get(id) {
            note_predictions(&mut self.ops, &self.watching, id, entity);
        }
    }

    /// Stops watching op `op` (it ended).
    fn unwatch(&mut self, op: u64) {
        self.watching.retain(|(watched, _)| *watched != op);
    }

    /// The op id the next `begin` returns.
    pub fn next_op_id(&self) -> u64 {
        self.ops.len() as u64
    }

    /// The op `task` has in flight, if any.
    pub fn in_flight_of(&self, task: u32) -> Option<u64> {
        self.in_flight.get(task)
    }

    /// Operation `id`.
    pub fn op(&self, id: u64) -> &OpRecord {
        &self.ops[id as usize]
    }

    /// Operations judged so far (each a check).
    pub fn judgements(&self) -> u64 {
        self.judgements
    }

    /// Whether faults are off (the liveness phase): then an operation must succeed unless its
    /// error is the right answer.
    pub fn set_faults_off(&mut self, off: bool) {
        self.faults_off = off;
    }

    /// Records what a fault did to the op `task` has in flight (none: nothing to record).
    ///
    /// Panics when the report contradicts the fault's documented effect (a crash that did not
    /// crash, a failure that changed something): the simulator itself is then broken, and
    /// nothing it runs can be judged.
    pub fn note_fault(&mut self, task: u32, fault: &InjectedFault) {
        assert!(
            effect_fits(fault.fault, &fault.effect),
            "storage reported {} on {} with effect {:?}, which that fault cannot have",
            fault_name(fault.fault),
            op_name(fault.op),
            fault.effect
        );
        if let Some(op) = self.in_flight_of(task) {
            let notes = &mut self.ops[op as usize].notes;
            notes.fault(fault.fault, fault.op, &fault.key, &fault.effect);
        }
    }

    /// Records that a commit of the op `task` has in flight was refused for a conflict.
    pub fn note_conflict(&mut self, task: u32) {
        if let Some(op) = self.in_flight_of(task) {
            self.ops[op as usize].notes.conflicts += 1;
        }
    }

    /// Judges op `op`, which returned `returned` (an error's text is `detail`) at `now_ms`,
    /// and folds its effect into the model. Returns the violations it shows.
    pub fn end(
        &mut self,
        op: u64,
        returned: Result<&Answer, &StorageError>,
        detail: &str,
        now_ms: u64,
    ) -> Vec<Finding> {
        let record = &mut self.ops[op as usize];
        assert_eq!(record.outcome, OpOutcome::InFlight, "op {op} ends once");
        let was_in_flight = self.in_flight.remove(record.task);
        assert_eq!(was_in_flight, Some(op), "op {op} was in flight");
        record.end_ms = Some(now_ms);
        let call = record.call.clone();
        let notes = std::mem::take(&mut record.notes);
        let window = Window {
            start_ms: record.start_ms,
            end_ms: now_ms,
        };
        self.unwatch(op);
        self.judgements += 1;
        let (outcome, findings) = self.judge(op, &call, returned, detail, &notes, window);
        assert_eq!(self.ops[op as usize].outcome, outcome, "judged once");
        findings
    }

    /// Ends op `op` as it returned (`ok` or not) at `now_ms` without judging it or folding its
    /// effect into the model: the benchmark floor, where nothing is checked. A model ended
    /// this way knows the calls and their outcomes, not the entities' states.
    pub fn end_unjudged(&mut self, op: u64, ok: bool, now_ms: u64) {
        let record = &mut self.ops[op as usize];
        assert_eq!(record.outcome, OpOutcome::InFlight, "op {op} ends once");
        let was_in_flight = self.in_flight.remove(record.task);
        assert_eq!(was_in_flight, Some(op), "op {op} was in flight");
        record.end_ms = Some(now_ms);
        record.outcome = if ok { OpOutcome::Ok } else { OpOutcome::Failed };
        self.unwatch(op);
    }

    fn judge(
        &mut self,
        op: u64,
        call: &Call,
        returned: Result<&Answer, &StorageError>,
        detail: &str,
        notes: &OpNotes,
        window: Window,
    ) -> (OpOutcome, Vec<Finding>) {
        let arguments = self.ops[op as usize].arguments;
        if !arguments.none() {
            self.ops[op as usize].outcome = OpOutcome::Failed;
            let admitted = matches!(returned, Err(e) if arguments.admits(e.kind()));
            let findings = match admitted {
                true => Vec::new(),
                false => vec![self.evidence(
                    "error_contract",
                    op,
                    "invalid arguments: expected invalid_argument or limit_exceeded".into(),
                    render::returned(returned),
                )],
            };
            return (OpOutcome::Failed, findings);
        }
        let swallowed = notes.crashed.as_ref().or(notes.not_durable.as_ref());
        let swallowed = swallowed.filter(|fired| fired.fault != FaultType::UnflushedLoss);
        let class = match returned {
            Ok(_) if swallowed.is_some() => {
                let fired = swallowed.expect("checked");
                Some(ErrorClass::Unexplained {
                    invariant: "error_contract",
                    reason: format!(
                        "{} on {} must fail the call, but it succeeded",
                        fault_name(fired.fault),
                        op_name(fired.op)
                    ),
                })
            }
            Ok(_) => None,
            Err(e) if matches!(e.kind(), "invalid_argument" | "limit_exceeded") => {
                Some(ErrorClass::Unexplained {
                    invariant: "error_contract",
                    reason: "the arguments are valid".into(),
                })
            }
            Err(e) => Some(classify(e, detail, notes)),
        };
        let outcome = match &class {
            _ if returned.is_ok() => OpOutcome::Ok,
            None => OpOutcome::Ok,
            Some(ErrorClass::Unknown) => OpOutcome::Unknown,
            Some(_) => OpOutcome::Failed,
        };
        self.ops[op as usize].outcome = outcome;
        let mut findings = Vec::new();
        if let Some(ErrorClass::Unexplained { invariant, reason }) = &class {
            let got = render::returned(returned);
            findings.push(self.evidence(invariant, op, reason.clone(), got));
        } else if self.faults_off
            && matches!(class, Some(ErrorClass::NoEffect | ErrorClass::Unknown))
        {
            let got = render::returned(returned);
            findings.push(self.evidence("liveness", op, "success once faults stopped".into(), got));
        }
        let answer = returned.ok();
        let settled = match call.scope() {
            Scope::Agent(id) => {
                self.settle_agent(op, id, call, answer, class.as_ref(), notes, window)
            }
            Scope::Tool(name) => self.settle_tool(op, name, call, answer, class.as_ref(), notes),
            listing @ (Scope::AllAgents | Scope::AllTools) => {
                self.settle_listing(op, &listing, answer, class.as_ref(), notes)
            }
        };
        findings.extend(settled);
        if outcome == OpOutcome::Ok {
            for damage in &notes.damage {
                if let Damage::Misdirected { landed_at, .. } = damage {
                    self.damage_key(landed_at);
                }
            }
        }
        (outcome, findings)
    }

    fn agent_entity(&mut self, id: &str) -> &mut Entity<AgentState> {
        self.agents.get_or_insert(id)
    }

    fn tool_entity(&mut self, name: &str) -> &mut Entity<ToolState> {
        self.tools.get_or_insert(name)
    }

    #[allow(clippy::too_many_arguments)]
    fn settle_agent(
        &mut self,
        op: u64,
        id: &str,
        call: &Call,
        answer: Option<&Answer>,
        class: Option<&ErrorClass>,
        notes: &OpNotes,
        window: Window,
    ) -> Option<Finding> {
        let order = self.next_order;
        self.next_order += 1;
        let entity = self.agents.get_or_insert(id);
        entity.history.push(op);
        let (mut candidates, mut next) = entity.take_candidates();
        let count = candidates.len();
        next.reserve(count);
        let mut refused = Vec::new();
        let mut mismatch = None;
        for candidate in candidates.drain(..) {
            let outcome = agent_outcome(
                call, candidate, answer, class, notes, window, order, &mut next,
            );
            if let Err((found, candidate)) = outcome {
                mismatch.get_or_insert(found);
                refused.push(candidate);
            }
        }
        let widened = next.len() > count;
        entity.recycle(candidates);
        if next.is_empty() {
            entity.replace(refused);
            let mismatch = mismatch.expect("no candidate left means a mismatch");
            let expected = format!("{} ({count} candidate states)", mismatch.expected);
            return Some(self.evidence(mismatch.invariant, op, expected, mismatch.got));
        }
        entity.replace(next);
        let changed = call.writes() && class.is_none_or(|c| *c == ErrorClass::Unknown);
        if changed {
            entity.dirty = true;
        }
        if widened {
            entity.uncertain.push(op);
        }
        if changed {
            note_predictions(&mut self.ops, &self.watching, id, entity);
        }
        None
    }

    fn settle_tool(
        &mut self,
        op: u64,
        name: &str,
        call: &Call,
        answer: Option<&Answer>,
        class: Option<&ErrorClass>,
        notes: &OpNotes,
    ) -> Option<Finding> {
        let entity = self.tool_entity(name);
        entity.history.push(op);
        let mut next = Vec::new();
        let mut mismatch = None;
        for candidate in entity.candidates() {
            match tool_outcome(call, candidate, answer, class, notes) {
                Ok(states) => next.extend(states),
                Err(found) => {
                    mismatch.get_or_insert(found);
                }
            }
        }
        let widened = next.len() > entity.candidates().len();
        if !entity.replace(next) {
            let mismatch = mismatch.expect("no candidate left means a mismatch");
            return Some(self.evidence(mismatch.invariant, op, mismatch.expected, mismatch.got));
        }
        let entity = self.tools.get_mut(name).expect("settled entity");
        if call.writes() && class.is_none_or(|c| *c == ErrorClass::Unknown) {
            entity.dirty = true;
        }
        if widened {
            entity.uncertain.push(op);
        }
        None
    }

    /// Judges a listing of every agent or every tool (`scope`) against the model.
    fn settle_listing(
        &mut self,
        op: u64,
        scope: &Scope,
        answer: Option<&Answer>,
        class: Option<&ErrorClass>,
        notes: &OpNotes,
    ) -> Option<Finding> {
        let disagreement = match (scope, answer, class) {
            (_, Some(Answer::Agents(list)), _) => settle_listing(&mut self.agents, list, &AGENTS),
            (_, Some(Answer::Tools(list)), _) => settle_listing(&mut self.tools, list, &TOOLS),
            (Scope::AllAgents, None, Some(ErrorClass::Unreadable)) => {
                settle_unreadable_listing(&self.agents, &AGENTS, notes)
            }
            (Scope::AllTools, None, Some(ErrorClass::Unreadable)) => {
                settle_unreadable_listing(&self.tools, &TOOLS, notes)
            }
            (_, None, Some(ErrorClass::NotFound(kind))) => Some(Disagreement {
                invariant: "error_contract",
                expected: "a listing finds nothing missing".into(),
                got: format!("not_found ({kind})"),
            }),
            _ => None,
        };
        disagreement.map(|d| self.evidence(d.invariant, op, d.expected, d.got))
    }

    /// A fault left garbage under `key`: the record there becomes damaged in every candidate.
    fn damage_key(&mut self, key: &[u8]) {
        match parse_key(key) {
            Some(StoredKey::Tool(name)) => self.tool_entity(name).for_each(|c| *c = damaged_tool()),
            Some(parsed) => {
                let owner = match parsed {
                    StoredKey::Agent(id) => id,
                    other => other.owner().expect("a child key has an owner"),
                };
                self.agent_entity(owner)
                    .for_each(|c| damage_agent_record(c, &parsed));
                self.observe(owner);
            }
            None => {}
        }
    }

    /// The process died at `now_ms`: every op in flight may or may not have taken effect.
    /// Returns their op ids, ascending.
    pub fn crash(&mut self, now_ms: u64) -> Vec<u64> {
        let ended = self.in_flight.take_all();
        self.watching.clear();
        for op in &ended {
            let record = &mut self.ops[*op as usize];
            record.outcome = OpOutcome::Unknown;
            record.end_ms = Some(now_ms);
            let call = record.call.clone();
            let window = Window {
                start_ms: record.start_ms,
                end_ms: now_ms,
            };
            if call.writes() && record.arguments.none() {
                self.widen(*op, &call, window);
            }
        }
        assert!(self.in_flight.is_empty());
        ended
    }

    /// Adds, for every candidate of `call`'s entity where it would succeed, the state it
    /// leaves: its outcome is unknown.
    fn widen(&mut self, op: u64, call: &Call, window: Window) {
        let order = self.next_order;
        self.next_order += 1;
        match call.scope() {
            Scope::Agent(id) => {
                let entity = self.agent_entity(id);
                let mut next = entity.candidates().to_vec();
                for candidate in entity.candidates() {
                    if predict(call, candidate) == Prediction::Succeeds {
                        next.push(apply_agent(call, candidate.clone(), None, window, order));
                    }
                }
                entity.replace(next);
                entity.uncertain.push(op);
                entity.history.push(op);
                entity.dirty = true;
                let id: Id = id.into();
                self.observe(&id);
            }
            Scope::Tool(name) => {
                let entity = self.tool_entity(name);
                let mut next = entity.candidates().to_vec();
                for candidate in entity.candidates() {
                    if predict_tool(call, candidate) == Prediction::Succeeds {
                        next.push(apply_tool(call, candidate));
                    }
                }
                entity.replace(next);
                entity.uncertain.push(op);
                entity.history.push(op);
                entity.dirty = true;
            }
            Scope::AllAgents | Scope::AllTools => panic!("listings do not write"),
        }
    }

    /// A finding of `invariant` about op `op`: what the model admitted and what came back,
    /// with the recent history of the op's entity.
    pub fn evidence(
        &self,
        invariant: &'static str,
        op: u64,
        expected: String,
        got: String,
    ) -> Finding {
        let record = self.op(op);
        let history = match record.call.scope() {
            Scope::Agent(id) => self.agents.get(id).map(|e| self.history(e.recent(8))),
            Scope::Tool(name) => self.tools.get(name).map(|e| self.history(e.recent(8))),
            _ => None,
        };
        let history = history.map_or(String::new(), |h| format!("; history: {h}"));
        Finding::new(
            invariant,
            format!(
                "{}: expected {expected}, got {got}{history}",
                self.describe(op)
            ),
        )
    }

    /// Renders the given ops for evidence.
    pub fn history(&self, ops: &[u64]) -> String {
        let lines: Vec<String> = ops.iter().map(|op| self.describe(*op)).collect();
        lines.join("; ")
    }

    /// One op for evidence: `op#ID name(args) task=T [start,end ms] outcome`.
    pub fn describe(&self, op: u64) -> String {
        let record = self.op(op);
        let end = record
            .end_ms
            .map_or("open".to_string(), |ms| ms.to_string());
        let outcome = match record.outcome {
            OpOutcome::InFlight => "in-flight",
            OpOutcome::Ok => "ok",
            OpOutcome::Failed => "failed",
            OpOutcome::Unknown => "unknown",
        };
        format!(
            "op#{op} {}({}) task={} [{},{end} ms] {outcome}",
            record.call.name(),
            render::call_args(&record.call),
            record.task,
            record.start_ms
        )
    }

    /// The agent entities, by id.
    pub(crate) fn agents(&self) -> &EntityMap<AgentState> {
        &self.agents
    }

    /// The tool entities, by name.
    pub(crate) fn tools(&self) -> &EntityMap<ToolState> {
        &self.tools
    }

    /// The agent entities, by id, to change.
    pub(crate) fn agents_mut(&mut self) -> &mut EntityMap<AgentState> {
        &mut self.agents
    }

    /// The tool entities, by name, to change.
    pub(crate) fn tools_mut(&mut self) -> &mut EntityMap<ToolState> {
        &mut self.tools
    }

    /// `count` fresh, consecutive positions for messages that enter the model from the
    /// durable state; returns the first.
    pub(crate) fn take_orders(&mut self, count: u64) -> u64 {
        let first = self.next_order;
        self.next_order += count.max(1);
        first
    }
}

/// Records, for every op in `watching` on agent `id` (a write in flight), what it would do in
/// each candidate state of `entity`, the agent's entity: the predictions its outcome is later
/// judged against.
fn note_predictions(
    ops: &mut [OpRecord],
    watching: &[(u64, Id)],
    id: &str,
    entity: &Entity<AgentState>,
) {
    assert!(!entity.candidates().is_empty(), "an entity has a candidate");
    for (op, agent) in watching {
        if agent.as_ref() != id {
            continue;
        }
        let record = &mut ops[*op as usize];
        for candidate in entity.candidates() {
            record.notes.seen.insert(predict(&record.call, candidate));
        }
    }
}
