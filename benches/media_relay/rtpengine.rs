//! rtpengine in userspace mode as a relay under test, driven over its ng protocol.
//!
//! We start the daemon ourselves (no kernel table, one worker thread, our port range,
//! logging to a file), then for each stream: `offer` with the caller's SDP (the
//! generator's address), `answer` with the callee's SDP (the sink), and read from the
//! answer's rewritten SDP the port the caller must send to. CPU and RSS are those of
//! the whole rtpengine process (all its threads). The child is terminated and reaped
//! on drop, whatever happened. SRTP rows use SDES as a SIP proxy in front of rtpengine
//! would: the caller's SDP carries the generator's key, `transport-protocol` asks for
//! RTP/SAVP towards the callee, and the key rtpengine offers the callee for our suite
//! (the answer picks its tag) is what the sink unprotects with.

use std::fs::File;
use std::net::{Ipv4Addr, SocketAddr, UdpSocket};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};

use sbc_core::media::SrtpKey;

use crate::bencode::Value;
use crate::procfs;
use crate::relay::Relay;
use crate::sdes::{find_crypto, sdp, Crypto};
use crate::srtp::{generator_key, sink_key, SrtpPlan};

const BINARY: &str = "rtpengine";
const NG_TIMEOUT: Duration = Duration::from_secs(3);
const STARTUP_TIMEOUT: Duration = Duration::from_secs(10);

/// Whether the binary is on PATH (the row is skipped otherwise).
pub fn available() -> bool {
    Command::new(BINARY)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

pub struct RtpEngine {
    child: Child,
    ng: UdpSocket,
    cookie: u64,
    ingress: Vec<SocketAddr>,
    calls: usize,
    rss_per_stream: Option<f64>,
    /// Per stream, the key rtpengine protects towards the sink with (SRTP rows).
    sink_keys: Vec<SrtpKey>,
}

impl RtpEngine {
    pub fn start(
        streams: usize,
        source: SocketAddr,
        sink: SocketAddr,
        ports: (u16, u16),
        log: &std::path::Path,
        srtp: Option<SrtpPlan>,
    ) -> Result<RtpEngine> {
        let ng_port = free_udp_port()?;
        let log_file = File::create(log).with_context(|| format!("creating {log:?}"))?;
        let child = Command::new(BINARY)
            .args([
                "--config-file=none",
                "--table=-1",
                "--interface=127.0.0.1",
                &format!("--listen-ng=127.0.0.1:{ng_port}"),
                "--foreground",
                "--log-stderr",
                "--log-level=4",
                &format!("--port-min={}", ports.0),
                &format!("--port-max={}", ports.1),
                "--num-threads=1",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::from(log_file))
            .spawn()
            .context("spawning rtpengine")?;
        let ng = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0))?;
        ng.connect((Ipv4Addr::LOCALHOST, ng_port))?;
        ng.set_read_timeout(Some(Duration::from_millis(200)))?;
        let mut me = RtpEngine {
            child,
            ng,
            cookie: 0,
            ingress: Vec::with_capacity(streams),
            calls: 0,
            rss_per_stream: None,
            sink_keys: Vec::new(),
        };
        me.wait_ready()?;
        let pid = me.child.id().to_string();
        let rss_before = procfs::rss_bytes(&pid).ok();
        for i in 0..streams {
            let port = me.add_call(i, source, sink, srtp)?;
            me.calls += 1;
            me.ingress
                .push(SocketAddr::from((Ipv4Addr::LOCALHOST, port)));
        }
        me.rss_per_stream = rss_before
            .zip(procfs::rss_bytes(&pid).ok())
            .map(|(b, a)| a.saturating_sub(b) as f64 / streams as f64);
        Ok(me)
    }

    fn wait_ready(&mut self) -> Result<()> {
        let deadline = Instant::now() + STARTUP_TIMEOUT;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait()? {
                bail!("rtpengine exited at start-up: {status} (see its log)");
            }
            if self
                .request_once(&Value::dict(&[("command", Value::str("ping"))]))
                .is_ok()
            {
                return Ok(());
            }
        }
        bail!("rtpengine did not answer ng ping within {STARTUP_TIMEOUT:?}")
    }

    /// Offer from the generator, answer from the sink; returns the caller-side port.
    fn add_call(
        &mut self,
        i: usize,
        source: SocketAddr,
        sink: SocketAddr,
        srtp: Option<SrtpPlan>,
    ) -> Result<u16> {
        let call_id = Value::str(&format!("bench-{i}"));
        let caller = srtp
            .map(|p| generator_key(p, i))
            .transpose()?
            .flatten()
            .map(|key| Crypto { tag: 1, key });
        let mut offer = vec![
            ("command", Value::str("offer")),
            ("call-id", call_id.clone()),
            ("from-tag", Value::str(&format!("a{i}"))),
            ("sdp", Value::str(&sdp(source, caller.as_ref()))),
        ];
        let callee_suite = srtp.and_then(|p| p.b);
        if srtp.is_some() {
            let proto = if callee_suite.is_some() {
                "RTP/SAVP"
            } else {
                "RTP/AVP"
            };
            offer.push(("transport-protocol", Value::str(proto)));
        }
        let reply = self.request(&Value::dict(&offer))?;
        let callee = match (callee_suite, srtp) {
            (Some(suite), Some(plan)) => {
                let offered = reply
                    .get("sdp")
                    .and_then(Value::as_str)
                    .context("offer reply without sdp")?;
                let theirs = find_crypto(offered, suite)?;
                if caller.as_ref().is_some_and(|c| c.key == theirs.key) {
                    bail!("rtpengine passed the caller's key through: no re-encryption");
                }
                self.sink_keys.push(theirs.key);
                let ours = sink_key(plan, i)?.context("leg B key")?;
                Some(Crypto {
                    tag: theirs.tag,
                    key: ours,
                })
            }
            _ => None,
        };
        let answer = Value::dict(&[
            ("command", Value::str("answer")),
            ("call-id", call_id),
            ("from-tag", Value::str(&format!("a{i}"))),
            ("to-tag", Value::str(&format!("b{i}"))),
            ("sdp", Value::str(&sdp(sink, callee.as_ref()))),
        ]);
        let reply = self.request(&answer)?;
        let sdp = reply
            .get("sdp")
            .and_then(Value::as_str)
            .context("answer reply without sdp")?;
        audio_port(sdp).with_context(|| format!("no m=audio port in rtpengine's SDP: {sdp}"))
    }

    /// One ng request, retried on timeout (UDP), checked for `result: ok`.
    fn request(&mut self, msg: &Value) -> Result<Value> {
        let deadline = Instant::now() + NG_TIMEOUT;
        loop {
            match self.request_once(msg) {
                Ok(reply) => {
                    let result = reply.get("result").and_then(Value::as_str).unwrap_or("");
                    if result == "ok" || result == "pong" {
                        return Ok(reply);
                    }
                    let why = reply
                        .get("error-reason")
                        .and_then(Value::as_str)
                        .unwrap_or(result);
                    bail!("rtpengine refused: {why}");
                }
                Err(e) if Instant::now() >= deadline => return Err(e),
                Err(_) => continue,
            }
        }
    }

    fn request_once(&mut self, msg: &Value) -> Result<Value> {
        self.cookie += 1;
        let cookie = format!("{}_{}", std::process::id(), self.cookie);
        let mut out = format!("{cookie} ").into_bytes();
        msg.encode(&mut out);
        self.ng.send(&out)?;
        let mut buf = vec![0u8; 65_536];
        loop {
            let n = self.ng.recv(&mut buf)?;
            let reply = buf.get(..n).unwrap_or(&[]);
            let Some(space) = reply.iter().position(|&c| c == b' ') else {
                bail!("ng reply without cookie");
            };
            if &reply[..space] != cookie.as_bytes() {
                continue; // a late reply to an earlier, retried request
            }
            return Value::decode(&reply[space + 1..]);
        }
    }
}

impl Relay for RtpEngine {
    fn ingress(&self) -> &[SocketAddr] {
        &self.ingress
    }
    fn cpu_ns(&self) -> Result<u64> {
        procfs::process_cpu_ns(self.child.id())
    }
    fn rss_per_stream(&self) -> Option<f64> {
        self.rss_per_stream
    }
    fn sink_keys(&self) -> Option<&[SrtpKey]> {
        (!self.sink_keys.is_empty()).then_some(self.sink_keys.as_slice())
    }
}

impl Drop for RtpEngine {
    fn drop(&mut self) {
        for i in 0..self.calls {
            let delete = Value::dict(&[
                ("command", Value::str("delete")),
                ("call-id", Value::str(&format!("bench-{i}"))),
                ("from-tag", Value::str(&format!("a{i}"))),
            ]);
            if self.request_once(&delete).is_err() {
                break; // daemon gone or stuck: terminate it below anyway
            }
        }
        let pid = self.child.id() as i32;
        // SAFETY: signalling our own child process by its pid.
        unsafe { libc::kill(pid, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn audio_port(sdp: &str) -> Result<u16> {
    let line = sdp
        .lines()
        .find_map(|l| l.strip_prefix("m=audio "))
        .ok_or_else(|| anyhow!("no m=audio line"))?;
    let port = line.split_whitespace().next().context("empty m= line")?;
    Ok(port.parse()?)
}

fn free_udp_port() -> Result<u16> {
    Ok(UdpSocket::bind((Ipv4Addr::LOCALHOST, 0))?
        .local_addr()?
        .port())
}
