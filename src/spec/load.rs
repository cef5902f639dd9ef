//! Reading spec files: every problem in a file is collected, with its key path and line,
//! before the file is rejected.
//!
//! serde stops at the first error, so deserialisation runs in a loop: each error is
//! recorded at the key its span points to, that key is removed from a working copy of
//! the document, and the copy is deserialised again. The raw types keep required keys
//! optional so that removing one never causes a second, misleading error.

use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use toml_edit::{Document, DocumentMut};

use crate::spec::locate::{line_of, offset_of, path_at_offset, remove_key, KeyPath};

/// One thing wrong with a spec file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    /// Key path such as `split.train`; empty for the file as a whole.
    pub key: String,
    pub line: Option<usize>,
    pub message: String,
}

#[derive(Debug, thiserror::Error)]
pub enum SpecError {
    #[error("failed to read spec {}: {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{}", ProblemList { path, problems })]
    Invalid { path: PathBuf, problems: Vec<Problem> },
}

impl SpecError {
    pub fn problems(&self) -> &[Problem] {
        match self {
            SpecError::Read { .. } => &[],
            SpecError::Invalid { problems, .. } => problems,
        }
    }
}

/// Formats problems one per line, as `spec FILE:LINE: KEY: MESSAGE`.
pub struct ProblemList<'a> {
    pub path: &'a Path,
    pub problems: &'a [Problem],
}

impl fmt::Display for ProblemList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, problem) in self.problems.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "spec {}", self.path.display())?;
            if let Some(line) = problem.line {
                write!(f, ":{line}")?;
            }
            if problem.key.is_empty() {
                write!(f, ": {}", problem.message)?;
            } else {
                write!(f, ": {}: {}", problem.key, problem.message)?;
            }
        }
        Ok(())
    }
}

/// A parsed file plus what is needed to report further problems at their lines.
pub struct Parsed<T> {
    pub raw: T,
    pub text: String,
    original: Document<String>,
    /// Keys already reported and removed; `check` does not report them again as missing.
    removed: BTreeSet<String>,
    pub problems: Vec<Problem>,
}

impl<T> Parsed<T> {
    /// Line of a key path in the file as written.
    pub fn line(&self, path: &KeyPath) -> Option<usize> {
        offset_of(&self.original, path).map(|offset| line_of(&self.text, offset))
    }

    pub fn was_removed(&self, path: &KeyPath) -> bool {
        self.removed.contains(&path.to_string())
    }

    /// Records a problem at `path`, unless that key was already reported as invalid.
    pub fn problem(&mut self, path: &KeyPath, message: impl Into<String>) {
        if self.was_removed(path) {
            return;
        }
        let line = self.line(path);
        self.problems.push(Problem { key: path.to_string(), line, message: message.into() });
    }

    /// Records that a required key is absent, unless it was removed as invalid.
    pub fn missing(&mut self, path: &KeyPath, what_to_do: &str) {
        if self.was_removed(path) {
            return;
        }
        let parent_line = {
            let mut parent = path.clone();
            parent.0.pop();
            if parent.0.is_empty() {
                None
            } else {
                self.line(&parent)
            }
        };
        self.problems.push(Problem {
            key: path.to_string(),
            line: parent_line,
            message: format!("missing key; {what_to_do}"),
        });
    }
}

/// Line of `path` in spec text, for problems found after parsing.
pub fn line_in_text(text: &str, path: &KeyPath) -> Option<usize> {
    let doc = Document::parse(text.to_string()).ok()?;
    offset_of(&doc, path).map(|offset| line_of(text, offset))
}

/// Upper bound on deserialisation rounds; each round removes one key, so a real file
/// stops far earlier.
const MAX_ROUNDS: usize = 200;

/// Reads `path` into `T`, collecting every syntax, unknown-key and type problem.
///
/// Returns `Err` for a file that cannot be read or is not TOML at all; otherwise the raw
/// value deserialised from what remained valid, plus the problems found so far.
pub fn parse_collecting<T: DeserializeOwned>(path: &Path) -> Result<Parsed<T>, SpecError> {
    let text = std::fs::read_to_string(path)
        .map_err(|source| SpecError::Read { path: path.to_path_buf(), source })?;
    parse_text(path, text)
}

pub fn parse_text<T: DeserializeOwned>(path: &Path, text: String) -> Result<Parsed<T>, SpecError> {
    let original = match Document::parse(text.clone()) {
        Ok(doc) => doc,
        Err(error) => {
            let line = error.span().map(|span| line_of(&text, span.start));
            let message = format!("invalid TOML: {}", error.message().trim_end());
            let problems = vec![Problem { key: String::new(), line, message }];
            return Err(SpecError::Invalid { path: path.to_path_buf(), problems });
        }
    };
    let mut working: DocumentMut = text.parse().expect("text parsed once already");
    let mut problems = Vec::new();
    let mut removed = BTreeSet::new();

    for _ in 0..MAX_ROUNDS {
        let current = working.to_string();
        let error = match toml::from_str::<T>(&current) {
            Ok(raw) => {
                return Ok(Parsed { raw, text, original, removed, problems });
            }
            Err(error) => error,
        };
        let message = reword(error.message());
        let current_doc = Document::parse(current.clone()).expect("serialised document parses");
        let key_path = error.span().and_then(|span| path_at_offset(&current_doc, span.start));
        let Some(key_path) = key_path else {
            problems.push(Problem { key: String::new(), line: None, message });
            break;
        };
        let line = offset_of(&original, &key_path).map(|offset| line_of(&text, offset));
        problems.push(Problem { key: key_path.to_string(), line, message });
        removed.insert(key_path.to_string());
        if let Some(key_only) = strip_index(&key_path) {
            removed.insert(key_only);
        }
        if !remove_key(&mut working, &key_path) {
            break;
        }
    }
    Err(SpecError::Invalid { path: path.to_path_buf(), problems })
}

/// `metrics[2]` also marks `metrics` as reported, since the whole array is removed.
fn strip_index(path: &KeyPath) -> Option<String> {
    let text = path.to_string();
    text.ends_with(']').then(|| text[..text.rfind('[').unwrap_or(text.len())].to_string())
}

/// Rewords serde's messages in the terms of a TOML file: keys, not fields.
fn reword(message: &str) -> String {
    let message = message.trim_end().replace('`', "\"");
    if let Some(rest) = message.strip_prefix("unknown field ") {
        return format!("unknown key {rest}");
    }
    if let Some(rest) = message.strip_prefix("unknown variant ") {
        return format!("invalid value {rest}");
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Sample {
        name: Option<String>,
        count: Option<u32>,
        inner: Option<Inner>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        kind: Option<Kind>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(rename_all = "snake_case")]
    enum Kind {
        Alpha,
    }

    #[test]
    fn parse_collects_every_problem() {
        let text = "name = \"a\"\nextra = 1\ncount = \"three\"\n[inner]\nkind = \"beta\"\nother = true\n";
        let parsed = parse_text::<Sample>(Path::new("x.toml"), text.to_string()).unwrap();
        let problems = parsed.problems;
        let keys: Vec<_> = problems.iter().map(|p| (p.key.as_str(), p.line)).collect();
        assert_eq!(problems.len(), 4, "{problems:?}");
        assert!(keys.contains(&("extra", Some(2))), "{keys:?}");
        assert!(keys.contains(&("count", Some(3))), "{keys:?}");
        assert!(keys.contains(&("inner.kind", Some(5))), "{keys:?}");
        assert!(keys.contains(&("inner.other", Some(6))), "{keys:?}");
    }

    #[test]
    fn parse_reports_syntax_error_line() {
        let text = "name = \"a\"\ncount = = 3\n";
        let result = parse_text::<Sample>(Path::new("x.toml"), text.to_string());
        let Err(SpecError::Invalid { problems, .. }) = result else { panic!("expected problems") };
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].line, Some(2));
        assert!(problems[0].message.starts_with("invalid TOML"), "{}", problems[0].message);
    }
}
