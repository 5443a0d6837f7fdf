//! Every planted bug is caught: a sweep of at most 300 seeds of the named scenario finds a
//! violation of the expected invariant, and the same seeds without the bug are clean.

use dst::run::{run_seed, RunConfig, RunReport, Verdict};
use dst::trace::NullSink;
use dst::workload::Scenario;
use dst::{Bug, BugSet};

fn run(scenario: &str, seed: u64, bugs: BugSet) -> RunReport {
    let config = RunConfig {
        seed,
        scenario: Scenario::built_in(scenario).unwrap(),
        bugs,
        decisions: None,
    };
    run_seed(&config, &mut NullSink)
}

fn assert_caught(bug: Bug, scenario: &str, invariant: &str) {
    let first = (1..=300u64)
        .find(|seed| {
            let report = run(scenario, *seed, BugSet::of(&[bug]));
            report.verdict == Verdict::Fail
                && report.violations.iter().any(|v| v.invariant == invariant)
        })
        .unwrap_or_else(|| panic!("{bug} never broke {invariant} in 300 seeds of {scenario}"));
    for seed in 1..=first {
        let clean = run(scenario, seed, BugSet::none());
        assert_eq!(
            clean.verdict,
            Verdict::Pass,
            "{scenario} seed {seed} fails without {bug}: {:?}",
            clean.violations
        );
    }
}

#[test]
fn non_atomic_checkpoint_breaks_checkpoint_atomicity() {
    assert_caught(
        Bug::NonAtomicCheckpoint,
        "crash-heavy",
        "checkpoint_atomicity",
    );
}

#[test]
fn checkpoint_skipping_the_agent_check_leaves_orphans() {
    assert_caught(Bug::CheckpointSkipsAgentCheck, "default", "no_orphans");
}

#[test]
fn deleting_the_parent_first_leaves_orphans() {
    assert_caught(Bug::DeleteAgentParentFirst, "crash-heavy", "no_orphans");
}

#[test]
fn a_torn_commit_breaks_checkpoint_atomicity() {
    assert_caught(Bug::TornCommit, "crash-heavy", "checkpoint_atomicity");
}

#[test]
fn disabled_occ_loses_updates() {
    assert_caught(Bug::OccDisabled, "contention", "no_lost_updates");
}

#[test]
fn acknowledging_before_durable_loses_acknowledged_writes() {
    assert_caught(Bug::AckBeforeDurable, "default", "acknowledged_durability");
}

#[test]
fn stale_read_your_writes_breaks_read_consistency() {
    assert_caught(Bug::StaleReadYourWrites, "default", "read_consistency");
}

#[test]
fn unverified_reads_return_corrupt_data() {
    assert_caught(Bug::UnverifiedRead, "corruption", "read_consistency");
}

#[test]
fn an_inclusive_since_returns_messages_it_must_not() {
    assert_caught(Bug::SinceInclusive, "default", "read_consistency");
}

#[test]
fn a_latest_session_that_may_be_stopped_is_the_wrong_answer() {
    assert_caught(Bug::LatestIncludesStopped, "default", "read_consistency");
}

#[test]
fn an_update_that_creates_a_missing_block_breaks_the_error_contract() {
    assert_caught(Bug::UpdateCreatesMissing, "default", "error_contract");
}

#[test]
fn deleting_a_missing_agent_without_not_found_breaks_the_error_contract() {
    assert_caught(Bug::DeleteMissingAgentOk, "default", "error_contract");
}

#[test]
fn a_conflict_surfaced_without_retries_breaks_the_retry_contract() {
    assert_caught(Bug::ConflictNotRetried, "contention", "retry_contract");
}

#[test]
fn a_prefix_without_its_separator_leaks_another_agents_sessions() {
    assert_caught(
        Bug::PrefixWithoutSeparator,
        "many-agents",
        "read_consistency",
    );
}

#[test]
fn message_keys_without_the_append_number_lose_messages() {
    assert_caught(Bug::MessageKeyWithoutNumber, "default", "read_consistency");
}
