//! Renders the counters of every plane in the Prometheus text format.

use std::fmt::Write;
use std::sync::atomic::Ordering;

use sbc_core::call::EndCause;
use sbc_signaling::metrics::SipDrop;

use super::Observed;

pub fn render(o: &Observed) -> String {
    let mut s = String::with_capacity(4096);
    let sig = &o.signaling;
    gauge(
        &mut s,
        "sbc_calls_active",
        "Calls in progress.",
        sig.calls_active.load(Ordering::Relaxed) as f64,
    );
    counter(
        &mut s,
        "sbc_calls_started_total",
        "Calls accepted and routed.",
        sig.calls_started.load(Ordering::Relaxed),
    );
    header(
        &mut s,
        "sbc_calls_ended_total",
        "counter",
        "Calls ended, by cause.",
    );
    for c in EndCause::ALL {
        let _ = writeln!(
            s,
            "sbc_calls_ended_total{{cause=\"{}\"}} {}",
            c.as_str(),
            sig.ended(c)
        );
    }
    header(
        &mut s,
        "sbc_sip_responses_total",
        "counter",
        "SIP responses sent and received, by class.",
    );
    for (class, sent, received) in sig.responses() {
        let _ = writeln!(
            s,
            "sbc_sip_responses_total{{class=\"{class}\",direction=\"sent\"}} {sent}"
        );
        let _ = writeln!(
            s,
            "sbc_sip_responses_total{{class=\"{class}\",direction=\"received\"}} {received}"
        );
    }
    header(
        &mut s,
        "sbc_sip_drops_total",
        "counter",
        "Inbound SIP messages dropped, by reason.",
    );
    for r in SipDrop::ALL {
        let _ = writeln!(
            s,
            "sbc_sip_drops_total{{reason=\"{}\"}} {}",
            r.as_str(),
            sig.drops(r)
        );
    }
    let t = o.transports.stats();
    for (reason, n) in t.drops {
        let _ = writeln!(
            s,
            "sbc_sip_drops_total{{reason=\"transport_{}\"}} {n}",
            reason.as_str()
        );
    }
    counter(
        &mut s,
        "sbc_transaction_timeouts_total",
        "Client transactions timed out (Timer B/F) and Timer C expiries.",
        sig.transaction_timeouts.load(Ordering::Relaxed),
    );
    counter(
        &mut s,
        "sbc_sip_requests_rejected_total",
        "Requests the SBC refused itself.",
        sig.requests_rejected.load(Ordering::Relaxed),
    );
    gauge(
        &mut s,
        "sbc_sip_tcp_connections",
        "Open SIP TCP connections.",
        t.tcp_open as f64,
    );

    let m = o.media.stats();
    gauge(
        &mut s,
        "sbc_media_streams_active",
        "Media streams allocated.",
        m.active_streams as f64,
    );
    gauge(
        &mut s,
        "sbc_media_ports_in_use",
        "Media ports bound.",
        m.ports_in_use as f64,
    );
    gauge(
        &mut s,
        "sbc_media_ports_parked",
        "Media ports of ended calls kept bound for reuse.",
        m.ports_parked as f64,
    );
    counter(
        &mut s,
        "sbc_media_packets_received_total",
        "Media packets received.",
        m.traffic.packets_received,
    );
    counter(
        &mut s,
        "sbc_media_packets_relayed_total",
        "Media packets sent on to the other leg.",
        m.traffic.packets_sent,
    );
    counter(
        &mut s,
        "sbc_media_bytes_relayed_total",
        "Media bytes sent on to the other leg.",
        m.traffic.bytes_sent,
    );
    header(
        &mut s,
        "sbc_media_drops_total",
        "counter",
        "Media packets dropped, by reason.",
    );
    for (reason, n) in m.traffic.drops.iter() {
        let _ = writeln!(
            s,
            "sbc_media_drops_total{{reason=\"{}\"}} {n}",
            reason.as_str()
        );
    }
    counter(
        &mut s,
        "sbc_media_rtp_expected_packets_total",
        "RTP packets expected from the peers' sequence numbers (RFC 3550 A.3).",
        m.traffic.rtp.expected,
    );
    counter(
        &mut s,
        "sbc_media_rtp_lost_packets_total",
        "RTP packets the peers sent that never reached the SBC (RFC 3550 A.3).",
        u64::try_from(m.traffic.rtp.lost).unwrap_or(0),
    );
    s
}

fn header(s: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(s, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

fn counter(s: &mut String, name: &str, help: &str, v: u64) {
    header(s, name, "counter", help);
    let _ = writeln!(s, "{name} {v}");
}

fn gauge(s: &mut String, name: &str, help: &str, v: f64) {
    header(s, name, "gauge", help);
    let _ = writeln!(s, "{name} {v}");
}
