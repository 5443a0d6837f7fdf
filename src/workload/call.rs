//! One storage call as the workload makes it: declared to the model, traced, judged when it
//! returns, and retried with bounded backoff in simulated time when the error is retriable.

use std::future::Future;

use crate::agent::StorageError;
use crate::check::{Answer, Call};

use super::world::SharedWorld;

/// Most attempts of one retriable call.
pub const CALL_ATTEMPTS_MAX: u32 = 3;
/// Backoff before attempt `n` (from 1) is `n * CALL_BACKOFF_MS` simulated ms.
pub const CALL_BACKOFF_MS: u64 = 10;

/// What one attempt of a call declares before it runs.
pub struct Attempt<Fut> {
    /// The `AgentStorage` call with its arguments.
    pub call: Call,
    /// The call itself, answering as the model reads answers.
    pub run: Fut,
}

/// Runs `make(op_id)` until it succeeds, fails for good, or [`CALL_ATTEMPTS_MAX`] attempts are
/// spent. `make` receives the op id the attempt will have, so records can name it. Returns the
/// last attempt's op id and result.
pub async fn call_with_retries<Fut, F>(
    world: &SharedWorld,
    task: u32,
    mut make: F,
) -> (u64, Result<Answer, StorageError>)
where
    F: FnMut(u64) -> Attempt<Fut>,
    Fut: Future<Output = Result<Answer, StorageError>>,
{
    let mut attempt_number = 0;
    loop {
        attempt_number += 1;
        let op_id = world.borrow().model.next_op_id();
        let attempt = make(op_id);
        let begun = world.borrow_mut().begin_op(task, attempt.call);
        assert_eq!(
            begun, op_id,
            "no other op starts between the id draw and begin"
        );
        let result = attempt.run.await;
        world.borrow_mut().end_op(op_id, &result);
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
