//! A headless baresip (Debian `baresip-core` 1.0) as a test UA: writes its
//! config directory (loopback only, no registration, STUN, ICE or DNS,
//! G.711 only), plays a WAV file as its microphone (`aufile`), records
//! what it hears (`sndfile` dumps the decoded audio: baresip-core 1.0's
//! aufile module has no player), traces its SIP (`-s`) into a log, and
//! reads back the SDP it sent and received. `Drop` stops it (SIGTERM, then
//! SIGKILL) and reaps it.

use std::net::{SocketAddr, TcpListener, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::Duration;

use super::ports::PortRange;
use super::tone::Wav;

/// Where Debian installs the modules.
pub const MODULE_PATH: &str = "/usr/lib/baresip/modules";
/// The modules the tests load: codec, audio file source, recorder, SRTP,
/// the account list and the menu that runs `-e` commands.
const MODULES: &[&str] = &["g711", "aufile", "sndfile", "srtp", "account", "menu"];
const READY_TIMEOUT: Duration = Duration::from_secs(10);
const STOP_GRACE: Duration = Duration::from_secs(3);

/// Fails the test (never skips it) when baresip or a module is missing:
/// CI installs `baresip-core`, so its absence is a broken environment.
pub fn require_baresip() {
    assert!(
        super::on_path("baresip"),
        "baresip is not installed (not on PATH). Install it with \
         `apt-get install baresip-core` (.ci/run does this)."
    );
    for module in MODULES {
        let path = Path::new(MODULE_PATH).join(format!("{module}.so"));
        assert!(path.is_file(), "baresip module missing: {}", path.display());
    }
}

/// A loopback port P with P and P+1 free over UDP and TCP: baresip
/// listens for SIP on P (UDP, TCP) and for SIP over TLS on P+1.
pub fn free_sip_port_pair() -> u16 {
    let free = |port: u16| {
        UdpSocket::bind(("127.0.0.1", port)).is_ok()
            && TcpListener::bind(("127.0.0.1", port)).is_ok()
    };
    for _ in 0..100 {
        let port = super::ports::free_sip_port();
        if port < u16::MAX && free(port + 1) {
            return port;
        }
    }
    panic!("no free loopback port pair found for baresip");
}

/// How one baresip instance is set up.
#[derive(Debug, Clone)]
pub struct UaConfig {
    /// The account's user part and the name of its files.
    pub user: String,
    pub sip_port: u16,
    pub rtp: PortRange,
    /// Played as the microphone (mono 16-bit PCM, 8 kHz).
    pub source_wav: PathBuf,
    /// `mediaenc=srtp-mand` on the account: SDES-SRTP or no call.
    pub srtp_mandatory: bool,
    /// `answermode=auto`: answer incoming calls at once.
    pub auto_answer: bool,
}

impl UaConfig {
    pub fn sip_addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.sip_port))
    }

    fn config_text(&self, rec_dir: &Path) -> String {
        let modules: String = MODULES
            .iter()
            .map(|m| {
                // account and menu are applications, the rest media modules.
                let kind = if matches!(*m, "account" | "menu") {
                    "module_app"
                } else {
                    "module"
                };
                format!("{kind} {m}.so\n")
            })
            .collect();
        // No audio player module is loaded: the decoded audio still runs
        // through the sndfile filter, which is all the test listens to.
        // dns_server points at loopback so the host's resolv.conf is never
        // used; every URI is an IP literal anyway.
        format!(
            "poll_method epoll\n\
             net_interface 127.0.0.1\n\
             dns_server 127.0.0.1:53\n\
             sip_listen 127.0.0.1:{sip}\n\
             call_local_timeout 20\n\
             call_max_calls 1\n\
             module_path {MODULE_PATH}\n\
             {modules}\
             audio_source aufile,{source}\n\
             audio_player none\n\
             audio_alert none\n\
             rtp_ports {rtp_min}-{rtp_max}\n\
             snd_path {rec}\n",
            sip = self.sip_port,
            source = self.source_wav.display(),
            rtp_min = self.rtp.min,
            rtp_max = self.rtp.max,
            rec = rec_dir.display(),
        )
    }

    fn account_line(&self) -> String {
        let mut line = format!(
            "<sip:{}@127.0.0.1:{}>;regint=0;audio_codecs=PCMU",
            self.user, self.sip_port
        );
        if self.srtp_mandatory {
            line.push_str(";mediaenc=srtp-mand");
        }
        if self.auto_answer {
            line.push_str(";answermode=auto");
        }
        line.push('\n');
        line
    }
}

/// One SIP message from the `-s` trace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TracedMessage {
    /// Whether this UA sent it (else it received it).
    pub sent: bool,
    /// `INVITE sip:... SIP/2.0` or `SIP/2.0 200 OK`.
    pub start_line: String,
    /// The CSeq method, for telling apart a 200 to INVITE from one to BYE.
    pub cseq_method: String,
    /// The audio m= line's proto (`RTP/AVP`, `RTP/SAVP`), if the message
    /// has an SDP body with audio.
    pub audio_proto: Option<String>,
    /// The audio media port of the SDP.
    pub audio_port: Option<u16>,
    /// The key||salt of each a=crypto line (base64, without lifetime/MKI).
    pub crypto_keys: Vec<String>,
    /// The crypto-suite of each a=crypto line, in the same order.
    pub crypto_suites: Vec<String>,
}

impl TracedMessage {
    pub fn is_request(&self, method: &str) -> bool {
        self.start_line.starts_with(&format!("{method} "))
    }

    pub fn is_response(&self, code: u16, method: &str) -> bool {
        self.start_line.starts_with(&format!("SIP/2.0 {code} ")) && self.cseq_method == method
    }
}

/// A running baresip.
pub struct Baresip {
    child: Child,
    config: UaConfig,
    dir: PathBuf,
    log: PathBuf,
}

impl Baresip {
    /// Starts baresip in `parent/<user>/`. With `dial`, it calls that URI
    /// once ready and quits after `quit_after` (hanging up first).
    pub fn start(parent: &Path, config: UaConfig, dial: Option<(&str, Duration)>) -> Baresip {
        let dir = parent.join(&config.user);
        let rec = dir.join("rec");
        std::fs::create_dir_all(&rec).unwrap_or_else(|e| panic!("mkdir {}: {e}", rec.display()));
        let write = |name: &str, text: &str| {
            let path = dir.join(name);
            std::fs::write(&path, text).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
        };
        write("config", &config.config_text(&rec));
        write("accounts", &config.account_line());
        write("contacts", "");
        let log = dir.join("baresip.log");
        let out = std::fs::File::create(&log).unwrap_or_else(|e| panic!("create log: {e}"));
        let err = out.try_clone().unwrap_or_else(|e| panic!("dup log: {e}"));
        let mut cmd = Command::new("baresip");
        cmd.arg("-s").arg("-f").arg(&dir);
        if let Some((uri, quit_after)) = dial {
            // -e types its argument into the menu: `d` opens the dial prompt.
            cmd.arg("-e").arg(format!("d{uri}"));
            cmd.arg("-t").arg(quit_after.as_secs().max(1).to_string());
        }
        let child = cmd
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("spawn baresip: {e}"));
        Baresip {
            child,
            config,
            dir,
            log,
        }
    }

    pub fn config(&self) -> &UaConfig {
        &self.config
    }

    /// The log so far: baresip's output and its SIP trace.
    pub fn log(&self) -> String {
        super::read_text(&self.log)
    }

    /// Waits until the log contains `needle`; false after `timeout`.
    pub fn wait_log(&self, needle: &str, timeout: Duration) -> bool {
        super::wait_for(timeout, || self.log().contains(needle).then_some(())).is_some()
    }

    /// Waits for `baresip is ready.`; panics with the log otherwise.
    pub fn wait_ready(&self) {
        if !self.wait_log("baresip is ready.", READY_TIMEOUT) {
            panic!(
                "baresip {} not ready within {READY_TIMEOUT:?}\n{}",
                self.config.user,
                super::tail(&self.log(), 4000)
            );
        }
    }

    /// Waits for baresip to exit on its own (after `-t`).
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        super::wait_child(&mut self.child, timeout)
    }

    /// SIGTERM (baresip hangs up and closes its recordings), SIGKILL after
    /// a grace period; the exit status, if reaped.
    pub fn stop(&mut self) -> Option<ExitStatus> {
        super::stop_child(&mut self.child, libc::SIGTERM, STOP_GRACE)
    }

    /// What this UA heard: the decoded audio sndfile dumped for the call.
    pub fn heard(&self) -> Result<Wav, String> {
        self.dump("dec")
    }

    /// What this UA sent: the audio sndfile dumped before encoding.
    pub fn sent(&self) -> Result<Wav, String> {
        self.dump("enc")
    }

    /// The one `dump-*-<kind>.wav` of the call (one call per instance).
    fn dump(&self, kind: &str) -> Result<Wav, String> {
        let rec = self.dir.join("rec");
        let suffix = format!("-{kind}.wav");
        let found: Vec<PathBuf> = std::fs::read_dir(&rec)
            .map_err(|e| format!("{}: {e}", rec.display()))?
            .flatten()
            .map(|entry| entry.path())
            .filter(|p| p.to_string_lossy().ends_with(&suffix))
            .collect();
        match found.as_slice() {
            [one] => Wav::read(one),
            _ => Err(format!(
                "want one *{suffix} in {}, found {found:?}",
                rec.display()
            )),
        }
    }

    /// Every SIP message of the `-s` trace, in order.
    pub fn sip_trace(&self) -> Vec<TracedMessage> {
        parse_trace(&self.log(), self.config.sip_addr())
    }
}

impl Drop for Baresip {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The `-s` trace prints each message as an ANSI-coloured block:
/// `ESC[36;1m#`, `UDP <src> -> <dst>`, the message, `ESC[;m`.
fn parse_trace(log: &str, own: SocketAddr) -> Vec<TracedMessage> {
    log.split("\x1b[36;1m#")
        .skip(1)
        .filter_map(|block| {
            let block = block.split("\x1b[;m").next().unwrap_or_default();
            let mut lines = block.lines().map(str::trim).skip_while(|l| l.is_empty());
            let route = lines.next()?;
            let src = route.split_whitespace().nth(1)?;
            let start_line = lines.next()?.to_owned();
            Some(parse_message(src == own.to_string(), start_line, lines))
        })
        .collect()
}

fn parse_message<'a>(
    sent: bool,
    start_line: String,
    lines: impl Iterator<Item = &'a str>,
) -> TracedMessage {
    let mut msg = TracedMessage {
        sent,
        start_line,
        cseq_method: String::new(),
        audio_proto: None,
        audio_port: None,
        crypto_keys: Vec::new(),
        crypto_suites: Vec::new(),
    };
    let mut in_audio = false;
    for line in lines {
        if let Some(cseq) = header_value(line, "CSeq") {
            msg.cseq_method = cseq.split_whitespace().nth(1).unwrap_or_default().into();
        } else if let Some(media) = line.strip_prefix("m=") {
            let fields: Vec<&str> = media.split_whitespace().collect();
            in_audio = fields.first() == Some(&"audio");
            if in_audio {
                msg.audio_port = fields.get(1).and_then(|p| p.parse().ok());
                msg.audio_proto = fields.get(2).map(|p| (*p).to_owned());
            }
        } else if let Some(crypto) = line.strip_prefix("a=crypto:") {
            // a=crypto:<tag> <suite> inline:<key||salt>[|lifetime][|mki:len]
            let mut fields = crypto.split_whitespace().skip(1);
            let suite = fields.next();
            let key = fields
                .next()
                .and_then(|p| p.strip_prefix("inline:"))
                .and_then(|p| p.split('|').next());
            if let (true, Some(suite), Some(key)) = (in_audio, suite, key) {
                msg.crypto_suites.push(suite.to_owned());
                msg.crypto_keys.push(key.to_owned());
            }
        }
    }
    msg
}

fn header_value<'a>(line: &'a str, name: &str) -> Option<&'a str> {
    let (header, value) = line.split_once(':')?;
    header
        .trim()
        .eq_ignore_ascii_case(name)
        .then_some(value.trim())
}
