//! Shrinking: from a failing run to a small run that fails the same invariant.
//!
//! The run's recorded [`Decisions`] are delta-debugged (Zeller's ddmin): drop whole tasks, drop
//! actions (a dropped action's faults go with it; later faults of its task follow their
//! action), drop faults and crashes, cut the scheduler's picks, switch adversarial id classes
//! off and use fewer agents. A candidate is kept when its run still has a violation of the same
//! invariant. Every attempt is a whole run driven by the candidate's decisions, so the result
//! replays exactly; the search is deterministic (the same input shrinks to the same output)
//! unless the caller's budget cuts it short.

use crate::trace::NullSink;
use crate::workload::{Decisions, IdClasses, ScriptedFault};

use super::{run_recorded, run_seed, RunConfig, RunReport};

/// Invariants from the most specific diagnosis to the most generic symptom: a run that ended
/// abnormally first; then the invariants that name what went wrong (a torn checkpoint, a lost
/// update, an orphan, a lost acknowledged write, a phantom); then the contracts on errors and
/// retries; a read that differs from the model last (most violations show there too).
const BY_SPECIFICITY: [&str; 12] = [
    "panic",
    "deadlock",
    "checkpoint_atomicity",
    "no_lost_updates",
    "no_orphans",
    "acknowledged_durability",
    "no_phantoms",
    "retry_contract",
    "error_contract",
    "read_consistency",
    "liveness",
    "expected_violation",
];

/// The invariant a shrink keeps by default: of those `report` violates, the most specific (see
/// [`BY_SPECIFICITY`]); one not listed comes after every listed one, by name. `None`: it passes.
pub fn headline_invariant(report: &RunReport) -> Option<&str> {
    let rank = |name: &str| {
        BY_SPECIFICITY
            .iter()
            .position(|known| *known == name)
            .unwrap_or(BY_SPECIFICITY.len())
    };
    report
        .violated
        .keys()
        .min_by_key(|name| (rank(name), name.as_str()))
        .map(String::as_str)
}

/// How far a shrink has come, for progress and budgets.
#[derive(Clone, Copy, Debug)]
pub struct ShrinkProgress {
    /// Runs tried so far (the original one included).
    pub attempts: u64,
    /// Events of the smallest failing run so far.
    pub events: u64,
    /// Actions of the smallest failing run so far.
    pub actions: usize,
    /// Faults of the smallest failing run so far.
    pub faults: usize,
}

/// What a shrink found.
#[derive(Clone, Debug)]
pub struct ShrinkOutcome {
    /// The invariant every kept run violates.
    pub invariant: String,
    /// The run shrunk from.
    pub original: RunReport,
    /// Its decisions.
    pub original_decisions: Decisions,
    /// The smallest failing run found.
    pub shrunk: RunReport,
    /// Its decisions: a config with them replays it.
    pub decisions: Decisions,
    /// Runs tried.
    pub attempts: u64,
    /// Whether the budget ended the search before no candidate helped any more.
    pub cut_short: bool,
}

/// The search state: the smallest failing decisions so far and the budget.
struct Search<'a> {
    config: RunConfig,
    invariant: String,
    best: Decisions,
    best_report: RunReport,
    attempts: u64,
    cut_short: bool,
    keep_going: &'a mut dyn FnMut(&ShrinkProgress) -> bool,
}

/// Shrinks the run of `config` (its own `decisions`, or the recorded ones) while it keeps
/// violating `invariant` (default: its [`headline_invariant`]). `keep_going` is asked before each
/// attempt and may end the search (a budget of attempts or time). Errors: the run does not
/// fail, or not the invariant asked for.
pub fn shrink(
    config: &RunConfig,
    invariant: Option<&str>,
    keep_going: &mut dyn FnMut(&ShrinkProgress) -> bool,
) -> Result<ShrinkOutcome, String> {
    let (original, original_decisions) = match &config.decisions {
        Some(decisions) => (run_seed(config, &mut NullSink), decisions.clone()),
        None => run_recorded(config, &mut NullSink),
    };
    let Some(headline) = headline_invariant(&original) else {
        return Err(format!(
            "seed {} of {} passes: there is no failure to shrink",
            config.seed, config.scenario.name
        ));
    };
    let invariant = invariant.unwrap_or(headline).to_string();
    if !original.violated.contains_key(&invariant) {
        let found: Vec<&str> = original.violated.keys().map(String::as_str).collect();
        return Err(format!(
            "seed {} violates {}, not {invariant}",
            config.seed,
            found.join(", ")
        ));
    }
    let mut search = Search {
        config: RunConfig {
            decisions: None,
            ..config.clone()
        },
        invariant,
        best: original_decisions.clone(),
        best_report: original.clone(),
        attempts: 1,
        cut_short: false,
        keep_going,
    };
    search.run_passes();
    assert!(
        search.best.action_count() <= original_decisions.action_count(),
        "shrinking never adds actions"
    );
    Ok(ShrinkOutcome {
        invariant: search.invariant,
        original,
        original_decisions,
        shrunk: search.best_report,
        decisions: search.best,
        attempts: search.attempts,
        cut_short: search.cut_short,
    })
}

impl Search<'_> {
    /// Runs every pass until a whole round changes nothing (or the budget ends); then tries
    /// to leave out one task anywhere, and when that still fails, shrinks on from there.
    /// Leaving out a task from the middle comes last: taken early, it can lead the search to
    /// a larger local minimum than the one it would have found.
    fn run_passes(&mut self) {
        loop {
            loop {
                let before = (self.best_report.events, self.best.clone());
                self.fewer_tasks();
                self.fewer_actions();
                self.fewer_faults();
                self.fewer_picks();
                self.simpler_ids();
                let unchanged = (self.best_report.events, &self.best) == (before.0, &before.1);
                if self.cut_short || unchanged {
                    break;
                }
            }
            if self.cut_short || !self.without_one_task() {
                return;
            }
        }
    }

    /// Runs `candidate`; keeps it when it still fails the invariant. Returns whether it did.
    fn attempt(&mut self, candidate: Decisions) -> bool {
        if self.cut_short || candidate == self.best {
            return false;
        }
        let progress = ShrinkProgress {
            attempts: self.attempts,
            events: self.best_report.events,
            actions: self.best.action_count(),
            faults: self.best.faults.len(),
        };
        if !(self.keep_going)(&progress) {
            self.cut_short = true;
            return false;
        }
        self.attempts += 1;
        let config = RunConfig {
            decisions: Some(candidate.clone()),
            ..self.config.clone()
        };
        let report = run_seed(&config, &mut NullSink);
        let fails = report.violated.contains_key(&self.invariant);
        if fails {
            self.best = candidate;
            self.best_report = report;
        }
        fails
    }

    /// Drops the last tasks: the fewest tasks that still fail.
    fn fewer_tasks(&mut self) {
        let all: Vec<u32> = (0..self.best.tasks).collect();
        for tasks in 1..all.len() {
            if self.attempt(keep_tasks(&self.best.clone(), &all[..tasks])) {
                return;
            }
        }
    }

    /// Leaves out one task, any but the last (which [`Search::fewer_tasks`] tries): the others
    /// keep their numbers, so each does what it did. Returns whether one could go. A task whose
    /// actions were all dropped stays when it must: it still recovers its home agent's session
    /// first, and that read can be what the failure needs.
    fn without_one_task(&mut self) -> bool {
        let all: Vec<u32> = (0..self.best.tasks).collect();
        for left_out in 0..all.len().saturating_sub(1) {
            let kept: Vec<u32> = all
                .iter()
                .copied()
                .filter(|&t| t as usize != left_out)
                .collect();
            if self.attempt(keep_tasks(&self.best.clone(), &kept)) {
                return true;
            }
        }
        false
    }

    fn fewer_actions(&mut self) {
        let items: Vec<(u32, usize)> = self
            .best
            .actions
            .iter()
            .enumerate()
            .flat_map(|(task, list)| (0..list.len()).map(move |i| (task as u32, i)))
            .collect();
        let base = self.best.clone();
        ddmin(items, &mut |kept| self.attempt(keep_actions(&base, kept)));
    }

    fn fewer_faults(&mut self) {
        let base = self.best.clone();
        ddmin(base.faults.clone(), &mut |kept| {
            let candidate = Decisions {
                faults: kept.to_vec(),
                ..base.clone()
            };
            self.attempt(candidate)
        });
    }

    /// Cuts the picks to the shortest prefix that still fails (the rest: the first ready task).
    fn fewer_picks(&mut self) {
        let (mut low, mut high) = (0, self.best.picks.len());
        while low < high && !self.cut_short {
            let middle = (low + high) / 2;
            let mut candidate = self.best.clone();
            candidate.picks.truncate(middle);
            if self.attempt(candidate) {
                high = middle;
            } else {
                low = middle + 1;
            }
        }
    }

    fn simpler_ids(&mut self) {
        let off: [fn(&mut IdClasses); 5] = [
            |c| c.prefixes = false,
            |c| c.unusual_chars = false,
            |c| c.at_length_limit = false,
            |c| c.invalid = false,
            |c| c.unordered_messages = false,
        ];
        for switch_off in off {
            let mut candidate = self.best.clone();
            switch_off(&mut candidate.ids);
            self.attempt(candidate);
        }
        let mut agents = 1;
        while agents < self.best.agents {
            let mut candidate = self.best.clone();
            candidate.agents = agents;
            if self.attempt(candidate) {
                break;
            }
            agents *= 2;
        }
    }
}

/// `base` with only the tasks in `kept` (indices ascending, at least one): each keeps its
/// number in the scenario (its random stream and home agent), its actions and its faults; the
/// faults of a dropped task are dropped. The scheduler's picks stay as they are (each is taken
/// modulo the tasks ready).
fn keep_tasks(base: &Decisions, kept: &[u32]) -> Decisions {
    assert!(!kept.is_empty(), "a run keeps at least one task");
    assert!(
        kept.windows(2).all(|pair| pair[0] < pair[1]) && kept.iter().all(|&t| t < base.tasks),
        "kept tasks are distinct tasks of the run, ascending"
    );
    let new_task = |task: u32| kept.iter().position(|&kept| kept == task);
    let faults = base
        .faults
        .iter()
        .filter_map(|fault| {
            let mut fault = *fault;
            fault.at.task = new_task(fault.at.task)? as u32;
            Some(fault)
        })
        .collect();
    let numbers = base.numbers();
    let candidate = Decisions {
        tasks: kept.len() as u32,
        task_numbers: Vec::new(),
        actions: kept
            .iter()
            .map(|&task| base.actions[task as usize].clone())
            .collect(),
        faults,
        ..base.clone()
    };
    candidate.renumbered(kept.iter().map(|&task| numbers[task as usize]).collect())
}

/// `base` with only the actions in `kept` ((task, index) pairs, in order). A fault hitting a
/// dropped action is dropped; one hitting a kept action follows it to its new position; one
/// before a task's first action stays.
fn keep_actions(base: &Decisions, kept: &[(u32, usize)]) -> Decisions {
    let mut actions = vec![Vec::new(); base.actions.len()];
    let mut new_index: Vec<Vec<Option<usize>>> = base
        .actions
        .iter()
        .map(|list| vec![None; list.len()])
        .collect();
    for &(task, index) in kept {
        let task = task as usize;
        new_index[task][index] = Some(actions[task].len());
        actions[task].push(base.actions[task][index]);
    }
    let faults: Vec<ScriptedFault> = base
        .faults
        .iter()
        .filter_map(|fault| {
            let mut fault = *fault;
            if fault.at.action == 0 {
                return Some(fault);
            }
            let old = fault.at.action as usize - 1;
            let new = new_index[fault.at.task as usize].get(old).copied()??;
            fault.at.action = new as u32 + 1;
            Some(fault)
        })
        .collect();
    Decisions {
        actions,
        faults,
        ..base.clone()
    }
}

/// Zeller's ddmin: the smallest subsequence of `items` (1-minimal when the search is not cut
/// short) for which `fails` holds, given that it holds for `items` itself.
fn ddmin<T: Clone>(mut items: Vec<T>, fails: &mut dyn FnMut(&[T]) -> bool) -> Vec<T> {
    if items.is_empty() || fails(&[]) {
        return Vec::new();
    }
    let mut chunks = 2;
    while items.len() >= 2 {
        let size = items.len().div_ceil(chunks);
        let mut reduced = false;
        for start in (0..items.len()).step_by(size) {
            let end = (start + size).min(items.len());
            let complement: Vec<T> = items[..start]
                .iter()
                .chain(&items[end..])
                .cloned()
                .collect();
            if fails(&complement) {
                items = complement;
                chunks = (chunks - 1).max(2);
                reduced = true;
                break;
            }
        }
        if !reduced {
            if chunks >= items.len() {
                break;
            }
            chunks = (chunks * 2).min(items.len());
        }
    }
    items
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::{OpKind, OpPoint};

    #[test]
    fn ddmin_finds_the_one_minimal_failing_subset() {
        let items: Vec<u32> = (0..100).collect();
        let mut tries = 0;
        let kept = ddmin(items, &mut |subset| {
            tries += 1;
            subset.contains(&17) && subset.contains(&62)
        });
        assert_eq!(kept, vec![17, 62]);
        assert!(tries < 100, "{tries} tries");
    }

    #[test]
    fn ddmin_returns_nothing_when_nothing_is_needed() {
        assert!(ddmin(vec![1, 2, 3], &mut |_| true).is_empty());
    }

    #[test]
    fn dropped_tasks_take_their_actions_and_faults_and_the_rest_keep_their_numbers() {
        let fault = |task, action| ScriptedFault {
            at: OpPoint {
                task,
                action,
                step: 0,
            },
            rule: 0,
        };
        let base = Decisions {
            tasks: 3,
            task_numbers: Vec::new(),
            agents: 1,
            ids: IdClasses::default(),
            actions: vec![
                vec![],
                vec![OpKind::CreateAgent],
                vec![OpKind::Iterate, OpKind::LoadAgent],
            ],
            faults: vec![fault(2, 1), fault(0, 0), fault(1, 1), fault(2, 2)],
            picks: vec![4, 1],
        };
        let kept = keep_tasks(&base, &[1, 2]);
        assert_eq!(kept.tasks, 2);
        assert_eq!(kept.numbers(), vec![1, 2]);
        assert_eq!(
            kept.actions,
            vec![
                vec![OpKind::CreateAgent],
                vec![OpKind::Iterate, OpKind::LoadAgent]
            ]
        );
        assert_eq!(kept.faults, vec![fault(1, 1), fault(0, 1), fault(1, 2)]);
        assert_eq!(kept.picks, base.picks);
        let kept = keep_tasks(&base, &[0, 2]);
        assert_eq!(kept.faults, vec![fault(1, 1), fault(0, 0), fault(1, 2)]);
        assert_eq!(kept.numbers(), vec![0, 2]);
        let first = keep_tasks(&base, &[0, 1]);
        assert!(
            first.task_numbers.is_empty(),
            "the first tasks need no numbers"
        );
        assert_eq!(keep_tasks(&kept, &[1]).numbers(), vec![2]);
    }

    #[test]
    fn dropped_actions_take_their_faults_and_later_faults_follow_their_action() {
        let fault = |action, step| ScriptedFault {
            at: OpPoint {
                task: 0,
                action,
                step,
            },
            rule: 0,
        };
        let base = Decisions {
            tasks: 1,
            task_numbers: Vec::new(),
            agents: 1,
            ids: IdClasses::default(),
            actions: vec![vec![
                OpKind::CreateAgent,
                OpKind::Iterate,
                OpKind::LoadAgent,
            ]],
            faults: vec![fault(0, 1), fault(1, 0), fault(3, 2)],
            picks: Vec::new(),
        };
        let kept = keep_actions(&base, &[(0, 0), (0, 2)]);
        assert_eq!(
            kept.actions,
            vec![vec![OpKind::CreateAgent, OpKind::LoadAgent]]
        );
        assert_eq!(kept.faults, vec![fault(0, 1), fault(1, 0), fault(2, 2)]);
        let kept = keep_actions(&base, &[(0, 1)]);
        assert_eq!(kept.faults, vec![fault(0, 1)]);
    }
}
