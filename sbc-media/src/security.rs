//! Per-stream SRTP state on a relay worker: the context that unprotects what the
//! stream's peer sends and the one that protects what the SBC sends it, built from the
//! `SrtpKeying` signaling negotiated (control time, never per packet).
//!
//! A new SDP with the same keys keeps both contexts untouched, so the rollover counter
//! and replay windows survive a re-INVITE (relays that rebuild the context there lose
//! the ROC after a sequence wrap: one-way audio). A changed key replaces only the
//! context it belongs to. Keys that cannot become a context leave the stream `Broken`:
//! every packet is dropped rather than relayed without the protection signaling
//! promised (deny by default).

use sbc_core::media::{SrtpKey, SrtpKeying};

use crate::packet::PacketKind;
use crate::srtp::{Mki, SrtpConfig, SrtpContext, SrtpError, SrtpKeyError, Suite};
use crate::stats::DropReason;

/// One direction's context and the key it was built from (to detect a re-key).
pub(crate) struct KeyedContext {
    key: SrtpKey,
    ctx: SrtpContext,
}

impl KeyedContext {
    fn build(key: &SrtpKey, replay_window: u32) -> Result<Self, SrtpKeyError> {
        let suite = Suite::from(key.suite());
        let (master, salt) = key.key_salt().split_at(suite.key_len());
        let mki = match key.mki() {
            Some(m) => Some(Mki::from_value(m.value(), usize::from(m.len()))?),
            None => None,
        };
        let config = SrtpConfig {
            replay_window,
            mki,
            ..SrtpConfig::default()
        };
        Ok(KeyedContext {
            key: key.clone(),
            ctx: SrtpContext::new(suite, master, salt, &config)?,
        })
    }

    /// Keeps `self` if `key` is the same, else builds a new context.
    fn rekey(self: Box<Self>, key: &SrtpKey, window: u32) -> Result<Box<Self>, SrtpKeyError> {
        if self.key == *key {
            return Ok(self);
        }
        KeyedContext::build(key, window).map(Box::new)
    }
}

/// Whether and how a stream's packets are protected on its leg.
#[derive(Default)]
pub(crate) enum StreamSecurity {
    #[default]
    Plain,
    Srtp {
        inbound: Box<KeyedContext>,
        outbound: Box<KeyedContext>,
    },
    /// Signaling asked for SRTP with keys we could not use: nothing passes.
    Broken,
}

impl std::fmt::Debug for StreamSecurity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            StreamSecurity::Plain => "Plain",
            StreamSecurity::Srtp { .. } => "Srtp",
            StreamSecurity::Broken => "Broken",
        })
    }
}

impl StreamSecurity {
    /// Applies the keying of a new SDP (`None`: plain RTP). Returns an error only to
    /// be logged; the stream is then `Broken`.
    pub(crate) fn update(
        &mut self,
        keying: Option<&SrtpKeying>,
        replay_window: u32,
    ) -> Result<(), SrtpKeyError> {
        let old = std::mem::take(self);
        let Some(k) = keying else {
            return Ok(());
        };
        let built = match old {
            StreamSecurity::Srtp { inbound, outbound } => inbound
                .rekey(&k.inbound, replay_window)
                .and_then(|i| Ok((i, outbound.rekey(&k.outbound, replay_window)?))),
            StreamSecurity::Plain | StreamSecurity::Broken => {
                KeyedContext::build(&k.inbound, replay_window).and_then(|i| {
                    Ok((
                        Box::new(i),
                        Box::new(KeyedContext::build(&k.outbound, replay_window)?),
                    ))
                })
            }
        };
        match built {
            Ok((inbound, outbound)) => {
                *self = StreamSecurity::Srtp { inbound, outbound };
                Ok(())
            }
            Err(e) => {
                *self = StreamSecurity::Broken;
                Err(e)
            }
        }
    }

    /// Unprotects, in place, a packet the peer sent; returns its plain length.
    #[inline]
    pub(crate) fn open(
        &mut self,
        kind: PacketKind,
        buf: &mut [u8],
        len: usize,
    ) -> Result<usize, DropReason> {
        match self {
            StreamSecurity::Plain => Ok(len),
            StreamSecurity::Broken => Err(DropReason::SrtpNoKey),
            StreamSecurity::Srtp { inbound, .. } => {
                let pkt = buf.get_mut(..len).ok_or(DropReason::Oversize)?;
                match kind {
                    PacketKind::Rtp => inbound.ctx.unprotect_rtp(pkt),
                    PacketKind::Rtcp => inbound.ctx.unprotect_rtcp(pkt),
                }
                .map_err(drop_reason)
            }
        }
    }

    /// Protects, in place, a plain packet of `len` octets for this stream's peer;
    /// `buf` is the whole slot (the trailer grows into it). Returns the new length.
    #[inline]
    pub(crate) fn seal(
        &mut self,
        kind: PacketKind,
        buf: &mut [u8],
        len: usize,
    ) -> Result<usize, DropReason> {
        match self {
            StreamSecurity::Plain => Ok(len),
            StreamSecurity::Broken => Err(DropReason::SrtpNoKey),
            StreamSecurity::Srtp { outbound, .. } => match kind {
                PacketKind::Rtp => outbound.ctx.protect_rtp(buf, len),
                PacketKind::Rtcp => outbound.ctx.protect_rtcp(buf, len),
            }
            .map_err(drop_reason),
        }
    }

    /// Whether packets leave this stream unchanged (no transform to apply).
    #[inline]
    pub(crate) fn is_plain(&self) -> bool {
        matches!(self, StreamSecurity::Plain)
    }
}

fn drop_reason(e: SrtpError) -> DropReason {
    match e {
        SrtpError::AuthFailed => DropReason::SrtpAuth,
        SrtpError::Replayed | SrtpError::TooOld => DropReason::SrtpReplay,
        SrtpError::TooShort | SrtpError::BadHeader | SrtpError::UnknownMki => {
            DropReason::SrtpMalformed
        }
        SrtpError::KeyExhausted => DropReason::SrtpKeyExhausted,
        SrtpError::BufferTooSmall => DropReason::Oversize,
    }
}
