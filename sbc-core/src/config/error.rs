//! Configuration errors: what went wrong, where (file, line, column) and under which
//! dotted key, plus the list type that carries every error found in one load.
//!
//! Loading never stops at the first problem: an operator fixing a config file should
//! see all of them at once, one per line, in file order, in the classic
//! `FILE:LINE:COL: KEY: MESSAGE` shape that editors and CI annotate.

use std::fmt;

/// A 1-based line and column (columns count characters, not bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

impl Position {
    /// The start of a file: where errors that belong to no particular key are reported.
    pub const START: Position = Position { line: 1, column: 1 };
}

/// What is wrong. The message of a [`ConfigError`] is this kind's `Display`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigErrorKind {
    /// The file could not be read (missing, permissions, not UTF-8…).
    #[error("cannot read config file: {0}")]
    Io(String),
    /// The text is not valid TOML.
    #[error("TOML syntax error: {0}")]
    Syntax(String),
    /// A key the schema does not know (a typo, or an option from another version).
    /// `suggestion` is the known key closest in spelling, if any is close.
    #[error(
        "unknown key `{key}`{}; expected one of: {expected}",
        suggestion.as_ref().map(|s| format!(" (did you mean `{s}`?)")).unwrap_or_default()
    )]
    UnknownKey {
        key: String,
        expected: String,
        suggestion: Option<String>,
    },
    /// The value has the wrong TOML type.
    #[error("expected {expected}, found {found}")]
    WrongType {
        expected: &'static str,
        found: &'static str,
    },
    /// A key that has no default is absent.
    #[error("missing required key `{0}`")]
    Missing(&'static str),
    /// The value has the right type but is not acceptable; the text says why.
    #[error("{0}")]
    Invalid(String),
}

/// One problem in a configuration file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The file name (or other origin label) the text came from.
    pub origin: String,
    /// Where in the file; `None` only when the file could not be read at all.
    pub position: Option<Position>,
    /// Dotted key path such as `trunk[1].address` (array indexes are 0-based);
    /// empty for syntax and IO errors.
    pub key: String,
    pub kind: ConfigErrorKind,
}

impl ConfigError {
    /// 1-based line, if the error has a position.
    pub fn line(&self) -> Option<usize> {
        self.position.map(|p| p.line)
    }

    /// 1-based column (in characters), if the error has a position.
    pub fn column(&self) -> Option<usize> {
        self.position.map(|p| p.column)
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:", self.origin)?;
        if let Some(p) = self.position {
            write!(f, "{}:{}:", p.line, p.column)?;
        }
        if !self.key.is_empty() {
            write!(f, " {}:", self.key)?;
        }
        write!(f, " {}", self.kind)
    }
}

impl std::error::Error for ConfigError {}

/// Every error found while loading one file. Never empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigErrors(Vec<ConfigError>);

impl ConfigErrors {
    /// Wraps a non-empty list, sorted into file order (stable, so errors at the same
    /// place keep the order they were found in). Returns `None` for an empty list.
    pub(crate) fn from_vec(mut errors: Vec<ConfigError>) -> Option<ConfigErrors> {
        if errors.is_empty() {
            return None;
        }
        errors.sort_by_key(|e| e.position);
        Some(ConfigErrors(errors))
    }

    pub(crate) fn single(error: ConfigError) -> ConfigErrors {
        ConfigErrors(vec![error])
    }

    pub fn errors(&self) -> &[ConfigError] {
        &self.0
    }

    pub fn into_vec(self) -> Vec<ConfigError> {
        self.0
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Always false (kept for API symmetry with `len`).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for ConfigErrors {
    /// One error per line, no trailing newline.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

impl<'a> IntoIterator for &'a ConfigErrors {
    type Item = &'a ConfigError;
    type IntoIter = std::slice::Iter<'a, ConfigError>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

/// Maps byte offsets (as the TOML parser reports them) to line and column.
pub(crate) struct LineIndex<'a> {
    text: &'a str,
    /// Byte offset at which each line starts; the first entry is 0.
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        LineIndex { text, starts }
    }

    /// Position of a byte offset; offsets past the end clamp to the end, offsets inside
    /// a multi-byte character count that character as started.
    pub(crate) fn position(&self, offset: usize) -> Position {
        let offset = offset.min(self.text.len());
        // `starts[0] == 0 <= offset`, so partition_point is at least 1.
        let line = self.starts.partition_point(|&s| s <= offset);
        let start = self
            .starts
            .get(line.saturating_sub(1))
            .copied()
            .unwrap_or(0);
        let column = self
            .text
            .get(start..)
            .map(|rest| {
                rest.char_indices()
                    .take_while(|(i, _)| start + i < offset)
                    .count()
            })
            .unwrap_or(0);
        Position {
            line: line.max(1),
            column: column + 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based_and_count_characters() {
        let idx = LineIndex::new("ab\nüx = 1\n");
        assert_eq!(idx.position(0), Position { line: 1, column: 1 });
        assert_eq!(idx.position(1), Position { line: 1, column: 2 });
        assert_eq!(idx.position(3), Position { line: 2, column: 1 });
        // 'ü' is two bytes: the 'x' after it is the second character.
        assert_eq!(idx.position(5), Position { line: 2, column: 2 });
        assert_eq!(idx.position(999), Position { line: 3, column: 1 });
    }

    #[test]
    fn display_has_file_line_col_key_message() {
        let e = ConfigError {
            origin: "sbc.toml".into(),
            position: Some(Position { line: 3, column: 1 }),
            key: "log.level".into(),
            kind: ConfigErrorKind::Invalid("bad".into()),
        };
        assert_eq!(e.to_string(), "sbc.toml:3:1: log.level: bad");
        let io = ConfigError {
            origin: "x.toml".into(),
            position: None,
            key: String::new(),
            kind: ConfigErrorKind::Io("No such file".into()),
        };
        assert_eq!(
            io.to_string(),
            "x.toml: cannot read config file: No such file"
        );
    }
}
