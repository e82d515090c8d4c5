//! Splits an SDP body into `<type>=<value>` lines (RFC 8866 §5), numbering them as a
//! human counts lines in the body so errors can point at them.
//!
//! Accepts CRLF and bare LF endings (RFC 8866 §5 asks parsers to accept LF), a last
//! line without an ending, and blank lines (skipped: they carry nothing, and some
//! stacks append an extra CRLF). Refuses NUL and bare CR inside a line: a border element
//! must not forward bytes that C stacks on the far side would truncate or split on.

use super::error::{LineProblem, SdpError};

/// One non-blank line of the body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Line<'a> {
    /// The type letter, `b'a'..=b'z'`.
    pub(crate) kind: u8,
    /// Everything after `=`, without the line ending.
    pub(crate) value: &'a [u8],
    /// 1-based line number in the body.
    pub(crate) number: usize,
}

impl<'a> Line<'a> {
    /// The value as text, for the lines whose content the SBC interprets.
    pub(crate) fn text(&self) -> Result<&'a str, SdpError> {
        std::str::from_utf8(self.value).map_err(|_| SdpError::at(self.number, LineProblem::NotUtf8))
    }

    pub(crate) fn error(&self, problem: LineProblem) -> SdpError {
        SdpError::at(self.number, problem)
    }
}

/// Iterator over the lines of a body; yields an error for the first malformed line.
pub(crate) struct Lines<'a> {
    rest: &'a [u8],
    number: usize,
}

impl<'a> Lines<'a> {
    pub(crate) fn new(body: &'a [u8]) -> Self {
        Lines {
            rest: body,
            number: 0,
        }
    }

    /// Cuts the next physical line (without its ending) off `rest`.
    fn next_physical(&mut self) -> Option<&'a [u8]> {
        if self.rest.is_empty() {
            return None;
        }
        self.number += 1;
        let (line, rest) = match self.rest.iter().position(|&b| b == b'\n') {
            Some(pos) => (
                self.rest.get(..pos).unwrap_or_default(),
                self.rest.get(pos + 1..).unwrap_or_default(),
            ),
            None => (self.rest, &[][..]),
        };
        self.rest = rest;
        Some(line.strip_suffix(b"\r").unwrap_or(line))
    }
}

impl<'a> Iterator for Lines<'a> {
    type Item = Result<Line<'a>, SdpError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let raw = self.next_physical()?;
            if raw.is_empty() {
                continue;
            }
            return Some(classify(raw, self.number));
        }
    }
}

fn classify(raw: &[u8], number: usize) -> Result<Line<'_>, SdpError> {
    let [kind, b'=', value @ ..] = raw else {
        return Err(SdpError::at(number, LineProblem::NotTypeValue));
    };
    if !KNOWN_TYPES.contains(kind) {
        let shown = if kind.is_ascii_graphic() {
            char::from(*kind)
        } else {
            '?'
        };
        // RFC 8866 §5: a parser must ignore or reject a description with a type letter
        // it does not understand; rejecting is the only safe choice when rewriting.
        return Err(SdpError::at(number, LineProblem::UnknownType(shown)));
    }
    if value.iter().any(|&b| b == 0 || b == b'\r') {
        return Err(SdpError::at(number, LineProblem::ForbiddenByte));
    }
    Ok(Line {
        kind: *kind,
        value,
        number,
    })
}

/// Every type letter of RFC 8866 (plus the obsolete k=, still seen in the wild).
const KNOWN_TYPES: &[u8] = b"vosiuepcbtrzkam";

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(body: &[u8]) -> Result<Vec<Line<'_>>, SdpError> {
        Lines::new(body).collect()
    }

    #[test]
    fn crlf_lf_and_missing_final_ending() {
        let lines = collect(b"v=0\r\no=x\ns=-").unwrap();
        let kinds: Vec<u8> = lines.iter().map(|l| l.kind).collect();
        assert_eq!(kinds, b"vos");
        assert_eq!(lines[1].value, b"x");
        assert_eq!(lines[2].number, 3);
    }

    #[test]
    fn blank_lines_skipped_but_counted() {
        let lines = collect(b"v=0\r\n\r\ns=x\r\n\r\n").unwrap();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[1].number, 3);
    }

    #[test]
    fn malformed_lines_name_their_number() {
        let err = collect(b"v=0\r\nxyz\r\n").unwrap_err();
        assert_eq!(err, SdpError::at(2, LineProblem::NotTypeValue));
        let err = collect(b"v=0\r\nq=1\r\n").unwrap_err();
        assert_eq!(err, SdpError::at(2, LineProblem::UnknownType('q')));
        let err = collect(b"v=0\r\ns=a\rb\r\n").unwrap_err();
        assert_eq!(err, SdpError::at(2, LineProblem::ForbiddenByte));
        let err = collect(b"v=0\ns=a\0b").unwrap_err();
        assert_eq!(err.line(), Some(2));
        assert!(collect(b"=x").is_err());
        assert!(collect(b"a").is_err());
    }

    #[test]
    fn text_rejects_invalid_utf8() {
        let lines = collect(b"s=\xff\xfe").unwrap();
        assert_eq!(lines[0].text(), Err(SdpError::at(1, LineProblem::NotUtf8)));
    }
}
