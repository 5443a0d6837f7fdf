//! Per-key register checks, shared by the durable-state checks and the read checks.
//!
//! Invariants: `no_phantoms` (a value must come from an op that wrote this key and did not
//! fail), `acknowledged_durability` / `read_consistency` (a value, or an absence, must not be
//! older than an `ok` write that certainly finished before the observation started).

use super::model::Model;
use super::tokens::fingerprint;

/// A violation found by a check: the invariant and its evidence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// Stable invariant name.
    pub invariant: &'static str,
    /// The key, its operation history, and what was observed.
    pub evidence: String,
}

/// What an observation of one key showed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Observed {
    /// The key held nothing.
    Absent,
    /// The key held the record written by op `token`, whose content hashes to `fingerprint`.
    Present {
        /// Op id of the writer (the record's token).
        token: u64,
        /// Fingerprint of the record's content.
        fingerprint: u64,
    },
}

/// The token of a record that names no op (a malformed or foreign record): no op has it, so
/// the register check reports it.
pub const NO_TOKEN: u64 = u64::MAX;

impl Observed {
    /// What an observation saw of `record`, whose write token is `token` (if it has one).
    pub fn record<T: serde::Serialize>(token: Option<u64>, record: &T) -> Observed {
        Observed::Present {
            token: token.unwrap_or(NO_TOKEN),
            fingerprint: fingerprint(record),
        }
    }
}

/// The window of logical time an observation happened in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    /// When the observing op started.
    pub start: u64,
    /// When it ended.
    pub end: u64,
    /// Invariant to name when the observation is stale.
    pub stale_invariant: &'static str,
}

impl Window {
    /// An observation of durable state made after every operation so far has started and
    /// ended (its logical time is one past the model's clock), so every `ok` write must show.
    pub fn after_all(model: &Model) -> Window {
        let after = model.now() + 1;
        Window {
            start: after,
            end: after,
            stale_invariant: "acknowledged_durability",
        }
    }
}

fn finding(
    model: &Model,
    invariant: &'static str,
    key: &[u8],
    what: String,
    writers: &[u64],
) -> Finding {
    Finding {
        invariant,
        evidence: format!(
            "key '{}': {what}; history: {}",
            String::from_utf8_lossy(key),
            model.history(writers)
        ),
    }
}

/// Checks one observation of `key` against every op that writes it.
pub fn check_register(
    model: &Model,
    key: &[u8],
    observed: Observed,
    window: Window,
) -> Option<Finding> {
    assert!(
        window.start <= window.end,
        "an observation window runs forward"
    );
    let writers = model.writers_of(key);
    match observed {
        Observed::Present { token, fingerprint } => {
            check_present(model, key, token, fingerprint, window, &writers)
        }
        Observed::Absent => check_absent(model, key, window, &writers),
    }
}

fn check_present(
    model: &Model,
    key: &[u8],
    token: u64,
    fingerprint: u64,
    window: Window,
    writers: &[u64],
) -> Option<Finding> {
    let expected = writers
        .contains(&token)
        .then(|| model.put_fingerprint(token, key))
        .flatten();
    let Some(expected) = expected else {
        let what = format!("holds a value of op#{token}, which never wrote this key");
        return Some(finding(model, "no_phantoms", key, what, writers));
    };
    let writer = model.op(token);
    if writer.failed() || writer.start > window.end {
        let what = format!(
            "holds the value of {}, which cannot have taken effect",
            model.describe(token)
        );
        return Some(finding(model, "no_phantoms", key, what, writers));
    }
    if expected != fingerprint {
        let what =
            format!("holds a value tagged op#{token} whose content differs from what it wrote");
        return Some(finding(model, "read_consistency", key, what, writers));
    }
    let newer = writers.iter().copied().find(|id| {
        let y = model.op(*id);
        *id != token && y.ok() && writer.before(y) && y.end < window.start
    });
    newer.map(|id| {
        let what = format!(
            "holds the value of op#{token}, but {} finished after it and before this observation",
            model.describe(id)
        );
        finding(model, window.stale_invariant, key, what, writers)
    })
}

fn check_absent(model: &Model, key: &[u8], window: Window, writers: &[u64]) -> Option<Finding> {
    let latest_put = writers
        .iter()
        .copied()
        .filter(|id| {
            let y = model.op(*id);
            y.ok() && y.end < window.start && model.put_fingerprint(*id, key).is_some()
        })
        .max_by_key(|id| model.op(*id).start)?;
    let put = model.op(latest_put);
    let deleted = writers.iter().copied().any(|id| {
        let d = model.op(id);
        model.put_fingerprint(id, key).is_none()
            && !d.failed()
            && d.start < window.end
            && !d.before(put)
    });
    if deleted {
        return None;
    }
    let what = format!(
        "is absent, but {} wrote it and nothing could have deleted it since",
        model.describe(latest_put)
    );
    Some(finding(model, window.stale_invariant, key, what, writers))
}
