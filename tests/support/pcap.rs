//! Just enough of the classic pcap format for the media tests: read the UDP
//! datagrams of a capture (to count RTP packets per direction, and to know
//! how many packets g711a.pcap holds), and cut a packet range out of a
//! capture (to play part of g711a.pcap with SIPp).
//!
//! Malformed input is an `io::Error` of kind `InvalidData`, never a panic.

use std::io;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::ops::Range;

const GLOBAL_HEADER: usize = 24;
const RECORD_HEADER: usize = 16;

/// Link types we can find an IPv4 header in.
const LINKTYPE_NULL: u32 = 0;
const LINKTYPE_ETHERNET: u32 = 1;
const LINKTYPE_RAW: u32 = 101;
const LINKTYPE_LINUX_SLL: u32 = 113;
const LINKTYPE_LINUX_SLL2: u32 = 276;

/// One UDP datagram seen in a capture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UdpPacket {
    pub src: SocketAddrV4,
    pub dst: SocketAddrV4,
    pub payload_len: usize,
}

fn invalid(msg: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.to_owned())
}

fn u32_at(data: &[u8], at: usize, little: bool) -> io::Result<u32> {
    let bytes: [u8; 4] = data
        .get(at..at + 4)
        .and_then(|s| s.try_into().ok())
        .ok_or_else(|| invalid("truncated pcap header"))?;
    Ok(if little {
        u32::from_le_bytes(bytes)
    } else {
        u32::from_be_bytes(bytes)
    })
}

/// The records of a capture: its link type and each record's bytes
/// (header included), in order.
struct Records<'a> {
    linktype: u32,
    records: Vec<&'a [u8]>,
}

fn records(data: &[u8]) -> io::Result<Records<'_>> {
    let little = match data.get(0..4) {
        Some([0xd4, 0xc3, 0xb2, 0xa1]) | Some([0x4d, 0x3c, 0xb2, 0xa1]) => true,
        Some([0xa1, 0xb2, 0xc3, 0xd4]) | Some([0xa1, 0xb2, 0x3c, 0x4d]) => false,
        _ => return Err(invalid("not a classic pcap file (pcapng is not supported)")),
    };
    let linktype = u32_at(data, 20, little)? & 0x0fff_ffff;
    let mut records = Vec::new();
    let mut at = GLOBAL_HEADER;
    while at < data.len() {
        let incl = u32_at(data, at + 8, little)? as usize;
        let end = at
            .checked_add(RECORD_HEADER + incl)
            .filter(|end| *end <= data.len())
            .ok_or_else(|| invalid("truncated pcap record"))?;
        records.push(&data[at..end]);
        at = end;
    }
    Ok(Records { linktype, records })
}

/// Offset of the IPv4 header inside a frame of the given link type.
fn ip_offset(linktype: u32, frame: &[u8]) -> Option<usize> {
    match linktype {
        LINKTYPE_NULL => Some(4),
        LINKTYPE_RAW => Some(0),
        LINKTYPE_ETHERNET => {
            // Skip 802.1Q tags; only IPv4 frames are of interest.
            let mut at = 12;
            loop {
                let ethertype = u16::from_be_bytes([*frame.get(at)?, *frame.get(at + 1)?]);
                match ethertype {
                    0x8100 | 0x88a8 => at += 4,
                    0x0800 => return Some(at + 2),
                    _ => return None,
                }
            }
        }
        LINKTYPE_LINUX_SLL => Some(16),
        LINKTYPE_LINUX_SLL2 => Some(20),
        _ => None,
    }
}

fn parse_udp(ip: &[u8]) -> Option<UdpPacket> {
    let first = *ip.first()?;
    if first >> 4 != 4 || *ip.get(9)? != 17 {
        return None;
    }
    let ihl = usize::from(first & 0x0f) * 4;
    let addr = |at: usize| -> Option<Ipv4Addr> {
        let b: [u8; 4] = ip.get(at..at + 4)?.try_into().ok()?;
        Some(Ipv4Addr::from(b))
    };
    let udp = ip.get(ihl..)?;
    let port = |at: usize| Some(u16::from_be_bytes([*udp.get(at)?, *udp.get(at + 1)?]));
    let udp_len = usize::from(port(4)?);
    Some(UdpPacket {
        src: SocketAddrV4::new(addr(12)?, port(0)?),
        dst: SocketAddrV4::new(addr(16)?, port(2)?),
        payload_len: udp_len.checked_sub(8)?,
    })
}

/// Every UDP-over-IPv4 datagram in a classic pcap capture, in order.
pub fn udp_packets(data: &[u8]) -> io::Result<Vec<UdpPacket>> {
    let recs = records(data)?;
    Ok(recs
        .records
        .iter()
        .filter_map(|rec| {
            let frame = rec.get(RECORD_HEADER..)?;
            let ip = frame.get(ip_offset(recs.linktype, frame)?..)?;
            parse_udp(ip)
        })
        .collect())
}

/// Number of UDP packets in a pcap file on disk.
pub fn count_udp_packets(path: &std::path::Path) -> io::Result<usize> {
    Ok(udp_packets(&std::fs::read(path)?)?.len())
}

/// A new capture holding the records `range` of `data` (same header), for
/// SIPp's `play_pcap_audio`, which plays with the records' relative timing.
pub fn slice(data: &[u8], range: Range<usize>) -> io::Result<Vec<u8>> {
    let recs = records(data)?;
    let picked = recs
        .records
        .get(range)
        .ok_or_else(|| invalid("pcap record range out of bounds"))?;
    let mut out = data
        .get(..GLOBAL_HEADER)
        .ok_or_else(|| invalid("truncated pcap header"))?
        .to_vec();
    for rec in picked {
        out.extend_from_slice(rec);
    }
    Ok(out)
}
