//! Differential runs: one seed's workload with faults off, on the same executor and schedule,
//! against `SimStorage` and against redb (a file in a temporary directory), compared.
//!
//! Both runs are fully judged. They are compared event by event (every operation's start and
//! result, with its error text, every check), every successful operation's answer, and the
//! final durable state, key by key. Any difference is a bug in one of the two stores.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use crate::agent::keys::SERVER_ACTOR;
use crate::agent::StorageError;
use crate::check::Answer;
use crate::kv::{ActorId, CommitMode, Key, RedbStorage, SimStorage, Value};
use crate::trace::{Event, EventKind, NullSink};
use crate::workload::Probe;

use super::backend::Backend;
use super::seed::run_custom;
use super::{RunConfig, RunReport};

/// Most characters of an answer shown in a difference.
const ANSWER_SHOWN_MAX: usize = 600;

/// Where the two runs first part, and what each store answered there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Difference {
    /// What differs: the operation (`op#ID name args, task T`), the event, or the final key.
    pub at: String,
    /// What the run on `SimStorage` saw.
    pub sim: String,
    /// What the run on redb saw.
    pub redb: String,
}

/// The outcome of one seed's differential run.
#[derive(Clone, Debug)]
pub struct BackendDiff {
    /// The report of the run on `SimStorage`.
    pub sim: RunReport,
    /// The report of the run on redb.
    pub redb: RunReport,
    /// Operations compared (results and answers).
    pub ops_compared: u64,
    /// The first difference, if any.
    pub difference: Option<Difference>,
}

/// What a probe saw of one run.
#[derive(Default)]
struct Recording {
    events: Vec<Event>,
    answers: BTreeMap<u64, Answer>,
}

struct Recorder(Rc<RefCell<Recording>>);

impl Probe for Recorder {
    fn event(&mut self, event: &Event) {
        self.0.borrow_mut().events.push(event.clone());
    }

    fn answer(&mut self, op_id: u64, result: &Result<Answer, StorageError>) {
        if let Ok(answer) = result {
            self.0.borrow_mut().answers.insert(op_id, answer.clone());
        }
    }
}

/// `config` with every fault off: no rules, no crashes, no latency.
pub fn faults_off(config: &RunConfig) -> RunConfig {
    let mut config = config.clone();
    let scenario = &mut config.scenario;
    scenario.faults.clear();
    scenario.crash.per_commit = 0.0;
    scenario.crash.per_write = 0.0;
    scenario.crash.crashes_max = 0;
    scenario.latency.probability = 0.0;
    config
}

/// Runs `config` on `B` (built by `make`), recording events and answers; returns the report,
/// the recording and the final durable entries of the server actor.
fn record<B: Backend>(
    config: &RunConfig,
    make: Box<super::seed::MakeStore<B>>,
) -> (RunReport, Recording, Vec<(Key, Value)>) {
    let recording = Rc::new(RefCell::new(Recording::default()));
    let probe = Recorder(Rc::clone(&recording));
    let (report, storage) = run_custom(config, &mut NullSink, make, |_, world, _| {
        world.set_probe(Box::new(probe));
    });
    let actor = ActorId::new(SERVER_ACTOR.0, SERVER_ACTOR.1).expect("the server actor id is valid");
    let entries = storage.durable_entries(&actor);
    drop(storage);
    let recording = std::mem::take(&mut *recording.borrow_mut());
    (report, recording, entries)
}

/// Runs `config`'s seed with faults off on `SimStorage` and on redb and compares them.
pub fn diff_backends(config: &RunConfig) -> BackendDiff {
    let config = faults_off(config);
    let (sim, sim_seen, sim_final) = record::<SimStorage>(&config, Box::new(SimStorage::create));
    let make_redb = |root: &_, clock, rules, crashes_max, kill_switch, _bugs| {
        let storage = RedbStorage::temporary(CommitMode::Buffered, root, clock, rules, kill_switch)
            .unwrap_or_else(|e| panic!("redb: {e}"));
        storage.limit_crashes(crashes_max);
        storage
    };
    let (redb, redb_seen, redb_final) = record::<RedbStorage>(&config, Box::new(make_redb));
    let ops_compared = sim_seen
        .events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::OpResult { .. }))
        .count() as u64;
    let difference = first_difference(&sim_seen, &redb_seen)
        .or_else(|| final_difference(&sim_final, &redb_final));
    BackendDiff {
        sim,
        redb,
        ops_compared,
        difference,
    }
}

fn shown(text: &str) -> String {
    if text.chars().count() <= ANSWER_SHOWN_MAX {
        return text.to_string();
    }
    let kept: String = text.chars().take(ANSWER_SHOWN_MAX).collect();
    format!("{kept}... ({} chars)", text.chars().count())
}

/// The first event (or answer of an operation) where the recordings differ.
fn first_difference(sim: &Recording, redb: &Recording) -> Option<Difference> {
    let mut started: BTreeMap<u64, String> = BTreeMap::new();
    let describe = |event: Option<&Event>| match event {
        Some(event) => shown(&format!("{:?}", event.kind)),
        None => "(no event: the run ended)".to_string(),
    };
    for index in 0..sim.events.len().max(redb.events.len()) {
        let (a, b) = (sim.events.get(index), redb.events.get(index));
        if let Some(Event {
            kind: EventKind::OpStart { op_id, op, args },
            task,
            ..
        }) = a
        {
            let task = task.map_or("none".to_string(), |t| t.to_string());
            started.insert(*op_id, format!("op#{op_id} {op} {args} (task {task})"));
        }
        let at = |what: &str| match a {
            Some(Event {
                kind: EventKind::OpResult { op_id, .. },
                ..
            }) => match started.get(op_id) {
                Some(op) => format!("{what} of {op}"),
                None => format!("{what} of op#{op_id}"),
            },
            _ => format!("event {index}"),
        };
        if a != b {
            return Some(Difference {
                at: at("the result"),
                sim: describe(a),
                redb: describe(b),
            });
        }
        if let Some(Event {
            kind: EventKind::OpResult { op_id, .. },
            ..
        }) = a
        {
            let (x, y) = (sim.answers.get(op_id), redb.answers.get(op_id));
            if x != y {
                let answer = |x: Option<&Answer>| {
                    x.map_or("(no answer)".to_string(), |a| shown(&format!("{a:?}")))
                };
                return Some(Difference {
                    at: at("the answer"),
                    sim: answer(x),
                    redb: answer(y),
                });
            }
        }
    }
    None
}

/// The first key whose final durable value differs.
fn final_difference(sim: &[(Key, Value)], redb: &[(Key, Value)]) -> Option<Difference> {
    let a: BTreeMap<&Key, &Value> = sim.iter().map(|(k, v)| (k, v)).collect();
    let b: BTreeMap<&Key, &Value> = redb.iter().map(|(k, v)| (k, v)).collect();
    let keys: std::collections::BTreeSet<&Key> = a.keys().chain(b.keys()).copied().collect();
    let value = |v: Option<&&Value>| {
        v.map_or("(absent)".to_string(), |v| {
            shown(&String::from_utf8_lossy(v))
        })
    };
    keys.into_iter()
        .find(|key| a.get(key) != b.get(key))
        .map(|key| Difference {
            at: format!("the final state of key '{}'", String::from_utf8_lossy(key)),
            sim: value(a.get(key)),
            redb: value(b.get(key)),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(index: u64, kind: EventKind) -> Event {
        Event {
            index,
            time_ms: 0,
            task: Some(1),
            kind,
        }
    }

    #[test]
    fn the_first_differing_result_or_answer_is_named_with_its_operation() {
        let start = event(
            0,
            EventKind::OpStart {
                op_id: 7,
                op: "load_agent".into(),
                args: "agent-1".to_string(),
            },
        );
        let result = |detail: &str| {
            event(
                1,
                EventKind::OpResult {
                    op_id: 7,
                    outcome: crate::trace::Outcome::Ok,
                    detail: detail.to_string(),
                },
            )
        };
        let mut sim = Recording {
            events: vec![start.clone(), result("")],
            ..Recording::default()
        };
        sim.answers.insert(7, Answer::Agent(None));
        let mut redb = Recording {
            events: vec![start.clone(), result("")],
            ..Recording::default()
        };
        redb.answers.insert(7, Answer::Agent(None));
        assert_eq!(first_difference(&sim, &redb), None);
        redb.answers.insert(7, Answer::Count(1));
        let found = first_difference(&sim, &redb).unwrap();
        assert_eq!(found.at, "the answer of op#7 load_agent agent-1 (task 1)");
        assert_eq!(
            (found.sim.as_str(), found.redb.as_str()),
            ("Agent(None)", "Count(1)")
        );
        redb.events[1] = result("boom");
        let found = first_difference(&sim, &redb).unwrap();
        assert_eq!(found.at, "the result of op#7 load_agent agent-1 (task 1)");
        redb.events.pop();
        assert_eq!(
            first_difference(&sim, &redb).unwrap().redb,
            "(no event: the run ended)"
        );
    }

    #[test]
    fn a_final_state_difference_names_the_key() {
        let entry = |k: &str, v: &str| (Key::from(k.as_bytes()), Value::from(v.as_bytes()));
        let sim = vec![entry("a", "1"), entry("b", "2")];
        assert_eq!(final_difference(&sim, &sim.clone()), None);
        let found = final_difference(&sim, &[entry("a", "1")]).unwrap();
        assert_eq!(found.at, "the final state of key 'b'");
        assert_eq!((found.sim.as_str(), found.redb.as_str()), ("2", "(absent)"));
    }
}
