//! A violation found by the model: the stable invariant name and its evidence.

/// A violation: the invariant and the evidence (the operation, what the model admitted, what
/// came back, the entity's history).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// Stable invariant name.
    pub invariant: &'static str,
    /// What was observed and why it is wrong.
    pub evidence: String,
}

/// Every invariant the model judges, by stable name, with what it means.
pub const INVARIANTS: [(&str, &str); 9] = [
    (
        "checkpoint_atomicity",
        "a checkpoint's session state and its message are durable together or not at all",
    ),
    (
        "no_orphans",
        "no message, session or block set exists for an agent that does not",
    ),
    (
        "acknowledged_durability",
        "every acknowledged write stays durable until an admitted overwrite or delete",
    ),
    ("no_phantoms", "nothing is stored that no operation wrote"),
    (
        "read_consistency",
        "every successful read returns exactly the answer the model admits",
    ),
    (
        "no_lost_updates",
        "concurrent read-modify-writes of a block never drop one another",
    ),
    (
        "error_contract",
        "every error is one the model admits: right for the state, or explained by a fault",
    ),
    (
        "retry_contract",
        "a conflict reaches the caller only after every documented attempt conflicted",
    ),
    (
        "liveness",
        "after faults stop, every operation succeeds unless its error is the right answer, and every task finishes",
    ),
];

impl Finding {
    /// A finding of `invariant`, which must be one of [`INVARIANTS`].
    pub fn new(invariant: &'static str, evidence: String) -> Finding {
        assert!(
            INVARIANTS.iter().any(|(name, _)| *name == invariant),
            "unknown invariant {invariant}"
        );
        assert!(!evidence.is_empty(), "a finding carries evidence");
        Finding {
            invariant,
            evidence,
        }
    }
}
