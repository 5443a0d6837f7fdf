//! Small static SVG charts for the sweep page: a histogram of values, horizontal bars of named
//! counts, and percentile bars per name. Drawn here, not by a script, so the page shows them
//! as they are.

use std::fmt::Write;

use super::escape::text;

/// Most bins a histogram has.
const BINS_MAX: u64 = 24;
const WIDTH: u64 = 560;
const HEIGHT: u64 = 150;
const LABEL_W: u64 = 190;
const ROW_H: u64 = 16;

/// One bin of a histogram: the values in `[low, high]` and how many there were.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bin {
    /// Smallest value of the bin.
    pub low: u64,
    /// Largest value of the bin.
    pub high: u64,
    /// Values that fell in it.
    pub count: u64,
}

/// `values` in at most [`BINS_MAX`] equal-width bins from their minimum to their maximum.
pub fn bins(values: &[u64]) -> Vec<Bin> {
    let (Some(min), Some(max)) = (values.iter().min(), values.iter().max()) else {
        return Vec::new();
    };
    let width = (max - min) / BINS_MAX + 1;
    let count = (max - min) / width + 1;
    let mut bins: Vec<Bin> = (0..count)
        .map(|i| Bin {
            low: min + i * width,
            high: min + (i + 1) * width - 1,
            count: 0,
        })
        .collect();
    for value in values {
        bins[((value - min) / width) as usize].count += 1;
    }
    bins
}

/// A vertical-bar histogram of `values`, the axis labelled in `unit`.
pub fn histogram(values: &[u64], unit: &str) -> String {
    let bins = bins(values);
    let peak = bins.iter().map(|b| b.count).max().unwrap_or(0).max(1);
    let bar_w = WIDTH as f64 / bins.len().max(1) as f64;
    let mut out = String::new();
    writeln!(
        out,
        "<svg class=\"chart histogram\" width=\"{WIDTH}\" height=\"{}\" role=\"img\" data-bins=\"{}\">",
        HEIGHT + 30,
        bins.len()
    )
    .unwrap();
    for (i, bin) in bins.iter().enumerate() {
        let h = bin.count as f64 / peak as f64 * HEIGHT as f64;
        let x = i as f64 * bar_w;
        writeln!(
            out,
            "<rect class=\"binbar\" x=\"{x:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{h:.1}\" data-count=\"{}\"><title>{}..{} {}: {}</title></rect>",
            HEIGHT as f64 - h,
            (bar_w - 1.0).max(1.0),
            bin.count,
            bin.low,
            bin.high,
            text(unit),
            bin.count
        )
        .unwrap();
    }
    if let (Some(first), Some(last)) = (bins.first(), bins.last()) {
        writeln!(
            out,
            "<line x1=\"0\" x2=\"{WIDTH}\" y1=\"{HEIGHT}\" y2=\"{HEIGHT}\"/><text x=\"0\" y=\"{}\">{} {}</text><text x=\"{WIDTH}\" y=\"{}\" text-anchor=\"end\">{} {}</text><text x=\"{}\" y=\"{}\" text-anchor=\"middle\">peak {peak} per bin</text>",
            HEIGHT + 14,
            first.low,
            text(unit),
            HEIGHT + 14,
            last.high,
            text(unit),
            WIDTH / 2,
            HEIGHT + 14
        )
        .unwrap();
    }
    out.push_str("</svg>\n");
    out
}

/// Horizontal bars, one per `(name, count)`; `class` styles the bars.
pub fn bars(rows: &[(String, u64)], class: &str) -> String {
    let peak = rows.iter().map(|(_, c)| *c).max().unwrap_or(0).max(1);
    let plot = WIDTH - LABEL_W - 60;
    let mut out = String::new();
    writeln!(
        out,
        "<svg class=\"chart bars\" width=\"{WIDTH}\" height=\"{}\" role=\"img\">",
        rows.len() as u64 * ROW_H + 4
    )
    .unwrap();
    for (i, (name, count)) in rows.iter().enumerate() {
        let y = i as u64 * ROW_H;
        let w = (*count as f64 / peak as f64 * plot as f64).max(1.0);
        writeln!(
            out,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text><rect class=\"binbar {class}\" x=\"{LABEL_W}\" y=\"{}\" width=\"{w:.1}\" height=\"{}\" data-count=\"{count}\"/><text x=\"{:.1}\" y=\"{}\">{count}</text>",
            LABEL_W - 6,
            y + 12,
            text(name),
            y + 2,
            ROW_H - 4,
            LABEL_W as f64 + w + 4.0,
            y + 12
        )
        .unwrap();
    }
    out.push_str("</svg>\n");
    out
}

/// Percentiles of one name's values: p50, p90, p99 and max.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quantiles {
    /// Median.
    pub p50: u64,
    /// 90th percentile.
    pub p90: u64,
    /// 99th percentile.
    pub p99: u64,
    /// Largest.
    pub max: u64,
}

/// For each `(name, quantiles)`, nested bars (max behind p99 behind p90 behind p50) on one
/// shared scale, labelled with the four values in `unit`.
pub fn quantile_bars(rows: &[(String, Quantiles)], unit: &str) -> String {
    let peak = rows.iter().map(|(_, q)| q.max).max().unwrap_or(0).max(1);
    let plot = WIDTH - LABEL_W - 10;
    let mut out = String::new();
    writeln!(
        out,
        "<svg class=\"chart quantiles\" width=\"{}\" height=\"{}\" role=\"img\">",
        WIDTH + 170,
        rows.len() as u64 * ROW_H + 4
    )
    .unwrap();
    for (i, (name, q)) in rows.iter().enumerate() {
        let y = i as u64 * ROW_H;
        writeln!(
            out,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
            LABEL_W - 6,
            y + 12,
            text(name)
        )
        .unwrap();
        for (class, value) in [
            ("pmax", q.max),
            ("p99", q.p99),
            ("p90", q.p90),
            ("p50", q.p50),
        ] {
            let w = (value as f64 / peak as f64 * plot as f64).max(1.0);
            writeln!(
                out,
                "<rect class=\"{class}\" x=\"{LABEL_W}\" y=\"{}\" width=\"{w:.1}\" height=\"{}\"/>",
                y + 2,
                ROW_H - 4
            )
            .unwrap();
        }
        writeln!(
            out,
            "<text x=\"{}\" y=\"{}\">p50 {} p90 {} p99 {} max {} {}</text>",
            WIDTH - 4,
            y + 12,
            q.p50,
            q.p90,
            q.p99,
            q.max,
            text(unit)
        )
        .unwrap();
    }
    out.push_str("</svg>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bins_cover_every_value_once() {
        let values: Vec<u64> = (0..1000).map(|i| i * 13 % 301).collect();
        let bins = bins(&values);
        assert!(bins.len() as u64 <= BINS_MAX);
        assert_eq!(bins.iter().map(|b| b.count).sum::<u64>(), 1000);
        assert_eq!(bins[0].low, 0);
        assert!(bins.last().unwrap().high >= 300);
        assert_eq!(
            super::bins(&[5, 5]),
            vec![Bin {
                low: 5,
                high: 5,
                count: 2
            }]
        );
        assert!(super::bins(&[]).is_empty());
    }
}
