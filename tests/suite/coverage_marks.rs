//! Coverage marks: each corner of the fault space fires its mark in the scenario built to reach
//! it, none fires where it cannot, and `--require-coverage` names what never fired.

use std::collections::BTreeMap;
use std::process::Command;

use dst::run::{run_seed, RunConfig};
use dst::trace::NullSink;
use dst::workload::{mark_names, Scenario};
use dst::BugSet;

/// Marks fired over `seeds` of `scenario`, summed.
fn fired(scenario: &str, seeds: std::ops::Range<u64>) -> BTreeMap<String, u64> {
    let mut total = BTreeMap::new();
    for seed in seeds {
        let config = RunConfig {
            seed,
            scenario: Scenario::built_in(scenario).unwrap(),
            bugs: BugSet::none(),
            decisions: None,
        };
        for (mark, count) in run_seed(&config, &mut NullSink).coverage {
            *total.entry(mark).or_default() += count;
        }
    }
    total
}

fn assert_fired(fired: &BTreeMap<String, u64>, marks: &[&str], scenario: &str) {
    for mark in marks {
        assert!(
            fired.get(*mark).copied().unwrap_or(0) > 0,
            "{mark} never fired in {scenario}: {fired:?}"
        );
    }
}

#[test]
fn damaged_records_are_seen_detected_in_the_corruption_scenario() {
    let marks = fired("corruption", 1..11);
    assert_fired(
        &marks,
        &[
            "detected.corrupt_read",
            "detected.torn_record",
            "detected.torn_header",
            "detected.misdirected_record",
            "fault.partial_write.commit",
        ],
        "corruption",
    );
    assert!(!marks.keys().any(|m| m.starts_with("fault.fsync_fail")));
}

#[test]
fn crashes_in_commits_are_seen_both_applied_and_absent() {
    let marks = fired("crash-heavy", 1..11);
    assert_fired(
        &marks,
        &[
            "crash_in_commit.recovered_applied",
            "crash_in_commit.recovered_absent",
            "recovery.running_session",
            "fault.crash_during_transaction.commit",
        ],
        "crash-heavy",
    );
    assert!(!marks.keys().any(|m| m.starts_with("detected.")));
}

#[test]
fn contention_retries_conflicts_to_success_and_to_exhaustion() {
    let marks = fired("contention", 1..31);
    assert_fired(
        &marks,
        &[
            "conflict.retried_to_success",
            "conflict.retried_to_exhaustion",
            "race.delete_agent_vs_checkpoint",
        ],
        "contention",
    );
}

#[test]
fn a_run_without_faults_fires_no_fault_mark_and_every_name_is_known() {
    let marks = fired("no-faults", 1..4);
    let names = mark_names();
    assert!(names.len() >= 15, "only {} marks", names.len());
    assert!(marks.keys().all(|m| names.contains(m)), "{marks:?}");
    assert!(!marks.keys().any(|m| m.starts_with("fault.")), "{marks:?}");
}

#[test]
fn require_coverage_fails_a_sweep_that_missed_marks_and_names_them() {
    let out = std::env::temp_dir().join(format!("dst-coverage-{}", std::process::id()));
    let output = Command::new(env!("CARGO_BIN_EXE_dst"))
        .args(["sweep", "--seeds", "1..3", "--scenario", "no-faults"])
        .args(["--require-coverage", "--json", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&out);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("marks never fired") && stderr.contains("fault.disk_full.commit"),
        "{stderr}"
    );
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let coverage = json["coverage"].as_object().unwrap();
    assert_eq!(coverage.len(), mark_names().len());
    assert_eq!(coverage["fault.disk_full.commit"], 0);
    assert_eq!(json["failed"], 0, "the seeds themselves passed");
    let unfired = json["coverage_unfired"].as_array().unwrap();
    assert!(unfired.iter().any(|m| m == "detected.torn_record"));
}
