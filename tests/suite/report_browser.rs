//! The report in a real browser: headless Chromium opens the page from disk, runs its script,
//! and the rendered DOM (`--dump-dom`) must hold one lane per task, one bar per operation (or,
//! past the page's budget, blocks that account for every operation), and the violation on
//! screen with the operations it names outlined; a screenshot must come out.
//!
//! Skipped with a message on stderr where no Chromium is installed (`.ci/run` installs
//! Debian's `chromium`, so CI always runs it). `DST_CHROMIUM` names another binary.

use crate::common;

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{dst, Scratch};

const CANDIDATES: [&str; 4] = [
    "chromium",
    "chromium-browser",
    "google-chrome",
    "google-chrome-stable",
];

/// The browser to drive, or `None` after saying on the real stderr (past the test harness's
/// capture) that the test is skipped and why.
fn browser(test: &str) -> Option<PathBuf> {
    let named = std::env::var_os("DST_CHROMIUM").map(PathBuf::from);
    let path = std::env::var_os("PATH").unwrap_or_default();
    let found = named.or_else(|| {
        CANDIDATES.iter().find_map(|name| {
            std::env::split_paths(&path)
                .map(|dir| dir.join(name))
                .find(|p| p.is_file())
        })
    });
    if found.is_none() {
        let message = format!(
            "SKIPPED {test}: no Chromium found (looked for {} on PATH and DST_CHROMIUM); \
             install Debian's `chromium` (apt-get install -y chromium) to run it, as .ci/run does\n",
            CANDIDATES.join(", ")
        );
        // Straight to the process's stderr: the test harness captures `eprintln!`.
        std::io::stderr().write_all(message.as_bytes()).unwrap();
    }
    found
}

/// Runs headless Chromium on `page` (with `fragment`, e.g. `#from=1&to=2`) with `action`
/// (`--dump-dom` or `--screenshot=PATH`); returns its stdout.
fn chromium(
    browser: &Path,
    scratch: &Scratch,
    page: &Path,
    fragment: &str,
    action: &str,
) -> String {
    let profile = scratch.join(&format!("profile-{}", action.len() + fragment.len()));
    let out = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--window-size=1400,1000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(action)
        .arg(format!("file://{}{fragment}", page.display()))
        .output()
        .expect("chromium starts");
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("the DOM is UTF-8")
}

/// The value of `attribute` on the element whose tag text contains `marker`.
fn attribute(dom: &str, marker: &str, attribute: &str) -> String {
    let at = dom
        .find(marker)
        .unwrap_or_else(|| panic!("no {marker} in the DOM"));
    let tag = &dom[dom[..=at].rfind('<').unwrap()..];
    let tag = &tag[..tag.find('>').unwrap()];
    let key = format!("{attribute}=\"");
    let start = tag
        .find(&key)
        .unwrap_or_else(|| panic!("no {attribute} in {tag}"))
        + key.len();
    tag[start..start + tag[start..].find('"').unwrap()].to_string()
}

/// Every `<rect ...>` tag of class `bar` (a lane's bar or block), as text.
fn lane_bars(dom: &str) -> Vec<&str> {
    dom.match_indices("<rect ")
        .map(|(at, _)| &dom[at..=at + dom[at..].find('>').unwrap()])
        .filter(|tag| tag.contains(" class=\"bar "))
        .collect()
}

/// What the trace says, read independently of the report's code.
struct Expected {
    lanes: usize,
    ops: usize,
    events: usize,
    first_invariant: String,
    history: BTreeSet<u64>,
}

fn expected(trace: &Path) -> Expected {
    let text = std::fs::read_to_string(trace).unwrap();
    let mut tasks = BTreeSet::new();
    let (mut ops, mut events) = (BTreeSet::new(), 0);
    let mut first: Option<(String, String)> = None;
    for line in text.lines().skip(1).filter(|l| l.starts_with("{\"index\"")) {
        let event: serde_json::Value = serde_json::from_str(line).unwrap();
        events += 1;
        match event["kind"].as_str().unwrap() {
            "op_start" => {
                tasks.insert(event["task"].as_u64().unwrap());
                ops.insert(event["op_id"].as_u64().unwrap());
            }
            "violation" if first.is_none() => {
                let invariant = event["invariant"].as_str().unwrap().to_string();
                first = Some((invariant, event["evidence"].as_str().unwrap().to_string()));
            }
            _ => {}
        }
    }
    let (first_invariant, evidence) = first.expect("the trace has a violation");
    let history = evidence
        .split("op#")
        .skip(1)
        .filter_map(|s| s.split(|c: char| !c.is_ascii_digit()).next()?.parse().ok())
        .filter(|op| ops.contains(op))
        .collect();
    Expected {
        lanes: tasks.len(),
        ops: ops.len(),
        events,
        first_invariant,
        history,
    }
}

fn trace_and_page(scratch: &Scratch, run: &[&str]) -> (PathBuf, PathBuf) {
    let trace = scratch.join("t.jsonl");
    let mut args = vec!["run", "--trace", trace.to_str().unwrap()];
    args.extend(run);
    let out = dst(&scratch.path, &args);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    let page = scratch.join("t.html");
    let out = dst(&scratch.path, &["report", "t.jsonl", "-o", "t.html"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    (trace, page)
}

#[test]
fn the_timeline_has_a_lane_per_task_a_bar_per_operation_and_the_violation_on_screen() {
    let Some(browser) =
        browser("the_timeline_has_a_lane_per_task_a_bar_per_operation_and_the_violation_on_screen")
    else {
        return;
    };
    let scratch = Scratch::new("browser-page");
    let run = [
        "--seed",
        "3",
        "--scenario",
        "crash-heavy",
        "--bug",
        "non-atomic-checkpoint",
    ];
    let (trace, page) = trace_and_page(&scratch, &run);
    let want = expected(&trace);
    let dom = chromium(&browser, &scratch, &page, "", "--dump-dom");
    assert_eq!(
        attribute(&dom, "id=\"timeline\"", "data-lanes"),
        want.lanes.to_string()
    );
    assert_eq!(dom.matches("<g class=\"lane\"").count(), want.lanes);
    assert_eq!(
        attribute(&dom, "id=\"timeline\"", "data-downsampled"),
        "false"
    );
    let bars = lane_bars(&dom);
    assert_eq!(bars.len(), want.ops, "one bar per operation");
    let drawn: BTreeSet<u64> = bars
        .iter()
        .map(|bar| attribute(bar, "data-op", "data-op").parse().unwrap())
        .collect();
    assert_eq!(drawn.len(), want.ops, "every operation once");
    assert_eq!(attribute(&dom, "<body", "data-violation-visible"), "true");
    let shown = &dom[dom
        .find("<article class=\"vio\" data-v=\"0\">")
        .expect("shown")..];
    assert!(shown.starts_with(&format!(
        "<article class=\"vio\" data-v=\"0\">\n<h2>violation: <span class=\"inv\">{}</span>",
        want.first_invariant
    )));
    let outlined: BTreeSet<u64> = bars
        .iter()
        .filter(|bar| bar.contains(" hist"))
        .map(|bar| attribute(bar, "data-op", "data-op").parse().unwrap())
        .collect();
    assert_eq!(
        outlined, want.history,
        "the history is outlined on the timeline"
    );
    assert!(dom.contains("class=\"crash\""), "crash lines are drawn");
    assert!(dom.contains("class=\"phase phase-safety\""));

    let dom = chromium(
        &browser,
        &scratch,
        &page,
        "#mode=events&from=100&to=300",
        "--dump-dom",
    );
    let in_view: usize = attribute(&dom, "id=\"timeline\"", "data-ops-in-view")
        .parse()
        .unwrap();
    assert!(
        in_view > 0 && in_view < want.ops,
        "zoomed to a window: {in_view}"
    );
    assert_eq!(lane_bars(&dom).len(), in_view);
    let op = want.history.iter().next().unwrap();
    let dom = chromium(
        &browser,
        &scratch,
        &page,
        &format!("#search=%23{op}"),
        "--dump-dom",
    );
    let matches: Vec<&str> = lane_bars(&dom)
        .into_iter()
        .filter(|b| b.contains(" match"))
        .collect();
    assert_eq!(matches.len(), 1, "the search finds op#{op}");
    assert!(matches[0].contains(&format!("data-op=\"{op}\"")));

    let png = scratch.join("shot.png");
    chromium(
        &browser,
        &scratch,
        &page,
        "",
        &format!("--screenshot={}", png.display()),
    );
    let bytes = std::fs::read(&png).expect("a screenshot was written");
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "a PNG");
    assert!(
        bytes.len() > 20_000,
        "a picture, not a blank page: {} bytes",
        bytes.len()
    );
}

#[test]
fn a_trace_of_100000_events_is_downsampled_and_accounts_for_every_operation() {
    let Some(browser) =
        browser("a_trace_of_100000_events_is_downsampled_and_accounts_for_every_operation")
    else {
        return;
    };
    let scratch = Scratch::new("browser-large");
    let text = std::fs::read_to_string("scenarios/default.json").unwrap();
    let mut scenario: serde_json::Value = serde_json::from_str(&text).unwrap();
    scenario["name"] = "large".into();
    scenario["operations"] = 31_000.into();
    std::fs::write(scratch.join("large.json"), scenario.to_string()).unwrap();
    let run = [
        "--seed",
        "3",
        "--scenario",
        "large.json",
        "--bug",
        "non-atomic-checkpoint",
    ];
    let (trace, page) = trace_and_page(&scratch, &run);
    let want = expected(&trace);
    assert!(want.events >= 100_000, "{} events", want.events);
    let dom = chromium(&browser, &scratch, &page, "", "--dump-dom");
    assert_eq!(
        attribute(&dom, "id=\"timeline\"", "data-downsampled"),
        "true"
    );
    assert_eq!(dom.matches("<g class=\"lane\"").count(), want.lanes);
    let bars = lane_bars(&dom);
    assert!(bars.len() <= dst::report::BARS_MAX, "{} blocks", bars.len());
    let accounted: usize = bars
        .iter()
        .map(|bar| {
            attribute(bar, "data-count", "data-count")
                .parse::<usize>()
                .unwrap()
        })
        .sum();
    assert_eq!(accounted, want.ops, "every operation is in one block");
    assert_eq!(attribute(&dom, "<body", "data-violation-visible"), "true");
    let dom = chromium(
        &browser,
        &scratch,
        &page,
        "#mode=events&from=50000&to=50400",
        "--dump-dom",
    );
    assert_eq!(
        attribute(&dom, "id=\"timeline\"", "data-downsampled"),
        "false"
    );
    let in_view: usize = attribute(&dom, "id=\"timeline\"", "data-ops-in-view")
        .parse()
        .unwrap();
    assert_eq!(lane_bars(&dom).len(), in_view);
}
