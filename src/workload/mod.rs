//! Workloads: scenarios (JSON, validated), the operation mix, swarm options, and the tasks that
//! drive `AgentStorage` while the model records what must be true.

mod call;
mod op_kind;
pub mod records;
mod scenario;
mod swarm;
mod task;
mod world;

pub use call::{call_with_retries, Attempt, CALL_ATTEMPTS_MAX, CALL_BACKOFF_MS};
pub use op_kind::OpKind;
pub use scenario::{CrashConfig, Expectation, LatencyConfig, Scenario, ScenarioError, BUILT_IN};
pub use swarm::choose_swarm;
pub use task::{Store, Task};
pub use world::{classify, SharedWorld, World};
