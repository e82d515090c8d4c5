//! SRTP for the load generator and the sink: which legs of a row are protected, the
//! per-stream master keys of each leg and direction, and the contexts the generator
//! protects with and the sink unprotects with.
//!
//! Every stream has its own keys, and each leg its own (what an SBC terminating SDES on
//! both sides sees): the generator protects with leg A's inbound key, the SBC
//! re-protects with leg B's outbound key and the sink unprotects with that one. Keys
//! are derived deterministically from (role, stream) so a row is reproducible. All
//! contexts are built before the first step: protect/unprotect per packet work in the
//! caller's buffer and allocate nothing.

use anyhow::{bail, ensure, Context, Result};
use sbc_core::ids::LegSide;
use sbc_core::media::{SrtpKey, SrtpKeying, SrtpSuite};
use sbc_media::srtp::{SrtpConfig, SrtpContext, SrtpError, Suite};

use crate::loadgen::{fill_packet, payload_fields, PACKET_BYTES, SSRC_BASE};

/// The largest trailer protect appends here (GCM tag, no MKI); a generator slot is
/// `PACKET_BYTES + MAX_TRAILER`.
pub const MAX_TRAILER: usize = 16;

/// Which legs of a row carry SRTP, and with which suite (`None`: plain RTP).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SrtpPlan {
    /// Generator <-> SBC.
    pub a: Option<SrtpSuite>,
    /// SBC <-> sink.
    pub b: Option<SrtpSuite>,
}

/// The four keys of one stream: per leg, what the peer protects with (inbound to the
/// SBC) and what the SBC protects with (outbound).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeyRole {
    AInbound = 1,
    AOutbound = 2,
    BInbound = 3,
    BOutbound = 4,
}

impl SrtpPlan {
    pub const RTP_TO_SRTP: SrtpPlan = SrtpPlan {
        a: None,
        b: Some(SrtpSuite::AesCm128HmacSha1_80),
    };
    pub const CM: SrtpPlan = SrtpPlan {
        a: Some(SrtpSuite::AesCm128HmacSha1_80),
        b: Some(SrtpSuite::AesCm128HmacSha1_80),
    };
    pub const GCM: SrtpPlan = SrtpPlan {
        a: Some(SrtpSuite::AeadAes128Gcm),
        b: Some(SrtpSuite::AeadAes128Gcm),
    };

    /// What `set_remote` of `leg` of `stream` carries (`None`: that leg is plain).
    pub fn keying(&self, leg: LegSide, stream: usize) -> Result<Option<SrtpKeying>> {
        let (suite, inbound, outbound) = match leg {
            LegSide::A => (self.a, KeyRole::AInbound, KeyRole::AOutbound),
            LegSide::B => (self.b, KeyRole::BInbound, KeyRole::BOutbound),
        };
        let Some(suite) = suite else {
            return Ok(None);
        };
        Ok(Some(SrtpKeying {
            inbound: master_key(suite, inbound, stream)?,
            outbound: master_key(suite, outbound, stream)?,
        }))
    }

    /// The generator's contexts (leg A's inbound keys), if leg A is SRTP.
    pub fn generator(&self, streams: usize) -> Result<Option<StreamContexts>> {
        self.a
            .map(|s| StreamContexts::build(s, KeyRole::AInbound, streams))
            .transpose()
    }

    /// The sink's contexts (leg B's outbound keys), if leg B is SRTP.
    pub fn sink(&self, streams: usize) -> Result<Option<StreamContexts>> {
        self.b
            .map(|s| StreamContexts::build(s, KeyRole::BOutbound, streams))
            .transpose()
    }
}

/// One SRTP context per stream, found by the stream index or the packet's SSRC.
pub struct StreamContexts {
    ctxs: Vec<SrtpContext>,
}

impl StreamContexts {
    fn build(suite: SrtpSuite, role: KeyRole, streams: usize) -> Result<StreamContexts> {
        let ctxs = (0..streams)
            .map(|i| context(&master_key(suite, role, i)?))
            .collect::<Result<Vec<_>>>()?;
        Ok(StreamContexts { ctxs })
    }

    /// Contexts from keys a relay chose itself (rtpengine's SDES keys), stream i = key i.
    pub fn from_keys(keys: &[SrtpKey]) -> Result<StreamContexts> {
        let ctxs = keys.iter().map(context).collect::<Result<Vec<_>>>()?;
        Ok(StreamContexts { ctxs })
    }

    /// Protects the RTP packet `buf[..len]` of `stream` in place; returns its length.
    #[inline]
    pub fn protect(
        &mut self,
        stream: usize,
        buf: &mut [u8],
        len: usize,
    ) -> Result<usize, SrtpError> {
        let ctx = self.ctxs.get_mut(stream).ok_or(SrtpError::BadHeader)?;
        ctx.protect_rtp(buf, len)
    }

    /// Verifies and decrypts the SRTP packet filling `pkt`, picking the context by
    /// SSRC; returns the RTP length.
    #[inline]
    pub fn unprotect(&mut self, pkt: &mut [u8]) -> Result<usize, SrtpError> {
        let ssrc = pkt
            .get(8..12)
            .and_then(|b| b.try_into().ok())
            .map(u32::from_be_bytes)
            .ok_or(SrtpError::TooShort)?;
        let stream = (ssrc ^ SSRC_BASE) as usize;
        let ctx = self.ctxs.get_mut(stream).ok_or(SrtpError::BadHeader)?;
        ctx.unprotect_rtp(pkt)
    }
}

fn media_suite(suite: SrtpSuite) -> Result<Suite> {
    Suite::from_sdes_name(suite.sdes_name()).with_context(|| format!("suite {suite}"))
}

fn context(key: &SrtpKey) -> Result<SrtpContext> {
    // One SSRC per context: the table stays one entry, the per-packet lookup trivial.
    let config = SrtpConfig {
        max_ssrcs: 1,
        ..SrtpConfig::default()
    };
    let suite = media_suite(key.suite())?;
    let (k, salt) = key.key_salt().split_at(suite.key_len());
    SrtpContext::new(suite, k, salt, &config).map_err(|e| anyhow::anyhow!("{e}"))
}

/// The key the generator protects stream i with (leg A inbound), if leg A is SRTP:
/// what a relay under test is told in the caller's SDP.
pub fn generator_key(plan: SrtpPlan, stream: usize) -> Result<Option<SrtpKey>> {
    plan.a
        .map(|s| master_key(s, KeyRole::AInbound, stream))
        .transpose()
}

/// The key the sink would protect with (leg B inbound): what the callee's SDP offers.
pub fn sink_key(plan: SrtpPlan, stream: usize) -> Result<Option<SrtpKey>> {
    plan.b
        .map(|s| master_key(s, KeyRole::BInbound, stream))
        .transpose()
}

/// A distinct, reproducible master key + salt per (role, stream): splitmix64 output.
fn master_key(suite: SrtpSuite, role: KeyRole, stream: usize) -> Result<SrtpKey> {
    let mut bytes = [0u8; 44];
    let out = bytes
        .get_mut(..suite.key_salt_len())
        .context("key longer than 44 octets")?;
    let mut state = 0x5bc0_5eed_0000_0000 ^ ((role as u64) << 40) ^ stream as u64;
    for chunk in out.chunks_mut(8) {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        chunk.copy_from_slice(&z.to_le_bytes()[..chunk.len()]);
    }
    SrtpKey::new(suite, out, None).map_err(|e| anyhow::anyhow!("{e}"))
}

/// The generator -> sink SRTP path without a relay: packets the generator's code
/// builds and protects with the sink's keys come out of the sink's code intact, a
/// flipped bit is an authentication failure, and keys differ per stream and leg.
pub fn self_check(plan: SrtpPlan) -> Result<()> {
    let Some(suite) = plan.b else {
        return Ok(());
    };
    const STREAMS: usize = 3;
    let mut tx = StreamContexts::build(suite, KeyRole::BOutbound, STREAMS)?;
    let mut rx = plan.sink(STREAMS)?.context("leg B is SRTP")?;
    let mut buf = [0u8; PACKET_BYTES + MAX_TRAILER];
    for seq in 0..300u16 {
        for stream in 0..STREAMS {
            let now = 1_000_000 + u64::from(seq);
            fill_packet(&mut buf, stream as u32, seq, now, 7);
            let n = tx.protect(stream, &mut buf, PACKET_BYTES)?;
            ensure!(n > PACKET_BYTES, "protect added no trailer");
            let plain = rx.unprotect(&mut buf[..n])?;
            ensure!(plain == PACKET_BYTES, "unprotected length {plain}");
            ensure!(
                payload_fields(&buf[..plain]) == Some((now, 7)),
                "payload changed"
            );
        }
    }
    fill_packet(&mut buf, 0, 300, 1, 7);
    let n = tx.protect(0, &mut buf, PACKET_BYTES)?;
    buf[PACKET_BYTES / 2] ^= 1;
    if rx.unprotect(&mut buf[..n]) != Err(SrtpError::AuthFailed) {
        bail!("a corrupted packet was not an authentication failure");
    }
    let a = plan.keying(LegSide::B, 0)?.context("leg B keying")?;
    let b = plan.keying(LegSide::B, 1)?.context("leg B keying")?;
    ensure!(
        a.inbound != a.outbound && a.outbound != b.outbound,
        "keys repeat"
    );
    Ok(())
}
