//! Running seeds: one seed's full simulation (safety phase, crashes and recovery, liveness
//! phase, final checks).

mod backend;
mod crash;
mod diff;
mod expectation;
mod fault_ledger;
mod redb_backend;
mod replay;
mod seed;
mod shrink;
mod steering;
pub mod sweep;
mod tagged;

pub use crate::trace::{OutcomeCounts, RunConfig, RunReport, SwarmOptions, Verdict, Violation};
pub use crash::{kill_points, reaches_liveness, run_child, run_cut, safety_events, CutReport};
pub use diff::{diff_backends, faults_off, BackendDiff, Difference};
pub use expectation::{judge, run_judged, EXPECTED_VIOLATION};
pub use redb_backend::storage_bugs;
pub use replay::{replay, Divergence, ReplayReport};
pub use seed::{run_floor, run_recorded, run_seed};
pub use shrink::{headline_invariant, shrink, ShrinkOutcome, ShrinkProgress};
