//! Scenario files: every number has a bound (no accepted scenario overflows, exhausts memory or
//! runs for hours), a swarm scenario always keeps an operation on, `crash.crashes_max` bounds the
//! crash faults of every kind (0: none), and `expect` is honoured: a scenario that expects a
//! violation passes when one is found, and finding none is the failure (`expected_violation`).

use crate::common;
use crate::sweep_support;

use serde_json::{json, Value};
use sweep_support::{dst, scenario_file, Scratch};

fn run_file(scratch: &Scratch, edit: impl FnOnce(&mut Value), args: &[&str]) -> common::Run {
    let file = scenario_file(&scratch.path, "default", "edited", edit);
    let args = [
        &["run", "--seed", "1", "--scenario", file.to_str().unwrap()][..],
        args,
    ]
    .concat();
    dst(&scratch.path, &args)
}

#[test]
fn every_number_is_bounded_and_the_error_names_field_and_value() {
    let scratch = Scratch::new("bounds");
    let cases: Vec<(&str, Value, &str)> = vec![
        ("agents", json!(1001), "field 'agents' is 1001"),
        ("tasks", json!(257), "field 'tasks' is 257"),
        ("tasks", json!(0), "field 'tasks' is 0"),
        (
            "operations",
            json!(1_000_001),
            "field 'operations' is 1000001",
        ),
        (
            "steps_max",
            json!(100_000_001),
            "field 'steps_max' is 100000001",
        ),
        (
            "time_ms_max",
            json!(u64::MAX),
            "field 'time_ms_max' is 18446744073709551615",
        ),
        (
            "crash",
            json!({"per_commit": 0.1, "per_write": 0.1, "crashes_max": 1001}),
            "field 'crash.crashes_max' is 1001",
        ),
        (
            "latency",
            json!({"probability": 0.1, "ms_min": 1, "ms_max": 60001}),
            "field 'latency.ms_max' is 60001",
        ),
        (
            "op_weights",
            json!({"iterate": 1_000_001}),
            "field 'op_weights.iterate' is 1000001",
        ),
        (
            "op_weights",
            json!({"delete_agent": 5}),
            "one of create_agent, iterate must weigh more than 0",
        ),
        (
            "op_weights",
            json!({"iterate": 0}),
            "every operation weight 0",
        ),
        (
            "description",
            json!("d".repeat(5000)),
            "field 'description' is 5000 bytes",
        ),
        (
            "faults",
            json!([{"fault": "disk_full", "probability": 0.1, "latency_ms_max": 5}]),
            "faults[0]: latency_ms_min and latency_ms_max",
        ),
        (
            "faults",
            json!([{"fault": "disk_full", "probability": 1.5}]),
            "faults[0]: probability of disk_full is 1.5",
        ),
    ];
    for (field, value, needle) in cases {
        let run = run_file(&scratch, |s| s[field] = value.clone(), &[]);
        assert_eq!(run.code, 2, "{field} = {value}: {}", run.stderr);
        assert!(
            run.stderr.contains(needle),
            "{field} = {value}: {}",
            run.stderr
        );
        assert!(!run.stderr.contains("panicked"));
    }
    let many = vec![json!({"fault": "disk_full", "probability": 0.001}); 65];
    let run = run_file(&scratch, |s| s["faults"] = Value::from(many), &[]);
    run.assert_refused("has 65 rules, more than 64");
    let no_swarm = run_file(
        &scratch,
        |s| {
            s["swarm"] = json!(false);
            s["op_weights"] = json!({"create_agent": 1, "load_agent": 3});
        },
        &[],
    );
    assert_eq!(
        no_swarm.code, 0,
        "without swarm any operation mix runs: {}",
        no_swarm.stderr
    );
}

#[test]
fn crashes_max_bounds_crash_faults_of_every_kind() {
    let scratch = Scratch::new("crashes-max");
    for max in [0u64, 2] {
        let run = run_file(
            &scratch,
            |s| {
                s["crash"] = json!({"per_commit": 1.0, "per_write": 1.0, "crashes_max": max});
                s["swarm"] = json!(false);
            },
            &["--json"],
        );
        assert_eq!(run.code, 0, "{}", run.stderr);
        let report = run.json();
        let crash_faults: u64 = report["faults_by_type"]
            .as_object()
            .unwrap()
            .iter()
            .filter(|(name, _)| name.starts_with("crash_"))
            .map(|(_, n)| n.as_u64().unwrap())
            .sum();
        assert_eq!(
            crash_faults, max,
            "crash faults of every kind, together, reach the budget"
        );
        assert!(
            report["crashes"].as_u64().unwrap() <= max + 1,
            "at most the budget, and the liveness phase's restart"
        );
    }
}

#[test]
fn expect_violation_passes_on_a_violation_and_fails_without_one() {
    let scratch = Scratch::new("expect");
    let lossy = dst(
        &scratch.path,
        &[
            "sweep",
            "--seeds",
            "1..6",
            "--scenario",
            "lossy-disk",
            "--json",
        ],
    );
    let json = lossy.json();
    assert_eq!(
        lossy.code,
        u8::from(json["failed"] != 0) as i32,
        "{}",
        lossy.stderr
    );
    assert!(
        json["passed"].as_u64().unwrap() > 0,
        "lossy-disk finds its violation: {json}"
    );
    let found = dst(
        &scratch.path,
        &["run", "--seed", "1", "--scenario", "lossy-disk"],
    );
    assert_eq!(found.code, 0, "{}", found.stdout);
    assert!(
        found
            .stdout
            .contains("verdict: PASS (the scenario expects a violation"),
        "{}",
        found.stdout
    );

    let file = scenario_file(&scratch.path, "no-faults", "expects", |s| {
        s["expect"] = json!("violation")
    });
    let missing = dst(
        &scratch.path,
        &[
            "run",
            "--seed",
            "1",
            "--scenario",
            file.to_str().unwrap(),
            "--trace",
            "t.jsonl",
        ],
    );
    assert_eq!(missing.code, 1, "{}", missing.stdout);
    assert!(
        missing.stdout.contains("violation: expected_violation"),
        "{}",
        missing.stdout
    );
    let replay = dst(&scratch.path, &["replay", "t.jsonl"]);
    assert_eq!(
        replay.code, 0,
        "the judged verdict replays: {}",
        replay.stderr
    );
    assert!(
        replay.stdout.contains("recorded verdict: FAIL"),
        "{}",
        replay.stdout
    );
}
