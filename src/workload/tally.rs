//! What a run counts and keeps: outcomes per call and the violations found.

use serde::{Deserialize, Serialize};

/// Counts of one call's outcomes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutcomeCounts {
    /// Took effect.
    pub ok: u64,
    /// Did not take effect.
    pub failed: u64,
    /// May or may not have taken effect.
    pub indeterminate: u64,
}

/// An invariant that did not hold, with its evidence.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Violation {
    /// Stable invariant name (`checkpoint_atomicity`, `no_orphans`, ...).
    pub invariant: String,
    /// The key, its operation history and the events involved.
    pub evidence: String,
}
