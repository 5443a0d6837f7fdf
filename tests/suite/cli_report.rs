//! `dst report`: a trace or a sweep folder drawn as one self-contained HTML page; bad input
//! exits 2 naming the path; every string from the trace is escaped; `run --html` and
//! `sweep --html` draw failing seeds. (The page in a real browser: tests/suite/report_browser.rs.)

use crate::common;

use std::path::Path;

use common::{dst, Scratch};
use dst::run::{run_seed, RunConfig, Verdict, Violation};
use dst::trace::EventSink;
use dst::trace::{
    header_hash, Event, EventKind, Outcome, Phase, SummaryLine, TraceHasher, TraceHeader,
    TraceSummary, VecSink,
};
use dst::workload::Scenario;
use dst::{BugSet, FaultType};

const PLANTED: [&str; 6] = [
    "--seed",
    "3",
    "--scenario",
    "crash-heavy",
    "--bug",
    "non-atomic-checkpoint",
];

fn planted_trace(scratch: &Scratch) -> String {
    let path = scratch.join("t.jsonl").to_str().unwrap().to_string();
    let mut args = vec!["run"];
    args.extend(PLANTED);
    args.extend(["--trace", &path]);
    let run = dst(&scratch.path, &args);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    path
}

fn report(scratch: &Scratch, args: &[&str]) -> String {
    let mut all = vec!["report"];
    all.extend(args);
    let out = dst(&scratch.path, &all);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let written = out
        .stdout
        .trim()
        .strip_prefix("report: ")
        .expect("names the page");
    std::fs::read_to_string(scratch.path.join(written)).expect("the page was written")
}

/// Whether the page loads anything from the network: a `src` or `href` to http(s).
fn loads_from_network(html: &str) -> bool {
    let lower = html.to_lowercase();
    [
        "src=\"http",
        "src='http",
        "href=\"http",
        "href='http",
        "url(http",
        "@import",
    ]
    .iter()
    .any(|needle| lower.contains(needle))
}

/// The JSON the page's script draws from.
fn timeline_data(html: &str) -> serde_json::Value {
    let open = "<script type=\"application/json\" id=\"timeline-data\">";
    let start = html.find(open).expect("the page embeds its data") + open.len();
    let end = start + html[start..].find("</script>").unwrap();
    serde_json::from_str(&html[start..end]).expect("the data is JSON")
}

#[test]
fn a_planted_bug_trace_draws_a_self_contained_page_naming_its_violations() {
    let scratch = Scratch::new("report-page");
    let trace = planted_trace(&scratch);
    let html = report(&scratch, &[&trace, "-o", "page.html"]);
    let text = std::fs::read_to_string(&trace).unwrap();
    let summary: serde_json::Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
    let kept = summary["summary"]["violations"].as_array().unwrap();
    assert!(html.len() > 10_000, "{} bytes", html.len());
    assert!(!loads_from_network(&html));
    assert!(html.contains("Content-Security-Policy"));
    assert!(html.contains(summary["trace_hash"].as_str().unwrap()));
    assert!(html.contains("dst run --seed 3 --scenario crash-heavy --bug non-atomic-checkpoint"));
    assert_eq!(html.matches("<article class=\"vio\"").count(), kept.len());
    for violation in kept {
        let name = violation["invariant"].as_str().unwrap();
        assert!(html.contains(&format!("<span class=\"inv\">{name}</span>")));
    }
    assert!(html.contains("<span class=\"inv\">checkpoint_atomicity</span>"));
    let data = timeline_data(&html);
    let starts = text
        .lines()
        .filter(|l| l.contains("\"kind\":\"op_start\""))
        .count();
    assert_eq!(data["ops"].as_array().unwrap().len(), starts);
}

#[test]
fn the_page_is_a_pure_function_of_the_trace_and_lands_next_to_it_by_default() {
    let scratch = Scratch::new("report-default");
    let trace = planted_trace(&scratch);
    let first = report(&scratch, &[&trace]);
    let second = report(&scratch, &[&trace]);
    assert_eq!(first, second);
    assert!(scratch.path.join("t.html").exists());
}

#[test]
fn bad_input_exits_2_naming_the_path() {
    let scratch = Scratch::new("report-bad");
    let trace = planted_trace(&scratch);
    let text = std::fs::read_to_string(&trace).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    std::fs::write(scratch.join("cut.jsonl"), lines[..20].join("\n")).unwrap();
    let edited = text.replacen("\"time_ms\":0,", "\"time_ms\":1,", 3);
    std::fs::write(scratch.join("edited.jsonl"), edited).unwrap();
    std::fs::create_dir(scratch.join("empty-dir")).unwrap();
    let cases: [(&[&str], &str); 5] = [
        (&["missing.jsonl"], "missing.jsonl"),
        (&["cut.jsonl"], "truncated"),
        (&["edited.jsonl"], "edited"),
        (&["empty-dir"], "empty-dir"),
        (&["t.jsonl", "-o", "t.jsonl"], "overwrite"),
    ];
    for (args, needle) in cases {
        let mut all = vec!["report"];
        all.extend(args);
        let out = dst(&scratch.path, &all);
        assert_eq!(out.code, 2, "{args:?}: {}{}", out.stdout, out.stderr);
        assert!(out.stderr.starts_with("error: "), "{}", out.stderr);
        assert!(out.stderr.contains(needle), "{args:?}: {}", out.stderr);
    }
}

/// Ids are adversarial: markup, quotes, a newline, a NUL, non-ASCII, a network URL.
const EVIL: &str =
    "</script><script>alert(1)</script>\"'<marquee>&amp;\n\u{0}агент🤖 src=\"http://x\"";

fn event(index: u64, task: Option<u32>, kind: EventKind) -> Event {
    Event {
        index,
        time_ms: index,
        task,
        kind,
    }
}

/// A valid trace whose scenario name, arguments, fault, error and evidence are all [`EVIL`].
fn write_adversarial_trace(path: &Path) {
    let config = RunConfig {
        seed: 1,
        scenario: Scenario::built_in("no-faults").unwrap(),
        bugs: BugSet::none(),
        decisions: None,
    };
    let report = run_seed(&config, &mut VecSink::default());
    let mut header = TraceHeader::new(&config, &report);
    header.scenario.name = EVIL.to_string();
    let evidence =
        format!("op#0 load_agent('{EVIL}') task=0 [1,3 ms] failed: {EVIL}; history: op#0");
    let events = vec![
        event(
            0,
            None,
            EventKind::Phase {
                phase: Phase::Safety,
            },
        ),
        event(
            1,
            Some(0),
            EventKind::OpStart {
                op_id: 0,
                op: "load_agent".into(),
                args: EVIL.to_string(),
            },
        ),
        event(
            2,
            Some(0),
            EventKind::Fault {
                fault: FaultType::StorageReadFail,
                op: dst::kv::KvOp::Get,
                key: EVIL.to_string(),
                effect: EVIL.to_string(),
            },
        ),
        event(
            3,
            Some(0),
            EventKind::OpResult {
                op_id: 0,
                outcome: Outcome::Failed,
                detail: EVIL.to_string(),
            },
        ),
        event(
            4,
            None,
            EventKind::Violation {
                invariant: "read_consistency".to_string(),
                evidence: evidence.clone(),
            },
        ),
    ];
    let mut hasher = TraceHasher::new();
    let mut text = serde_json::to_string(&header).unwrap() + "\n";
    for e in &events {
        hasher.record(e);
        text += &(serde_json::to_string(e).unwrap() + "\n");
    }
    let mut summary = TraceSummary::new(&report);
    summary.verdict = Verdict::Fail;
    summary.events = events.len() as u64;
    summary.violations = vec![Violation {
        invariant: "read_consistency".to_string(),
        evidence,
    }];
    summary.violations_total = 1;
    let line = SummaryLine {
        summary,
        header_hash: header_hash(text.lines().next().unwrap()),
        trace_hash: hasher.hex(),
    };
    text += &(serde_json::to_string(&line).unwrap() + "\n");
    std::fs::write(path, text).unwrap();
}

#[test]
fn every_string_from_the_trace_is_escaped_and_reaches_the_script_unchanged() {
    let scratch = Scratch::new("report-evil");
    write_adversarial_trace(&scratch.join("evil.jsonl"));
    let html = report(&scratch, &["evil.jsonl"]);
    assert_eq!(
        html.matches("<script").count(),
        2,
        "only the page's own scripts"
    );
    assert_eq!(html.matches("</script>").count(), 2);
    assert!(!html.contains("<marquee>"));
    assert!(!html.contains('\0'));
    assert!(!loads_from_network(&html));
    let escaped = "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&lt;marquee&gt;&amp;amp;\u{240a}\u{2400}агент🤖 src=&quot;http://x&quot;";
    assert!(
        html.contains(&format!("<code class=\"key\">{escaped}</code>")),
        "the key is named, escaped"
    );
    assert!(html.contains("repro:</span> <code>dst replay evil.jsonl</code>"));
    let data = timeline_data(&html);
    assert_eq!(data["ops"][0][3], EVIL);
    assert_eq!(data["ops"][0][9], EVIL);
    assert_eq!(data["faults"][0][5], EVIL);
    assert_eq!(data["violations"][0]["key"], EVIL);
}

#[test]
fn run_html_draws_a_failing_run_and_nothing_for_a_passing_one() {
    let scratch = Scratch::new("report-run-html");
    let mut args = vec!["run"];
    args.extend(PLANTED);
    args.extend(["--html", "pages"]);
    let run = dst(&scratch.path, &args);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let page = scratch.join("pages/crash-heavy+non-atomic-checkpoint-seed-3.html");
    assert!(run.stderr.contains("html: pages/"), "{}", run.stderr);
    let html = std::fs::read_to_string(page).expect("the failing run's page");
    assert!(html.contains("dst run --seed 3 --scenario crash-heavy --bug non-atomic-checkpoint"));
    let pass = dst(
        &scratch.path,
        &[
            "run",
            "--seed",
            "1",
            "--scenario",
            "no-faults",
            "--html",
            "passing",
        ],
    );
    assert_eq!(pass.code, 0, "{}", pass.stderr);
    assert!(!scratch.join("passing").exists());
}

#[test]
fn a_sweep_draws_its_failures_histograms_and_coverage_when_recorded() {
    let scratch = Scratch::new("report-sweep");
    let sweep = dst(
        &scratch.path,
        &[
            "sweep",
            "--seeds",
            "1..5",
            "--scenario",
            "crash-heavy",
            "--bug",
            "torn-commit",
            "--jobs",
            "1",
            "--out",
            "sw",
            "--html",
            "pages",
        ],
    );
    assert_eq!(sweep.code, 1, "{}{}", sweep.stdout, sweep.stderr);
    let summary_path = scratch.join("sw/summary.json");
    let mut summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&summary_path).unwrap()).unwrap();
    let index = std::fs::read_to_string(scratch.join("pages/index.html")).unwrap();
    for failure in summary["failures"].as_array().unwrap() {
        let seed = failure["seed"].as_u64().unwrap();
        assert!(index.contains(&format!("<a href=\"seed-{seed}.html\">{seed}</a>")));
        assert!(scratch.join(&format!("pages/seed-{seed}.html")).exists());
    }
    let html = report(&scratch, &["sw"]);
    assert!(scratch.join("sw/report.html").exists());
    assert!(!loads_from_network(&html));
    assert!(html.contains("Failing seeds per invariant"));
    assert!(html.contains("class=\"chart histogram\""));
    assert!(html.contains("Simulated latency per operation"));
    let marks = dst::workload::mark_names().len();
    assert!(html.contains("Coverage marks"));
    assert!(
        html.contains(&format!("<p>{marks} marks, ")),
        "every mark is drawn"
    );
    assert!(html.contains("fault.crash_during_transaction.commit"));
    summary["coverage"] = serde_json::json!({"crash_mid_checkpoint": 3, "<never>": 0});
    std::fs::write(&summary_path, summary.to_string()).unwrap();
    let html = report(&scratch, &["sw", "-o", "with-coverage.html"]);
    assert!(html.contains("Coverage marks"));
    assert!(html.contains("2 marks, 1 hit, 1 never hit"));
    assert!(html.contains("&lt;never&gt;"));
}
