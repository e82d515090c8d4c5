//! IPv6 end to end: the daemon on [::1] (SIP and media), SIPp UAC -> SBC -> SIPp UAS
//! over IPv6, every call completes, and the B leg sees only IPv6 addresses of the SBC
//! (Via, Contact, SDP c=/o= as IN IP6) — nothing of the caller and no IPv4 anywhere.

mod support;

use std::net::{SocketAddr, UdpSocket};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use support::SbcProcess;

/// Kills the child on drop, so a failed assertion leaves no SIPp behind.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_v6_port() -> u16 {
    let sock = UdpSocket::bind("[::1]:0")
        .unwrap_or_else(|e| panic!("IPv6 loopback [::1] is needed for this test: {e}"));
    sock.local_addr().expect("local addr").port()
}

fn sipp(args: &[String]) -> Command {
    let mut cmd = Command::new("sipp");
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    cmd
}

/// Waits for the child with a deadline; kills it if the deadline passes.
fn wait(child: &mut Child, limit: Duration) -> Option<i32> {
    let end = Instant::now() + limit;
    while Instant::now() < end {
        if let Ok(Some(status)) = child.try_wait() {
            return status.code();
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    None
}

#[test]
fn calls_over_ipv6_loopback_with_ipv6_sdp() {
    support::require_sipp();
    let dir = tempfile::tempdir().expect("tempdir");
    let uas_port = free_v6_port();
    let media = support::ports::media_range();
    let config = format!(
        "[[sip.listen]]\ntransport = \"udp\"\naddress = \"[::1]:0\"\n\n\
         [media]\nbind = \"::1\"\nport_min = {}\nport_max = {}\n\n\
         [[trunk]]\nname = \"uas\"\naddress = \"[::1]:{uas_port}\"\naccept_from = [\"::1/128\"]\n\n\
         [[route]]\nname = \"default\"\ntarget = \"uas\"\n\n[metrics]\nlisten = \"127.0.0.1:0\"\n",
        media.min, media.max
    );
    let sbc = SbcProcess::start_with(|_| config);
    let sbc_sip: SocketAddr = sbc.sip_udp();
    assert!(sbc_sip.is_ipv6(), "listener {sbc_sip}");

    let uas_trace = dir.path().join("uas.log");
    let common = |port: u16| -> Vec<String> {
        [
            "-i",
            "::1",
            "-mi",
            "::1",
            "-p",
            &port.to_string(),
            "-nostdin",
            "-timeout",
            "30s",
            "-timeout_error",
        ]
        .map(String::from)
        .to_vec()
    };
    let mut uas_args = vec!["-sn".to_owned(), "uas".to_owned()];
    uas_args.extend(common(uas_port));
    uas_args.extend([
        "-trace_msg".into(),
        "-message_file".into(),
        uas_trace.to_string_lossy().into_owned(),
    ]);
    let uas = Guard(sipp(&uas_args).spawn().expect("spawn sipp uas"));
    std::thread::sleep(Duration::from_millis(300));

    let mut uac_args = vec![
        "-sn".to_owned(),
        "uac".to_owned(),
        format!("[::1]:{}", sbc_sip.port()),
    ];
    uac_args.extend(common(free_v6_port()));
    uac_args.extend(["-m", "20", "-r", "20", "-d", "0"].map(String::from));
    let mut uac = Guard(sipp(&uac_args).spawn().expect("spawn sipp uac"));
    let code = wait(&mut uac.0, Duration::from_secs(40));
    assert_eq!(
        code,
        Some(0),
        "SIPp UAC over IPv6 did not complete all 20 calls"
    );
    drop(uas);

    let seen = std::fs::read_to_string(&uas_trace).expect("UAS message trace");
    assert!(
        seen.contains("c=IN IP6 ::1"),
        "B-leg SDP is not IPv6:\n{seen}"
    );
    assert!(
        !seen.contains("127.0.0.1"),
        "an IPv4 address leaked to the B leg"
    );
    assert!(
        support::wait_for(Duration::from_secs(5), || {
            (sbc.metric("sbc_calls_ended_total{cause=\"normal_clearing\"}") >= 20.0).then_some(())
        })
        .is_some(),
        "the SBC did not count 20 ended calls"
    );
}
