//! Key paths into the scenario file, and finding them in the source to report line and column.

use std::fmt;

use toml::de::{DeTable, DeValue};

/// One step of a key path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Seg {
    /// A table key.
    Key(String),
    /// An array index.
    Index(usize),
}

/// A path to a key or value of the scenario file, such as `subnets.provider-1.cidr_block`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeyPath(pub Vec<Seg>);

impl KeyPath {
    /// The path of the document root.
    pub fn root() -> KeyPath {
        KeyPath(Vec::new())
    }

    /// This path extended by a table key.
    pub fn key(&self, key: &str) -> KeyPath {
        let mut segs = self.0.clone();
        segs.push(Seg::Key(key.to_string()));
        KeyPath(segs)
    }

    /// This path extended by an array index.
    pub fn index(&self, index: usize) -> KeyPath {
        let mut segs = self.0.clone();
        segs.push(Seg::Index(index));
        KeyPath(segs)
    }

    /// This path followed by `tail`.
    pub fn join(&self, tail: &KeyPath) -> KeyPath {
        KeyPath(self.0.iter().chain(&tail.0).cloned().collect())
    }
}

/// Shorthand: `kp!["subnets", name, "cidr_block"]` for a path of keys.
#[macro_export]
macro_rules! kp {
    ($($key:expr),* $(,)?) => {
        $crate::scenario::path::KeyPath(vec![$($crate::scenario::path::Seg::Key(($key).to_string())),*])
    };
}

impl fmt::Display for KeyPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, seg) in self.0.iter().enumerate() {
            match seg {
                Seg::Key(key) => {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    let bare = !key.is_empty()
                        && key
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
                    if bare {
                        f.write_str(key)?;
                    } else {
                        write!(f, "\"{}\"", key.replace('\\', "\\\\").replace('"', "\\\""))?;
                    }
                }
                Seg::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

/// The byte offset in the source where `path` is written: the value if the whole path exists,
/// otherwise the key (or table) of the longest prefix that does. `None` only for an empty doc.
pub fn locate(doc: &DeTable<'_>, path: &KeyPath) -> Option<usize> {
    let mut table = Some(doc);
    let mut array: Option<&toml::de::DeArray<'_>> = None;
    let mut best: Option<usize> = None;
    for seg in &path.0 {
        let value = match (seg, array) {
            (Seg::Key(key), None) => {
                let Some((k, v)) = table.and_then(|t| t.get_key_value(key.as_str())) else {
                    return best;
                };
                best = Some(k.span().start);
                v
            }
            (Seg::Index(index), Some(items)) => {
                let Some(v) = items.get(*index) else {
                    return best;
                };
                best = Some(v.span().start);
                v
            }
            _ => return best,
        };
        array = None;
        match value.get_ref() {
            DeValue::Table(t) => table = Some(t),
            DeValue::Array(a) => {
                table = None;
                array = Some(a);
            }
            _ => {
                // A scalar: point at the value itself if it ends the path.
                best = Some(value.span().start);
                table = None;
            }
        }
    }
    best
}

/// The key path of the innermost value written at byte `offset`: where a parse error that the
/// TOML library locates only by its position is, in the scenario's terms. Empty when no value
/// holds the offset.
pub fn path_at(doc: &DeTable<'_>, offset: usize) -> KeyPath {
    fn in_value(value: &toml::Spanned<DeValue<'_>>, offset: usize, at: KeyPath) -> Option<KeyPath> {
        match value.get_ref() {
            DeValue::Table(t) => {
                in_table(t, offset, &at).or_else(|| value.span().contains(&offset).then_some(at))
            }
            DeValue::Array(items) => items
                .iter()
                .enumerate()
                .find_map(|(i, item)| in_value(item, offset, at.index(i)))
                .or_else(|| value.span().contains(&offset).then_some(at)),
            _ => value.span().contains(&offset).then_some(at),
        }
    }
    fn in_table(table: &DeTable<'_>, offset: usize, at: &KeyPath) -> Option<KeyPath> {
        table
            .iter()
            .find_map(|(k, v)| in_value(v, offset, at.key(k.get_ref())))
    }
    in_table(doc, offset, &KeyPath::root()).unwrap_or_default()
}

/// The start of every line of a text, to turn byte offsets into lines and columns without
/// rescanning the text for each one.
pub struct LineIndex<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    /// Indexes `text` (one pass).
    pub fn new(text: &'a str) -> LineIndex<'a> {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        LineIndex { text, starts }
    }

    /// 1-based line and column of byte `offset` (columns count characters; an offset past the
    /// end is the end).
    pub fn line_column(&self, offset: usize) -> (usize, usize) {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        // The last line starting at or before the offset.
        let line = self.starts.partition_point(|&start| start <= offset);
        let start = self.starts[line - 1];
        let column = self.text[start..offset].chars().count() + 1;
        (line, column)
    }
}

/// 1-based line and column of byte `offset` in `text` (columns count characters). Indexes the
/// text for one look-up: for many, build a [`LineIndex`] once.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    LineIndex::new(text).line_column(offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_like_toml_keys() {
        let path = kp!["route53_zones", "example.local", "records"]
            .index(0)
            .key("name");
        assert_eq!(
            path.to_string(),
            "route53_zones.\"example.local\".records[0].name"
        );
    }

    #[test]
    fn locates_values_and_missing_keys() {
        let text = "a = 1\n[subnets.one]\ncidr_block = \"x\"\nlist = [1, 2]\n";
        let doc = DeTable::parse(text).unwrap();
        let at = |p: &KeyPath| line_column(text, locate(doc.get_ref(), p).unwrap());
        assert_eq!(at(&kp!["subnets", "one", "cidr_block"]), (3, 14));
        assert_eq!(at(&kp!["subnets", "one", "list"].index(1)), (4, 12));
        assert_eq!(at(&kp!["subnets", "one", "missing"]).0, 2);
        assert_eq!(at(&kp!["a"]), (1, 5));
    }

    #[test]
    fn the_line_index_agrees_with_counting_from_the_start() {
        let text = "a = 1\n\nb = \"é\"\r\n  c = [1,\n 2]\n";
        let index = LineIndex::new(text);
        for offset in 0..=text.len() + 3 {
            let clamped = offset.min(text.len());
            if !text.is_char_boundary(clamped) {
                continue;
            }
            let before = &text[..clamped];
            let line = before.matches('\n').count() + 1;
            let start = before.rfind('\n').map_or(0, |i| i + 1);
            let column = before[start..].chars().count() + 1;
            assert_eq!(index.line_column(offset), (line, column), "offset {offset}");
        }
    }
}
