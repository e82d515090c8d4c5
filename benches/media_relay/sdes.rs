//! The SDP the rtpengine rows send and read: an audio m= line, plain (RTP/AVP) or with
//! one RFC 4568 `a=crypto` line (RTP/SAVP), and the `a=crypto` lines of rtpengine's
//! rewritten SDP (it offers several suites to the callee; the callee's answer picks
//! one by tag, and that key is what rtpengine protects towards the callee with).

use std::net::SocketAddr;

use anyhow::{anyhow, Context, Result};
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use base64::Engine;
use sbc_core::media::{SrtpKey, SrtpSuite};

/// One `a=crypto` attribute: its tag and key.
pub struct Crypto {
    pub tag: u32,
    pub key: SrtpKey,
}

/// The SDP of one endpoint at `addr`: G.711, 20 ms, and `crypto` if SRTP.
pub fn sdp(addr: SocketAddr, crypto: Option<&Crypto>) -> String {
    let ip = addr.ip();
    let port = addr.port();
    let (proto, line) = match crypto {
        None => ("RTP/AVP", String::new()),
        Some(c) => (
            "RTP/SAVP",
            format!(
                "a=crypto:{} {} inline:{}\r\n",
                c.tag,
                c.key.suite().sdes_name(),
                STANDARD.encode(c.key.key_salt())
            ),
        ),
    };
    format!(
        "v=0\r\no=- 1 1 IN IP4 {ip}\r\ns=-\r\nc=IN IP4 {ip}\r\nt=0 0\r\n\
         m=audio {port} {proto} 0\r\na=rtpmap:0 PCMU/8000\r\na=ptime:20\r\na=sendrecv\r\n{line}"
    )
}

/// The first `a=crypto` line of `sdp` with `suite` (no MKI, no lifetime needed).
pub fn find_crypto(sdp: &str, suite: SrtpSuite) -> Result<Crypto> {
    for line in sdp.lines() {
        let Some(rest) = line.trim_end().strip_prefix("a=crypto:") else {
            continue;
        };
        let mut fields = rest.split_whitespace();
        let (Some(tag), Some(name), Some(params)) = (fields.next(), fields.next(), fields.next())
        else {
            continue;
        };
        if name != suite.sdes_name() {
            continue;
        }
        let b64 = params
            .strip_prefix("inline:")
            .and_then(|p| p.split('|').next())
            .context("a=crypto without inline key")?;
        let bytes = STANDARD
            .decode(b64)
            .or_else(|_| STANDARD_NO_PAD.decode(b64.trim_end_matches('=')))
            .map_err(|e| anyhow!("a=crypto key: {e}"))?;
        return Ok(Crypto {
            tag: tag.parse().context("a=crypto tag")?,
            key: SrtpKey::new(suite, &bytes, None).map_err(|e| anyhow!("{e}"))?,
        });
    }
    Err(anyhow!(
        "no a=crypto with {suite} in rtpengine's SDP: {sdp}"
    ))
}
