//! One seed's run: a pure function of (seed, scenario, bugs).
//!
//! Safety phase: tasks drive the workload under faults; a crash fault ends the process, every
//! task is dropped, storage keeps what was durable, the durable state is checked, and a fresh
//! process (new adapter, new tasks that recover their sessions) goes on. Liveness phase:
//! faults stop, one last crash and recovery, and every task must finish within the budget.
//! Final: the durable state is checked once more.

use std::cell::RefCell;
use std::rc::Rc;

use crate::agent::keys::SERVER_ACTOR;
use crate::agent::KvAdapter;
use crate::bugs::BugSet;
use crate::check::durable::{check_durable, DurableMirror, Scope};
use crate::kv::{ActorId, FaultConfig, KvEvent, MemoryKV, RedbStorage, SimStorage};
use crate::sim::{
    DeterministicRng, Executor, ExecutorError, ExecutorLimits, KillSwitch, RunOutcome, SimClock,
};
use crate::trace::{EventKind, EventSink, Phase};
use crate::workload::{
    choose_swarm, Decisions, IdPool, OpKind, SharedWorld, StoreKind, Task, World,
};

use super::backend::Backend;
use super::fault_ledger::FaultLedger;
use super::steering::{self, FaultLog};
use super::tagged::{BoxedTask, Tagged};
use super::{RunConfig, RunReport, SwarmOptions, Verdict};

/// Tool names a run uses.
const TOOLS: usize = 6;

/// How much of the harness a run engages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Harness {
    /// Faults, crashes, the model's judgement of every call, durable checks and the trace.
    Full,
    /// The workload alone (the same tasks, operation mix and scheduler), with faults, checks and
    /// the trace off: what the storage calls cost by themselves.
    Floor,
}

struct Run<B: Backend> {
    harness: Harness,
    tasks: u32,
    /// The faults seen fire, when the run is recorded.
    fault_log: Option<FaultLog>,
    ledger: Rc<RefCell<FaultLedger>>,
    actor: ActorId,
    world: SharedWorld,
    storage: B,
    mirror: DurableMirror,
    executor: Executor,
    kill_switch: KillSwitch,
    config: RunConfig,
    crashes: u32,
}

/// Runs one seed, passing every event to `sink`, and reports. Deterministic: the same config
/// gives the same events, report and trace hash on every machine and build.
pub fn run_seed(config: &RunConfig, sink: &mut dyn EventSink) -> RunReport {
    run_with(config, sink, Harness::Full, None)
}

/// Runs one seed like [`run_seed`] and also returns its decisions: a config with them as its
/// `decisions` replays the same run, event for event.
pub fn run_recorded(config: &RunConfig, sink: &mut dyn EventSink) -> (RunReport, Decisions) {
    let mut decisions = None;
    let report = run_with(config, sink, Harness::Full, Some(&mut decisions));
    (
        report,
        decisions.expect("a recorded run returns its decisions"),
    )
}

/// Runs one seed's workload alone, for benchmarks: the same tasks, operation mix, identifiers
/// and scheduler as [`run_seed`], with no fault, no crash but the one before the liveness
/// phase, no judgement, no durable check and no trace. The report counts the storage calls;
/// it has no events, no checks and no violations, so it is never evidence that a seed passes.
pub fn run_floor(config: &RunConfig) -> RunReport {
    let mut sink = crate::trace::NullSink;
    let report = run_with(config, &mut sink, Harness::Floor, None);
    assert_eq!(report.events, 0, "the floor records no event");
    assert_eq!(report.checks, 0, "the floor checks nothing");
    report
}

/// Where a recorded run leaves its decisions (`None`: the run is not recorded).
type Recording<'a> = Option<&'a mut Option<Decisions>>;

fn run_with(
    config: &RunConfig,
    sink: &mut dyn EventSink,
    harness: Harness,
    recording: Recording,
) -> RunReport {
    config
        .scenario
        .validate()
        .expect("a run gets a validated scenario");
    match config.scenario.store {
        StoreKind::Sim => run_on::<SimStorage>(config, sink, harness, recording),
        StoreKind::Memory => run_on::<MemoryKV>(config, sink, harness, recording),
        StoreKind::Redb => run_on::<RedbStorage>(config, sink, harness, recording),
    }
}

fn run_on<B: Backend>(
    config: &RunConfig,
    sink: &mut dyn EventSink,
    harness: Harness,
    recording: Recording,
) -> RunReport {
    let record = recording.is_some();
    let (run, swarm) = Run::<B>::new(config.clone(), harness, record, Box::new(B::create));
    let (report, _, decisions) = run.run_all(sink, swarm);
    if let Some(slot) = recording {
        *slot = decisions;
    }
    report
}

/// Makes a run's store from what [`Backend::create`] gets: the seed's stream, the clock, the
/// fault rules, the crash budget, the kill switch and the planted bugs.
pub(crate) type MakeStore<B> =
    dyn FnOnce(&DeterministicRng, SimClock, Vec<FaultConfig>, u64, KillSwitch, BugSet) -> B;

/// Runs one seed, fully judged, on the store `make` builds instead of `B::create`'s; `setup`
/// sees the store, the world and the kill switch before any task runs (to watch the run, or to
/// stop it). Returns the report (not judged by the scenario's expectation) and the store, as
/// the run left it.
pub(crate) fn run_custom<B: Backend>(
    config: &RunConfig,
    sink: &mut dyn EventSink,
    make: Box<MakeStore<B>>,
    setup: impl FnOnce(&B, &mut World, &KillSwitch),
) -> (RunReport, B) {
    config
        .scenario
        .validate()
        .expect("a run gets a validated scenario");
    let (run, swarm) = Run::<B>::new(config.clone(), Harness::Full, false, make);
    setup(&run.storage, &mut run.world.borrow_mut(), &run.kill_switch);
    let (report, storage, _) = run.run_all(sink, swarm);
    (report, storage)
}

impl<B: Backend> Run<B> {
    /// The safety phase, the liveness phase and the final check; the report, the store, and
    /// the decisions when the run was recorded.
    fn run_all(
        mut self,
        sink: &mut dyn EventSink,
        swarm: SwarmOptions,
    ) -> (RunReport, B, Option<Decisions>) {
        if !sink.wants_events() {
            self.world.borrow_mut().discard_events();
        }
        self.safety(sink);
        self.liveness(sink);
        self.check_state("final", Scope::Everything);
        self.flush(sink);
        let decisions = self.fault_log.is_some().then(|| self.decisions(&swarm));
        let storage = self.storage.clone();
        (self.report(swarm), storage, decisions)
    }

    fn new(
        config: RunConfig,
        harness: Harness,
        record: bool,
        make: Box<MakeStore<B>>,
    ) -> (Run<B>, SwarmOptions) {
        assert!(
            !(record && config.decisions.is_some()),
            "a scripted run is not recorded again"
        );
        let root = DeterministicRng::new(config.seed);
        let scenario = &config.scenario;
        let (mut swarm, mut rules) = choose_swarm(scenario, root.fork("swarm"));
        let script = config.decisions.as_ref();
        let task_numbers = script.map_or_else(|| (0..scenario.tasks).collect(), Decisions::numbers);
        let tasks = u32::try_from(task_numbers.len()).expect("tasks fit a u32");
        let agents = script.map_or(scenario.agents, |d| d.agents);
        if let Some(decisions) = script {
            swarm.ids = decisions.ids;
        }
        let mut crashes_max = scenario.crash.crashes_max;
        if harness == Harness::Floor {
            rules.clear();
            crashes_max = 0;
        }
        let weights: Vec<u64> = OpKind::ALL.iter().map(|k| swarm.op_weights[k]).collect();
        let clock = SimClock::new();
        let kill_switch = KillSwitch::new();
        let ledger = Rc::new(RefCell::new(FaultLedger::new(rules.clone(), crashes_max)));
        let observer_ledger = ledger.clone();
        let storage = make(
            &root,
            clock.clone(),
            rules,
            crashes_max,
            kill_switch.clone(),
            config.bugs,
        );
        let ids = IdPool::new(agents as usize, TOOLS, swarm.ids);
        let world = World::new(
            clock.clone(),
            &root.fork("workload"),
            task_numbers,
            ids,
            scenario.operations,
            weights,
        );
        let world = Rc::new(RefCell::new(world));
        if harness == Harness::Floor {
            world.borrow_mut().stop_judging();
        }
        let observer_world = world.clone();
        storage.observe(Rc::new(move |event: &KvEvent| {
            if let KvEvent::Fault { fault, operation } = event {
                observer_ledger.borrow_mut().record(fault, *operation);
            }
            observer_world.borrow_mut().on_storage_event(event)
        }));
        let limits = ExecutorLimits {
            steps_max: scenario.steps_max,
            time_ms_max: scenario.time_ms_max,
        };
        let mut executor =
            Executor::new(root.fork("scheduler"), clock, kill_switch.clone(), limits);
        let mut fault_log = None;
        if let Some(decisions) = script {
            world.borrow_mut().script_actions(decisions.actions.clone());
            executor.script_picks(decisions.picks.clone());
            storage.decide_faults(steering::scripted(world.clone(), &decisions.faults));
        } else if record {
            world.borrow_mut().record_actions();
            executor.record_picks();
            let log = FaultLog::default();
            storage.decide_faults(steering::recording(world.clone(), log.clone()));
            fault_log = Some(log);
        }
        let actor =
            ActorId::new(SERVER_ACTOR.0, SERVER_ACTOR.1).expect("the server actor id is valid");
        let run = Run {
            harness,
            tasks,
            fault_log,
            ledger,
            actor,
            world,
            storage,
            mirror: DurableMirror::new(),
            executor,
            kill_switch,
            config,
            crashes: 0,
        };
        (run, swarm)
    }

    fn emit(&self, kind: EventKind) {
        self.world.borrow_mut().emit(None, kind);
    }

    /// Hands kept events to the sink (the world hashed each as it was emitted).
    fn flush(&mut self, sink: &mut dyn EventSink) {
        let mut world = self.world.borrow_mut();
        for event in world.events.drain(..) {
            sink.record(&event);
        }
        assert!(world.events.is_empty(), "every event is flushed");
    }

    fn spawn_tasks(&mut self, liveness: bool) {
        let adapter = KvAdapter::new(self.storage.clone(), self.executor.clock().clone())
            .with_bugs(self.config.bugs);
        let store = Rc::new(adapter);
        for id in 0..self.tasks {
            let task = Task::new(id, self.world.clone(), store.clone());
            let current = self.world.borrow().current_task.clone();
            let inner: BoxedTask = if liveness {
                Box::pin(task.run_liveness())
            } else {
                Box::pin(task.run())
            };
            self.executor.spawn(Tagged {
                task: id,
                current,
                inner,
            });
        }
    }

    /// Runs the executor until the tasks finish, and returns whether they did. In the safety
    /// phase every crash restarts the process with fresh tasks; in the liveness phase faults
    /// are off, so a crash is itself a liveness violation.
    fn drive(&mut self, sink: &mut dyn EventSink, phase: Phase) -> bool {
        assert!(phase != Phase::Final, "the final phase runs no tasks");
        loop {
            let outcome = self.executor.run();
            self.world.borrow().current_task.set(None);
            match outcome {
                Ok(RunOutcome::Completed) => return true,
                Ok(RunOutcome::Halted) if phase == Phase::Safety => {
                    self.crash_and_restart();
                    self.flush(sink);
                    self.spawn_tasks(false);
                }
                Ok(RunOutcome::Halted) => {
                    let evidence = format!(
                        "the process crashed with faults off (seed {})",
                        self.config.seed
                    );
                    self.world.borrow_mut().violation("liveness", evidence);
                    self.crash_and_restart();
                    return false;
                }
                Err(error) => {
                    self.harness_failure(&error);
                    return false;
                }
            }
        }
    }

    fn harness_failure(&mut self, error: &ExecutorError) {
        let invariant = match error {
            ExecutorError::TaskPanicked { .. } => "panic",
            ExecutorError::Deadlock { .. } => "deadlock",
            _ => "liveness",
        };
        let evidence = format!("{error} (seed {})", self.config.seed);
        self.world.borrow_mut().violation(invariant, evidence);
        self.world.borrow_mut().crash();
        self.executor.drop_all_tasks();
    }

    /// The process dies: in-flight ops become indeterminate, tasks are dropped, storage keeps
    /// only what was durable; then the durable state is checked.
    fn crash_and_restart(&mut self) {
        self.crashes += 1;
        let in_flight_ops = self.world.borrow_mut().crash();
        self.emit(EventKind::Crash {
            crash: self.crashes,
            in_flight_ops,
        });
        self.executor.drop_all_tasks();
        self.storage.restart();
        self.kill_switch.reset();
        let durable_keys = self.storage.durable_len(&self.actor) as u64;
        self.emit(EventKind::Restart {
            crash: self.crashes,
            durable_keys,
        });
        self.check_state(&format!("recovery {}", self.crashes), Scope::Changed);
    }

    /// Checks the durable state against the model: what changed since the last check, or
    /// everything (then also that storage reported every durable change).
    fn check_state(&mut self, at: &str, scope: Scope) {
        if self.harness == Harness::Floor {
            self.storage.take_durable_changes(&self.actor);
            return;
        }
        self.mirror
            .apply(self.storage.take_durable_changes(&self.actor));
        let mut world = self.world.borrow_mut();
        let (mut findings, checks) = check_durable(&mut world.model, &mut self.mirror, scope);
        if scope == Scope::Everything {
            let entries = self.storage.durable_entries(&self.actor);
            let counted = self.storage.durable_len(&self.actor);
            assert_eq!(counted, entries.len(), "the store counts what it holds");
            if let Some(key) = self.mirror.unreported_change(&entries) {
                findings.push(crate::check::Finding::new(
                    "no_phantoms",
                    format!(
                        "durable key '{}' changed without storage reporting it",
                        String::from_utf8_lossy(&key)
                    ),
                ));
            }
        }
        world.record_findings(findings, checks, at);
    }

    fn safety(&mut self, sink: &mut dyn EventSink) {
        self.emit(EventKind::Phase {
            phase: Phase::Safety,
        });
        self.spawn_tasks(false);
        self.drive(sink, Phase::Safety);
        self.flush(sink);
        let crashes_max = self.config.scenario.crash.crashes_max;
        assert!(
            u64::from(self.crashes) <= crashes_max,
            "{} crashes in the safety phase, over crash.crashes_max {crashes_max}",
            self.crashes
        );
    }

    fn liveness(&mut self, sink: &mut dyn EventSink) {
        self.emit(EventKind::Phase {
            phase: Phase::Liveness,
        });
        self.storage.stop_faults();
        self.world.borrow_mut().model.set_faults_off(true);
        self.crash_and_restart();
        self.spawn_tasks(true);
        self.drive(sink, Phase::Liveness);
        self.emit(EventKind::Phase {
            phase: Phase::Final,
        });
        self.flush(sink);
    }

    /// The decisions a recorded run took (its id classes and counts, as `swarm` chose them).
    fn decisions(&mut self, swarm: &SwarmOptions) -> Decisions {
        let log = self.fault_log.take().expect("the run was recorded");
        let faults = std::mem::take(&mut *log.borrow_mut());
        Decisions {
            tasks: self.tasks,
            task_numbers: Vec::new(),
            agents: self.config.scenario.agents,
            ids: swarm.ids,
            actions: self.world.borrow_mut().take_recorded_actions(),
            faults,
            picks: self.executor.take_recorded_picks(),
        }
    }

    fn report(self, swarm: SwarmOptions) -> RunReport {
        let world = self.world.borrow();
        assert!(world.events.is_empty(), "every event was flushed");
        let (trace_hash, events) = world.trace_hash();
        let counts = self.storage.fault_counts();
        self.ledger.borrow().assert_counts(&counts);
        let faults = counts
            .into_iter()
            .map(|(f, n)| (f.name().to_string(), n))
            .collect();
        RunReport {
            seed: self.config.seed,
            scenario: self.config.scenario.name.clone(),
            verdict: if world.violations.is_empty() {
                Verdict::Pass
            } else {
                Verdict::Fail
            },
            trace_hash,
            events,
            ops: world.calls.outcomes(),
            faults,
            crashes: self.crashes,
            checks: world.checks + world.model.judgements(),
            sim_time_ms: self.executor.clock().now_ms(),
            steps: self.executor.steps(),
            swarm,
            violations: world.violations.clone(),
            violations_total: world.violations_total,
            violated: world.violated.clone(),
            latency_ms: world.calls.latency_ms(),
            coverage: world.coverage.coverage.report(),
        }
    }
}
