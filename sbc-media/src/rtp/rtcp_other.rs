//! BYE, APP (RFC 3550 sections 6.6 and 6.7) and RFC 4585 feedback packets. Feedback is
//! kept raw (FMT, sender, media source, FCI bytes): the relay forwards it and leaves
//! NACK/PLI/REMB semantics to the endpoints.

use super::error::RtcpError;
use super::rtcp::RawRtcp;
use super::rtcp_report::be32;
use super::types::Ssrc;

const SSRC_LEN: usize = 4;

/// A BYE (PT 203): the sources leaving, and an optional reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bye<'a> {
    raw: RawRtcp<'a>,
    reason: Option<&'a [u8]>,
}

impl<'a> Bye<'a> {
    pub(crate) fn new(raw: RawRtcp<'a>) -> Result<Self, RtcpError> {
        let body = raw.body();
        let list_len = usize::from(raw.count()) * SSRC_LEN;
        let after = body.get(list_len..).ok_or_else(|| raw.truncated())?;
        // The reason is a length byte and text; the rest of the word is null padding.
        let reason = match after.split_first() {
            None => None,
            Some((&len, text)) => Some(
                text.get(..usize::from(len))
                    .ok_or_else(|| raw.truncated())?,
            ),
        };
        Ok(Self { raw, reason })
    }

    /// The SC sources that left.
    pub fn sources(&self) -> impl Iterator<Item = Ssrc> + 'a {
        let body = self.raw.body();
        (0..usize::from(self.raw.count())).map(move |i| Ssrc(be32(body, i * SSRC_LEN)))
    }

    /// The reason text, if present.
    pub fn reason(&self) -> Option<&'a [u8]> {
        self.reason
    }
}

/// An APP packet (PT 204): subtype, source, 4-character name, application data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct App<'a> {
    raw: RawRtcp<'a>,
}

impl<'a> App<'a> {
    pub(crate) fn new(raw: RawRtcp<'a>) -> Result<Self, RtcpError> {
        if raw.body().len() < SSRC_LEN + 4 {
            return Err(raw.truncated());
        }
        Ok(Self { raw })
    }

    /// The 5-bit subtype.
    pub fn subtype(&self) -> u8 {
        self.raw.count()
    }

    /// The source.
    pub fn ssrc(&self) -> Ssrc {
        Ssrc(be32(self.raw.body(), 0))
    }

    /// The 4-byte ASCII name.
    pub fn name(&self) -> [u8; 4] {
        be32(self.raw.body(), SSRC_LEN).to_be_bytes()
    }

    /// Application-dependent data.
    pub fn data(&self) -> &'a [u8] {
        self.raw.body().get(SSRC_LEN + 4..).unwrap_or_default()
    }
}

/// An RFC 4585 feedback message (RTPFB 205 or PSFB 206), undecoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Feedback<'a> {
    raw: RawRtcp<'a>,
}

impl<'a> Feedback<'a> {
    pub(crate) fn new(raw: RawRtcp<'a>) -> Result<Self, RtcpError> {
        if raw.body().len() < 2 * SSRC_LEN {
            return Err(raw.truncated());
        }
        Ok(Self { raw })
    }

    /// FMT: which message (1 = generic NACK for RTPFB, 1 = PLI for PSFB, ...).
    pub fn fmt(&self) -> u8 {
        self.raw.count()
    }

    /// The sender of the feedback.
    pub fn sender_ssrc(&self) -> Ssrc {
        Ssrc(be32(self.raw.body(), 0))
    }

    /// The media source it is about.
    pub fn media_ssrc(&self) -> Ssrc {
        Ssrc(be32(self.raw.body(), SSRC_LEN))
    }

    /// Feedback control information.
    pub fn fci(&self) -> &'a [u8] {
        self.raw.body().get(2 * SSRC_LEN..).unwrap_or_default()
    }

    /// The untyped packet.
    pub fn raw(&self) -> RawRtcp<'a> {
        self.raw
    }
}
