//! `dst replay`: an untouched `--trace` file replays `identical`; an edited, truncated or
//! foreign-version trace is refused with exit 2 and a message naming what is wrong.

mod common;

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
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("truncated"), "{}", out.stderr);
    let foreign = scratch.join("v99.jsonl");
    std::fs::write(
        &foreign,
        text.replacen("\"trace_format\":1", "\"trace_format\":99", 1),
    )
    .unwrap();
    let out = dst(&scratch.path, &["replay", foreign.to_str().unwrap()]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("trace format version 99"),
        "{}",
        out.stderr
    );
}
