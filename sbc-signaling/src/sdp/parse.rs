//! The session description as a whole (RFC 8866 §5): the session-level lines, the o=
//! origin, and the media descriptions, all borrowing the body.
//!
//! Validation is what the SBC relies on, no more: v=0 first; exactly one o= (six
//! fields), one s= and at least one t= before the first m=; at most one session c=;
//! every m= well formed. The relative order of the other session-level lines is not
//! enforced: devices that put b= before c= are common and the rewrite keeps the order
//! it was given anyway. Text lines (s=, i=, u=, e=, p=) may hold any bytes but NUL/CR
//! (a=charset may make them non-UTF-8); lines the SBC interprets must be UTF-8.

use std::net::IpAddr;

use sbc_core::media::Direction;

use super::error::{LineProblem, SdpError};
use super::fields::{direction_of, parse_attribute, parse_connection, split_token};
use super::lines::{Line, Lines};
use super::media::MediaDescription;

/// The most m= lines one SDP may carry. Real calls have one to a few; the cap bounds
/// the media-plane work a single peer message can ask for.
pub const MAX_MEDIA: usize = 64;

/// The fields of the o= line (RFC 8866 §5.2), as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Origin<'a> {
    pub username: &'a str,
    /// Digits per the grammar, but kept as text: some stacks exceed 64 bits.
    pub session_id: &'a str,
    /// Compare as text to tell a changed offer from a repeated one (RFC 3264 §8).
    pub session_version: &'a str,
    pub net_type: &'a str,
    pub addr_type: &'a str,
    /// An IP literal or an FQDN; the SBC never forwards it.
    pub address: &'a str,
}

/// A parsed session description borrowing the body. Lines are kept in order so the
/// rewrite can reproduce everything it does not change byte-exact.
#[derive(Debug, Clone, PartialEq)]
pub struct Sdp<'a> {
    /// Every non-blank line of the body, in order.
    pub(crate) lines: Vec<Line<'a>>,
    /// Number of leading lines that form the session level (index of the first m=).
    pub(crate) session_end: usize,
    origin: Origin<'a>,
    pub(crate) session_connection: Option<IpAddr>,
    session_direction: Option<Direction>,
    session_attributes: Vec<(&'a str, Option<&'a str>)>,
    media: Vec<MediaDescription<'a>>,
}

impl<'a> Sdp<'a> {
    /// Parses a body with CRLF or LF line endings.
    pub fn parse(body: &'a [u8]) -> Result<Sdp<'a>, SdpError> {
        // One pass to size the vector saves the reallocations of a growing collect.
        let mut lines = Vec::with_capacity(body.iter().filter(|&&b| b == b'\n').count() + 1);
        for line in Lines::new(body) {
            lines.push(line?);
        }
        let first = lines.first().ok_or(SdpError::Empty)?;
        if first.kind != b'v' {
            return Err(first.error(LineProblem::VersionFirst));
        }
        if first.value != b"0" {
            return Err(first.error(LineProblem::BadVersion));
        }
        let mut session = SessionLevel::default();
        let mut media: Vec<MediaDescription<'a>> = Vec::new();
        let mut session_end = lines.len();
        for (index, line) in lines.iter().enumerate().skip(1) {
            if line.kind == b'm' {
                if media.len() >= MAX_MEDIA {
                    return Err(SdpError::TooManyMedia { max: MAX_MEDIA });
                }
                session_end = session_end.min(index);
                media.push(MediaDescription::start(line, index)?);
            } else if let Some(current) = media.last_mut() {
                current.add(line, index)?;
            } else {
                session.add(line)?;
            }
        }
        let origin = session.origin.ok_or(SdpError::Missing('o'))?;
        if !session.has_name {
            return Err(SdpError::Missing('s'));
        }
        if !session.has_timing {
            return Err(SdpError::Missing('t'));
        }
        for m in &mut media {
            m.finish(session.connection, session.direction)?;
        }
        Ok(Sdp {
            lines,
            session_end,
            origin,
            session_connection: session.connection,
            session_direction: session.direction,
            session_attributes: session.attributes,
            media,
        })
    }

    /// The o= fields.
    pub fn origin(&self) -> Origin<'a> {
        self.origin
    }

    /// One entry per m= line, in order.
    pub fn media(&self) -> &[MediaDescription<'a>] {
        &self.media
    }

    /// The session-level c= address, if any.
    pub fn session_connection(&self) -> Option<IpAddr> {
        self.session_connection
    }

    /// The session-level direction attribute, if any.
    pub fn session_direction(&self) -> Option<Direction> {
        self.session_direction
    }

    /// The session-level attributes in order, as `(name, value)`.
    pub fn attributes(&self) -> impl Iterator<Item = (&str, Option<&str>)> + '_ {
        self.session_attributes.iter().copied()
    }
}

/// What the session-level lines said, collected while walking them.
#[derive(Default)]
struct SessionLevel<'a> {
    origin: Option<Origin<'a>>,
    has_name: bool,
    has_timing: bool,
    connection: Option<IpAddr>,
    direction: Option<Direction>,
    attributes: Vec<(&'a str, Option<&'a str>)>,
}

impl<'a> SessionLevel<'a> {
    fn add(&mut self, line: &Line<'a>) -> Result<(), SdpError> {
        let duplicate = || line.error(LineProblem::Duplicate(char::from(line.kind)));
        match line.kind {
            b'v' => return Err(duplicate()),
            b'o' if self.origin.is_some() => return Err(duplicate()),
            b'o' => self.origin = Some(parse_origin(line)?),
            b's' if self.has_name => return Err(duplicate()),
            b's' => self.has_name = true,
            b'c' if self.connection.is_some() => return Err(duplicate()),
            b'c' => {
                let ip = parse_connection(line.text()?).map_err(|p| line.error(p))?;
                self.connection = Some(ip);
            }
            b't' => self.has_timing = true,
            b'a' => self.add_attribute(line)?,
            // i= u= e= p= b= r= z= k=: kept byte-exact, not interpreted.
            _ => {}
        }
        Ok(())
    }

    fn add_attribute(&mut self, line: &Line<'a>) -> Result<(), SdpError> {
        let (name, value) = parse_attribute(line.text()?).map_err(|p| line.error(p))?;
        if let Some(direction) = direction_of(name) {
            if self.direction.replace(direction).is_some() {
                return Err(line.error(LineProblem::DuplicateDirection));
            }
        }
        self.attributes.push((name, value));
        Ok(())
    }
}

fn parse_origin<'a>(line: &Line<'a>) -> Result<Origin<'a>, SdpError> {
    let bad = || line.error(LineProblem::BadOrigin);
    let mut rest = line.text()?;
    let mut fields = [""; 6];
    for field in &mut fields {
        let (token, after) = split_token(rest).ok_or_else(bad)?;
        *field = token;
        rest = after;
    }
    if split_token(rest).is_some() {
        return Err(bad());
    }
    let [username, session_id, session_version, net_type, addr_type, address] = fields;
    Ok(Origin {
        username,
        session_id,
        session_version,
        net_type,
        addr_type,
        address,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: &str = "v=0\r\no=- 1 2 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n";

    #[test]
    fn minimal_session_without_media() {
        let sdp = Sdp::parse(MIN.as_bytes()).unwrap();
        assert!(sdp.media().is_empty());
        assert_eq!(sdp.origin().session_version, "2");
        assert_eq!(sdp.origin().address, "10.0.0.1");
        assert_eq!(sdp.session_end, 5);
        assert_eq!(sdp.session_connection(), Some("10.0.0.1".parse().unwrap()));
    }

    #[test]
    fn session_direction_is_inherited_and_overridden() {
        let body = format!(
            "{MIN}a=sendonly\r\nm=audio 1 RTP/AVP 0\r\nm=audio 2 RTP/AVP 0\r\na=inactive\r\n"
        );
        let sdp = Sdp::parse(body.as_bytes()).unwrap();
        assert_eq!(sdp.session_direction(), Some(Direction::SendOnly));
        assert_eq!(sdp.media()[0].direction(), Direction::SendOnly);
        assert_eq!(sdp.media()[1].direction(), Direction::Inactive);
        assert_eq!(sdp.attributes().next(), Some(("sendonly", None)));
    }

    #[test]
    fn required_lines() {
        let err = |s: &str| Sdp::parse(s.as_bytes()).unwrap_err();
        assert_eq!(err(""), SdpError::Empty);
        assert_eq!(err("\r\n\n"), SdpError::Empty);
        assert_eq!(err("o=x"), SdpError::at(1, LineProblem::VersionFirst));
        assert_eq!(err("v=1"), SdpError::at(1, LineProblem::BadVersion));
        assert_eq!(err("v=0\ns=-\nt=0 0"), SdpError::Missing('o'));
        assert_eq!(err("v=0\no=a 1 2 IN IP4 h\nt=0 0"), SdpError::Missing('s'));
        assert_eq!(err("v=0\no=a 1 2 IN IP4 h\ns=-"), SdpError::Missing('t'));
        assert_eq!(
            err("v=0\no=a 1 2 IN IP4\ns=-\nt=0 0"),
            SdpError::at(2, LineProblem::BadOrigin)
        );
        assert_eq!(
            err("v=0\no=a 1 2 IN IP4 h x\ns=-\nt=0 0"),
            SdpError::at(2, LineProblem::BadOrigin)
        );
        assert_eq!(
            err(&format!("{MIN}v=0\r\n")),
            SdpError::at(6, LineProblem::Duplicate('v'))
        );
        assert_eq!(
            err(&format!("{MIN}c=IN IP4 1.1.1.1\r\n")),
            SdpError::at(6, LineProblem::Duplicate('c'))
        );
        assert_eq!(
            err(&format!("{MIN}m=audio 1 RTP/AVP 0\r\no=a 1 2 IN IP4 h\r\n")),
            SdpError::at(7, LineProblem::SessionOnly('o'))
        );
    }

    #[test]
    fn too_many_media() {
        let mut body = MIN.to_string();
        for _ in 0..=MAX_MEDIA {
            body.push_str("m=audio 0 RTP/AVP 0\r\n");
        }
        assert_eq!(
            Sdp::parse(body.as_bytes()),
            Err(SdpError::TooManyMedia { max: MAX_MEDIA })
        );
    }

    #[test]
    fn text_lines_may_be_non_utf8_but_attributes_may_not() {
        let body = b"v=0\r\no=- 1 2 IN IP4 h\r\ns=Caf\xe9\r\nt=0 0\r\n";
        assert!(Sdp::parse(body).is_ok());
        let body = b"v=0\r\no=- 1 2 IN IP4 h\r\ns=-\r\nt=0 0\r\na=x:\xe9\r\n";
        assert_eq!(Sdp::parse(body), Err(SdpError::at(5, LineProblem::NotUtf8)));
    }
}
