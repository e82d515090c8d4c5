//! The typed walker over a parsed TOML document: reads one key at a time with its
//! position, checks types and ranges, and collects errors instead of stopping.
//!
//! Why not serde: `deny_unknown_fields` and type errors abort deserialization at the
//! first problem, and we must report every problem with file:line:col and key path.
//! So the schema is decoded by hand from `toml_edit`'s span-carrying tree; each section
//! lists its known keys and every other key is an error. A key that fails to decode
//! takes its default so decoding can go on; its path is remembered as failed so the
//! cross-field rules in `validate` don't pile a second, misleading error on top.

use std::collections::{HashMap, HashSet};
use std::fmt::Display;
use std::ops::Range;
use std::str::FromStr;
use std::time::Duration;

use toml_edit::{Item, TableLike, Value};

use super::error::{ConfigError, ConfigErrorKind, LineIndex, Position};
use super::suggest::closest;

/// A decoded value with the dotted path and position it came from.
pub(crate) struct Spanned<T> {
    pub value: T,
    pub path: String,
    pub pos: Position,
}

/// A table being decoded; `table` is `None` when the section is absent (or had the
/// wrong type), in which case every getter reports "absent" and defaults apply.
pub(crate) struct Section<'t> {
    table: Option<&'t dyn TableLike>,
    pub path: String,
    pub pos: Position,
}

/// One element of an array of tables: the table (if it is one), where it is, and its
/// TOML type name for the error when it is not a table.
struct Element<'t> {
    table: Option<&'t dyn TableLike>,
    span: Option<Range<usize>>,
    found: &'static str,
}

/// Where each key was found and which keys failed, handed from decoding to validation.
#[derive(Default)]
pub(crate) struct Spots {
    positions: HashMap<String, Position>,
    failed: HashSet<String>,
}

impl Spots {
    /// Position of `path`, or of its nearest ancestor that appeared in the file.
    pub(crate) fn position(&self, path: &str) -> Position {
        let mut p = path;
        loop {
            if let Some(pos) = self.positions.get(p) {
                return *pos;
            }
            match p.rfind(['.', '[']) {
                Some(i) => p = p.get(..i).unwrap_or(""),
                None => return Position::START,
            }
        }
    }

    /// Whether `path` appeared in the file.
    pub(crate) fn present(&self, path: &str) -> bool {
        self.positions.contains_key(path)
    }

    /// Whether `path` already has an error (so a cross-field rule should skip it).
    pub(crate) fn failed(&self, path: &str) -> bool {
        self.failed.contains(path)
    }
}

pub(crate) struct Decoder<'a> {
    origin: &'a str,
    lines: LineIndex<'a>,
    pub errors: Vec<ConfigError>,
    pub spots: Spots,
}

fn join(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_owned()
    } else {
        format!("{parent}.{key}")
    }
}

impl<'a> Decoder<'a> {
    pub(crate) fn new(text: &'a str, origin: &'a str) -> Self {
        Decoder {
            origin,
            lines: LineIndex::new(text),
            errors: Vec::new(),
            spots: Spots::default(),
        }
    }

    pub(crate) fn position(&self, span: Option<Range<usize>>, fallback: Position) -> Position {
        span.map_or(fallback, |s| self.lines.position(s.start))
    }

    /// Records an error at `path` and marks the path as failed.
    pub(crate) fn error(&mut self, path: &str, pos: Position, kind: ConfigErrorKind) {
        self.spots.failed.insert(path.to_owned());
        self.errors.push(ConfigError {
            origin: self.origin.to_owned(),
            position: Some(pos),
            key: path.to_owned(),
            kind,
        });
    }

    pub(crate) fn invalid(&mut self, path: &str, pos: Position, message: impl Into<String>) {
        self.error(path, pos, ConfigErrorKind::Invalid(message.into()));
    }

    /// The document root as a section, with its keys checked against `known`.
    pub(crate) fn root<'t>(&mut self, table: &'t dyn TableLike, known: &[&str]) -> Section<'t> {
        let sec = Section {
            table: Some(table),
            path: String::new(),
            pos: Position::START,
        };
        self.check_keys(&sec, known);
        sec
    }

    /// Reports every key of `sec` not in `known`.
    fn check_keys(&mut self, sec: &Section<'_>, known: &[&str]) {
        let Some(table) = sec.table else { return };
        for (key, item) in table.iter() {
            if known.contains(&key) {
                continue;
            }
            let span = table
                .key(key)
                .and_then(|k| k.span())
                .or_else(|| item.span());
            let pos = self.position(span, sec.pos);
            let kind = ConfigErrorKind::UnknownKey {
                key: key.to_owned(),
                expected: known.join(", "),
                suggestion: closest(key, known).map(str::to_owned),
            };
            self.error(&join(&sec.path, key), pos, kind);
        }
    }

    /// The item at `key` with its path and position (recorded for validation).
    fn entry<'t>(&mut self, sec: &Section<'t>, key: &str) -> Option<Spanned<&'t Item>> {
        let (k, item) = sec.table?.get_key_value(key)?;
        let pos = self.position(k.span().or_else(|| item.span()), sec.pos);
        let path = join(&sec.path, key);
        self.spots.positions.insert(path.clone(), pos);
        Some(Spanned {
            value: item,
            path,
            pos,
        })
    }

    fn wrong_type(&mut self, path: &str, pos: Position, expected: &'static str, item: &Item) {
        let found = item.type_name();
        self.error(path, pos, ConfigErrorKind::WrongType { expected, found });
    }

    /// Reports `key` as missing if `sec` exists but lacks it (at the section's own
    /// position: the `[[trunk]]` header, say). A section that is itself absent or of
    /// the wrong type already has its error, so nothing is added.
    pub(crate) fn require(&mut self, sec: &Section<'_>, key: &'static str) {
        if sec.table.is_some_and(|t| !t.contains_key(key)) {
            let path = join(&sec.path, key);
            self.error(&path, sec.pos, ConfigErrorKind::Missing(key));
        }
    }

    /// A sub-table (`[sip]`, `[sip.tcp]` or an inline table); absent gives an empty
    /// section so defaults apply.
    pub(crate) fn table<'t>(
        &mut self,
        sec: &Section<'t>,
        key: &str,
        known: &[&str],
    ) -> Section<'t> {
        let Some(e) = self.entry(sec, key) else {
            return Section {
                table: None,
                path: join(&sec.path, key),
                pos: sec.pos,
            };
        };
        let table = e.value.as_table_like();
        if table.is_none() {
            self.wrong_type(&e.path, e.pos, "a table", e.value);
        }
        let child = Section {
            table,
            path: e.path,
            pos: e.pos,
        };
        self.check_keys(&child, known);
        child
    }

    /// An array of tables (`[[trunk]]` or `trunk = [{...}]`); `None` when absent.
    pub(crate) fn tables<'t>(
        &mut self,
        sec: &Section<'t>,
        key: &str,
        known: &[&str],
    ) -> Option<Vec<Section<'t>>> {
        let e = self.entry(sec, key)?;
        let elements: Vec<Element<'t>> = match e.value {
            Item::ArrayOfTables(a) => a
                .iter()
                .map(|t| Element {
                    table: Some(t as &dyn TableLike),
                    span: t.span(),
                    found: "table",
                })
                .collect(),
            Item::Value(Value::Array(a)) => a
                .iter()
                .map(|v| Element {
                    table: v.as_inline_table().map(|t| t as &dyn TableLike),
                    span: v.span(),
                    found: v.type_name(),
                })
                .collect(),
            other => {
                self.wrong_type(&e.path, e.pos, "an array of tables", other);
                return Some(Vec::new());
            }
        };
        let mut out = Vec::with_capacity(elements.len());
        for (i, Element { table, span, found }) in elements.into_iter().enumerate() {
            let path = format!("{}[{i}]", e.path);
            let pos = self.position(span, e.pos);
            self.spots.positions.insert(path.clone(), pos);
            if table.is_none() {
                let kind = ConfigErrorKind::WrongType {
                    expected: "a table",
                    found,
                };
                self.error(&path, pos, kind);
            }
            let child = Section { table, path, pos };
            self.check_keys(&child, known);
            out.push(child);
        }
        Some(out)
    }

    /// An integer in `min..=max`; `None` when absent or invalid.
    pub(crate) fn int(&mut self, sec: &Section<'_>, key: &str, min: i64, max: i64) -> Option<i64> {
        let e = self.entry(sec, key)?;
        let Some(v) = e.value.as_integer() else {
            self.wrong_type(&e.path, e.pos, "an integer", e.value);
            return None;
        };
        if !(min..=max).contains(&v) {
            self.invalid(
                &e.path,
                e.pos,
                format!("must be between {min} and {max}, got {v}"),
            );
            return None;
        }
        Some(v)
    }

    /// An integer converted to `T`, in `min..=max`, else `default`.
    pub(crate) fn num<T: TryFrom<i64>>(
        &mut self,
        sec: &Section<'_>,
        key: &str,
        min: i64,
        max: i64,
        default: T,
    ) -> T {
        self.int(sec, key, min, max)
            .and_then(|v| T::try_from(v).ok())
            .unwrap_or(default)
    }

    /// A `*_ms` duration in `min..=max` milliseconds, else `default`.
    pub(crate) fn millis(
        &mut self,
        sec: &Section<'_>,
        key: &str,
        min: u64,
        max: u64,
        default: Duration,
    ) -> Duration {
        self.duration(sec, key, (min, max), default, Duration::from_millis)
    }

    /// A `*_secs` duration in `min..=max` seconds, else `default`.
    pub(crate) fn secs(
        &mut self,
        sec: &Section<'_>,
        key: &str,
        min: u64,
        max: u64,
        default: Duration,
    ) -> Duration {
        self.duration(sec, key, (min, max), default, Duration::from_secs)
    }

    fn duration(
        &mut self,
        sec: &Section<'_>,
        key: &str,
        (min, max): (u64, u64),
        default: Duration,
        unit: fn(u64) -> Duration,
    ) -> Duration {
        let v: Option<u64> = self
            .int(sec, key, min as i64, max as i64)
            .and_then(|v| u64::try_from(v).ok());
        v.map_or(default, unit)
    }

    /// A boolean; `None` when absent or of another type.
    pub(crate) fn boolean(&mut self, sec: &Section<'_>, key: &str) -> Option<bool> {
        let e = self.entry(sec, key)?;
        let Some(v) = e.value.as_bool() else {
            self.wrong_type(&e.path, e.pos, "a boolean (true or false)", e.value);
            return None;
        };
        Some(v)
    }

    /// A string; `None` when absent or of another type.
    pub(crate) fn string(&mut self, sec: &Section<'_>, key: &str) -> Option<Spanned<String>> {
        let e = self.entry(sec, key)?;
        let Some(s) = e.value.as_str() else {
            self.wrong_type(&e.path, e.pos, "a string", e.value);
            return None;
        };
        Some(Spanned {
            value: s.to_owned(),
            path: e.path,
            pos: e.pos,
        })
    }

    /// A string parsed with `FromStr`; the error names `what` and shows an example.
    pub(crate) fn parse<T: FromStr>(
        &mut self,
        sec: &Section<'_>,
        key: &str,
        what: &str,
        example: &str,
    ) -> Option<Spanned<T>> {
        let s = self.string(sec, key)?;
        match s.value.parse::<T>() {
            Ok(value) => Some(Spanned {
                value,
                path: s.path,
                pos: s.pos,
            }),
            Err(_) => {
                let msg = format!("`{}` is not a valid {what} (e.g. `{example}`)", s.value);
                self.invalid(&s.path, s.pos, msg);
                None
            }
        }
    }

    /// An array of strings, each parsed with `FromStr` (errors per element, naming
    /// `key[i]`); `None` when absent or not an array.
    pub(crate) fn parse_list<T: FromStr>(&mut self, sec: &Section<'_>, key: &str) -> Option<Vec<T>>
    where
        T::Err: Display,
    {
        let e = self.entry(sec, key)?;
        let Some(array) = e.value.as_array() else {
            self.wrong_type(&e.path, e.pos, "an array of strings", e.value);
            return None;
        };
        let mut out = Vec::with_capacity(array.len());
        for (i, v) in array.iter().enumerate() {
            let path = format!("{}[{i}]", e.path);
            let pos = self.position(v.span(), e.pos);
            self.spots.positions.insert(path.clone(), pos);
            match v.as_str().map(str::parse::<T>) {
                Some(Ok(t)) => out.push(t),
                Some(Err(err)) => self.invalid(&path, pos, err.to_string()),
                None => {
                    let kind = ConfigErrorKind::WrongType {
                        expected: "a string",
                        found: v.type_name(),
                    };
                    self.error(&path, pos, kind);
                }
            }
        }
        Some(out)
    }
}
