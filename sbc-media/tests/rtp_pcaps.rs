//! Real captures shipped with SIPp (`/usr/share/sip-tester/`): every G.711 packet parses
//! and the stream statistics come out clean; every RFC 4733 capture yields exactly one
//! key press with the right digit.

use std::path::Path;
use std::time::Duration;

use sbc_media::rtp::{
    to_rtp_units, ClockRate, DtmfDetector, PayloadType, ReceiveStats, RtpHeader, SeqStatus,
};

const PCAP_DIR: &str = "/usr/share/sip-tester";
const PCAP_GLOBAL_HEADER: usize = 24;
const PCAP_RECORD_HEADER: usize = 16;
const LINKTYPE_ETHERNET: u32 = 1;
const LINKTYPE_LINUX_SLL: u32 = 113;
const UDP_HEADER: usize = 8;

/// One captured UDP payload and its capture time.
struct Record {
    at: Duration,
    payload: Vec<u8>,
}

fn le32(b: &[u8], off: usize) -> u32 {
    u32::from_le_bytes(b[off..off + 4].try_into().expect("4 bytes"))
}

/// Reads a little-endian microsecond pcap of IPv4/UDP over Ethernet or Linux cooked.
fn read_pcap(name: &str) -> Vec<Record> {
    let path = Path::new(PCAP_DIR).join(name);
    let data = std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read {}: {e}. These tests need SIPp's sample captures: \
             install the sip-tester package (apt-get install sip-tester); CI installs it.",
            path.display()
        )
    });
    assert_eq!(
        le32(&data, 0),
        0xa1b2_c3d4,
        "{name}: little-endian microsecond pcap"
    );
    let link_len = match le32(&data, 20) {
        LINKTYPE_ETHERNET => 14,
        LINKTYPE_LINUX_SLL => 16,
        other => panic!("{name}: unsupported link type {other}"),
    };
    let mut records = Vec::new();
    let mut off = PCAP_GLOBAL_HEADER;
    while off + PCAP_RECORD_HEADER <= data.len() {
        let secs = u64::from(le32(&data, off));
        let micros = u64::from(le32(&data, off + 4));
        let incl = le32(&data, off + 8) as usize;
        let frame = &data[off + PCAP_RECORD_HEADER..off + PCAP_RECORD_HEADER + incl];
        off += PCAP_RECORD_HEADER + incl;
        let ip = &frame[link_len..];
        assert_eq!(ip[0] >> 4, 4, "{name}: IPv4 only");
        assert_eq!(ip[9], 17, "{name}: UDP only");
        let ihl = usize::from(ip[0] & 0x0f) * 4;
        records.push(Record {
            at: Duration::from_secs(secs) + Duration::from_micros(micros),
            payload: ip[ihl + UDP_HEADER..].to_vec(),
        });
    }
    records
}

#[test]
fn g711a_stream_parses_with_clean_stats() {
    let records = read_pcap("g711a.pcap");
    assert_eq!(records.len(), 236);
    let t0 = records[0].at;
    let mut stats = ReceiveStats::new();
    let mut ssrcs = Vec::new();
    for r in &records {
        let h = RtpHeader::parse(&r.payload).expect("every packet is valid RTP");
        assert_eq!(h.payload_type(), PayloadType::PCMA);
        assert_eq!(h.payload().len(), 240, "30 ms of G.711");
        if !ssrcs.contains(&h.ssrc()) {
            ssrcs.push(h.ssrc());
        }
        let arrival = to_rtp_units(r.at - t0, ClockRate::NARROWBAND);
        let status = stats.on_packet(h.sequence(), h.timestamp(), arrival);
        assert!(
            matches!(status, SeqStatus::InOrder | SeqStatus::Probation),
            "seq {}: {status:?}",
            h.sequence()
        );
    }
    assert_eq!(ssrcs.len(), 1, "one source");
    // The first packet is spent on A.1 probation, so 235 are accounted.
    assert_eq!(
        (stats.expected(), stats.received(), stats.lost()),
        (235, 235, 0)
    );
    assert_eq!(
        (stats.duplicates(), stats.reordered(), stats.restarts()),
        (0, 0, 0)
    );
    // The capture was paced by a sender on a LAN: jitter well under one packet time
    // (240 units = 30 ms): about 2 units (0.25 ms) by an independent A.8 computation.
    let jitter = stats.jitter();
    assert!(jitter < 16, "jitter {jitter} timestamp units");
    let report = stats.take_report().expect("validated source");
    assert_eq!((report.fraction_lost, report.cumulative_lost), (0, 0));
    assert_eq!(report.jitter, jitter);
}

#[test]
fn each_dtmf_capture_is_one_key_press() {
    let te = PayloadType::new(101).expect("7 bits");
    let cases = [
        ("0", '0'),
        ("1", '1'),
        ("2", '2'),
        ("3", '3'),
        ("4", '4'),
        ("5", '5'),
        ("6", '6'),
        ("7", '7'),
        ("8", '8'),
        ("9", '9'),
        ("star", '*'),
        ("pound", '#'),
    ];
    for (file, digit) in cases {
        let name = format!("dtmf_2833_{file}.pcap");
        let mut detector = DtmfDetector::new(te);
        let mut events = Vec::new();
        for r in read_pcap(&name) {
            let h = RtpHeader::parse(&r.payload).expect("valid RTP");
            events.extend(detector.on_packet(&h, h.payload()));
        }
        assert_eq!(events.len(), 1, "{name}: {events:?}");
        assert_eq!(events[0].digit.as_char(), digit, "{name}");
        assert!(!events[0].end_seen, "{name}: start packet present");
        assert_eq!(detector.malformed(), 0);
    }
}

#[test]
fn dtmf_capture_without_its_first_packets_still_reports_once() {
    let te = PayloadType::new(101).expect("7 bits");
    let mut detector = DtmfDetector::new(te);
    let records = read_pcap("dtmf_2833_5.pcap");
    let mut events = Vec::new();
    // Drop everything but the end packets, as a lossy path might.
    for r in &records {
        let h = RtpHeader::parse(&r.payload).expect("valid RTP");
        if h.payload().get(1).is_some_and(|b| b & 0x80 != 0) {
            events.extend(detector.on_packet(&h, h.payload()));
        }
    }
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].digit.as_char(), '5');
    assert!(events[0].end_seen);
}
