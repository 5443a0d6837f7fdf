//! Triage of a failing sweep: failing seeds grouped by the signature of their first violation
//! (its invariant, the kind of operation it names, and the fault it mentions, if any), so a
//! sweep with hundreds of failing seeds reads as a few distinct problems, each with a count,
//! its first seed and that seed's repro line.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::kv::FaultType;
use crate::run::Violation;

/// What tells one failure from another: the first violation's invariant, the operation it
/// names (`op#N NAME(...)`; `durable check` for a recovery or final check; `run` otherwise)
/// and the first fault type named in its evidence.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Signature {
    /// The invariant violated.
    pub invariant: String,
    /// The kind of operation or check that showed it.
    pub operation: String,
    /// A fault named in the evidence.
    pub fault: Option<&'static str>,
}

/// One group of failing seeds with the same signature.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FailureGroup {
    /// The shared signature.
    #[serde(flatten)]
    pub signature: Signature,
    /// Failing seeds in the group.
    pub seeds: u64,
    /// The smallest of them.
    pub first_seed: u64,
    /// The repro line of the first seed.
    pub repro: String,
    /// The command that shrinks the first seed's run (`None` on redb, which cannot shrink).
    pub shrink: Option<String>,
}

/// The operation an evidence text names: the word after `op#N `, up to `(`.
fn operation(evidence: &str) -> String {
    if let Some(at) = evidence.find("op#") {
        let rest = evidence[at + 3..].trim_start_matches(|c: char| c.is_ascii_digit());
        let name: String = rest
            .trim_start()
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if !name.is_empty() {
            return name;
        }
    }
    let check = ["recovery", "final"]
        .iter()
        .any(|at| evidence.starts_with(at));
    if check { "durable check" } else { "run" }.to_string()
}

/// The signature of a failing seed's first violation.
pub fn signature(violation: &Violation) -> Signature {
    let evidence = &violation.evidence;
    let fault = FaultType::ALL
        .iter()
        .map(|f| f.name())
        .find(|name| evidence.contains(name));
    Signature {
        invariant: violation.invariant.clone(),
        operation: operation(evidence),
        fault,
    }
}

/// A failing seed as triage sees it: the seed, its first violation, its repro and shrink lines.
pub type FailingSeed<'a> = (u64, &'a Violation, &'a str, Option<&'a str>);

/// Groups failing seeds by signature: the largest group first, ties by first seed. Every seed
/// lands in exactly one group.
pub fn group<'a>(failures: impl IntoIterator<Item = FailingSeed<'a>>) -> Vec<FailureGroup> {
    let mut groups: BTreeMap<Signature, FailureGroup> = BTreeMap::new();
    let mut seen = 0;
    for (seed, violation, repro, shrink) in failures {
        seen += 1;
        let signature = signature(violation);
        let group = groups
            .entry(signature.clone())
            .or_insert_with(|| FailureGroup {
                signature,
                seeds: 0,
                first_seed: seed,
                repro: repro.to_string(),
                shrink: shrink.map(str::to_string),
            });
        group.seeds += 1;
        if seed < group.first_seed {
            group.first_seed = seed;
            group.repro = repro.to_string();
            group.shrink = shrink.map(str::to_string);
        }
    }
    let mut groups: Vec<FailureGroup> = groups.into_values().collect();
    groups.sort_by_key(|g| (std::cmp::Reverse(g.seeds), g.first_seed));
    assert_eq!(
        groups.iter().map(|g| g.seeds).sum::<u64>(),
        seen,
        "every failure is in one group"
    );
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    fn violation(invariant: &str, evidence: &str) -> Violation {
        Violation {
            invariant: invariant.to_string(),
            evidence: evidence.to_string(),
        }
    }

    #[test]
    fn the_signature_names_the_operation_and_the_fault() {
        let read = violation(
            "read_consistency",
            "op#247 load_messages_since('agent-2', since 0 ms) task=3 [32,32 ms] ok: expected",
        );
        let s = signature(&read);
        assert_eq!(s.operation, "load_messages_since");
        assert_eq!(s.fault, None);
        let durable = violation(
            "acknowledged_durability",
            "recovery 7: agent 'agent-1' durable state after storage_write_fail on commit",
        );
        let s = signature(&durable);
        assert_eq!(s.operation, "durable check");
        assert_eq!(s.fault, Some("storage_write_fail"));
        assert_eq!(
            signature(&violation("panic", "task 0 panicked")).operation,
            "run"
        );
    }

    #[test]
    fn seeds_with_one_signature_form_one_group_largest_first() {
        let a = violation("read_consistency", "op#1 load_agent('a') ok");
        let b = violation("no_orphans", "final: message of agent 'x'");
        let failures = vec![
            (9, &a, "dst run --seed 9", Some("dst shrink --seed 9")),
            (4, &b, "dst run --seed 4", Some("dst shrink --seed 4")),
            (3, &a, "dst run --seed 3", Some("dst shrink --seed 3")),
        ];
        let groups = group(failures);
        assert_eq!(groups.len(), 2);
        assert_eq!(groups[0].signature.invariant, "read_consistency");
        assert_eq!((groups[0].seeds, groups[0].first_seed), (2, 3));
        assert_eq!(groups[0].repro, "dst run --seed 3");
        assert_eq!(groups[0].shrink.as_deref(), Some("dst shrink --seed 3"));
        assert_eq!((groups[1].seeds, groups[1].first_seed), (1, 4));
    }
}
