//! A guard run before the parser: how deeply a file nests parentheses, braces and template
//! interpolations. The `hcl-edit` parser backtracks over a parenthesised or braced operand
//! that follows two binary operators (`( a <= b - ( a <= b - ...`), taking time exponential in
//! the depth (26 s for 2 KB found by fuzzing); Terraform written by people nests far less than
//! [`MAX_NESTING`] levels (brackets `[` do not count: they do not backtrack), so a deeper file
//! is refused before it is parsed.

/// Deepest nesting of `(`, `{`, `${` and `%{` read.
pub(super) const MAX_NESTING: usize = 16;

/// What encloses the scanner's position.
enum Frame {
    /// `(` or `{` in expression context.
    Group,
    /// `${` or `%{` in a string or heredoc.
    Interpolation,
    /// A quoted string.
    String,
    /// A heredoc, with its closing delimiter (`None`: a template file, closed by its end).
    Heredoc(Option<String>),
}

/// The byte offset where `text` first nests deeper than [`MAX_NESTING`], if it does.
/// `template`: the text is a template (a `templatefile` file), not configuration.
pub(super) fn too_deep(text: &str, template: bool) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut stack: Vec<Frame> = Vec::new();
    if template {
        stack.push(Frame::Heredoc(None));
    }
    let mut depth = 0;
    let mut i = 0;
    let mut line_start = true;
    while i < bytes.len() {
        let c = bytes[i];
        let next = bytes.get(i + 1).copied();
        let at_line_start = line_start;
        line_start = c == b'\n';
        match stack.last() {
            Some(Frame::String | Frame::Heredoc(_)) => {
                if let (true, Some(Frame::Heredoc(Some(delimiter)))) = (at_line_start, stack.last())
                {
                    let line = text[i..].lines().next().unwrap_or("");
                    if line.trim() == delimiter {
                        stack.pop();
                        i += line.len();
                        continue;
                    }
                }
                match (c, next) {
                    (b'\\', _) if matches!(stack.last(), Some(Frame::String)) => i += 1,
                    (b'"' | b'\n', _) if matches!(stack.last(), Some(Frame::String)) => {
                        stack.pop();
                    }
                    // `$${` and `%%{` are literal text.
                    (b'$', Some(b'$')) | (b'%', Some(b'%')) if bytes.get(i + 2) == Some(&b'{') => {
                        i += 2;
                    }
                    (b'$' | b'%', Some(b'{')) => {
                        stack.push(Frame::Interpolation);
                        depth += 1;
                        if depth > MAX_NESTING {
                            return Some(i);
                        }
                        i += 1;
                    }
                    _ => {}
                }
            }
            _ => match (c, next) {
                (b'"', _) => stack.push(Frame::String),
                (b'#', _) | (b'/', Some(b'/')) => {
                    i += text[i..].find('\n').unwrap_or(text.len() - i);
                    continue;
                }
                (b'/', Some(b'*')) => {
                    i += text[i..].find("*/").map_or(text.len() - i, |end| end + 2);
                    continue;
                }
                (b'<', Some(b'<')) => {
                    let rest = &text[i + 2..];
                    let rest = rest.strip_prefix('-').unwrap_or(rest);
                    let delimiter: String = rest
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '-')
                        .collect();
                    if !delimiter.is_empty() {
                        if let Some(newline) = text[i..].find('\n') {
                            stack.push(Frame::Heredoc(Some(delimiter)));
                            i += newline + 1;
                            line_start = true;
                            continue;
                        }
                    }
                }
                (b'(' | b'{', _) => {
                    stack.push(Frame::Group);
                    depth += 1;
                    if depth > MAX_NESTING {
                        return Some(i);
                    }
                }
                (b')' | b'}', _)
                    if matches!(stack.last(), Some(Frame::Group))
                        || (c == b'}' && matches!(stack.last(), Some(Frame::Interpolation))) =>
                {
                    stack.pop();
                    depth -= 1;
                }
                _ => {}
            },
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::{MAX_NESTING, too_deep};

    #[test]
    fn real_nesting_passes_and_the_slow_shape_is_refused_where_it_goes_too_deep() {
        let policy = r#"
resource "aws_iam_policy" "p" {
  policy = jsonencode({
    Statement = [{
      Condition = { StringEquals = { "aws:SourceVpce" = ["${aws_vpc_endpoint.x.id}"] } }
    }]
  })
  user_data = <<-EOF
    {{{{{{{{{{{{{{{{{{{{ ((((((((((((((((((((
  EOF
  note = "(((((((((((((((((((( {{{{{{{{{{{{{{{{{{{{{ $${not} %%{not}"
  # ((((((((((((((((((((((((((((((((((
  /* {{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{ */
}
"#;
        assert_eq!(too_deep(policy, false), None);
        let slow = format!("x = {}", "( a <= b - ".repeat(40));
        assert_eq!(too_deep(&slow, false), Some(4 + 11 * MAX_NESTING));
        let interpolations = format!("x = {}", "\"${".repeat(MAX_NESTING + 1));
        assert!(too_deep(&interpolations, false).is_some());
        assert!(too_deep(&"${".repeat(MAX_NESTING + 1), true).is_some());
        assert_eq!(too_deep("%{ if a }${b}%{ endif }", true), None);
    }
}
