//! The line scanner for a message head (RFC 3261 §7.3): splits the header section into
//! name and value byte ranges without decoding anything. Shared by the datagram parser
//! and the stream framer so both agree on where a message's headers end.
//!
//! Leniency, on purpose: bare LF is accepted as a line end (many stacks send it), LWS
//! before the colon is allowed (`HCOLON`), and folded lines (CRLF + SP/HT) extend the
//! previous value. The value range is trimmed of LWS but folds inside it stay raw.

use std::ops::Range;

use super::scan::{is_lws, is_token_char};
use super::ParseError;

/// Finds the line starting at `pos`: returns (end of its content, start of next line).
/// The content excludes the line terminator (`\n` or `\r\n`). `None` if no `\n` yet.
pub(crate) fn line_at(buf: &[u8], pos: usize) -> Option<(usize, usize)> {
    let tail = buf.get(pos..)?;
    let nl = pos + memchr::memchr(b'\n', tail)?;
    let end = if nl > pos && buf.get(nl - 1) == Some(&b'\r') {
        nl - 1
    } else {
        nl
    };
    Some((end, nl + 1))
}

/// Skips CR and LF bytes at `pos` (RFC 3261 §7.5: CRLFs before a start line are ignored).
pub(crate) fn skip_crlf(buf: &[u8], pos: usize) -> usize {
    let skipped = buf.get(pos..).map_or(0, |t| {
        t.iter().take_while(|&&b| b == b'\r' || b == b'\n').count()
    });
    pos + skipped
}

/// One header line as byte ranges into the buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RawHeader {
    pub name: Range<usize>,
    pub value: Range<usize>,
}

/// Iterates the header lines that start at `pos` until the blank line ending the head.
/// After it returns `None`, [`HeaderLines::body_start`] is the first body byte.
/// Errors are fused: after one, iteration stops.
pub(crate) struct HeaderLines<'a> {
    buf: &'a [u8],
    pos: usize,
    body_start: Option<usize>,
    failed: bool,
}

impl<'a> HeaderLines<'a> {
    pub(crate) fn new(buf: &'a [u8], pos: usize) -> Self {
        HeaderLines {
            buf,
            pos,
            body_start: None,
            failed: false,
        }
    }

    /// Offset of the body once the blank line has been seen.
    pub(crate) fn body_start(&self) -> Option<usize> {
        self.body_start
    }

    fn fail(&mut self, e: ParseError) -> Option<Result<RawHeader, ParseError>> {
        self.failed = true;
        Some(Err(e))
    }

    /// Scans one header line starting at `self.pos` plus its folds. The name is
    /// validated in the same pass that finds the colon (one table load per byte).
    fn scan_header(&mut self, line_end: usize, next: usize) -> Result<RawHeader, ParseError> {
        let buf = self.buf;
        let start = self.pos;
        let line = buf.get(start..line_end).ok_or(ParseError::Truncated)?;
        let name_len = line.iter().take_while(|&&b| is_token_char(b)).count();
        let ws = line.get(name_len..).map_or(0, |t| {
            t.iter().take_while(|&&b| b == b' ' || b == b'\t').count()
        });
        let colon = name_len + ws;
        if line.get(colon) != Some(&b':') {
            return Err(if memchr::memchr(b':', line).is_some() {
                ParseError::BadHeaderName
            } else {
                ParseError::MissingColon
            });
        }
        if name_len == 0 {
            // Empty name, or a continuation line with no header before it.
            return Err(ParseError::BadHeaderName);
        }
        // Absorb folded continuation lines into this value.
        let (mut value_end, mut p) = (line_end, next);
        while matches!(buf.get(p), Some(b' ' | b'\t')) {
            let (end, nx) = line_at(buf, p).ok_or(ParseError::Truncated)?;
            value_end = end;
            p = nx;
        }
        self.pos = p;
        let mut value_start = start + colon + 1;
        while value_start < value_end && buf.get(value_start).is_some_and(|&b| is_lws(b)) {
            value_start += 1;
        }
        while value_end > value_start && buf.get(value_end - 1).is_some_and(|&b| is_lws(b)) {
            value_end -= 1;
        }
        Ok(RawHeader {
            name: start..start + name_len,
            value: value_start..value_end,
        })
    }
}

impl Iterator for HeaderLines<'_> {
    type Item = Result<RawHeader, ParseError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.body_start.is_some() {
            return None;
        }
        let Some((line_end, next)) = line_at(self.buf, self.pos) else {
            return self.fail(ParseError::Truncated);
        };
        if line_end == self.pos {
            self.body_start = Some(next);
            return None;
        }
        match self.scan_header(line_end, next) {
            Ok(h) => Some(Ok(h)),
            Err(e) => self.fail(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(s: &str) -> (Vec<(String, String)>, Option<usize>, Option<ParseError>) {
        let mut it = HeaderLines::new(s.as_bytes(), 0);
        let mut out = Vec::new();
        let mut err = None;
        for h in it.by_ref() {
            match h {
                Ok(h) => out.push((s[h.name].to_string(), s[h.value].to_string())),
                Err(e) => err = Some(e),
            }
        }
        (out, it.body_start(), err)
    }

    #[test]
    fn folds_lf_and_lws_before_colon() {
        let (h, body, err) = scan("A : 1\r\nB:\r\n  x,\r\n\ty \r\nC: 3\n\nBODY");
        assert_eq!(err, None);
        assert_eq!(h[0], ("A".into(), "1".into()));
        assert_eq!(h[1], ("B".into(), "x,\r\n\ty".into()));
        assert_eq!(h[2], ("C".into(), "3".into()));
        assert_eq!(body, Some(28));
    }

    #[test]
    fn errors() {
        assert_eq!(scan("NoColon\r\n\r\n").2, Some(ParseError::MissingColon));
        assert_eq!(scan(" fold: x\r\n\r\n").2, Some(ParseError::BadHeaderName));
        assert_eq!(
            scan("Bad Name: x\r\n\r\n").2,
            Some(ParseError::BadHeaderName)
        );
        assert_eq!(scan(": x\r\n\r\n").2, Some(ParseError::BadHeaderName));
        assert_eq!(scan("A: x\r\n").2, Some(ParseError::Truncated));
        assert_eq!(scan("A: x\r\n").1, None);
    }

    #[test]
    fn empty_value_allowed() {
        let (h, _, err) = scan("X-Empty:\r\n\r\n");
        assert_eq!(err, None);
        assert_eq!(h[0].1, "");
    }
}
