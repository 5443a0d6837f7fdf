//! Shrinking: for every planted bug, the first failing seed shrinks to a run that fails the
//! same invariant with at most a tenth of the events, deterministically, and the minimal trace
//! replays identically.

use crate::common::{self, Run, Scratch};

use dst::run::{replay, run_judged, shrink, RunConfig, ShrinkOutcome};
use dst::trace::{read_trace, TraceWriter};
use dst::workload::Scenario;
use dst::{Bug, BugSet};

/// Each planted bug, the scenario that catches it, and its first failing seed there.
const PLANTED: [(Bug, &str, u64); 15] = [
    (Bug::NonAtomicCheckpoint, "crash-heavy", 1),
    (Bug::CheckpointSkipsAgentCheck, "default", 1),
    (Bug::DeleteAgentParentFirst, "crash-heavy", 1),
    (Bug::TornCommit, "crash-heavy", 1),
    (Bug::OccDisabled, "contention", 1),
    (Bug::AckBeforeDurable, "default", 1),
    (Bug::StaleReadYourWrites, "default", 1),
    (Bug::UnverifiedRead, "corruption", 1),
    (Bug::SinceInclusive, "default", 2),
    (Bug::LatestIncludesStopped, "default", 1),
    (Bug::UpdateCreatesMissing, "default", 1),
    (Bug::DeleteMissingAgentOk, "default", 1),
    (Bug::ConflictNotRetried, "contention", 1),
    (Bug::PrefixWithoutSeparator, "many-agents", 1),
    (Bug::MessageKeyWithoutNumber, "default", 1),
];

fn config(bug: Bug, scenario: &str, seed: u64) -> RunConfig {
    RunConfig {
        seed,
        scenario: Scenario::built_in(scenario).unwrap(),
        bugs: BugSet::of(&[bug]),
        decisions: None,
    }
}

fn shrunk(config: &RunConfig) -> ShrinkOutcome {
    shrink(config, None, &mut |_| true).unwrap()
}

#[test]
fn every_planted_bug_shrinks_to_a_tenth_keeping_its_invariant_and_replays_identically() {
    let dir = std::env::temp_dir().join(format!("dst-shrink-{}", std::process::id()));
    for (bug, scenario, seed) in PLANTED {
        let config = config(bug, scenario, seed);
        let outcome = shrunk(&config);
        let (before, after) = (outcome.original.events, outcome.shrunk.events);
        assert!(after * 10 <= before, "{bug}: {after} of {before} events");
        assert!(
            outcome.shrunk.violated.contains_key(&outcome.invariant),
            "{bug}: the shrunk run no longer fails {}",
            outcome.invariant
        );
        assert!(!outcome.cut_short);
        let minimal = RunConfig {
            decisions: Some(outcome.decisions.clone()),
            ..config
        };
        let mut writer = TraceWriter::new();
        let report = run_judged(&minimal, &mut writer);
        assert!(report.violated.contains_key(&outcome.invariant), "{bug}");
        let path = dir.join(format!("{bug}.jsonl"));
        writer.finish(&minimal, &report, &path).unwrap();
        let trace = read_trace(&path).unwrap();
        let replayed = replay(&trace).unwrap();
        assert!(
            replayed.identical(&trace),
            "{bug}: {:?}",
            replayed.divergence
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_same_input_shrinks_to_the_same_output() {
    let config = config(Bug::TornCommit, "crash-heavy", 1);
    let (first, second) = (shrunk(&config), shrunk(&config));
    assert_eq!(first.decisions, second.decisions);
    assert_eq!(first.shrunk.trace_hash, second.shrunk.trace_hash);
    assert_eq!(first.attempts, second.attempts);
}

#[test]
fn a_budget_cuts_the_search_short_and_keeps_the_best_run_so_far() {
    let config = config(Bug::DeleteAgentParentFirst, "crash-heavy", 1);
    let outcome = shrink(&config, None, &mut |progress| progress.attempts < 5).unwrap();
    assert!(outcome.cut_short);
    assert_eq!(outcome.attempts, 5);
    assert!(outcome.shrunk.violated.contains_key(&outcome.invariant));
}

#[test]
fn a_passing_run_or_an_invariant_it_does_not_break_is_refused() {
    let passing = RunConfig {
        bugs: BugSet::none(),
        ..config(Bug::TornCommit, "no-faults", 1)
    };
    let error = shrink(&passing, None, &mut |_| true).unwrap_err();
    assert!(error.contains("passes"), "{error}");
    let config = config(Bug::AckBeforeDurable, "default", 1);
    let error = shrink(&config, Some("no_lost_updates"), &mut |_| true).unwrap_err();
    assert!(error.contains("not no_lost_updates"), "{error}");
}

/// Runs `dst ARGS` in a scratch directory of its own.
fn dst(args: &[&str]) -> Run {
    let scratch = Scratch::new("shrink-cli");
    common::dst(&scratch.path, args)
}

#[test]
fn the_command_writes_the_minimal_trace_reports_sizes_and_shrinks_a_trace_again() {
    let dir = Scratch::new("shrink-minimal");
    let first = dir.join("min.jsonl");
    let out = dst(&[
        "shrink",
        "--seed",
        "1",
        "--scenario",
        "default",
        "--bug",
        "checkpoint-skips-agent-check",
        "--json",
        "-o",
        first.to_str().unwrap(),
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let json = out.json();
    assert_eq!(json["invariant"], "no_orphans");
    let (before, after) = (
        json["original_events"].as_u64().unwrap(),
        json["shrunk_events"].as_u64().unwrap(),
    );
    assert!(after * 10 <= before, "{after} of {before}");
    assert!(json["shrunk_ops"].as_u64().unwrap() < json["original_ops"].as_u64().unwrap());
    assert_eq!(json["trace"], first.to_str().unwrap());
    assert_eq!(json["repro"], format!("dst replay {}", first.display()));
    let replay = dst(&["replay", first.to_str().unwrap()]);
    assert_eq!(replay.code, 0);
    assert!(replay.stdout.starts_with("identical"), "{}", replay.stdout);
    let again = dir.join("again.jsonl");
    let out = dst(&[
        "shrink",
        first.to_str().unwrap(),
        "-o",
        again.to_str().unwrap(),
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains("keeping no_orphans failing")
            && out.stdout.contains("VIOLATION no_orphans"),
        "{}",
        out.stdout
    );
}

#[test]
fn bad_shrink_input_exits_2_naming_the_value() {
    let out = dst(&["shrink", "--seed", "1", "--scenario", "no-faults"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("passes"), "{}", out.stderr);
    let out = dst(&["shrink", "--seed", "1", "--max-attempts", "zero"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("'zero'"), "{}", out.stderr);
    let out = dst(&["shrink", "/no/such/trace.jsonl"]);
    assert_eq!(out.code, 2);
    let out = dst(&["shrink"]);
    assert_eq!(out.code, 2);
}

/// torn-commit's first failing seed (the README's example) shrinks to two tasks from the
/// middle of the scenario's six: both outputs name them by their number in the scenario, and
/// the minimal trace replays identically.
#[test]
fn a_shrink_that_leaves_out_tasks_from_the_middle_names_the_tasks_it_kept() {
    let dir = Scratch::new("shrink-middle");
    let minimal = dir.join("min.jsonl");
    let args = [
        "shrink",
        "--seed",
        "1",
        "--scenario",
        "crash-heavy",
        "--bug",
        "torn-commit",
        "-o",
        minimal.to_str().unwrap(),
    ];
    let text = dst(&args);
    assert_eq!(text.code, 0, "{}", text.stderr);
    assert!(
        text.stdout
            .contains("tasks kept, by their number in the scenario: t0 = task 4, t1 = task 5"),
        "{}",
        text.stdout
    );
    let json = dst(&[&args[..], &["--json"]].concat()).json();
    assert_eq!(json["invariant"], "checkpoint_atomicity");
    assert_eq!(json["shrunk"]["task_numbers"], serde_json::json!([4, 5]));
    assert_eq!(
        json["original"]["task_numbers"],
        serde_json::json!([0, 1, 2, 3, 4, 5])
    );
    let replay = dst(&["replay", minimal.to_str().unwrap()]);
    assert_eq!(replay.code, 0, "{}{}", replay.stdout, replay.stderr);
    assert!(replay.stdout.starts_with("identical"), "{}", replay.stdout);
}
