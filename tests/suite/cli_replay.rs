//! `dst replay`: an untouched `--trace` file replays `identical` and prints the recorded verdict
//! and violations; an edited (event or summary line), truncated, foreign-format or
//! foreign-harness trace is refused with exit 2 and a message naming what is wrong.

use crate::common;

use common::{dst, Scratch};

fn write_trace(scratch: &Scratch, seed: &str) -> (String, String) {
    let path = scratch.join("trace.jsonl");
    let path = path.to_str().unwrap().to_string();
    let run = dst(
        &scratch.path,
        &["run", "--seed", seed, "--trace", &path, "--json"],
    );
    assert!(run.code == 0 || run.code == 1, "{}", run.stderr);
    let text = std::fs::read_to_string(&path).expect("the trace was written");
    (path, text)
}

#[test]
fn untouched_trace_replays_identical_with_its_hash() {
    let scratch = Scratch::new("replay-ok");
    let (path, text) = write_trace(&scratch, "11");
    let summary: serde_json::Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
    let out = dst(&scratch.path, &["replay", &path]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let hash = summary["trace_hash"].as_str().unwrap();
    assert!(
        out.stdout.starts_with(&format!("identical {hash}")),
        "{}",
        out.stdout
    );
}

#[test]
fn edited_event_is_refused_showing_both_versions() {
    let scratch = Scratch::new("replay-edit");
    let (_, text) = write_trace(&scratch, "11");
    let lines: Vec<&str> = text.lines().collect();
    let target = lines.len() / 2;
    let event: serde_json::Value = serde_json::from_str(lines[target]).unwrap();
    let time = event["time_ms"].as_u64().unwrap();
    let edited = lines[target].replace(
        &format!("\"time_ms\":{time}"),
        &format!("\"time_ms\":{}", time + 1),
    );
    let mut out_lines = lines.clone();
    out_lines[target] = &edited;
    let bad = scratch.join("bad.jsonl");
    std::fs::write(&bad, out_lines.join("\n") + "\n").unwrap();
    let out = dst(&scratch.path, &["replay", bad.to_str().unwrap()]);
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("edited"), "{}", out.stderr);
    assert!(
        out.stderr
            .contains(&format!("divergent at event {}", target - 1)),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("recorded:") && out.stderr.contains("replayed:"),
        "{}",
        out.stderr
    );
}

#[test]
fn truncated_and_foreign_version_traces_are_refused() {
    let scratch = Scratch::new("replay-bad");
    let (_, text) = write_trace(&scratch, "11");
    let lines: Vec<&str> = text.lines().collect();
    let truncated = scratch.join("trunc.jsonl");
    std::fs::write(&truncated, lines[..lines.len() / 3].join("\n") + "\n").unwrap();
    let out = dst(&scratch.path, &["replay", truncated.to_str().unwrap()]);
    out.assert_refused("truncated");
    let foreign = scratch.join("v99.jsonl");
    std::fs::write(
        &foreign,
        text.replacen("\"trace_format\":1", "\"trace_format\":99", 1),
    )
    .unwrap();
    let out = dst(&scratch.path, &["replay", foreign.to_str().unwrap()]);
    out.assert_refused("trace format version 99");
}

#[test]
fn a_foreign_harness_version_is_refused_naming_both_versions() {
    let scratch = Scratch::new("replay-harness");
    let (_, text) = write_trace(&scratch, "11");
    let header: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    let version = header["harness"]["crate_version"]
        .as_str()
        .unwrap()
        .to_string();
    let foreign = scratch.join("old.jsonl");
    std::fs::write(
        &foreign,
        text.replacen(
            &format!("\"crate_version\":\"{version}\""),
            "\"crate_version\":\"0.0.9\"",
            1,
        ),
    )
    .unwrap();
    let out = dst(&scratch.path, &["replay", foreign.to_str().unwrap()]);
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains("recorded by dst 0.0.9")
            && out.stderr.contains(&format!("this is dst {version}")),
        "{}",
        out.stderr
    );
    assert!(
        !out.stdout.contains("divergent"),
        "not reported as nondeterminism"
    );
}

#[test]
fn an_edited_summary_line_is_detected_and_the_recorded_verdict_printed() {
    let scratch = Scratch::new("replay-summary");
    let path = scratch.join("fail.jsonl");
    let run = dst(
        &scratch.path,
        &[
            "run",
            "--seed",
            "1",
            "--bug",
            "ack-before-durable",
            "--trace",
            path.to_str().unwrap(),
        ],
    );
    assert_eq!(run.code, 1);
    let out = dst(&scratch.path, &["replay", path.to_str().unwrap()]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains("recorded verdict: FAIL"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("violations: ") && out.stdout.contains("acknowledged_durability x"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("violation: acknowledged_durability\n  "),
        "{}",
        out.stdout
    );

    let text = std::fs::read_to_string(&path).unwrap();
    let (body, last) = text.trim_end().rsplit_once('\n').unwrap();
    for (from, to) in [
        ("\"verdict\":\"fail\"", "\"verdict\":\"pass\""),
        ("\"crashes\":", "\"crashes\":1"),
    ] {
        let edited = scratch.join("edited.jsonl");
        std::fs::write(&edited, format!("{body}\n{}\n", last.replacen(from, to, 1))).unwrap();
        let out = dst(&scratch.path, &["replay", edited.to_str().unwrap()]);
        assert_eq!(out.code, 2, "{from}: {}{}", out.stdout, out.stderr);
        assert!(
            out.stderr.contains("the summary line was edited"),
            "{}",
            out.stderr
        );
    }
}

/// Decisions in a header that no run can follow (two faults on one operation, a fault of a
/// task the run does not have or after its last action) are refused before anything runs, for
/// replay and for shrink.
#[test]
fn impossible_decisions_in_a_header_are_refused_naming_them() {
    let scratch = Scratch::new("replay-decisions");
    let (_, text) = write_trace(&scratch, "11");
    let (header, rest) = text.split_once('\n').unwrap();
    let fault = |task: u32, action: u32| serde_json::json!({"at": {"task": task, "action": action, "step": 0}, "rule": 0});
    let cases = [
        (
            vec![fault(0, 1), fault(0, 1)],
            "two faults on one operation (task 0, action 1, step 0)",
        ),
        (
            vec![fault(3, 1)],
            "decisions.faults names task 3, decisions.tasks is 1",
        ),
        (
            vec![fault(0, 2)],
            "decisions.faults names action 2 of task 0, which has 1 actions",
        ),
    ];
    for (faults, reason) in cases {
        let mut header: serde_json::Value = serde_json::from_str(header).unwrap();
        header["decisions"] = serde_json::json!({
            "tasks": 1,
            "agents": 1,
            "ids": {
                "prefixes": false,
                "unusual_chars": false,
                "at_length_limit": false,
                "invalid": false,
                "unordered_messages": false
            },
            "actions": [["create_agent"]],
            "faults": faults,
            "picks": []
        });
        let edited = scratch.join("edited.jsonl");
        std::fs::write(&edited, format!("{header}\n{rest}")).unwrap();
        for command in ["replay", "shrink"] {
            let out = dst(&scratch.path, &[command, edited.to_str().unwrap()]);
            assert_eq!(out.code, 2, "{command}: {}{}", out.stdout, out.stderr);
            assert!(out.stderr.contains(reason), "{command}: {}", out.stderr);
            assert!(
                !out.stderr.contains("panicked"),
                "{command}: {}",
                out.stderr
            );
        }
    }
}
