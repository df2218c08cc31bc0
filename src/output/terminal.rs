//! Text bound for a terminal: scenario names, descriptions and values are the user's (or anyone's)
//! bytes, and a terminal obeys the control sequences among them (colours, cursor moves, window
//! titles, hidden text). Everything `sim` prints for people (tables, `explain`, `check`, messages)
//! passes through [`escape_controls`]; JSON escapes control characters by its own rules, and CSV
//! carries the data as it is.

use std::borrow::Cow;

/// `text` with every control character other than newline and tab written as a Rust-style
/// escape (`\u{1b}`), and the Unicode bidirectional overrides and isolates too (they reorder what
/// a reader sees). Text without them is returned as it is.
pub fn escape_controls(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut escaped = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if needs_escape(c) {
            escaped.extend(c.escape_unicode());
        } else {
            escaped.push(c);
        }
    }
    Cow::Owned(escaped)
}

fn needs_escape(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::escape_controls;

    #[test]
    fn plain_text_is_borrowed_unchanged() {
        let text = "web-1 | 33.3 %\n\tsubnet \"p1\" é";
        assert!(matches!(
            escape_controls(text),
            std::borrow::Cow::Borrowed(t) if t == text
        ));
    }

    #[test]
    fn escape_csi_c1_delete_carriage_return_and_bidi_overrides_are_escaped() {
        assert_eq!(
            escape_controls("a\u{1b}[2Jb\u{9b}c\u{7f}d\re\u{202e}f"),
            "a\\u{1b}[2Jb\\u{9b}c\\u{7f}d\\u{d}e\\u{202e}f"
        );
    }
}
