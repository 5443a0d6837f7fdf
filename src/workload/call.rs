//! One storage call as the workload makes it: declared to the model, traced, classified, and
//! retried with bounded backoff in simulated time when the error is retriable.

use std::future::Future;

use crate::agent::StorageError;
use crate::check::Effect;

use super::world::SharedWorld;

/// Most attempts of one retriable call.
pub const CALL_ATTEMPTS_MAX: u32 = 3;
/// Backoff before attempt `n` (from 1) is `n * CALL_BACKOFF_MS` simulated ms.
pub const CALL_BACKOFF_MS: u64 = 10;

/// What one attempt of a call declares before it runs.
pub struct Attempt<Fut> {
    /// `AgentStorage` method name.
    pub name: &'static str,
    /// Its key arguments, for the trace.
    pub args: String,
    /// What it writes.
    pub effects: Vec<Effect>,
    /// The call itself.
    pub call: Fut,
}

/// Runs `make(op_id)` until it succeeds, fails for good, or [`CALL_ATTEMPTS_MAX`] attempts are
/// spent. `make` receives the op id the attempt will have, so records can carry it as their
/// write token. Returns the last attempt's op id and result.
pub async fn call_with_retries<T, Fut, F>(
    world: &SharedWorld,
    task: u32,
    mut make: F,
) -> (u64, Result<T, StorageError>)
where
    F: FnMut(u64) -> Attempt<Fut>,
    Fut: Future<Output = Result<T, StorageError>>,
{
    let mut attempt_number = 0;
    loop {
        attempt_number += 1;
        let op_id = world.borrow().model.next_op_id();
        let attempt = make(op_id);
        let begun = world
            .borrow_mut()
            .begin_op(task, attempt.name, attempt.args, attempt.effects);
        assert_eq!(
            begun, op_id,
            "no other op starts between the id draw and begin"
        );
        let result = attempt.call.await;
        world
            .borrow_mut()
            .end_op(op_id, result.as_ref().map(|_| ()));
        match &result {
            Err(error) if error.is_retriable() && attempt_number < CALL_ATTEMPTS_MAX => {
                let clock = world.borrow().clock.clone();
                clock
                    .sleep(CALL_BACKOFF_MS * u64::from(attempt_number))
                    .await;
            }
            _ => return (op_id, result),
        }
    }
}
