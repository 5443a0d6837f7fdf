//! Workloads: scenarios (JSON, validated), the operation mix, and the tasks that drive
//! `AgentStorage`.

mod op_kind;
mod scenario;

pub use op_kind::OpKind;
pub use scenario::{CrashConfig, Expectation, LatencyConfig, Scenario, ScenarioError, BUILT_IN};
