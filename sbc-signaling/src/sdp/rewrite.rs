//! Rewrites one SDP for the leg it is sent on: the SBC anchors the media and hides the
//! other side's topology, and changes nothing else (RFC 3264 offer/answer stays between
//! the endpoints; only transport addresses change hands).
//!
//! Changed: o= (username, session id and version of this leg, SBC address); every c=
//! (SBC address, or the unspecified address of its family for an RFC 2543 hold, so the
//! far side sees the hold as sent); each anchored m= port; media-level a=rtcp (SBC
//! address and RTCP port). Dropped: ICE attributes anywhere (see
//! `fields::is_ice_attribute`) and session-level a=rtcp (RFC 3605 defines it per media
//! only, and a session-level one would leak an address). Kept byte-exact: everything
//! else — b= (relaying does not change the bandwidth), direction attributes, rtpmap,
//! fmtp, a=rtcp-mux, unknown attributes, i=/u=/e=/p=/k=. Lines end in CRLF.
//!
//! SRTP (RFC 4568 SDES): with a [`SecurityRewrite`] for an m= line, its a=crypto lines
//! are replaced by the SBC's own (written where the first original stood, else at the
//! end of the section) or removed, and its proto may change (RTP/AVP <-> RTP/SAVP).
//! Whenever the plan carries security overrides, session-level a=crypto is dropped:
//! RFC 4568 §9.1 defines the attribute per media only, and forwarding one would hand
//! the peer's keys to the other leg.

use std::fmt;
use std::io::Write as _;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use sbc_core::media::LocalEndpoint;

use super::error::{LineProblem, SdpError};
use super::fields::{is_ice_attribute, is_token};
use super::lines::Line;
use super::media::MediaDescription;
use super::parse::Sdp;

/// How to rewrite one SDP for the leg it is sent on.
#[derive(Debug, Clone, Copy)]
pub struct RewritePlan<'p> {
    /// The SBC's advertised address for this leg (goes into c= and o=).
    pub address: IpAddr,
    /// o= username and session id to use on this leg (stable for the dialog), and the
    /// version: the caller increments it when the content changes (RFC 3264 §8).
    pub origin_user: &'p str,
    pub session_id: u64,
    pub session_version: u64,
    /// One entry per m= line, in order: Some(endpoint) to anchor that stream on the
    /// SBC (only its ports are used; the address is `address`), None to keep the m=
    /// port as-is (e.g. port 0 rejected streams stay 0). Addresses are hidden either
    /// way.
    pub endpoints: &'p [Option<LocalEndpoint>],
    /// SRTP overrides: empty for none at all, else one entry per m= line, in order,
    /// where None keeps that section's proto and a=crypto lines as written.
    pub security: &'p [Option<SecurityRewrite<'p>>],
}

/// What to do with the SRTP side of one m= section.
#[derive(Clone, Copy)]
pub struct SecurityRewrite<'p> {
    /// The m= proto to write instead of the original (e.g. `RTP/SAVP`), if any.
    pub proto: Option<&'p str>,
    /// The a=crypto values (what follows `a=crypto:`, e.g. a `CryptoAttr` displayed)
    /// that replace the section's own; empty removes them all.
    pub crypto: &'p [String],
}

/// The crypto values hold keys: show only how many there are.
impl fmt::Debug for SecurityRewrite<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecurityRewrite")
            .field("proto", &self.proto)
            .field("crypto_lines", &self.crypto.len())
            .finish()
    }
}

/// Writes the rewritten SDP into `out` (cleared first). Fails, writing nothing useful,
/// if the plan does not fit the SDP: wrong number of endpoints, an anchored stream
/// without any c=, or an o= username that is not a single visible word.
pub fn rewrite(sdp: &Sdp<'_>, plan: &RewritePlan<'_>, out: &mut Vec<u8>) -> Result<(), SdpError> {
    out.clear();
    check_plan(sdp, plan)?;
    let size: usize = sdp.lines.iter().map(|l| l.value.len() + 4).sum();
    out.reserve(size + 64);
    for line in sdp.lines.get(..sdp.session_end).unwrap_or_default() {
        write_session_line(out, sdp, plan, line);
    }
    for (i, (media, endpoint)) in sdp.media().iter().zip(plan.endpoints).enumerate() {
        let security = plan.security.get(i).copied().flatten();
        let mut crypto_written = false;
        for line in sdp.lines.get(media.lines.clone()).unwrap_or_default() {
            match security {
                Some(security) if line.kind == b'a' && attribute_name(line) == "crypto" => {
                    if !crypto_written {
                        write_crypto(out, security.crypto);
                        crypto_written = true;
                    }
                }
                _ => write_media_line(out, media, *endpoint, security, plan, line),
            }
        }
        if let Some(security) = security.filter(|_| !crypto_written) {
            write_crypto(out, security.crypto);
        }
    }
    Ok(())
}

fn check_plan(sdp: &Sdp<'_>, plan: &RewritePlan<'_>) -> Result<(), SdpError> {
    if plan.endpoints.len() != sdp.media().len() {
        return Err(SdpError::EndpointCount {
            plan: plan.endpoints.len(),
            media: sdp.media().len(),
        });
    }
    let user = plan.origin_user;
    if user.is_empty() || user.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(SdpError::InvalidOriginUser(user.to_owned()));
    }
    for (media, endpoint) in sdp.media().iter().zip(plan.endpoints) {
        if endpoint.is_some() && media.connection().is_none() {
            return Err(SdpError::AnchorWithoutConnection { line: media.line() });
        }
    }
    check_security(sdp, plan)
}

/// The overrides must fit the SDP (one per m= line) and must not smuggle line breaks
/// or control bytes into the output.
fn check_security(sdp: &Sdp<'_>, plan: &RewritePlan<'_>) -> Result<(), SdpError> {
    if plan.security.is_empty() {
        return Ok(());
    }
    if plan.security.len() != sdp.media().len() {
        return Err(SdpError::EndpointCount {
            plan: plan.security.len(),
            media: sdp.media().len(),
        });
    }
    for (media, security) in sdp.media().iter().zip(plan.security) {
        let Some(security) = security else { continue };
        if let Some(proto) = security.proto {
            if !proto.split('/').all(is_token) {
                return Err(SdpError::at(media.line(), LineProblem::BadProto));
            }
        }
        let visible =
            |v: &String| !v.is_empty() && v.bytes().all(|b| b == b' ' || b.is_ascii_graphic());
        if !security.crypto.iter().all(visible) {
            return Err(SdpError::at(media.line(), LineProblem::ForbiddenByte));
        }
    }
    Ok(())
}

fn write_session_line(out: &mut Vec<u8>, sdp: &Sdp<'_>, plan: &RewritePlan<'_>, line: &Line<'_>) {
    match line.kind {
        b'o' => put(
            out,
            format_args!(
                "o={} {} {} IN {} {}\r\n",
                plan.origin_user,
                plan.session_id,
                plan.session_version,
                addr_type(plan.address),
                plan.address
            ),
        ),
        b'c' => write_connection(out, plan.address, sdp.session_connection),
        b'a' => match attribute_name(line) {
            name if is_ice_attribute(name) || name == "rtcp" => {}
            "crypto" if !plan.security.is_empty() => {}
            _ => copy(out, line),
        },
        _ => copy(out, line),
    }
}

fn write_media_line(
    out: &mut Vec<u8>,
    media: &MediaDescription<'_>,
    endpoint: Option<LocalEndpoint>,
    security: Option<SecurityRewrite<'_>>,
    plan: &RewritePlan<'_>,
    line: &Line<'_>,
) {
    match line.kind {
        b'm' => {
            let port = endpoint.map_or(media.port, |e| e.rtp.port());
            let new_proto = security.and_then(|s| s.proto);
            match new_proto
                .and_then(|proto| split_at_proto(media.after_port, media.proto).map(|p| (proto, p)))
            {
                Some((proto, (before, after))) => put(
                    out,
                    format_args!("m={} {}{}{}{}\r\n", media.kind, port, before, proto, after),
                ),
                None => put(
                    out,
                    format_args!("m={} {}{}\r\n", media.kind, port, media.after_port),
                ),
            }
        }
        b'c' => write_connection(out, plan.address, media.own_connection),
        b'a' => match attribute_name(line) {
            name if is_ice_attribute(name) => {}
            "rtcp" => write_rtcp(out, media, endpoint, plan.address),
            _ => copy(out, line),
        },
        _ => copy(out, line),
    }
}

/// The SBC's a=crypto lines for one section.
fn write_crypto(out: &mut Vec<u8>, crypto: &[String]) {
    for value in crypto {
        put(out, format_args!("a=crypto:{value}\r\n"));
    }
}

/// Splits the m= text after the port (`[/count] proto fmt…`) around the proto, so the
/// blanks and formats are kept byte-exact when only the proto changes.
fn split_at_proto<'a>(after_port: &'a str, proto: &str) -> Option<(&'a str, &'a str)> {
    let count_len = match after_port.strip_prefix('/') {
        Some(rest) => 1 + rest.bytes().take_while(u8::is_ascii_digit).count(),
        None => 0,
    };
    let rest = after_port.get(count_len..)?;
    let start = count_len + rest.len() - rest.trim_start_matches([' ', '\t']).len();
    let after = after_port.get(start..)?.strip_prefix(proto)?;
    Some((after_port.get(..start)?, after))
}

/// `c=` with the SBC address, or the unspecified address if the original was a hold.
fn write_connection(out: &mut Vec<u8>, sbc: IpAddr, original: Option<IpAddr>) {
    let ip = advertised(sbc, original);
    put(out, format_args!("c=IN {} {}\r\n", addr_type(ip), ip));
}

/// `a=rtcp:` with the SBC's RTCP port (or the original port if the stream is not
/// anchored) and address; unspecified if the original pointed at an unspecified one.
fn write_rtcp(
    out: &mut Vec<u8>,
    media: &MediaDescription<'_>,
    endpoint: Option<LocalEndpoint>,
    sbc: IpAddr,
) {
    // Parsing guarantees an a=rtcp line left its value here; if not, drop the line
    // rather than forward an address.
    let Some(attr) = media.rtcp_attr else {
        return;
    };
    let port = endpoint.map_or(attr.port, |e| e.rtcp.port());
    let ip = advertised(sbc, attr.address.or(media.connection()));
    put(
        out,
        format_args!("a=rtcp:{} IN {} {}\r\n", port, addr_type(ip), ip),
    );
}

/// The address to advertise in place of `original`: the SBC's, except that a hold
/// (0.0.0.0 or ::) stays a hold, in the SBC address's family.
fn advertised(sbc: IpAddr, original: Option<IpAddr>) -> IpAddr {
    match (original, sbc) {
        (Some(ip), IpAddr::V4(_)) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        (Some(ip), IpAddr::V6(_)) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
        _ => sbc,
    }
}

fn addr_type(ip: IpAddr) -> &'static str {
    match ip {
        IpAddr::V4(_) => "IP4",
        IpAddr::V6(_) => "IP6",
    }
}

/// The name of an a= line; a= lines were checked to be UTF-8 by the parser.
fn attribute_name<'a>(line: &Line<'a>) -> &'a str {
    let name = line.value.split(|&b| b == b':').next().unwrap_or_default();
    std::str::from_utf8(name).unwrap_or_default()
}

fn copy(out: &mut Vec<u8>, line: &Line<'_>) {
    out.extend_from_slice(&[line.kind, b'=']);
    out.extend_from_slice(line.value);
    out.extend_from_slice(b"\r\n");
}

/// Formats into the buffer. Writing to a `Vec<u8>` cannot fail, so the io::Result
/// carries nothing.
fn put(out: &mut Vec<u8>, args: fmt::Arguments<'_>) {
    let _ = out.write_fmt(args);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::SocketAddr;

    const BODY: &str = "v=0\r\no=alice 1 7 IN IP4 10.1.1.1\r\ns=-\r\nc=IN IP4 10.1.1.1\r\n\
                        t=0 0\r\na=ice-lite\r\na=rtcp:9\r\nm=audio 4000 RTP/AVP 0\r\n\
                        a=rtcp:4001\r\na=candidate:1 1 UDP 1 10.1.1.1 4000 typ host\r\n";

    fn endpoint(port: u16) -> LocalEndpoint {
        let ip: IpAddr = "203.0.113.5".parse().unwrap();
        LocalEndpoint {
            rtp: SocketAddr::new(ip, port),
            rtcp: SocketAddr::new(ip, port + 1),
        }
    }

    fn plan<'p>(endpoints: &'p [Option<LocalEndpoint>]) -> RewritePlan<'p> {
        RewritePlan {
            address: "198.51.100.7".parse().unwrap(),
            origin_user: "sbc",
            session_id: 42,
            session_version: 3,
            endpoints,
            security: &[],
        }
    }

    #[test]
    fn rewrites_addresses_and_drops_ice_and_session_rtcp() {
        let sdp = Sdp::parse(BODY.as_bytes()).unwrap();
        let mut out = Vec::new();
        rewrite(&sdp, &plan(&[Some(endpoint(30000))]), &mut out).unwrap();
        let expected = "v=0\r\no=sbc 42 3 IN IP4 198.51.100.7\r\ns=-\r\n\
                        c=IN IP4 198.51.100.7\r\nt=0 0\r\nm=audio 30000 RTP/AVP 0\r\n\
                        a=rtcp:30001 IN IP4 198.51.100.7\r\n";
        assert_eq!(String::from_utf8(out).unwrap(), expected);
    }

    #[test]
    fn plan_errors() {
        let sdp = Sdp::parse(BODY.as_bytes()).unwrap();
        let mut out = b"junk".to_vec();
        assert_eq!(
            rewrite(&sdp, &plan(&[]), &mut out),
            Err(SdpError::EndpointCount { plan: 0, media: 1 })
        );
        assert!(out.is_empty());
        let mut bad = plan(&[None]);
        bad.origin_user = "a b";
        assert!(matches!(
            rewrite(&sdp, &bad, &mut out),
            Err(SdpError::InvalidOriginUser(_))
        ));
        let no_c = "v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nt=0 0\r\nm=audio 0 RTP/AVP 0\r\n";
        let sdp = Sdp::parse(no_c.as_bytes()).unwrap();
        assert_eq!(
            rewrite(&sdp, &plan(&[Some(endpoint(30000))]), &mut out),
            Err(SdpError::AnchorWithoutConnection { line: 5 })
        );
        assert!(rewrite(&sdp, &plan(&[None]), &mut out).is_ok());
    }

    #[test]
    fn proto_split_keeps_the_rest() {
        assert_eq!(
            split_at_proto(" RTP/AVP 0 8", "RTP/AVP"),
            Some((" ", " 0 8"))
        );
        assert_eq!(
            split_at_proto("/2\t RTP/AVPF 0", "RTP/AVPF"),
            Some(("/2\t ", " 0"))
        );
        assert_eq!(split_at_proto("/2 2 0", "2"), Some(("/2 ", " 0")));
        assert_eq!(split_at_proto(" X 0", "RTP/AVP"), None);
    }

    #[test]
    fn hold_stays_hold_in_the_sbc_family() {
        let v6: IpAddr = "2001:db8::7".parse().unwrap();
        assert_eq!(
            advertised(v6, Some("0.0.0.0".parse().unwrap())),
            IpAddr::V6(Ipv6Addr::UNSPECIFIED)
        );
        assert_eq!(advertised(v6, Some("10.0.0.1".parse().unwrap())), v6);
        assert_eq!(advertised(v6, None), v6);
    }
}
