//! Text from outside (scenario files, traces, seed lines, paths) made safe to print: control
//! characters are escaped, so no value can start a line of a report or move the cursor.

use std::borrow::Cow;
use std::fmt::Write;

/// `text` with every control character (newline and carriage return included) escaped as
/// `\n`, `\r`, `\t` or `\u{..}`; unchanged text is borrowed.
pub fn escape_controls(text: &str) -> Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                write!(out, "\\u{{{:x}}}", c as u32).expect("writing to a string")
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// A path as text, escaped like [`escape_controls`].
pub fn path_text(path: &std::path::Path) -> String {
    escape_controls(&path.display().to_string()).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_cannot_start_a_line() {
        assert_eq!(escape_controls("plain ёж 🤖"), "plain ёж 🤖");
        assert_eq!(escape_controls("a\nverdict: PASS"), "a\\nverdict: PASS");
        assert_eq!(escape_controls("\u{1b}[2Kx\0"), "\\u{1b}[2Kx\\u{0}");
    }
}
