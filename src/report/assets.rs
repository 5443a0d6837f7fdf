//! What every page shares: the stylesheet, the timeline script, and the page shell that inlines
//! them. A page loads nothing: its Content-Security-Policy allows only its own inline style and
//! script, so it opens from disk with no network and cannot fetch anything even if asked to.

use super::escape::text;

/// The stylesheet of every page.
pub const CSS: &str = include_str!("assets/report.css");

/// The run page's timeline (reads `#timeline-data`, draws into `#timeline`).
pub const TIMELINE_JS: &str = include_str!("assets/timeline.js");

/// Inline style and script only; no fetch, image, font or frame from anywhere.
const CSP: &str =
    "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:";

/// A complete HTML document titled `title` (escaped here) around `body` (already HTML).
pub fn page(title: &str, body: &str) -> String {
    let mut out = String::with_capacity(CSS.len() + body.len() + 512);
    out.push_str("<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str(&format!(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">\n"
    ));
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    out.push_str(&format!("<title>{}</title>\n", text(title)));
    out.push_str(&format!("<style>\n{CSS}</style>\n</head>\n<body>\n"));
    out.push_str(body);
    out.push_str("</body>\n</html>\n");
    out
}

/// An inline script element running `source` (one of this module's scripts).
pub fn script(source: &str) -> String {
    assert!(
        !source.contains("</script"),
        "an inline script never closes its own element"
    );
    format!("<script>\n{source}</script>\n")
}
