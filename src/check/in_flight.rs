//! [`InFlight`]: the operation each workload task has in flight, found by the task's index.

/// Most tasks a run may have: task ids index a vector, so they must be small.
const TASKS_MAX: u32 = 1 << 16;

/// The op id each task has in flight (at most one per task), by task id.
#[derive(Debug, Default)]
pub(super) struct InFlight {
    by_task: Vec<Option<u64>>,
    count: usize,
}

impl InFlight {
    /// Notes that `task` has `op` in flight; returns the op it had before, if any.
    pub(super) fn insert(&mut self, task: u32, op: u64) -> Option<u64> {
        assert!(task < TASKS_MAX, "task id {task} is small");
        let slot = task as usize;
        if self.by_task.len() <= slot {
            self.by_task.resize(slot + 1, None);
        }
        let previous = self.by_task[slot].replace(op);
        self.count += usize::from(previous.is_none());
        previous
    }

    /// The op `task` has in flight, if any.
    pub(super) fn get(&self, task: u32) -> Option<u64> {
        self.by_task.get(task as usize).copied().flatten()
    }

    /// Notes that `task`'s op ended; returns it, if it had one.
    pub(super) fn remove(&mut self, task: u32) -> Option<u64> {
        let removed = self.by_task.get_mut(task as usize)?.take();
        self.count -= usize::from(removed.is_some());
        removed
    }

    /// Every op in flight, ascending; none is left in flight.
    pub(super) fn take_all(&mut self) -> Vec<u64> {
        let mut ops: Vec<u64> = self.by_task.iter_mut().filter_map(Option::take).collect();
        assert_eq!(ops.len(), self.count, "the count is every task's op");
        ops.sort_unstable();
        self.count = 0;
        ops
    }

    /// Whether no task has an op in flight.
    pub(super) fn is_empty(&self) -> bool {
        assert_eq!(
            self.count == 0,
            self.by_task.iter().all(Option::is_none),
            "the count is every task's op"
        );
        self.count == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_task_has_at_most_one_op_and_all_are_taken_ascending() {
        let mut in_flight = InFlight::default();
        assert!(in_flight.is_empty() && in_flight.get(3).is_none());
        assert_eq!(in_flight.insert(3, 40), None);
        assert_eq!(in_flight.insert(0, 7), None);
        assert_eq!(in_flight.insert(5, 12), None);
        assert_eq!(in_flight.get(3), Some(40));
        assert_eq!(in_flight.get(1), None);
        assert_eq!(in_flight.insert(3, 41), Some(40), "the op it had before");
        assert_eq!(in_flight.remove(0), Some(7));
        assert_eq!(in_flight.remove(0), None);
        assert_eq!(in_flight.remove(9), None);
        assert!(!in_flight.is_empty());
        assert_eq!(in_flight.take_all(), [12, 41]);
        assert!(in_flight.is_empty() && in_flight.get(5).is_none());
    }
}
