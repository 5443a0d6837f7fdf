//! The page of a sweep: its counts, the failing seeds with their repro lines (and their own
//! pages when they were written), failures per invariant, wall time per seed, simulated latency
//! per operation, and the sweep's coverage marks when it recorded any.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::assets::page;
use super::chart::{bars, histogram, quantile_bars, Quantiles};
use super::escape::text;
use super::sweep_data::{SweepData, SweepSummary};

/// Most items of a coverage document shown; the rest are counted.
const COVERAGE_ITEMS_MAX: usize = 2_000;

/// What a sweep page shows besides the sweep itself.
#[derive(Clone, Debug, Default)]
pub struct SweepSource {
    /// The sweep directory, as the user named it.
    pub dir: String,
    /// Pages written for failing seeds, by seed: the link to put on the seed's row.
    pub seed_pages: BTreeMap<u64, String>,
}

fn header(out: &mut String, s: &SweepSummary, source: &SweepSource) {
    let bugs = if s.bugs.is_empty() {
        "none".to_string()
    } else {
        s.bugs.join(", ")
    };
    let badge = if s.failed == 0 {
        "<span class=\"badge pass\">PASS</span>"
    } else {
        "<span class=\"badge fail\">FAIL</span>"
    };
    writeln!(
        out,
        "<header>\n<h1>dst sweep: {} &middot; seeds {} {badge}</h1>\n<dl class=\"facts\">",
        text(&s.scenario),
        text(&s.seeds)
    )
    .unwrap();
    let rows = [
        ("directory", text(&source.dir)),
        ("scenario", text(&s.scenario)),
        ("bugs", format!("<code>{}</code>", text(&bugs))),
        (
            "seeds",
            format!("{} (shard {})", text(&s.seeds), text(&s.shard)),
        ),
        (
            "verdicts",
            format!(
                "{} run, {} passed, {} failed{}",
                s.total,
                s.passed,
                s.failed,
                if s.partial {
                    " &middot; partial: the sweep stopped before every seed ran"
                } else {
                    ""
                }
            ),
        ),
        (
            "work",
            format!(
                "{} operations &middot; {} faults &middot; {} crashes",
                s.ops,
                s.faults_by_type.values().sum::<u64>(),
                s.crashes
            ),
        ),
    ];
    for (name, value) in rows {
        writeln!(out, "<dt>{name}</dt><dd>{value}</dd>").unwrap();
    }
    out.push_str("</dl>\n</header>\n");
}

fn failures(out: &mut String, s: &SweepSummary, source: &SweepSource) {
    if s.failures.is_empty() {
        out.push_str("<section id=\"failures\"><h2>No failing seed</h2></section>\n");
        return;
    }
    let listed = s.failures.len() as u64;
    let note = if listed < s.failed {
        format!(
            " <small class=\"muted\">(the first {listed} of {})</small>",
            s.failed
        )
    } else {
        String::new()
    };
    writeln!(out, "<section id=\"failures\"><h2>Failing seeds{note}</h2>").unwrap();
    out.push_str("<table><tr><th>seed</th><th>invariants</th><th>repro</th><th>trace</th></tr>\n");
    for f in &s.failures {
        let seed = match source.seed_pages.get(&f.seed) {
            Some(href) => format!("<a href=\"{}\">{}</a>", text(href), f.seed),
            None => f.seed.to_string(),
        };
        let mut invariants: Vec<&str> = Vec::new();
        for violation in &f.violations {
            if !invariants.contains(&violation.invariant.as_str()) {
                invariants.push(&violation.invariant);
            }
        }
        let trace = match (&f.trace, &f.trace_problem) {
            (Some(path), _) => format!("<code>{}</code>", text(path)),
            (None, Some(problem)) => text(problem),
            (None, None) => "<span class=\"muted\">not written</span>".to_string(),
        };
        writeln!(
            out,
            "<tr><td>{seed}</td><td class=\"inv\">{}</td><td><code>{}</code></td><td>{trace}</td></tr>",
            text(&invariants.join(", ")),
            text(&f.repro)
        )
        .unwrap();
    }
    out.push_str("</table></section>\n");
}

/// Failing seeds per invariant (a seed counts once per invariant it broke), most first.
fn per_invariant(s: &SweepSummary) -> Vec<(String, u64)> {
    let mut counts: BTreeMap<&str, u64> = BTreeMap::new();
    for f in &s.failures {
        let mut names: Vec<&str> = f.violations.iter().map(|v| v.invariant.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        for name in names {
            *counts.entry(name).or_default() += 1;
        }
    }
    let mut rows: Vec<(String, u64)> = counts
        .into_iter()
        .map(|(name, count)| (name.to_string(), count))
        .collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    rows
}

fn charts(out: &mut String, data: &SweepData) {
    let s = &data.summary;
    out.push_str("<div class=\"cols\">\n");
    if !s.failures.is_empty() {
        out.push_str("<div><h2>Failing seeds per invariant</h2>\n");
        out.push_str(&bars(&per_invariant(s), "fail"));
        out.push_str("</div>\n");
    }
    out.push_str("<div><h2>Wall time per seed</h2>\n");
    let wall: Vec<u64> = data.seeds.iter().map(|seed| seed.wall_us).collect();
    if wall.is_empty() {
        out.push_str("<p class=\"muted\">no seeds.jsonl: percentiles only</p>\n");
    } else {
        out.push_str(&histogram(&wall, "us"));
    }
    let w = &s.wall_us;
    writeln!(
        out,
        "<p class=\"muted\">p50 {} us &middot; p90 {} us &middot; p99 {} us &middot; max {} us (wall time varies from run to run; nothing else on this page does)</p></div>",
        w.p50, w.p90, w.p99, w.max
    )
    .unwrap();
    out.push_str("</div>\n");
    if !s.latency_ms.is_empty() {
        out.push_str("<h2>Simulated latency per operation</h2>\n<p class=\"muted\">p50, p90, p99 and max over every call of the sweep, shaded light to dark on one scale</p>\n");
        let rows: Vec<(String, Quantiles)> = s
            .latency_ms
            .iter()
            .map(|(op, p)| {
                let q = Quantiles {
                    p50: p.p50,
                    p90: p.p90,
                    p99: p.p99,
                    max: p.max,
                };
                (format!("{op} ({})", p.count), q)
            })
            .collect();
        out.push_str(&quantile_bars(&rows, "ms"));
    }
}

/// A JSON value as nested HTML, at most `budget` items in all.
fn json_html(out: &mut String, value: &serde_json::Value, budget: &mut usize) {
    use serde_json::Value;
    if *budget == 0 {
        return;
    }
    *budget -= 1;
    match value {
        Value::Object(map) => {
            out.push_str("<table>");
            for (key, item) in map {
                if *budget == 0 {
                    out.push_str("<tr><td colspan=\"2\" class=\"muted\">more not shown</td></tr>");
                    break;
                }
                write!(out, "<tr><th>{}</th><td>", text(key)).unwrap();
                json_html(out, item, budget);
                out.push_str("</td></tr>");
            }
            out.push_str("</table>");
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                if *budget == 0 {
                    out.push_str(" <span class=\"muted\">more not shown</span>");
                    break;
                }
                if i > 0 {
                    out.push_str(", ");
                }
                json_html(out, item, budget);
            }
        }
        Value::String(s) => out.push_str(&text(s)),
        other => out.push_str(&text(&other.to_string())),
    }
}

fn coverage(out: &mut String, s: &SweepSummary) {
    let Some(coverage) = &s.coverage else {
        return;
    };
    out.push_str("<section id=\"coverage\"><h2>Coverage marks</h2>\n");
    let counts: Option<Vec<(String, u64)>> = coverage.as_object().and_then(|map| {
        map.iter()
            .map(|(k, v)| v.as_u64().map(|n| (k.clone(), n)))
            .collect()
    });
    match counts {
        Some(rows) if !rows.is_empty() => {
            let never = rows.iter().filter(|(_, n)| *n == 0).count();
            writeln!(
                out,
                "<p>{} marks, {} hit, {never} never hit</p>",
                rows.len(),
                rows.len() - never
            )
            .unwrap();
            out.push_str(&bars(&rows, "cov"));
        }
        _ => {
            let mut budget = COVERAGE_ITEMS_MAX;
            json_html(out, coverage, &mut budget);
        }
    }
    out.push_str("</section>\n");
}

/// The self-contained HTML page of the sweep in `data`.
pub fn sweep_page(data: &SweepData, source: &SweepSource) -> String {
    let s = &data.summary;
    let mut body = String::new();
    header(&mut body, s, source);
    failures(&mut body, s, source);
    charts(&mut body, data);
    coverage(&mut body, s);
    if !s.faults_by_type.is_empty() {
        body.push_str("<h2>Faults</h2>\n");
        let rows: Vec<(String, u64)> = s
            .faults_by_type
            .iter()
            .map(|(fault, count)| (fault.clone(), *count))
            .collect();
        body.push_str(&bars(&rows, ""));
    }
    let title = format!("dst sweep {} {}", s.scenario, s.seeds);
    page(&title, &body)
}
