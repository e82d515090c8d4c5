//! One media description (an `m=` line and the lines under it, RFC 8866 §5.14) and what
//! the media plane needs from it: where the peer receives RTP and RTCP, rtcp-mux and
//! the effective direction.
//!
//! Media-level rules decided here: a second c= in one description is refused (legal
//! only for layered multicast, which an anchoring SBC does not relay); a second a=rtcp
//! or a second direction attribute is refused as ambiguous; c= is required when the
//! port is not 0 and the session has none (RFC 8866 §5.7); i=, b= and k= are kept but
//! not interpreted; session-only lines (o=, s=, t=…) after an m= are refused.

use std::net::{IpAddr, SocketAddr};
use std::ops::Range;

use sbc_core::media::{Direction, RemoteMedia};

use super::error::{LineProblem, SdpError};
use super::fields::{direction_of, is_token, parse_attribute, parse_connection, split_token};
use super::lines::Line;

/// An `a=rtcp` attribute (RFC 3605): the port, and the address if it names one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RtcpAttr {
    pub(crate) port: u16,
    pub(crate) address: Option<IpAddr>,
}

/// One `m=` section of a parsed [`super::Sdp`].
#[derive(Debug, Clone, PartialEq)]
pub struct MediaDescription<'a> {
    /// Media type: `audio`, `video`, `image`, `application`…
    pub kind: &'a str,
    pub port: u16,
    /// The `/<number of ports>` suffix, if any.
    pub port_count: Option<u16>,
    /// Transport protocol: `RTP/AVP`, `RTP/SAVP`, `UDP/TLS/RTP/SAVPF`, `udptl`…
    pub proto: &'a str,
    /// The raw format list (payload types for RTP), as written.
    pub formats: &'a str,
    /// The m= text after the port digits (`[/count] proto fmt…`), copied on rewrite.
    pub(crate) after_port: &'a str,
    line: usize,
    /// This section's lines in `Sdp::lines`, the m= line included.
    pub(crate) lines: Range<usize>,
    /// This section's own c= address.
    pub(crate) own_connection: Option<IpAddr>,
    connection: Option<IpAddr>,
    own_direction: Option<Direction>,
    direction: Direction,
    pub(crate) rtcp_attr: Option<RtcpAttr>,
    rtcp_mux: bool,
    attributes: Vec<(&'a str, Option<&'a str>)>,
}

impl<'a> MediaDescription<'a> {
    /// Parses the m= line at `index` of the session's lines.
    pub(crate) fn start(line: &Line<'a>, index: usize) -> Result<Self, SdpError> {
        let text = line.text()?;
        let bad = |problem| line.error(problem);
        let (kind, after_kind) = split_token(text).ok_or(bad(LineProblem::BadMedia))?;
        let (port_field, after_field) =
            split_token(after_kind).ok_or(bad(LineProblem::BadMedia))?;
        let (port_digits, port_count) = match port_field.split_once('/') {
            Some((port, count)) => (port, Some(count)),
            None => (port_field, None),
        };
        let port = parse_u16(port_digits).ok_or(bad(LineProblem::BadPort))?;
        let port_count = match port_count {
            Some(count) => Some(
                parse_u16(count)
                    .filter(|&n| n > 0)
                    .ok_or(bad(LineProblem::BadPortCount))?,
            ),
            None => None,
        };
        let (proto, formats) = split_token(after_field).ok_or(bad(LineProblem::BadMedia))?;
        if !proto.split('/').all(is_token) {
            return Err(bad(LineProblem::BadProto));
        }
        let formats = formats.trim_matches([' ', '\t']);
        if formats.is_empty() {
            return Err(bad(LineProblem::NoFormat));
        }
        if !is_token(kind)
            || !formats
                .split([' ', '\t'])
                .filter(|f| !f.is_empty())
                .all(is_token)
        {
            return Err(bad(LineProblem::BadToken));
        }
        // The port digits end where `after_kind` minus its leading blanks plus the port
        // digits ends; everything after them is copied verbatim on rewrite.
        let lead = after_kind.len() - after_kind.trim_start_matches([' ', '\t']).len();
        let after_port = after_kind
            .get(lead + port_digits.len()..)
            .unwrap_or_default();
        Ok(MediaDescription {
            kind,
            port,
            port_count,
            proto,
            formats,
            after_port,
            line: line.number,
            lines: index..index + 1,
            own_connection: None,
            connection: None,
            own_direction: None,
            direction: Direction::SendRecv,
            rtcp_attr: None,
            rtcp_mux: false,
            attributes: Vec::new(),
        })
    }

    /// Takes one line that follows the m= line, at `index` of the session's lines.
    pub(crate) fn add(&mut self, line: &Line<'a>, index: usize) -> Result<(), SdpError> {
        self.lines.end = index + 1;
        match line.kind {
            b'c' => {
                if self.own_connection.is_some() {
                    return Err(line.error(LineProblem::Duplicate('c')));
                }
                let ip = parse_connection(line.text()?).map_err(|p| line.error(p))?;
                self.own_connection = Some(ip);
            }
            b'a' => self.add_attribute(line)?,
            b'i' | b'b' | b'k' => {}
            other => return Err(line.error(LineProblem::SessionOnly(char::from(other)))),
        }
        Ok(())
    }

    fn add_attribute(&mut self, line: &Line<'a>) -> Result<(), SdpError> {
        let (name, value) = parse_attribute(line.text()?).map_err(|p| line.error(p))?;
        if let Some(direction) = direction_of(name) {
            if self.own_direction.replace(direction).is_some() {
                return Err(line.error(LineProblem::DuplicateDirection));
            }
        } else if name == "rtcp" {
            let attr = parse_rtcp(value.unwrap_or_default()).map_err(|p| line.error(p))?;
            if self.rtcp_attr.replace(attr).is_some() {
                return Err(line.error(LineProblem::DuplicateRtcp));
            }
        } else if name == "rtcp-mux" {
            self.rtcp_mux = true;
        }
        self.attributes.push((name, value));
        Ok(())
    }

    /// Applies the session-level fallbacks once the section is complete.
    pub(crate) fn finish(
        &mut self,
        session_connection: Option<IpAddr>,
        session_direction: Option<Direction>,
    ) -> Result<(), SdpError> {
        self.connection = self.own_connection.or(session_connection);
        self.direction = self.own_direction.or(session_direction).unwrap_or_default();
        if self.connection.is_none() && self.port != 0 {
            return Err(SdpError::at(self.line, LineProblem::MissingConnection));
        }
        Ok(())
    }

    /// 1-based line number of this description's m= line.
    pub fn line(&self) -> usize {
        self.line
    }

    /// The effective c= address: media-level, else session-level.
    pub fn connection(&self) -> Option<IpAddr> {
        self.connection
    }

    /// The media-level direction attribute, else the session-level one, else sendrecv.
    pub fn direction(&self) -> Direction {
        self.direction
    }

    /// The a=rtcp address (RFC 3605), its address defaulting to the c= address.
    pub fn rtcp(&self) -> Option<SocketAddr> {
        let attr = self.rtcp_attr?;
        Some(SocketAddr::new(
            attr.address.or(self.connection)?,
            attr.port,
        ))
    }

    /// Whether the description carries a=rtcp-mux (RFC 5761).
    pub fn rtcp_mux(&self) -> bool {
        self.rtcp_mux
    }

    /// The media-level attributes in order, as `(name, value)`.
    pub fn attributes(&self) -> impl Iterator<Item = (&str, Option<&str>)> + '_ {
        self.attributes.iter().copied()
    }

    /// The formats (payload types for RTP) one by one.
    pub fn format_list(&self) -> impl Iterator<Item = &str> + '_ {
        self.formats.split([' ', '\t']).filter(|f| !f.is_empty())
    }

    /// Whether the author puts this stream on hold: sendonly or inactive (RFC 3264
    /// §8.4), or the RFC 2543 style c=0.0.0.0 (or `::`).
    pub fn is_hold(&self) -> bool {
        matches!(self.direction, Direction::SendOnly | Direction::Inactive)
            || self.connection.is_some_and(|ip| ip.is_unspecified())
    }

    /// Where the peer wants media: no RTP for a rejected stream (port 0) or a
    /// 0.0.0.0 hold; RTCP from a=rtcp, else the RTP address itself with rtcp-mux, else
    /// RTP port + 1.
    pub fn remote_media(&self) -> RemoteMedia {
        let rtp = self
            .connection
            .filter(|ip| !ip.is_unspecified() && self.port != 0)
            .map(|ip| SocketAddr::new(ip, self.port));
        let rtcp = rtp.and_then(|rtp| match self.rtcp_attr {
            Some(attr) => Some(SocketAddr::new(attr.address.unwrap_or(rtp.ip()), attr.port))
                .filter(|a| a.port() != 0 && !a.ip().is_unspecified()),
            None if self.rtcp_mux => Some(rtp),
            None => rtp
                .port()
                .checked_add(1)
                .map(|port| SocketAddr::new(rtp.ip(), port)),
        });
        RemoteMedia::new(rtp, rtcp, self.rtcp_mux, self.direction)
            .with_payloads(self.main_clock_rate(), self.telephone_event())
            .with_audio(self.audio_formats())
    }
}

/// Parses the value of `a=rtcp:<port> [IN IP4|IP6 <address>]`.
fn parse_rtcp(value: &str) -> Result<RtcpAttr, LineProblem> {
    let (port, rest) = split_token(value).ok_or(LineProblem::BadRtcp)?;
    let port = parse_u16(port).ok_or(LineProblem::BadRtcp)?;
    let address = if rest.trim_matches([' ', '\t']).is_empty() {
        None
    } else {
        Some(parse_connection(rest)?)
    };
    Ok(RtcpAttr { port, address })
}

/// A decimal u16 of plain digits (`str::parse` would also take a leading `+`).
fn parse_u16(s: &str) -> Option<u16> {
    if s.is_empty() || s.len() > 5 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::super::lines::Lines;
    use super::*;

    /// Builds the media description from a body holding only the media section.
    fn media(body: &str, session: Option<IpAddr>) -> Result<MediaDescription<'_>, SdpError> {
        let lines: Vec<Line<'_>> = Lines::new(body.as_bytes()).collect::<Result<_, _>>()?;
        let mut m = MediaDescription::start(&lines[0], 0)?;
        for (i, line) in lines.iter().enumerate().skip(1) {
            m.add(line, i)?;
        }
        m.finish(session, None)?;
        Ok(m)
    }

    #[test]
    fn m_line_fields() {
        let m = media(
            "m=audio 49170/2 RTP/AVP 0 8  101 \nc=IN IP4 192.0.2.1",
            None,
        )
        .unwrap();
        assert_eq!((m.kind, m.port, m.port_count), ("audio", 49170, Some(2)));
        assert_eq!((m.proto, m.formats), ("RTP/AVP", "0 8  101"));
        assert_eq!(m.after_port, "/2 RTP/AVP 0 8  101 ");
        assert_eq!(m.format_list().collect::<Vec<_>>(), ["0", "8", "101"]);
        assert_eq!(m.lines, 0..2);
    }

    #[test]
    fn bad_m_lines() {
        let e = |s| media(s, None).unwrap_err();
        let at1 = |p| SdpError::at(1, p);
        assert_eq!(e("m=audio"), at1(LineProblem::BadMedia));
        assert_eq!(e("m=audio +5 RTP/AVP 0"), at1(LineProblem::BadPort));
        assert_eq!(e("m=audio 65536 RTP/AVP 0"), at1(LineProblem::BadPort));
        assert_eq!(e("m=audio 5/0 RTP/AVP 0"), at1(LineProblem::BadPortCount));
        assert_eq!(e("m=audio 5 RTP/AVP"), at1(LineProblem::NoFormat));
        assert_eq!(e("m=audio 5 RTP/AVP   "), at1(LineProblem::NoFormat));
        assert_eq!(e("m=audio 5 RTP//AVP 0"), at1(LineProblem::BadProto));
        assert_eq!(e("m=au(dio 5 RTP/AVP 0"), at1(LineProblem::BadToken));
    }

    #[test]
    fn rtcp_attribute_and_fallbacks() {
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        let m = media("m=audio 4000 RTP/AVP 0\na=rtcp:4005", Some(ip)).unwrap();
        assert_eq!(m.rtcp(), Some(SocketAddr::new(ip, 4005)));
        let r = m.remote_media();
        assert_eq!(r.rtp, Some(SocketAddr::new(ip, 4000)));
        assert_eq!(r.rtcp, Some(SocketAddr::new(ip, 4005)));

        let m = media(
            "m=audio 4000 RTP/AVP 0\na=rtcp:9 IN IP6 2001:db8::9",
            Some(ip),
        )
        .unwrap();
        assert_eq!(m.rtcp(), Some("[2001:db8::9]:9".parse().unwrap()));

        let m = media("m=audio 65535 RTP/AVP 0", Some(ip)).unwrap();
        assert_eq!(m.remote_media().rtcp, None);
    }

    #[test]
    fn media_level_errors() {
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        let e = |s| media(s, Some(ip)).unwrap_err();
        assert_eq!(
            e("m=audio 1 RTP/AVP 0\nc=IN IP4 1.1.1.1\nc=IN IP4 1.1.1.2"),
            SdpError::at(3, LineProblem::Duplicate('c'))
        );
        assert_eq!(
            e("m=audio 1 RTP/AVP 0\na=sendonly\na=inactive"),
            SdpError::at(3, LineProblem::DuplicateDirection)
        );
        assert_eq!(
            e("m=audio 1 RTP/AVP 0\na=rtcp:x"),
            SdpError::at(2, LineProblem::BadRtcp)
        );
        assert_eq!(
            e("m=audio 1 RTP/AVP 0\na=rtcp:5\na=rtcp:6"),
            SdpError::at(3, LineProblem::DuplicateRtcp)
        );
        assert_eq!(
            e("m=audio 1 RTP/AVP 0\nt=0 0"),
            SdpError::at(2, LineProblem::SessionOnly('t'))
        );
        assert_eq!(
            media("m=audio 1 RTP/AVP 0", None).unwrap_err(),
            SdpError::at(1, LineProblem::MissingConnection)
        );
        assert!(media("m=audio 0 RTP/AVP 0", None).is_ok());
    }
}
