//! Fuzz target: arbitrary bytes as RTP (header, CSRCs, RFC 8285 extensions, payload,
//! in-place rewrites) and as RTCP (strict and reduced-size compound walks, every typed
//! view), and RTP fed into ReceiveStats and DtmfDetector. Must never panic or hang.
#![no_main]

use sbc_media::rtp::{
    demux, set_marker, set_payload_type, set_seq, set_ssrc, set_timestamp, DtmfDetector,
    PayloadType, ReceiveStats, RtcpCompound, RtcpPacket, RtpHeader, Ssrc,
};

fn walk_rtcp(compound: RtcpCompound<'_>) {
    for pkt in compound.packets().flatten() {
        match pkt {
            RtcpPacket::SenderReport(sr) => {
                let _ = sr.sender_info();
                sr.report_blocks().for_each(drop);
                let _ = sr.profile_extension();
            }
            RtcpPacket::ReceiverReport(rr) => {
                rr.report_blocks().for_each(drop);
                let _ = rr.profile_extension();
            }
            RtcpPacket::Sdes(sdes) => {
                for chunk in sdes.chunks().flatten() {
                    chunk.items().for_each(drop);
                }
            }
            RtcpPacket::Bye(bye) => {
                bye.sources().for_each(drop);
                let _ = bye.reason();
            }
            RtcpPacket::App(app) => {
                let _ = (app.subtype(), app.ssrc(), app.name(), app.data());
            }
            RtcpPacket::TransportFeedback(fb) | RtcpPacket::PayloadFeedback(fb) => {
                let _ = (fb.fmt(), fb.sender_ssrc(), fb.media_ssrc(), fb.fci());
            }
            RtcpPacket::Other(raw) => {
                let _ = (raw.packet_type(), raw.count(), raw.body());
            }
        }
    }
}

fn exercise_rtp(data: &[u8], stats: &mut ReceiveStats, dtmf: &mut DtmfDetector) {
    let Ok(h) = RtpHeader::parse(data) else {
        return;
    };
    h.csrcs().for_each(drop);
    if let Some(ext) = h.extension() {
        let _ = ext.form();
        ext.elements().for_each(drop);
    }
    let _ = (h.payload_range(), h.padding_len(), h.header_len());
    // Arrival derived from the data so the jitter path sees odd values too.
    let arrival = h.timestamp().rotate_left(7) ^ u32::from(h.sequence());
    stats.on_packet(h.sequence(), h.timestamp(), arrival);
    let _ = dtmf.on_packet(&h, h.payload());
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = demux(data);
    let mut stats = ReceiveStats::new();
    let pt = PayloadType::new(data.first().map_or(101, |b| b & 0x7f)).unwrap_or(PayloadType::PCMU);
    let mut dtmf = DtmfDetector::new(pt);
    exercise_rtp(data, &mut stats, &mut dtmf);
    // The same bytes cut into 16-byte packets: a stream for the stateful parts.
    for chunk in data.chunks(16) {
        exercise_rtp(chunk, &mut stats, &mut dtmf);
    }
    let _ = stats.take_report();
    let _ = (stats.expected(), stats.lost(), stats.jitter());

    if let Ok(c) = RtcpCompound::parse(data) {
        walk_rtcp(c);
    }
    if let Ok(c) = RtcpCompound::parse_reduced_size(data) {
        walk_rtcp(c);
    }

    let mut buf = data.to_vec();
    let _ = set_ssrc(&mut buf, Ssrc(0xdead_beef));
    let _ = set_seq(&mut buf, 1);
    let _ = set_timestamp(&mut buf, 2);
    let _ = set_payload_type(&mut buf, pt);
    let _ = set_marker(&mut buf, true);
});
