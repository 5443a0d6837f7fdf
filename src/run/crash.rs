//! Real crashes: one seed's workload (faults off) written to a redb file by a child process
//! that is killed with SIGKILL, and the judgement of what the file kept.
//!
//! The child ([`run_child`]) runs the seed on redb, every commit fsynced, and writes every
//! event as one JSON line the moment it happens: its acknowledgement log, since an operation's
//! `op_result` line is written only after its commit returned. The parent (the CLI) kills it at
//! a point the seed chooses and keeps the lines it wrote. [`run_cut`] then re-runs the same seed
//! in this process, on a scratch redb file, up to the child's last line (checking that every
//! event equals the child's, so the model holds exactly what the child acknowledged), crashes
//! there, and restarts onto the child's file: the durable check judges checkpoint atomicity, no
//! orphans, no phantoms and acknowledged durability against the model (operations without a
//! result line are in flight: either outcome is admitted), then fresh tasks recover as the
//! agent server does (the latest session of each agent) and run the rest of the workload, the
//! liveness phase and the final check on the recovered file.

use std::cell::RefCell;
use std::io::Write;
use std::path::Path;
use std::rc::Rc;

use crate::agent::StorageError;
use crate::check::Answer;
use crate::kv::{CommitMode, RedbStorage};
use crate::sim::{DeterministicRng, KillSwitch};
use crate::trace::{Event, EventKind, NullSink, Outcome, Phase};
use crate::workload::Probe;

use super::diff::faults_off;
use super::seed::{run_custom, MakeStore};
use super::{RunConfig, RunReport};

/// One event as a line of the child's log (JSON, no newline).
pub fn event_line(event: &Event) -> String {
    serde_json::to_string(event).expect("an event serializes")
}

/// Writes every event to `out` as a line, at once, one write per line.
struct LineLog(Box<dyn Write>);

impl Probe for LineLog {
    fn event(&mut self, event: &Event) {
        let mut line = event_line(event);
        line.push('\n');
        let written = self
            .0
            .write_all(line.as_bytes())
            .and_then(|()| self.0.flush());
        written.unwrap_or_else(|e| panic!("crash child: cannot write its log: {e}"));
    }

    fn answer(&mut self, _op_id: u64, _result: &Result<Answer, StorageError>) {}
}

/// A store on the redb file at `path` committing in `mode`, with the run's fault rules.
fn redb_at(path: &Path, mode: CommitMode) -> Box<MakeStore<RedbStorage>> {
    let path = path.to_path_buf();
    Box::new(move |root, clock, rules, crashes_max, kill_switch, _bugs| {
        let storage = RedbStorage::open(&path, mode, root, clock, rules, kill_switch)
            .unwrap_or_else(|e| panic!("redb: {e}"));
        storage.limit_crashes(crashes_max);
        storage
    })
}

/// The child's side: runs `config`'s seed, faults off, on the redb file at `path` (fsyncing
/// every commit), writing every event to `out` as a JSON line as it happens.
pub fn run_child(config: &RunConfig, path: &Path, out: Box<dyn Write>) -> RunReport {
    let config = faults_off(config);
    let make = redb_at(path, CommitMode::Durable);
    let (report, _) = run_custom(&config, &mut NullSink, make, |_, world, _| {
        world.set_probe(Box::new(LineLog(out)));
    });
    report
}

/// How many events `config`'s seed (faults off) emits before its liveness phase: the range
/// kill points are drawn from.
pub fn safety_events(config: &RunConfig) -> u64 {
    let config = faults_off(config);
    let seen = Rc::new(RefCell::new(None));
    let probe = LivenessAt(Rc::clone(&seen));
    let make = Box::new(|root: &_, clock, rules, _crashes_max, kill_switch, _bugs| {
        RedbStorage::temporary(CommitMode::Buffered, root, clock, rules, kill_switch)
            .unwrap_or_else(|e| panic!("redb: {e}"))
    });
    run_custom(&config, &mut NullSink, make, |_, world, _| {
        world.set_probe(Box::new(probe));
    });
    let liveness_at = *seen.borrow();
    liveness_at.expect("every run has a liveness phase")
}

struct LivenessAt(Rc<RefCell<Option<u64>>>);

impl Probe for LivenessAt {
    fn event(&mut self, event: &Event) {
        if event.kind
            == (EventKind::Phase {
                phase: Phase::Liveness,
            })
        {
            self.0.borrow_mut().get_or_insert(event.index);
        }
    }

    fn answer(&mut self, _op_id: u64, _result: &Result<Answer, StorageError>) {}
}

/// `kills` kill points of `config`'s seed: event counts in `1..=90%` of the safety phase, drawn
/// from the seed's `kills` stream.
pub fn kill_points(config: &RunConfig, kills: u32, safety_events: u64) -> Vec<u64> {
    assert!(safety_events >= 2, "a safety phase has events");
    let mut rng = DeterministicRng::new(config.seed).fork("kills");
    let last = (safety_events * 9 / 10).max(2);
    (0..kills).map(|_| rng.range_u64(1, last)).collect()
}

/// What the parent's re-run made of one killed child.
#[derive(Clone, Debug)]
pub struct CutReport {
    /// The report of the re-run (recovery onto the child's file, the rest of the run).
    pub report: RunReport,
    /// Operations the child acknowledged (an `ok` result line).
    pub acknowledged: u64,
    /// Operations the child had started without a result line: in flight at the kill.
    pub in_flight: u64,
    /// The first line where the re-run did not emit what the child logged, with both.
    pub divergence: Option<String>,
}

/// What the cut saw: the first divergence, and whether the re-run reached the last line.
#[derive(Default)]
struct CutSeen {
    divergence: Option<String>,
    reached: bool,
}

/// Compares the re-run's events with the child's lines, and kills the re-run at the last one.
struct Cut {
    lines: Rc<Vec<String>>,
    kill_switch: KillSwitch,
    seen: Rc<RefCell<CutSeen>>,
}

impl Probe for Cut {
    fn event(&mut self, event: &Event) {
        let index = event.index as usize;
        let Some(logged) = self.lines.get(index) else {
            return;
        };
        let line = event_line(event);
        let mut seen = self.seen.borrow_mut();
        if seen.divergence.is_none() && *logged != line {
            seen.divergence = Some(format!(
                "event {index}: the child logged {logged}, the re-run emitted {line}"
            ));
        }
        if index + 1 == self.lines.len() {
            seen.reached = true;
            self.kill_switch.trigger();
        }
    }

    fn answer(&mut self, _op_id: u64, _result: &Result<Answer, StorageError>) {}
}

/// The parent's side: re-runs `config`'s seed (faults off) up to the last of the child's
/// `lines`, crashes there, restarts onto the child's redb file at `child_db` and runs on.
pub fn run_cut(config: &RunConfig, lines: Vec<String>, child_db: &Path) -> CutReport {
    assert!(!lines.is_empty(), "the child logged its first event");
    let mut config = faults_off(config);
    config.scenario.crash.crashes_max = 1; // the kill: no crash is injected

    let (acknowledged, in_flight) = acknowledgements(&lines);
    let lines = Rc::new(lines);
    let seen = Rc::new(RefCell::new(CutSeen::default()));
    let make = Box::new(|root: &_, clock, rules, _crashes_max, kill_switch, _bugs| {
        RedbStorage::temporary(CommitMode::Buffered, root, clock, rules, kill_switch)
            .unwrap_or_else(|e| panic!("redb: {e}"))
    });
    let (report, storage) = run_custom(&config, &mut NullSink, make, |storage, world, kill| {
        storage.adopt_on_restart(child_db);
        world.set_probe(Box::new(Cut {
            lines: Rc::clone(&lines),
            kill_switch: kill.clone(),
            seen: Rc::clone(&seen),
        }));
    });
    drop(storage);
    let seen = std::mem::take(&mut *seen.borrow_mut());
    let mut divergence = seen.divergence;
    if !seen.reached && divergence.is_none() {
        divergence = Some(format!(
            "the re-run never reached the child's last line ({} lines)",
            lines.len()
        ));
    }
    CutReport {
        report,
        acknowledged,
        in_flight,
        divergence,
    }
}

/// Whether a child's log reaches the liveness phase: a kill that late is not judged by
/// [`run_cut`], whose crash must fall in the safety phase.
pub fn reaches_liveness(lines: &[String]) -> bool {
    let liveness = EventKind::Phase {
        phase: Phase::Liveness,
    };
    lines.iter().any(|line| parse_line(line).kind == liveness)
}

fn parse_line(line: &str) -> Event {
    serde_json::from_str(line)
        .unwrap_or_else(|e| panic!("the child's log line '{line}' is no event: {e}"))
}

/// (acknowledged, in flight) operations of a child's log.
fn acknowledgements(lines: &[String]) -> (u64, u64) {
    let (mut started, mut ended, mut ok) = (0u64, 0u64, 0u64);
    for line in lines {
        match parse_line(line).kind {
            EventKind::OpStart { .. } => started += 1,
            EventKind::OpResult { outcome, .. } => {
                ended += 1;
                ok += u64::from(outcome == Outcome::Ok);
            }
            _ => {}
        }
    }
    assert!(ended <= started, "every result follows its start");
    (ok, started - ended)
}
