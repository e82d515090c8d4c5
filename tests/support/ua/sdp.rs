//! The test UA's SDP (RFC 8866, RFC 4568 for `a=crypto`): writing our one
//! audio stream, and reading the peer's first audio stream just far enough
//! to aim media at it and to learn its SDES keys, payload formats and
//! direction. Parsed by hand on purpose, independently of the SBC's parser.

use std::fmt::Write as _;
use std::net::{IpAddr, SocketAddr};

use super::keys::{self, Suite};
use super::UaError;

/// The transport protocol of an m= line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// RTP/AVP: plain RTP.
    Avp,
    /// RTP/SAVP: SRTP keyed by a=crypto.
    Savp,
}

impl Profile {
    pub fn as_str(self) -> &'static str {
        match self {
            Profile::Avp => "RTP/AVP",
            Profile::Savp => "RTP/SAVP",
        }
    }
}

/// One `a=crypto` line with an inline key (RFC 4568 §9.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CryptoLine {
    pub tag: u32,
    /// The crypto-suite token as written (a suite we do not know stays visible).
    pub suite: String,
    /// Base64 master key||salt (what follows `inline:` up to `|`).
    pub key_salt: String,
    /// Lifetime and MKI (`|2^31|1:4`) when present, without the first `|`.
    pub lifetime_mki: Option<String>,
    /// Session parameters after the key-params, verbatim.
    pub session_params: String,
}

impl CryptoLine {
    /// A line with a fresh key for `suite`.
    pub fn generate(tag: u32, suite: Suite) -> CryptoLine {
        CryptoLine {
            tag,
            suite: suite.name().to_owned(),
            key_salt: keys::generate_key_salt(suite),
            lifetime_mki: None,
            session_params: String::new(),
        }
    }

    /// Parses the value after `a=crypto:`.
    pub fn parse(value: &str) -> Result<CryptoLine, UaError> {
        let bad = |why: &str| UaError::Protocol(format!("a=crypto:{value}: {why}"));
        let mut fields = value.split_whitespace();
        let tag = fields
            .next()
            .and_then(|t| t.parse().ok())
            .ok_or_else(|| bad("bad tag"))?;
        let suite = fields.next().ok_or_else(|| bad("no suite"))?.to_owned();
        let key_params = fields.next().ok_or_else(|| bad("no key-params"))?;
        if key_params.contains(';') {
            return Err(bad(
                "several keys in one line (not supported by the test UA)",
            ));
        }
        let inline = key_params
            .strip_prefix("inline:")
            .ok_or_else(|| bad("key-params is not inline:"))?;
        let (key_salt, lifetime_mki) = match inline.split_once('|') {
            Some((key, rest)) => (key.to_owned(), Some(rest.to_owned())),
            None => (inline.to_owned(), None),
        };
        Ok(CryptoLine {
            tag,
            suite,
            key_salt,
            lifetime_mki,
            session_params: fields.collect::<Vec<_>>().join(" "),
        })
    }

    /// The known suite of this line, if it is one.
    pub fn known_suite(&self) -> Option<Suite> {
        Suite::from_name(&self.suite)
    }
}

/// Our side of a call: one audio stream, PCMU, RTCP on its own port.
#[derive(Debug, Clone)]
pub struct LocalMedia {
    pub ip: IpAddr,
    pub rtp_port: u16,
    pub rtcp_port: u16,
    /// Empty: RTP/AVP; else RTP/SAVP with these lines.
    pub crypto: Vec<CryptoLine>,
}

impl LocalMedia {
    pub fn profile(&self) -> Profile {
        if self.crypto.is_empty() {
            Profile::Avp
        } else {
            Profile::Savp
        }
    }

    /// The session description (`version` is the o= session version):
    /// PCMU and telephone-event 101, sendrecv.
    pub fn to_sdp(&self, session_id: u64, version: u32) -> String {
        let payloads = [RtpMap::pcmu(), RtpMap::telephone_event(101, 8000)];
        self.to_sdp_with(session_id, version, &payloads, "sendrecv")
    }

    /// The session description with these payload formats, in this order,
    /// and this direction attribute (`sendrecv`, `sendonly`, ...).
    pub fn to_sdp_with(
        &self,
        session_id: u64,
        version: u32,
        payloads: &[RtpMap],
        direction: &str,
    ) -> String {
        let family = if self.ip.is_ipv4() { "IP4" } else { "IP6" };
        let mut sdp = String::with_capacity(400);
        let formats: Vec<String> = payloads.iter().map(|p| p.pt.to_string()).collect();
        let _ = write!(
            sdp,
            "v=0\r\no=- {session_id} {version} IN {family} {ip}\r\ns=-\r\n\
             c=IN {family} {ip}\r\nt=0 0\r\n\
             m=audio {port} {profile} {formats}\r\n",
            ip = self.ip,
            port = self.rtp_port,
            profile = self.profile().as_str(),
            formats = formats.join(" "),
        );
        for p in payloads {
            p.write_attributes(&mut sdp);
        }
        let _ = write!(sdp, "a=ptime:20\r\na=rtcp:{}\r\n", self.rtcp_port);
        for c in &self.crypto {
            let _ = write!(sdp, "a=crypto:{} {} inline:{}", c.tag, c.suite, c.key_salt);
            if let Some(extra) = &c.lifetime_mki {
                let _ = write!(sdp, "|{extra}");
            }
            if !c.session_params.is_empty() {
                let _ = write!(sdp, " {}", c.session_params);
            }
            sdp.push_str("\r\n");
        }
        let _ = write!(sdp, "a={direction}\r\n");
        sdp
    }
}

/// The peer's first audio stream as the test needs it.
#[derive(Debug, Clone)]
pub struct PeerMedia {
    pub addr: IpAddr,
    pub rtp_port: u16,
    pub rtcp_port: u16,
    pub profile: String,
    pub crypto: Vec<CryptoLine>,
    /// The m= line's formats in order, with their rtpmap/fmtp (static types
    /// without an rtpmap get their RFC 3551 names).
    pub payloads: Vec<RtpMap>,
    /// The stream's direction attribute (`sendrecv` when none is given).
    pub direction: String,
    /// The whole SDP, for failure messages.
    pub raw: String,
}

impl PeerMedia {
    pub fn rtp(&self) -> SocketAddr {
        SocketAddr::new(self.addr, self.rtp_port)
    }

    pub fn rtcp(&self) -> SocketAddr {
        SocketAddr::new(self.addr, self.rtcp_port)
    }

    /// The first payload format with this encoding name (case-insensitive).
    pub fn payload(&self, encoding: &str) -> Option<&RtpMap> {
        self.payloads
            .iter()
            .find(|p| p.encoding.eq_ignore_ascii_case(encoding))
    }

    /// Parses `sdp`: the session c= unless the audio m= has its own, the
    /// RTCP port from a=rtcp (else RTP + 1, RFC 3605 §2.1).
    pub fn parse(sdp: &str) -> Result<PeerMedia, UaError> {
        let bad = |why: &str| UaError::Protocol(format!("{why} in SDP:\n{sdp}"));
        let mut session_addr = None;
        let mut media: Option<PeerMedia> = None;
        let mut in_audio = false;
        for line in sdp.lines().map(str::trim_end) {
            if let Some(m) = line.strip_prefix("m=") {
                if media.is_some() {
                    break; // only the first audio stream matters
                }
                in_audio = m.starts_with("audio ");
                if in_audio {
                    media = Some(audio_line(m, session_addr, sdp).ok_or_else(|| bad("bad m="))?);
                }
            } else if let Some(c) = line.strip_prefix("c=") {
                let addr = connection(c).ok_or_else(|| bad("bad c="))?;
                match media.as_mut() {
                    Some(m) if in_audio => m.addr = addr,
                    _ => session_addr = Some(addr),
                }
            } else if let (true, Some(m)) = (in_audio, media.as_mut()) {
                media_attribute(m, line)?;
            }
        }
        let media = media.ok_or_else(|| bad("no m=audio"))?;
        if media.addr.is_unspecified() {
            return Err(bad("no c= for the audio stream"));
        }
        Ok(media)
    }
}

fn audio_line(m: &str, session_addr: Option<IpAddr>, sdp: &str) -> Option<PeerMedia> {
    let mut fields = m.split_whitespace().skip(1);
    let rtp_port: u16 = fields.next()?.parse().ok()?;
    let profile = fields.next()?.to_owned();
    let payloads = fields
        .map(|f| f.parse().ok().map(RtpMap::static_default))
        .collect::<Option<Vec<_>>>()?;
    Some(PeerMedia {
        addr: session_addr.unwrap_or(IpAddr::from([0, 0, 0, 0])),
        rtp_port,
        rtcp_port: rtp_port.checked_add(1)?,
        profile,
        crypto: Vec::new(),
        payloads,
        direction: "sendrecv".to_owned(),
        raw: sdp.to_owned(),
    })
}

fn connection(c: &str) -> Option<IpAddr> {
    let mut fields = c.split_whitespace();
    let (_net, _family) = (fields.next()?, fields.next()?);
    // A multicast TTL suffix (`/127`) is not expected from an SBC; refuse it.
    fields.next()?.parse().ok()
}

fn media_attribute(m: &mut PeerMedia, line: &str) -> Result<(), UaError> {
    if let Some(rtcp) = line.strip_prefix("a=rtcp:") {
        let port = rtcp.split_whitespace().next().and_then(|p| p.parse().ok());
        m.rtcp_port =
            port.ok_or_else(|| UaError::Protocol(format!("bad {line} in SDP:\n{}", m.raw)))?;
    } else if let Some(value) = line.strip_prefix("a=crypto:") {
        m.crypto.push(CryptoLine::parse(value)?);
    } else if let Some(value) = line.strip_prefix("a=rtpmap:") {
        let bad = || UaError::Protocol(format!("bad {line} in SDP:\n{}", m.raw));
        let (pt, map) = RtpMap::parse_rtpmap(value).ok_or_else(bad)?;
        if let Some(p) = m.payloads.iter_mut().find(|p| p.pt == pt) {
            p.encoding = map.encoding;
            p.clock_rate = map.clock_rate;
            p.channels = map.channels;
        }
    } else if let Some(value) = line.strip_prefix("a=fmtp:") {
        let (pt, params) = value.split_once(' ').unwrap_or((value, ""));
        let pt: Option<u8> = pt.parse().ok();
        if let Some(p) = m.payloads.iter_mut().find(|p| Some(p.pt) == pt) {
            p.fmtp = Some(params.trim().to_owned());
        }
    } else if let Some(dir) = line.strip_prefix("a=").filter(|a| DIRECTIONS.contains(a)) {
        m.direction = dir.to_owned();
    }
    Ok(())
}

const DIRECTIONS: [&str; 4] = ["sendrecv", "sendonly", "recvonly", "inactive"];

/// One payload format of an m= line (RFC 8866 §6.6 `a=rtpmap`, §6.15 `a=fmtp`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RtpMap {
    pub pt: u8,
    pub encoding: String,
    pub clock_rate: u32,
    /// The encoding parameters (channels for audio), when written.
    pub channels: Option<u8>,
    pub fmtp: Option<String>,
}

impl RtpMap {
    pub fn new(pt: u8, encoding: &str, clock_rate: u32) -> RtpMap {
        RtpMap {
            pt,
            encoding: encoding.to_owned(),
            clock_rate,
            channels: None,
            fmtp: None,
        }
    }

    pub fn pcmu() -> RtpMap {
        RtpMap::new(0, "PCMU", 8000)
    }

    pub fn pcma() -> RtpMap {
        RtpMap::new(8, "PCMA", 8000)
    }

    /// G.722: 16 kHz audio on the 8 kHz RTP clock (RFC 3551 §4.5.2).
    pub fn g722() -> RtpMap {
        RtpMap::new(9, "G722", 8000)
    }

    /// Opus is always `opus/48000/2` in SDP (RFC 7587 §7), even for mono.
    pub fn opus(pt: u8) -> RtpMap {
        RtpMap {
            channels: Some(2),
            ..RtpMap::new(pt, "opus", 48_000)
        }
    }

    pub fn telephone_event(pt: u8, clock_rate: u32) -> RtpMap {
        RtpMap {
            fmtp: Some("0-15".to_owned()),
            ..RtpMap::new(pt, "telephone-event", clock_rate)
        }
    }

    /// A format as the m= line alone describes it: the RFC 3551 static
    /// types by name, anything else unknown until its rtpmap.
    fn static_default(pt: u8) -> RtpMap {
        match pt {
            0 => RtpMap::pcmu(),
            8 => RtpMap::pcma(),
            9 => RtpMap::g722(),
            _ => RtpMap::new(pt, "", 0),
        }
    }

    /// `96 opus/48000/2` into (96, the map).
    fn parse_rtpmap(value: &str) -> Option<(u8, RtpMap)> {
        let (pt, rest) = value.trim().split_once(' ')?;
        let pt: u8 = pt.parse().ok()?;
        let mut parts = rest.trim().split('/');
        let encoding = parts.next()?;
        let clock_rate = parts.next()?.parse().ok()?;
        let channels = match parts.next() {
            Some(c) => Some(c.parse().ok()?),
            None => None,
        };
        Some((
            pt,
            RtpMap {
                channels,
                ..RtpMap::new(pt, encoding, clock_rate)
            },
        ))
    }

    fn write_attributes(&self, sdp: &mut String) {
        let _ = write!(
            sdp,
            "a=rtpmap:{} {}/{}",
            self.pt, self.encoding, self.clock_rate
        );
        if let Some(c) = self.channels {
            let _ = write!(sdp, "/{c}");
        }
        sdp.push_str("\r\n");
        if let Some(f) = &self.fmtp {
            let _ = write!(sdp, "a=fmtp:{} {f}\r\n", self.pt);
        }
    }
}
