//! The page of one run: the header (seed, scenario, bugs, swarm options, trace hash, command
//! lines), the violation (its key, evidence and the history of operations it names), the
//! timeline, and the run's counts. Everything but the timeline is plain HTML, so the page reads
//! the same without its script.

use std::fmt::Write;

use crate::check::INVARIANTS;
use crate::run::Verdict;
use crate::trace::{Outcome, TraceFile, TraceHeader};

use super::assets::{page, script, TIMELINE_JS};
use super::escape::{script_json, text};
use super::timeline::{Timeline, ViolationMark};
use super::timeline_data::TimelineData;

/// A command line shown in the header, with what it does (`repro`, `replay`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommandLine {
    /// What the line does, one word.
    pub label: &'static str,
    /// The shell line.
    pub line: String,
}

/// What a run page shows besides the trace itself.
#[derive(Clone, Debug)]
pub struct RunSource {
    /// The trace file, as the user named it.
    pub trace_path: String,
    /// Lines that reproduce or re-examine the run, in the order shown.
    pub commands: Vec<CommandLine>,
}

fn names_or_none(names: Vec<&str>) -> String {
    if names.is_empty() {
        "none".to_string()
    } else {
        names.join(", ")
    }
}

fn swarm_line(header: &TraceHeader) -> String {
    let swarm = &header.swarm;
    if !swarm.enabled {
        return "off".to_string();
    }
    let faults_off = names_or_none(swarm.faults_off.iter().map(|f| f.name()).collect());
    let ops_off = names_or_none(swarm.ops_off.iter().map(|o| o.name()).collect());
    let ids = names_or_none(
        swarm
            .ids
            .named()
            .iter()
            .filter(|(_, on)| *on)
            .map(|(name, _)| *name)
            .collect(),
    );
    let weights: Vec<String> = swarm
        .op_weights
        .iter()
        .filter(|(_, weight)| **weight > 0)
        .map(|(kind, weight)| format!("{}={weight}", kind.name()))
        .collect();
    format!(
        "faults off: {faults_off}; ops off: {ops_off}; ids: {ids}; op weights: {}",
        weights.join(" ")
    )
}

fn fact(out: &mut String, name: &str, value_html: &str) {
    writeln!(out, "<dt>{name}</dt><dd>{value_html}</dd>").unwrap();
}

fn header(out: &mut String, trace: &TraceFile, source: &RunSource) {
    let (h, s) = (&trace.header, &trace.summary.summary);
    let verdict = match s.verdict {
        Verdict::Pass => "<span class=\"badge pass\">PASS</span>",
        Verdict::Fail => "<span class=\"badge fail\">FAIL</span>",
    };
    writeln!(
        out,
        "<header>\n<h1>dst run: seed {} &middot; {} {verdict}</h1>\n<dl class=\"facts\">",
        h.seed,
        text(&h.scenario.name)
    )
    .unwrap();
    fact(out, "seed", &h.seed.to_string());
    let scenario = format!(
        "<b>{}</b> &mdash; {}",
        text(&h.scenario.name),
        text(&h.scenario.description)
    );
    fact(out, "scenario", &scenario);
    let bugs = names_or_none(h.bugs.iter().map(String::as_str).collect());
    fact(out, "bugs", &format!("<code>{}</code>", text(&bugs)));
    fact(out, "swarm", &text(&swarm_line(h)));
    let hash = format!(
        "<code>{}</code> &middot; {} events &middot; {} &middot; written by dst {}",
        text(&trace.summary.trace_hash),
        trace.events.len(),
        text(&source.trace_path),
        text(&h.harness.to_string())
    );
    fact(out, "trace", &hash);
    let ops: u64 = s
        .ops
        .values()
        .map(|c| c.ok + c.failed + c.indeterminate)
        .sum();
    let run = format!(
        "{ops} operations &middot; {} faults &middot; {} crashes &middot; {} checks &middot; {} ms simulated",
        s.faults.values().sum::<u64>(),
        s.crashes,
        s.checks,
        s.sim_time_ms
    );
    fact(out, "run", &run);
    out.push_str("</dl>\n<div class=\"cmds\">\n");
    for command in &source.commands {
        writeln!(
            out,
            "<div><span class=\"muted\">{}:</span> <code>{}</code></div>",
            text(command.label),
            text(&command.line)
        )
        .unwrap();
    }
    out.push_str("</div>\n</header>\n");
}

/// `evidence` escaped, with every `op#ID` of an operation in the trace a link to it.
fn evidence_html(evidence: &str, timeline: &Timeline) -> String {
    let mut out = String::new();
    let mut rest = evidence;
    while let Some(at) = rest.find("op#") {
        out.push_str(&text(&rest[..at]));
        let after = &rest[at + 3..];
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        let reference = &rest[at..at + 3 + digits];
        match after[..digits].parse::<u64>() {
            Ok(op) if timeline.op(op).is_some() => write!(
                out,
                "<a class=\"opref\" href=\"#timeline\" data-op=\"{op}\">{reference}</a>"
            )
            .unwrap(),
            _ => out.push_str(&text(reference)),
        }
        rest = &after[digits..];
    }
    out.push_str(&text(rest));
    out
}

fn history_table(out: &mut String, violation: &ViolationMark, timeline: &Timeline) {
    out.push_str("<table class=\"history\"><tr><th>op</th><th>call</th><th>arguments</th><th>task</th><th>sim ms</th><th>events</th><th>result</th></tr>\n");
    for op in violation.history.iter().filter_map(|id| timeline.op(*id)) {
        let result = match op.outcome {
            Some(Outcome::Ok) => "ok",
            Some(Outcome::Failed) => "failed",
            Some(Outcome::Indeterminate) => "indeterminate",
            None => "never returned",
        };
        let detail = if op.detail.is_empty() {
            String::new()
        } else {
            format!(": {}", text(&op.detail))
        };
        writeln!(
            out,
            "<tr><td><a class=\"opref\" href=\"#timeline\" data-op=\"{id}\">op#{id}</a></td><td>{}</td><td class=\"mono\">{}</td><td>{}</td><td>{}..{}</td><td>{}..{}</td><td>{result}{detail}</td></tr>",
            text(&op.name),
            text(&op.args),
            op.task,
            op.start_ms,
            op.end_ms,
            op.start_index,
            op.end_index,
            id = op.id
        )
        .unwrap();
    }
    out.push_str("</table>\n");
}

fn violation_article(out: &mut String, i: usize, timeline: &Timeline, total: u64) {
    let v = &timeline.violations[i];
    let hidden = if i == 0 { "" } else { " hidden" };
    writeln!(
        out,
        "<article class=\"vio\" data-v=\"{i}\"{hidden}>\n<h2>violation: <span class=\"inv\">{}</span> <small class=\"muted\">({} of {} kept, {total} found)</small></h2>",
        text(&v.invariant),
        i + 1,
        timeline.violations.len()
    )
    .unwrap();
    let key = match &v.key {
        Some(key) => format!("<code class=\"key\">{}</code>", text(key)),
        None => "<span class=\"muted\">(the evidence names no single key)</span>".to_string(),
    };
    writeln!(
        out,
        "<div>key: {key} &middot; found at {} ms, event {} &middot; {} operations named, outlined on the timeline</div>",
        v.time_ms,
        v.index,
        v.history.len()
    )
    .unwrap();
    writeln!(
        out,
        "<pre class=\"evidence\">{}</pre>",
        evidence_html(&v.evidence, timeline)
    )
    .unwrap();
    out.push_str("<details><summary>history: the operations the evidence names</summary>\n");
    history_table(out, v, timeline);
    out.push_str("</details>\n</article>\n");
}

fn violation_section(out: &mut String, trace: &TraceFile, timeline: &Timeline) {
    if timeline.violations.is_empty() {
        out.push_str("<section id=\"violation\" class=\"pass\"><h2>no violation: every invariant held</h2></section>\n");
        return;
    }
    let total = trace.summary.summary.violations_total;
    out.push_str("<section id=\"violation\" class=\"violation\">\n");
    for i in 0..timeline.violations.len() {
        violation_article(out, i, timeline, total);
    }
    out.push_str("<div class=\"vlist\"><span class=\"muted\">kept violations:</span>\n");
    for (i, v) in timeline.violations.iter().enumerate() {
        let on = if i == 0 { " on" } else { "" };
        writeln!(
            out,
            "<button class=\"vsel{on}\" data-v=\"{i}\">{} {} @{} ms</button>",
            i + 1,
            text(&v.invariant),
            v.time_ms
        )
        .unwrap();
    }
    out.push_str("</div>\n</section>\n");
}

const CONTROLS: &str = r#"<div class="controls">
<label>axis <select id="mode"><option value="time">simulated time</option><option value="events">event order</option></select></label>
<button id="zoom-in">zoom in</button><button id="zoom-out">zoom out</button><button id="zoom-reset">whole run</button>
<label>from <input id="from" type="number" step="any"></label><label>to <input id="to" type="number" step="any"></label><button id="zoom-apply">show window</button>
<input id="search" type="search" placeholder="search a key or op id: agent-0, #127"><span id="search-status" class="muted"></span>
</div>
<div class="legend muted"><span><i class="sw ok"></i>ok</span><span><i class="sw failed"></i>failed</span><span><i class="sw indeterminate"></i>indeterminate</span><span><i class="sw open"></i>never returned</span><span><i class="sw fault"></i>fault on the operation</span><span><i class="sw crash"></i>crash</span><span><i class="sw restart"></i>restart</span><span><i class="sw hist"></i>named by the violation</span><span><i class="sw safety"></i>safety phase</span><span><i class="sw liveness"></i>liveness phase</span></div>
"#;

fn timeline_section(out: &mut String, timeline: &Timeline) {
    out.push_str("<section class=\"timeline-section\">\n<h2>Timeline</h2>\n");
    out.push_str(CONTROLS);
    writeln!(
        out,
        "<div id=\"timeline\" data-lanes=\"{}\" data-ops=\"{}\"></div>",
        timeline.tasks.len(),
        timeline.ops.len()
    )
    .unwrap();
    out.push_str(
        "<div id=\"view-status\" class=\"muted\"></div>\n<div id=\"details\" hidden></div>\n",
    );
    out.push_str("<p class=\"muted\">One lane per task; the top row holds every operation on the selected violation's key. Wheel to zoom, drag to pan, hover for an operation's arguments, result and events, click to keep them below; click an <span class=\"opref\">op#</span> in the evidence to zoom to it. A view can be linked: <code>#mode=events&amp;from=100&amp;to=400&amp;violation=2&amp;search=agent-0</code> (or <code>#invariant=NAME</code>).</p>\n");
    out.push_str("</section>\n<div id=\"tip\" hidden></div>\n");
}

fn counts_section(out: &mut String, trace: &TraceFile, timeline: &Timeline) {
    let s = &trace.summary.summary;
    out.push_str("<div class=\"cols\">\n<div><h2>Operations</h2><table><tr><th>call</th><th>ok</th><th>failed</th><th>indeterminate</th></tr>\n");
    for (call, c) in &s.ops {
        writeln!(
            out,
            "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            text(call),
            c.ok,
            c.failed,
            c.indeterminate
        )
        .unwrap();
    }
    out.push_str(
        "</table></div>\n<div><h2>Faults</h2><table><tr><th>fault</th><th>fired</th></tr>\n",
    );
    for (fault, count) in &s.faults {
        writeln!(
            out,
            "<tr><td>{}</td><td class=\"num\">{count}</td></tr>",
            text(fault)
        )
        .unwrap();
    }
    writeln!(
        out,
        "</table><p>{} crashes, {} restarts, {} checks held</p></div>",
        timeline.crashes.len(),
        timeline.restarts.len(),
        timeline.checks
    )
    .unwrap();
    out.push_str("<div><h2>Invariants</h2><table><tr><th>invariant</th><th>holds when</th><th>kept violations</th></tr>\n");
    for (name, meaning) in INVARIANTS {
        let kept = timeline
            .violations
            .iter()
            .filter(|v| v.invariant == name)
            .count();
        writeln!(
            out,
            "<tr><td class=\"inv\">{}</td><td>{}</td><td class=\"num\">{kept}</td></tr>",
            text(name),
            text(meaning)
        )
        .unwrap();
    }
    out.push_str("</table></div>\n</div>\n");
}

/// The self-contained HTML page of the run recorded in `trace`.
pub fn run_page(trace: &TraceFile, source: &RunSource) -> String {
    let timeline = Timeline::build(&trace.events);
    let mut body = String::new();
    header(&mut body, trace, source);
    violation_section(&mut body, trace, &timeline);
    timeline_section(&mut body, &timeline);
    counts_section(&mut body, trace, &timeline);
    writeln!(
        body,
        "<script type=\"application/json\" id=\"timeline-data\">{}</script>",
        script_json(&TimelineData::new(&timeline))
    )
    .unwrap();
    body.push_str(&script(TIMELINE_JS));
    let h = &trace.header;
    let verdict = match trace.summary.summary.verdict {
        Verdict::Pass => "pass",
        Verdict::Fail => "fail",
    };
    let title = format!("dst seed {} {} {verdict}", h.seed, h.scenario.name);
    page(&title, &body)
}
