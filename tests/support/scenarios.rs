//! The SIPp pairs of the end-to-end tests, set up the same way whether the
//! UAC talks to the UAS directly (harness self-tests) or through the SBC:
//! one function per side per scenario, plus the media files they play.

use std::net::SocketAddr;
use std::ops::Range;
use std::time::Duration;

use super::sipp::{Scenario, Sipp, SippChild, SippResult};
use super::{pcap, G711A_PCAP};

/// Records of g711a.pcap played before the hold (30 ms each: 1.2 s).
pub const BEFORE_HOLD: Range<usize> = 0..40;
/// Records played after the resume: the next 80 (2.4 s), so RTP sequence
/// numbers and timestamps keep increasing across the hold.
pub const AFTER_RESUME: Range<usize> = 40..120;

/// The bytes of g711a.pcap; a clear failure when sip-tester's file is absent.
pub fn g711a() -> Vec<u8> {
    std::fs::read(G711A_PCAP).unwrap_or_else(|e| {
        panic!("{G711A_PCAP}: {e} (it ships with `apt-get install sip-tester`)")
    })
}

/// How many RTP (UDP) packets g711a.pcap holds.
pub fn g711a_packets() -> usize {
    pcap::udp_packets(&g711a())
        .unwrap_or_else(|e| panic!("{G711A_PCAP}: {e}"))
        .len()
}

fn g711a_slice(range: Range<usize>) -> Vec<u8> {
    pcap::slice(&g711a(), range).unwrap_or_else(|e| panic!("{G711A_PCAP}: {e}"))
}

/// Built-in `uas`, exiting after `calls` calls.
pub fn basic_uas(calls: u64) -> Sipp {
    Sipp::uas(Scenario::Builtin("uas")).calls(calls)
}

/// Built-in `uac`: `calls` calls at `rate` calls/s, no talk time.
pub fn basic_uac(target: SocketAddr, calls: u64, rate: u64) -> Sipp {
    Sipp::uac(Scenario::Builtin("uac"), target)
        .calls(calls)
        .rate(rate)
        .call_duration_ms(0)
}

/// Answers PCMA and echoes RTP.
pub fn rtp_uas() -> Sipp {
    Sipp::uas(Scenario::File("uas_echo.xml"))
        .calls(1)
        .rtp_echo()
        .trace_msg()
}

/// Plays all of g711a.pcap.
pub fn rtp_uac(target: SocketAddr) -> Sipp {
    Sipp::uac(Scenario::File("uac_pcap.xml"), target)
        .calls(1)
        .trace_msg()
        .timeout(Duration::from_secs(30))
        .file("g711a.pcap", g711a())
}

pub fn cancel_uas(calls: u64) -> Sipp {
    Sipp::uas(Scenario::File("uas_cancel.xml"))
        .calls(calls)
        .trace_msg()
}

pub fn cancel_uac(target: SocketAddr, calls: u64) -> Sipp {
    Sipp::uac(Scenario::File("uac_cancel.xml"), target)
        .calls(calls)
        .rate(10)
        .trace_msg()
        .timeout(Duration::from_secs(20))
}

pub fn callee_bye_uas(calls: u64) -> Sipp {
    Sipp::uas(Scenario::File("uas_callee_bye.xml"))
        .calls(calls)
        .trace_msg()
}

pub fn callee_bye_uac(target: SocketAddr, calls: u64) -> Sipp {
    Sipp::uac(Scenario::File("uac_callee_bye.xml"), target)
        .calls(calls)
        .rate(10)
        .trace_msg()
        .timeout(Duration::from_secs(20))
}

pub fn busy_uas(calls: u64) -> Sipp {
    Sipp::uas(Scenario::File("uas_busy.xml"))
        .calls(calls)
        .trace_msg()
}

pub fn busy_uac(target: SocketAddr, calls: u64) -> Sipp {
    Sipp::uac(Scenario::File("uac_busy.xml"), target)
        .calls(calls)
        .rate(10)
        .trace_msg()
        .timeout(Duration::from_secs(20))
}

pub fn hold_uas() -> Sipp {
    Sipp::uas(Scenario::File("uas_hold.xml"))
        .calls(1)
        .rtp_echo()
        .trace_msg()
}

/// Hold and resume, playing [`BEFORE_HOLD`] then [`AFTER_RESUME`].
pub fn hold_uac(target: SocketAddr) -> Sipp {
    Sipp::uac(Scenario::File("uac_hold.xml"), target)
        .calls(1)
        .trace_msg()
        .timeout(Duration::from_secs(30))
        .file("hold_before.pcap", g711a_slice(BEFORE_HOLD))
        .file("hold_after.pcap", g711a_slice(AFTER_RESUME))
}

/// Runs the UAC to completion, then lets the UAS finish (it exits by
/// itself after its `-m` calls; `grace` covers its last timewait).
pub fn run_pair(uas: SippChild, uac: Sipp, grace: Duration) -> (SippResult, SippResult) {
    let uac = uac.run();
    let uas = uas.finish(grace);
    (uac, uas)
}
