//! Workloads: scenarios (JSON, validated), the operation mix, swarm options, identifiers, and
//! the tasks that drive `AgentStorage` while the model judges every call.

mod call;
mod coverage;
mod coverage_watch;
mod decisions;
mod ids;
mod latency_counts;
mod op_kind;
pub mod records;
mod scenario;
mod swarm;
mod tally;
mod task;
mod text;
mod world;

pub use call::{call_with_retries, Attempt, CALL_ATTEMPTS_MAX, CALL_BACKOFF_MS};
pub use coverage::{every_mark, mark_names, summary_line, unfired, Coverage, Mark};
pub use coverage_watch::CoverageWatch;
pub use decisions::{Decisions, OpPoint, ScriptedFault};
pub use ids::{IdClasses, IdPool};
pub use latency_counts::LatencyCounts;
pub use op_kind::OpKind;
pub use scenario::{
    CrashConfig, Expectation, LatencyConfig, Scenario, ScenarioError, StoreKind, BUILT_IN,
};
pub use swarm::{choose_swarm, SwarmOptions};
pub use tally::{CallTally, OutcomeCounts, Violation};
pub use task::{Store, Task};
pub use world::{Probe, SharedWorld, World, VIOLATIONS_KEPT_MAX};
