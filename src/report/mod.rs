//! Pictures of runs and sweeps: self-contained HTML pages (inline CSS, script and SVG; nothing
//! loaded from anywhere) that open from disk.
//!
//! A run's page ([`run_page`]) is drawn from its trace alone: a timeline with one lane per task
//! over simulated time, each operation a bar coloured by outcome, the faults on the operations
//! they hit, crash and restart lines, phase bands, and the violation with its key, evidence and
//! history. A sweep's page ([`sweep_page`]) is drawn from its output directory. Every string
//! from the data is escaped (`escape.rs`); the pages hold no wall-clock time of their making, so
//! the same input renders the same bytes.

mod assets;
mod chart;
mod escape;
mod evidence;
mod run_page;
mod sweep_data;
mod sweep_page;
mod timeline;
mod timeline_data;

pub use run_page::{run_page, CommandLine, RunSource};
pub use sweep_data::{read_sweep, SweepData, SweepSummary};
pub use sweep_page::{sweep_page, SweepSource};
pub use timeline_data::BARS_MAX;
