//! Key paths inside a TOML document: find the key at a byte offset, find the line of a
//! key path, remove a key.
//!
//! Paths are written the way users read them: `task.kind`, `filters[1].keep`.

use std::fmt;

use toml_edit::{Document, DocumentMut, Item, TableLike, Value};

/// One step of a key path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    Key(String),
    Index(usize),
}

/// A path from the document root to a key or array element.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyPath(pub Vec<Segment>);

impl KeyPath {
    pub fn key(name: &str) -> Self {
        KeyPath(vec![Segment::Key(name.to_string())])
    }

    /// Appends a key, `task` -> `task.kind`.
    pub fn join(&self, name: &str) -> Self {
        let mut segments = self.0.clone();
        segments.push(Segment::Key(name.to_string()));
        KeyPath(segments)
    }

    /// Appends an index, `filters` -> `filters[0]`.
    pub fn at(&self, index: usize) -> Self {
        let mut segments = self.0.clone();
        segments.push(Segment::Index(index));
        KeyPath(segments)
    }

    /// Truncates the path after its last key, so `metrics[2]` becomes `metrics`.
    fn up_to_last_key(&self) -> Option<KeyPath> {
        let last_key = self.0.iter().rposition(|s| matches!(s, Segment::Key(_)))?;
        Some(KeyPath(self.0[..=last_key].to_vec()))
    }
}

impl fmt::Display for KeyPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, segment) in self.0.iter().enumerate() {
            match segment {
                Segment::Key(key) if i == 0 => write!(f, "{key}")?,
                Segment::Key(key) => write!(f, ".{key}")?,
                Segment::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

/// 1-based line of a byte offset.
pub fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end].iter().filter(|&&b| b == b'\n').count() + 1
}

/// Finds the deepest key path whose key or value span contains `offset`.
pub fn path_at_offset(doc: &Document<String>, offset: usize) -> Option<KeyPath> {
    let mut best = None;
    visit_table(doc.as_table(), &KeyPath::default(), offset, &mut best);
    best
}

fn contains(span: Option<std::ops::Range<usize>>, offset: usize) -> bool {
    span.is_some_and(|s| s.start <= offset && offset < s.end.max(s.start + 1))
}

fn consider(best: &mut Option<KeyPath>, candidate: KeyPath) {
    if best.as_ref().is_none_or(|b| candidate.0.len() > b.0.len()) {
        *best = Some(candidate);
    }
}

fn visit_table(table: &dyn TableLike, path: &KeyPath, offset: usize, best: &mut Option<KeyPath>) {
    for (name, _) in table.iter() {
        let Some((key, item)) = table.get_key_value(name) else { continue };
        let child = path.join(name);
        if contains(key.span(), offset) || contains(item.span(), offset) {
            consider(best, child.clone());
        }
        visit_item(item, &child, offset, best);
    }
}

fn visit_item(item: &Item, path: &KeyPath, offset: usize, best: &mut Option<KeyPath>) {
    match item {
        Item::Table(table) => visit_table(table, path, offset, best),
        Item::ArrayOfTables(array) => {
            for (index, table) in array.iter().enumerate() {
                visit_table(table, &path.at(index), offset, best);
            }
        }
        Item::Value(value) => visit_value(value, path, offset, best),
        Item::None => {}
    }
}

fn visit_value(value: &Value, path: &KeyPath, offset: usize, best: &mut Option<KeyPath>) {
    match value {
        Value::Array(array) => {
            for (index, element) in array.iter().enumerate() {
                let child = path.at(index);
                if contains(element.span(), offset) {
                    consider(best, child.clone());
                }
                visit_value(element, &child, offset, best);
            }
        }
        Value::InlineTable(table) => visit_table(table, path, offset, best),
        _ => {}
    }
}

/// Byte offset of the key (or array element) at `path`, for reporting its line.
pub fn offset_of(doc: &Document<String>, path: &KeyPath) -> Option<usize> {
    offset_in_table(doc.as_table(), &path.0)
}

fn offset_in_table(table: &dyn TableLike, segments: &[Segment]) -> Option<usize> {
    let (Segment::Key(name), rest) = segments.split_first()? else { return None };
    let (key, item) = table.get_key_value(name)?;
    let here = key.span().map(|s| s.start);
    if rest.is_empty() {
        return here;
    }
    offset_in_item(item, rest).or(here)
}

fn offset_in_item(item: &Item, segments: &[Segment]) -> Option<usize> {
    match segments.split_first()? {
        (Segment::Index(index), rest) => match item {
            Item::ArrayOfTables(array) => {
                let table = array.get(*index)?;
                if rest.is_empty() {
                    table.span().map(|s| s.start)
                } else {
                    offset_in_table(table, rest)
                }
            }
            Item::Value(value) => offset_in_value(value, segments),
            _ => None,
        },
        (Segment::Key(_), _) => offset_in_table(item.as_table_like()?, segments),
    }
}

fn offset_in_value(value: &Value, segments: &[Segment]) -> Option<usize> {
    match segments.split_first()? {
        (Segment::Index(index), rest) => {
            let element = value.as_array()?.get(*index)?;
            if rest.is_empty() {
                element.span().map(|s| s.start)
            } else {
                offset_in_value(element, rest)
            }
        }
        (Segment::Key(_), _) => offset_in_table(value.as_inline_table()?, segments),
    }
}

/// Removes the key that contains `path` (the whole array for an array element), so that
/// deserialising again goes past this problem. Returns false when nothing was removed.
pub fn remove_key(doc: &mut DocumentMut, path: &KeyPath) -> bool {
    let Some(path) = path.up_to_last_key() else { return false };
    let Some((Segment::Key(last), parents)) = path.0.split_last() else { return false };
    remove_in_item(doc.as_item_mut(), parents, last)
}

fn remove_in_table(table: &mut dyn TableLike, segments: &[Segment], last: &str) -> bool {
    match segments.split_first() {
        None => table.remove(last).is_some(),
        Some((Segment::Key(name), rest)) => match table.get_mut(name) {
            Some(child) => remove_in_item(child, rest, last),
            None => false,
        },
        Some((Segment::Index(_), _)) => false,
    }
}

fn remove_in_item(item: &mut Item, segments: &[Segment], last: &str) -> bool {
    if let Some((Segment::Index(index), rest)) = segments.split_first() {
        return match item {
            Item::ArrayOfTables(array) => {
                array.get_mut(*index).is_some_and(|table| remove_in_table(table, rest, last))
            }
            Item::Value(Value::Array(array)) => array
                .get_mut(*index)
                .and_then(Value::as_inline_table_mut)
                .is_some_and(|table| remove_in_table(table, rest, last)),
            _ => false,
        };
    }
    item.as_table_like_mut().is_some_and(|table| remove_in_table(table, segments, last))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "version = 1\nmetrics = [\"auroc\", \"x\"]\n[task]\nkind = \"binary\"\n[[filters]]\ncolumn = \"view\"\n[[filters]]\ncolumn = \"sex\"\nkeep = [\"F\"]\n[dataset]\njoin = { file = \"a.csv\", on = \"id\" }\n";

    fn parse() -> Document<String> {
        Document::parse(TEXT.to_string()).unwrap()
    }

    #[test]
    fn path_at_offset_finds_nested_keys() {
        let doc = parse();
        let cases = [("kind", "task.kind"), ("\"x\"", "metrics[1]"), ("keep", "filters[1].keep"), ("\"id\"", "dataset.join.on")];
        for (needle, expected) in cases {
            let offset = TEXT.find(needle).unwrap();
            let path = path_at_offset(&doc, offset).unwrap();
            assert_eq!(path.to_string(), expected, "offset of {needle}");
        }
    }

    #[test]
    fn offset_of_gives_the_line_of_a_path() {
        let doc = parse();
        let cases = [("task.kind", 4), ("filters[1].keep", 9), ("metrics[1]", 2), ("dataset.join.on", 11)];
        for (needle, expected_line) in cases {
            let path = all_paths(&doc).into_iter().find(|p| p.to_string() == needle).expect(needle);
            let offset = offset_of(&doc, &path).expect(needle);
            assert_eq!(line_of(TEXT, offset), expected_line, "{needle}");
        }
    }

    fn all_paths(doc: &Document<String>) -> Vec<KeyPath> {
        (0..TEXT.len()).filter_map(|offset| path_at_offset(doc, offset)).collect()
    }

    #[test]
    fn remove_key_removes_nested_keys() {
        let mut doc: DocumentMut = TEXT.parse().unwrap();
        let original = parse();
        for needle in ["keep", "\"id\"", "\"x\"", "kind"] {
            let path = path_at_offset(&original, TEXT.find(needle).unwrap()).unwrap();
            assert!(remove_key(&mut doc, &path), "remove {path}");
        }
        let text = doc.to_string();
        assert!(!text.contains("keep"));
        assert!(!text.contains("\"id\""));
        assert!(!text.contains("metrics"));
        assert!(!text.contains("kind"));
        assert!(text.contains("column = \"sex\""));
    }
}
