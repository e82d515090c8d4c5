//! RTP/RTCP wire formats and per-stream receive logic, all sans-IO and allocation-free.
//!
//! Everything here works on borrowed byte slices so the relay can call it on the packet
//! path: [`RtpHeader`] (RFC 3550 section 5.1) with RFC 8285 header extensions and in-place
//! field writers, the RTCP compound walker ([`RtcpCompound`], RFC 3550 section 6 and the
//! Appendix A.2 validity checks, RFC 4585 feedback as raw views), RFC 5761/7983
//! demultiplexing ([`demux`]), per-SSRC receive statistics ([`ReceiveStats`], RFC 3550
//! Appendix A.1/A.3/A.8) and the RFC 4733 telephone-event detector ([`DtmfDetector`]).
//!
//! File map: `header` + `extension` + `writer` (RTP), `rtcp` (compound walker) +
//! `rtcp_report` (SR/RR) + `rtcp_sdes` + `rtcp_other` (BYE/APP/feedback), `demux`,
//! `stats` + `stats_tests` + `arrival` (receive statistics), `dtmf`, `error`, `types`.

mod arrival;
mod demux;
mod dtmf;
mod error;
mod extension;
mod header;
mod rtcp;
mod rtcp_other;
mod rtcp_report;
mod rtcp_sdes;
mod stats;
mod types;
mod writer;

pub use arrival::{to_rtp_units, ArrivalClock};
pub use demux::{demux, PacketClass};
pub use dtmf::{DtmfDetector, DtmfDigit, DtmfEvent, TelephoneEvent};
pub use error::{RtcpError, RtpError};
pub use extension::{ExtElement, ExtElements, ExtensionForm, HeaderExtension};
pub use header::{RtpHeader, RTP_HEADER_LEN, RTP_VERSION};
pub use rtcp::{RawRtcp, RtcpCompound, RtcpPacket, RtcpPacketType, RtcpPackets};
pub use rtcp_other::{App, Bye, Feedback};
pub use rtcp_report::{ReceiverReport, ReportBlock, ReportBlocks, SenderInfo, SenderReport};
pub use rtcp_sdes::{Sdes, SdesChunk, SdesChunks, SdesItem, SdesItemType, SdesItems};
pub use stats::{ReceiveReport, ReceiveStats, SeqStatus};
pub use types::{ClockRate, PayloadType, Ssrc};
pub use writer::{set_marker, set_payload_type, set_seq, set_ssrc, set_timestamp};
