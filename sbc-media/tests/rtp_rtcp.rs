//! RTCP compound walker against hand-built packets: SR+SDES, RR+BYE, feedback, APP,
//! and the RFC 3550 A.2 rejections (bad length, padding in the middle, wrong first type).

use sbc_media::rtp::{RtcpCompound, RtcpError, RtcpPacket, RtcpPacketType, SdesItemType, Ssrc};

/// Appends one RTCP packet: header with count/type, body, length field from the body.
fn push(buf: &mut Vec<u8>, count: u8, pt: u8, body: &[u8]) {
    assert_eq!(body.len() % 4, 0, "test bodies are word aligned");
    buf.push(0x80 | count);
    buf.push(pt);
    buf.extend_from_slice(&((body.len() / 4) as u16).to_be_bytes());
    buf.extend_from_slice(body);
}

fn report_block(ssrc: u32, fraction: u8, cumulative: i32, seq: u32, jitter: u32) -> Vec<u8> {
    let mut b = ssrc.to_be_bytes().to_vec();
    b.push(fraction);
    b.extend_from_slice(&cumulative.to_be_bytes()[1..]);
    b.extend_from_slice(&seq.to_be_bytes());
    b.extend_from_slice(&jitter.to_be_bytes());
    b.extend_from_slice(&0xaabb_ccddu32.to_be_bytes());
    b.extend_from_slice(&0x0002_8000u32.to_be_bytes());
    b
}

fn sr_body() -> Vec<u8> {
    let mut b = 0x1234_5678u32.to_be_bytes().to_vec();
    b.extend_from_slice(&0xe000_0000_8000_0000u64.to_be_bytes());
    b.extend_from_slice(&160_000u32.to_be_bytes());
    b.extend_from_slice(&1000u32.to_be_bytes());
    b.extend_from_slice(&160_000u32.to_be_bytes());
    b.extend(report_block(0x0bad_cafe, 25, -3, 0x0001_0010, 37));
    b
}

fn sdes_body() -> Vec<u8> {
    let mut b = 0x1234_5678u32.to_be_bytes().to_vec();
    b.extend_from_slice(&[1, 9]);
    b.extend_from_slice(b"sbc@host1");
    b.extend_from_slice(&[6, 3]);
    b.extend_from_slice(b"sbc");
    b.extend_from_slice(&[0, 0, 0, 0]); // END + padding to the word boundary
    assert_eq!(b.len() % 4, 0);
    b
}

#[test]
fn sender_report_with_sdes() {
    let mut pkt = Vec::new();
    push(&mut pkt, 1, 200, &sr_body());
    push(&mut pkt, 1, 202, &sdes_body());
    let compound = RtcpCompound::parse(&pkt).expect("valid compound");
    let packets: Vec<_> = compound
        .packets()
        .collect::<Result<_, _>>()
        .expect("valid packets");
    assert_eq!(packets.len(), 2);

    let RtcpPacket::SenderReport(sr) = packets[0] else {
        panic!("first is SR")
    };
    assert_eq!(sr.ssrc(), Ssrc(0x1234_5678));
    let info = sr.sender_info();
    assert_eq!(info.ntp_timestamp, 0xe000_0000_8000_0000);
    assert_eq!(info.compact_ntp(), 0x0000_8000);
    assert_eq!(
        (info.rtp_timestamp, info.packet_count, info.octet_count),
        (160_000, 1000, 160_000)
    );
    let blocks: Vec<_> = sr.report_blocks().collect();
    assert_eq!(blocks.len(), 1);
    assert_eq!(blocks[0].ssrc, Ssrc(0x0bad_cafe));
    assert_eq!(blocks[0].fraction_lost, 25);
    assert_eq!(blocks[0].cumulative_lost, -3);
    assert_eq!(blocks[0].highest_seq, 0x0001_0010);
    assert_eq!(blocks[0].jitter, 37);
    assert_eq!((blocks[0].lsr, blocks[0].dlsr), (0xaabb_ccdd, 0x0002_8000));
    assert!(sr.profile_extension().is_empty());

    let RtcpPacket::Sdes(sdes) = packets[1] else {
        panic!("second is SDES")
    };
    let chunks: Vec<_> = sdes
        .chunks()
        .collect::<Result<_, _>>()
        .expect("valid chunks");
    assert_eq!(chunks.len(), 1);
    assert_eq!(chunks[0].ssrc, Ssrc(0x1234_5678));
    assert_eq!(chunks[0].cname(), Some(&b"sbc@host1"[..]));
    let kinds: Vec<_> = chunks[0].items().map(|i| i.kind).collect();
    assert_eq!(kinds, [SdesItemType::Cname, SdesItemType::Tool]);
}

#[test]
fn receiver_report_with_bye() {
    let mut rr = 0x0102_0304u32.to_be_bytes().to_vec();
    rr.extend(report_block(1, 0, 0x7f_ffff, 5, 0));
    rr.extend(report_block(2, 255, -0x80_0000, 6, 1));
    let mut bye = 0x0102_0304u32.to_be_bytes().to_vec();
    bye.extend_from_slice(&0x0506_0708u32.to_be_bytes());
    bye.extend_from_slice(&[4, b'd', b'o', b'n', b'e', 0, 0, 0]);
    let mut pkt = Vec::new();
    push(&mut pkt, 2, 201, &rr);
    push(&mut pkt, 2, 203, &bye);
    let compound = RtcpCompound::parse(&pkt).expect("valid compound");
    let mut it = compound.packets();

    let Some(Ok(RtcpPacket::ReceiverReport(rr))) = it.next() else {
        panic!("RR first")
    };
    assert_eq!(rr.ssrc(), Ssrc(0x0102_0304));
    let lost: Vec<_> = rr.report_blocks().map(|b| b.cumulative_lost).collect();
    assert_eq!(lost, [0x7f_ffff, -0x80_0000]);

    let Some(Ok(RtcpPacket::Bye(bye))) = it.next() else {
        panic!("BYE second")
    };
    let sources: Vec<_> = bye.sources().collect();
    assert_eq!(sources, [Ssrc(0x0102_0304), Ssrc(0x0506_0708)]);
    assert_eq!(bye.reason(), Some(&b"done"[..]));
    assert!(it.next().is_none());
}

#[test]
fn feedback_app_and_xr_as_raw() {
    let mut pkt = Vec::new();
    push(&mut pkt, 0, 201, &9u32.to_be_bytes());
    let mut pli = 9u32.to_be_bytes().to_vec();
    pli.extend_from_slice(&77u32.to_be_bytes());
    push(&mut pkt, 1, 206, &pli);
    let mut nack = pli.clone();
    nack.extend_from_slice(&[0, 10, 0, 3]);
    push(&mut pkt, 1, 205, &nack);
    let mut app = 9u32.to_be_bytes().to_vec();
    app.extend_from_slice(b"SBC1");
    app.extend_from_slice(&[1, 2, 3, 4]);
    push(&mut pkt, 3, 204, &app);
    push(&mut pkt, 0, 207, &9u32.to_be_bytes());
    let compound = RtcpCompound::parse(&pkt).expect("valid compound");
    let packets: Vec<_> = compound
        .packets()
        .collect::<Result<_, _>>()
        .expect("valid packets");
    let RtcpPacket::PayloadFeedback(fb) = packets[1] else {
        panic!("PSFB")
    };
    assert_eq!(
        (fb.fmt(), fb.sender_ssrc(), fb.media_ssrc()),
        (1, Ssrc(9), Ssrc(77))
    );
    assert!(fb.fci().is_empty());
    let RtcpPacket::TransportFeedback(fb) = packets[2] else {
        panic!("RTPFB")
    };
    assert_eq!(fb.fci(), &[0, 10, 0, 3]);
    let RtcpPacket::App(app) = packets[3] else {
        panic!("APP")
    };
    assert_eq!(
        (app.subtype(), app.name(), app.data()),
        (3, *b"SBC1", &[1u8, 2, 3, 4][..])
    );
    let RtcpPacket::Other(xr) = packets[4] else {
        panic!("XR raw")
    };
    assert_eq!(xr.packet_type(), RtcpPacketType::Xr);
}

#[test]
fn length_fields_must_add_up() {
    let mut pkt = Vec::new();
    push(&mut pkt, 1, 200, &sr_body());
    push(&mut pkt, 1, 202, &sdes_body());
    // One word too many in the datagram: the walk ends inside trailing junk.
    let mut longer = pkt.clone();
    longer.extend_from_slice(&[0x80, 202, 0, 5]);
    assert!(matches!(
        RtcpCompound::parse(&longer),
        Err(RtcpError::LengthMismatch { .. })
    ));
    // Length field of the second packet one word too long.
    let mut bad = pkt.clone();
    let second = 4 + sr_body().len();
    bad[second + 3] += 1;
    assert_eq!(
        RtcpCompound::parse(&bad),
        Err(RtcpError::LengthMismatch { offset: second })
    );
    // Not a multiple of 4 bytes.
    assert!(matches!(
        RtcpCompound::parse(&pkt[..pkt.len() - 1]),
        Err(RtcpError::TooShort { .. })
    ));
    assert!(matches!(
        RtcpCompound::parse(&[]),
        Err(RtcpError::TooShort { len: 0 })
    ));
}

#[test]
fn padding_only_on_the_last_packet() {
    let mut pkt = Vec::new();
    push(&mut pkt, 0, 201, &[0, 0, 0, 1, 0, 0, 0, 4]);
    pkt[0] |= 0x20; // P on the first of two packets
    push(&mut pkt, 0, 203, &[]);
    assert_eq!(
        RtcpCompound::parse(&pkt),
        Err(RtcpError::PaddingNotLast { offset: 0 })
    );

    // P on the last packet is fine and the padding is stripped from its body.
    let mut ok = Vec::new();
    push(&mut ok, 0, 201, &1u32.to_be_bytes());
    push(&mut ok, 1, 203, &[0, 0, 0, 2, 0, 0, 0, 4]);
    let last = 8;
    ok[last] |= 0x20;
    let compound = RtcpCompound::parse(&ok).expect("padding on the last packet");
    let Some(Ok(RtcpPacket::Bye(bye))) = compound.packets().nth(1) else {
        panic!("BYE")
    };
    assert_eq!(bye.sources().collect::<Vec<_>>(), [Ssrc(2)]);
    assert_eq!(bye.reason(), None);

    // A padding count of zero or larger than the body is malformed.
    let mut zero = ok.clone();
    *zero.last_mut().expect("non-empty") = 0;
    assert_eq!(
        RtcpCompound::parse(&zero),
        Err(RtcpError::BadPadding { count: 0 })
    );
    let mut huge = ok.clone();
    *huge.last_mut().expect("non-empty") = 9;
    assert_eq!(
        RtcpCompound::parse(&huge),
        Err(RtcpError::BadPadding { count: 9 })
    );
}

#[test]
fn first_packet_must_be_a_report_unless_reduced_size() {
    let mut pkt = Vec::new();
    let mut pli = 9u32.to_be_bytes().to_vec();
    pli.extend_from_slice(&77u32.to_be_bytes());
    push(&mut pkt, 1, 206, &pli);
    assert_eq!(
        RtcpCompound::parse(&pkt),
        Err(RtcpError::FirstNotReport(206))
    );
    let compound = RtcpCompound::parse_reduced_size(&pkt).expect("RFC 5506 allows it");
    assert_eq!(compound.packets().count(), 1);
}

#[test]
fn version_checked_on_every_packet() {
    let mut pkt = Vec::new();
    push(&mut pkt, 0, 201, &1u32.to_be_bytes());
    push(&mut pkt, 0, 202, &[]);
    pkt[8] = 0x40;
    assert_eq!(RtcpCompound::parse(&pkt), Err(RtcpError::BadVersion(1)));
}

#[test]
fn bodies_shorter_than_announced_are_typed_errors() {
    // RR claiming two report blocks but carrying one.
    let mut rr = 1u32.to_be_bytes().to_vec();
    rr.extend(report_block(1, 0, 0, 0, 0));
    let mut pkt = Vec::new();
    push(&mut pkt, 2, 201, &rr);
    let compound = RtcpCompound::parse(&pkt).expect("framing is fine");
    let first = compound.packets().next().expect("one packet");
    assert_eq!(first, Err(RtcpError::Truncated { packet_type: 201 }));

    // SDES whose item overruns the body, and one that lacks its END.
    for body in [
        vec![0, 0, 0, 1, 1, 200, b'x', b'y'],
        vec![0, 0, 0, 1, 1, 2, b'a', b'b'],
    ] {
        let mut pkt = Vec::new();
        push(&mut pkt, 0, 201, &1u32.to_be_bytes());
        push(&mut pkt, 1, 202, &body);
        let compound = RtcpCompound::parse(&pkt).expect("framing is fine");
        let Some(Ok(RtcpPacket::Sdes(sdes))) = compound.packets().nth(1) else {
            panic!("SDES")
        };
        let chunks: Vec<_> = sdes.chunks().collect();
        assert_eq!(chunks, [Err(RtcpError::Truncated { packet_type: 202 })]);
    }

    // BYE whose reason length overruns.
    let mut pkt = Vec::new();
    push(&mut pkt, 0, 201, &1u32.to_be_bytes());
    push(&mut pkt, 0, 203, &[9, b'a', b'b', b'c']);
    let compound = RtcpCompound::parse(&pkt).expect("framing is fine");
    assert_eq!(
        compound.packets().nth(1),
        Some(Err(RtcpError::Truncated { packet_type: 203 }))
    );
}
