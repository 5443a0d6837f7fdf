//! [`Decisions`]: a run's choices written down, so the same engine can be driven by them
//! instead of the dice (shuttle's design): which actions each task takes, which fault fires
//! where, how the scheduler picks. A recorded run replays exactly from its decisions; a
//! shrinker edits them (drops tasks, actions, faults, picks; simplifies identifiers) and keeps
//! what still fails.

use serde::{Deserialize, Serialize};

use super::{IdClasses, OpKind};

/// Where a storage operation stands in the run, independent of the other tasks: the task, how
/// many actions it had drawn (0 before its first), and how many storage operations it had
/// issued since (its recovery after a crash counts on from the interrupted action).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct OpPoint {
    /// The task.
    pub task: u32,
    /// Actions the task had drawn.
    pub action: u32,
    /// Storage operations the task had issued since drawing its latest action, counting from 0.
    pub step: u32,
}

/// One fault of a script: fault rule number `rule` (in the scenario's rule order) fires on the
/// storage operation at `at`, where that rule allows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ScriptedFault {
    /// Where it fires.
    pub at: OpPoint,
    /// Which rule fires.
    pub rule: u32,
}

/// The choices that drive a run in place of the dice. Invariant: `actions.len() == tasks`.
/// [`Decisions::validate`] also requires, of decisions read from a trace, that each fault names
/// a task of the run and at most its last action, and that no two name one operation.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Decisions {
    /// Tasks spawned: the first `tasks` of the scenario's, or those `task_numbers` names.
    pub tasks: u32,
    /// The scenario's number of each task, ascending, when they are not the first `tasks`
    /// (empty: 0, 1, ...). A task's number names its random stream and its home agent, so a
    /// task keeps what it does when a task before it is left out.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub task_numbers: Vec<u32>,
    /// Agent ids in the pool: the first `agents` of the scenario's.
    pub agents: u32,
    /// The adversarial identifier classes in force.
    pub ids: IdClasses,
    /// Each task's actions in the safety phase, in order.
    pub actions: Vec<Vec<OpKind>>,
    /// The faults that fire, in the order they fired.
    pub faults: Vec<ScriptedFault>,
    /// The scheduler's choices among two or more ready tasks, in order.
    pub picks: Vec<u32>,
}

impl Decisions {
    /// Actions over all tasks.
    pub fn action_count(&self) -> usize {
        self.actions.iter().map(Vec::len).sum()
    }

    /// The scenario's number of each task of the run, in task order (see `task_numbers`).
    pub fn numbers(&self) -> Vec<u32> {
        match self.task_numbers.is_empty() {
            true => (0..self.tasks).collect(),
            false => self.task_numbers.clone(),
        }
    }

    /// These decisions with their tasks numbered `numbers` (one per task, ascending); kept
    /// empty when they are the first `tasks`, so that equal runs have equal decisions.
    pub fn renumbered(self, numbers: Vec<u32>) -> Decisions {
        assert_eq!(numbers.len(), self.tasks as usize, "one number per task");
        assert!(
            numbers.windows(2).all(|pair| pair[0] < pair[1]),
            "task numbers ascend"
        );
        let first = numbers
            .iter()
            .zip(0..)
            .all(|(&number, task)| number == task);
        Decisions {
            task_numbers: if first { Vec::new() } else { numbers },
            ..self
        }
    }

    /// Checks the invariants against a scenario of `tasks` tasks, `agents` agents and `rules`
    /// fault rules; the error names the offending field and value.
    pub fn validate(&self, tasks: u32, agents: u32, rules: usize) -> Result<(), String> {
        if self.tasks == 0 || self.tasks > tasks {
            return Err(format!(
                "decisions.tasks is {}, must be 1..={tasks}",
                self.tasks
            ));
        }
        if self.agents == 0 || self.agents > agents {
            return Err(format!(
                "decisions.agents is {}, must be 1..={agents}",
                self.agents
            ));
        }
        if self.actions.len() != self.tasks as usize {
            return Err(format!(
                "decisions.actions lists {} tasks, decisions.tasks is {}",
                self.actions.len(),
                self.tasks
            ));
        }
        if !self.task_numbers.is_empty() {
            let numbers = &self.task_numbers;
            if numbers.len() != self.tasks as usize {
                return Err(format!(
                    "decisions.task_numbers lists {} tasks, decisions.tasks is {}",
                    numbers.len(),
                    self.tasks
                ));
            }
            if let Some(pair) = numbers.windows(2).find(|pair| pair[0] >= pair[1]) {
                return Err(format!(
                    "decisions.task_numbers must ascend: {} then {}",
                    pair[0], pair[1]
                ));
            }
            if let Some(&number) = numbers.iter().find(|&&number| number >= tasks) {
                return Err(format!(
                    "decisions.task_numbers names task {number}, the scenario has {tasks}"
                ));
            }
        }
        if let Some(fault) = self.faults.iter().find(|f| f.rule as usize >= rules) {
            return Err(format!(
                "decisions.faults names rule {}, the scenario has {rules}",
                fault.rule
            ));
        }
        if let Some(fault) = self.faults.iter().find(|f| f.at.task >= self.tasks) {
            return Err(format!(
                "decisions.faults names task {}, decisions.tasks is {}",
                fault.at.task, self.tasks
            ));
        }
        let past_the_actions = |fault: &&ScriptedFault| {
            fault.at.action as usize > self.actions[fault.at.task as usize].len()
        };
        if let Some(fault) = self.faults.iter().find(past_the_actions) {
            let (task, action) = (fault.at.task, fault.at.action);
            return Err(format!(
                "decisions.faults names action {action} of task {task}, which has {} actions",
                self.actions[task as usize].len()
            ));
        }
        let mut points: Vec<OpPoint> = self.faults.iter().map(|fault| fault.at).collect();
        points.sort_unstable();
        if let Some(pair) = points.windows(2).find(|pair| pair[0] == pair[1]) {
            let at = pair[0];
            return Err(format!(
                "decisions.faults lists two faults on one operation (task {}, action {}, step {}): \
                 at most one fires there",
                at.task, at.action, at.step
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decisions() -> Decisions {
        Decisions {
            tasks: 2,
            task_numbers: Vec::new(),
            agents: 3,
            ids: IdClasses::default(),
            actions: vec![vec![OpKind::CreateAgent], vec![]],
            faults: vec![ScriptedFault {
                at: OpPoint {
                    task: 0,
                    action: 1,
                    step: 0,
                },
                rule: 1,
            }],
            picks: vec![1, 0],
        }
    }

    #[test]
    fn valid_decisions_round_trip_through_json() {
        let d = decisions();
        assert_eq!(d.validate(4, 3, 2), Ok(()));
        assert_eq!(d.action_count(), 1);
        let text = serde_json::to_string(&d).unwrap();
        assert_eq!(serde_json::from_str::<Decisions>(&text).unwrap(), d);
    }

    #[test]
    fn each_broken_invariant_is_named() {
        let d = decisions();
        assert!(d
            .validate(1, 3, 2)
            .unwrap_err()
            .contains("decisions.tasks is 2"));
        assert!(d
            .validate(4, 2, 2)
            .unwrap_err()
            .contains("decisions.agents is 3"));
        assert!(d.validate(4, 3, 1).unwrap_err().contains("rule 1"));
        let short = Decisions {
            actions: vec![vec![]],
            ..d.clone()
        };
        assert!(short
            .validate(4, 3, 2)
            .unwrap_err()
            .contains("lists 1 tasks"));
        let numbered = |task_numbers: Vec<u32>| Decisions {
            task_numbers,
            ..d.clone()
        };
        let error = |d: Decisions| d.validate(4, 3, 2).unwrap_err();
        assert!(error(numbered(vec![1])).contains("task_numbers lists 1 tasks"));
        assert!(error(numbered(vec![2, 2])).contains("must ascend: 2 then 2"));
        assert!(error(numbered(vec![1, 4])).contains("names task 4, the scenario has 4"));
        assert_eq!(numbered(vec![1, 3]).validate(4, 3, 2), Ok(()));
        let with_faults = |faults: Vec<ScriptedFault>| Decisions {
            faults,
            ..d.clone()
        };
        let fault = d.faults[0];
        let moved = |task, action| ScriptedFault {
            at: OpPoint {
                task,
                action,
                ..fault.at
            },
            ..fault
        };
        assert!(
            error(with_faults(vec![moved(2, 1)])).contains("names task 2, decisions.tasks is 2")
        );
        assert!(error(with_faults(vec![moved(0, 2)]))
            .contains("action 2 of task 0, which has 1 actions"));
        let twice = with_faults(vec![fault, ScriptedFault { rule: 0, ..fault }]);
        assert!(error(twice).contains("two faults on one operation (task 0, action 1, step 0)"));
    }

    #[test]
    fn the_first_tasks_are_numbered_implicitly_and_others_explicitly() {
        let d = decisions();
        assert_eq!(d.numbers(), vec![0, 1]);
        assert_eq!(d.clone().renumbered(vec![0, 1]), d);
        let later = d.clone().renumbered(vec![1, 3]);
        assert_eq!(later.numbers(), vec![1, 3]);
        let text = serde_json::to_string(&later).unwrap();
        assert!(text.contains("\"task_numbers\":[1,3]"), "{text}");
        assert_eq!(serde_json::from_str::<Decisions>(&text).unwrap(), later);
        let text = serde_json::to_string(&d).unwrap();
        assert!(!text.contains("task_numbers"), "{text}");
    }
}
