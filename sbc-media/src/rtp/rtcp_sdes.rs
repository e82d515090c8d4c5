//! Source description packets (RFC 3550 section 6.5): chunks of (SSRC, items), where
//! the CNAME item ties an SSRC to an endpoint across SSRC changes.
//!
//! Chunks are variable-length, so finding chunk N means walking the items of chunks
//! before it; the iterator does that lazily and bounds every item by the packet body.

use super::error::RtcpError;
use super::rtcp::RawRtcp;
use super::rtcp_report::be32;
use super::types::Ssrc;

const SSRC_LEN: usize = 4;
/// Item type 0 ends a chunk's item list; padding to 32 bits follows.
const END: u8 = 0;

/// SDES item types (section 6.5.1-6.5.8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SdesItemType {
    Cname,
    Name,
    Email,
    Phone,
    Loc,
    Tool,
    Note,
    Priv,
    Other(u8),
}

impl From<u8> for SdesItemType {
    fn from(t: u8) -> Self {
        match t {
            1 => Self::Cname,
            2 => Self::Name,
            3 => Self::Email,
            4 => Self::Phone,
            5 => Self::Loc,
            6 => Self::Tool,
            7 => Self::Note,
            8 => Self::Priv,
            other => Self::Other(other),
        }
    }
}

/// An SDES packet (PT 202).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sdes<'a> {
    raw: RawRtcp<'a>,
}

impl<'a> Sdes<'a> {
    pub(crate) fn new(raw: RawRtcp<'a>) -> Result<Self, RtcpError> {
        Ok(Self { raw })
    }

    /// The SC chunks; a malformed chunk yields one error and ends the iteration.
    pub fn chunks(&self) -> SdesChunks<'a> {
        SdesChunks {
            raw: self.raw,
            body: self.raw.body(),
            pos: 0,
            remaining: self.raw.count(),
        }
    }

    /// The untyped packet.
    pub fn raw(&self) -> RawRtcp<'a> {
        self.raw
    }
}

/// One chunk: the source and its (already bounds-checked) item list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SdesChunk<'a> {
    pub ssrc: Ssrc,
    items: &'a [u8],
}

impl<'a> SdesChunk<'a> {
    /// The items, END excluded.
    pub fn items(&self) -> SdesItems<'a> {
        SdesItems { rest: self.items }
    }

    /// The CNAME, if the chunk carries one.
    pub fn cname(&self) -> Option<&'a [u8]> {
        self.items()
            .find(|i| i.kind == SdesItemType::Cname)
            .map(|i| i.text)
    }
}

/// One item: type and UTF-8 text (not checked: we relay, we do not display).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SdesItem<'a> {
    pub kind: SdesItemType,
    pub text: &'a [u8],
}

/// Iterator over the chunks of an SDES packet.
#[derive(Debug, Clone)]
pub struct SdesChunks<'a> {
    raw: RawRtcp<'a>,
    body: &'a [u8],
    pos: usize,
    remaining: u8,
}

impl<'a> Iterator for SdesChunks<'a> {
    type Item = Result<SdesChunk<'a>, RtcpError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.remaining == 0 {
            return None;
        }
        self.remaining -= 1;
        match self.scan_chunk() {
            Some(chunk) => Some(Ok(chunk)),
            None => {
                self.remaining = 0;
                Some(Err(self.raw.truncated()))
            }
        }
    }
}

impl<'a> SdesChunks<'a> {
    /// Reads the chunk at `pos`, walking items to its END and padding.
    fn scan_chunk(&mut self) -> Option<SdesChunk<'a>> {
        let start = self.pos;
        if start + SSRC_LEN > self.body.len() {
            return None;
        }
        let ssrc = Ssrc(be32(self.body, start));
        let items_start = start + SSRC_LEN;
        let mut pos = items_start;
        loop {
            let kind = *self.body.get(pos)?;
            if kind == END {
                break;
            }
            let len = usize::from(*self.body.get(pos + 1)?);
            pos += 2 + len;
        }
        let items = self.body.get(items_start..pos)?;
        // Skip END, then null octets up to the next 32-bit boundary (the body starts
        // 32-bit aligned, so offsets in it align the same way).
        let next = (pos + 1).next_multiple_of(4);
        if next > self.body.len() {
            return None;
        }
        self.pos = next;
        Some(SdesChunk { ssrc, items })
    }
}

/// Iterator over the items of one chunk (bounds checked when the chunk was scanned).
#[derive(Debug, Clone)]
pub struct SdesItems<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for SdesItems<'a> {
    type Item = SdesItem<'a>;

    fn next(&mut self) -> Option<SdesItem<'a>> {
        let (&kind, after) = self.rest.split_first()?;
        let (&len, after) = after.split_first()?;
        let (text, rest) = after.split_at_checked(usize::from(len))?;
        self.rest = rest;
        Some(SdesItem {
            kind: SdesItemType::from(kind),
            text,
        })
    }
}
