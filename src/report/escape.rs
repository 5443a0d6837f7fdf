//! Escaping every string that comes from a trace, a scenario or a sweep into the page.
//!
//! Identifiers are adversarial on purpose (quotes, `<`, `&`, newlines, NUL, non-ASCII), so
//! nothing from the data reaches the page unescaped: text and attribute values go through
//! [`text`], and the data the page's script reads goes through [`script_json`].

use serde::Serialize;

/// The visible stand-in for a control character: its Unicode control picture (NUL as `␀`,
/// newline as `␊`, DEL as `␡`), so an id with a newline or a NUL shows as one line that says so.
fn control_picture(c: char) -> Option<char> {
    match c {
        '\u{0}'..='\u{1f}' => char::from_u32(0x2400 + c as u32),
        '\u{7f}' => Some('\u{2421}'),
        _ => None,
    }
}

/// `raw` as HTML text or a quoted attribute value: `&`, `<`, `>`, `"` and `'` as references,
/// control characters as their control pictures, everything else (any Unicode) as is.
pub fn text(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len() + raw.len() / 8);
    for c in raw.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(control_picture(c).unwrap_or(c)),
        }
    }
    out
}

/// `value` as JSON that is safe inside `<script type="application/json">`: `<`, `>` and `&`
/// are written as `\u` escapes, so no string in the data can close the element or open a
/// comment; the script reads it back unchanged with `JSON.parse`.
pub fn script_json<T: Serialize>(value: &T) -> String {
    let json = serde_json::to_string(value).expect("report data always serializes");
    let mut out = String::with_capacity(json.len() + json.len() / 16);
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_escapes_markup_quotes_and_controls_and_keeps_unicode() {
        let raw = "a<b>&\"c'\n\u{0}\u{7f}агент🤖";
        assert_eq!(
            text(raw),
            "a&lt;b&gt;&amp;&quot;c&#39;\u{240a}\u{2400}\u{2421}агент🤖"
        );
    }

    #[test]
    fn script_json_cannot_close_its_element_and_parses_back() {
        let raw = "</script><!-- & \u{2028} \u{0}";
        let json = script_json(&raw);
        assert!(!json.contains('<') && !json.contains('>') && !json.contains('&'));
        let back: String = serde_json::from_str(&json).unwrap();
        assert_eq!(back, raw);
    }
}
