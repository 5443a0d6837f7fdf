//! Fault deciders that tie the injector to a run's [`Decisions`]: one records which rule fired
//! where, one replays a script. Both locate each storage operation by its [`OpPoint`] (task,
//! action, step), which the world counts; both consult the world on every operation while the
//! injector is active, so a recording and its replay count the same operations.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use crate::kv::FaultDecider;
use crate::workload::{OpPoint, ScriptedFault, SharedWorld};

/// The faults a recording run saw fire, in order.
pub type FaultLog = Rc<RefCell<Vec<ScriptedFault>>>;

/// A decider that lets the dice decide and writes each fault that fires, with where, to `log`.
pub fn recording(world: SharedWorld, log: FaultLog) -> FaultDecider {
    Rc::new(move |_op, drawn| {
        let point = world.borrow_mut().next_op_point();
        if let (Some(rule), Some(at)) = (drawn, point) {
            let rule = u32::try_from(rule).expect("fewer than 2^32 rules");
            log.borrow_mut().push(ScriptedFault { at, rule });
        }
        drawn
    })
}

/// A decider that fires exactly the scripted faults, each where the script puts it, whatever
/// the dice say.
pub fn scripted(world: SharedWorld, faults: &[ScriptedFault]) -> FaultDecider {
    let by_point: BTreeMap<OpPoint, usize> = faults
        .iter()
        .map(|fault| (fault.at, fault.rule as usize))
        .collect();
    assert_eq!(
        by_point.len(),
        faults.len(),
        "one scripted fault per operation"
    );
    Rc::new(move |_op, _drawn| {
        let point = world.borrow_mut().next_op_point()?;
        by_point.get(&point).copied()
    })
}
