//! The deterministic core: seeded random streams, simulated time and a single-threaded
//! executor that picks the next ready task with the `scheduler` stream.

mod clock;
mod executor;
mod key_hasher;
mod kill_switch;
mod rng;

pub use clock::{SimClock, Sleep};
pub use executor::{
    yield_now, Executor, ExecutorError, ExecutorLimits, RunOutcome, Spawner, TaskId, YieldNow,
};
pub use key_hasher::{KeyHasher, KeyHashing};
pub use kill_switch::KillSwitch;
pub use rng::{Chance, DeterministicRng};
