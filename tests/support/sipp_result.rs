//! What a SIPp run did, read back from its files: exit code, cumulative
//! successful and failed calls (from the `-trace_stat` CSV, or the last
//! statistics screen), error log and message trace, and a report of all of
//! it for assertion messages.

use std::net::SocketAddr;
use std::path::PathBuf;

use super::tail;

/// What a SIPp run did.
#[derive(Debug, Clone)]
pub struct SippResult {
    pub label: String,
    pub command: String,
    /// SIPp's exit code: 0 all calls succeeded, 1 some failed, 97 internal
    /// exit, 99 no call processed, 255 fatal error, 254 cannot bind.
    pub exit_code: Option<i32>,
    pub killed_at_deadline: bool,
    pub successful: u64,
    pub failed: u64,
    pub errors: String,
    pub messages: String,
    pub stdout: String,
    /// The run directory (deleted with the child unless SBC_E2E_KEEP=1).
    pub dir: PathBuf,
    /// Its SIP address (`-p`) and media port (`-mp`).
    pub sip_addr: SocketAddr,
    pub media_port: u16,
}

impl SippResult {
    /// A description for assertion messages.
    pub fn report(&self) -> String {
        format!(
            "sipp {label}: exit {exit:?}{killed}, {ok} successful, {failed} failed calls\n\
             command: {cmd}\n--- error log (tail) ---\n{errors}\n\
             --- message trace (tail) ---\n{messages}\n--- screen (tail) ---\n{screen}",
            label = self.label,
            exit = self.exit_code,
            killed = if self.killed_at_deadline {
                " (killed at deadline)"
            } else {
                ""
            },
            ok = self.successful,
            failed = self.failed,
            cmd = self.command,
            errors = tail(&self.errors, 4000),
            messages = tail(&self.messages, 6000),
            screen = tail(&self.stdout, 3000),
        )
    }

    /// `calls` successful calls, none failed, a clean exit; else why not.
    pub fn check(&self, calls: u64) -> Result<(), String> {
        if self.killed_at_deadline || self.failed != 0 || self.successful != calls {
            return Err(format!(
                "expected {calls} successful calls and none failed\n{}",
                self.report()
            ));
        }
        // A UAS stopped with SIGUSR1 exits 97 or 0; anything else is an error.
        if !matches!(self.exit_code, Some(0) | Some(97)) {
            return Err(format!("unexpected sipp exit code\n{}", self.report()));
        }
        Ok(())
    }

    /// Asserts [`Self::check`].
    pub fn assert_all_successful(&self, calls: u64) {
        if let Err(why) = self.check(calls) {
            panic!("{why}");
        }
    }
}

/// (successful, failed) cumulative counts from the last line of a
/// `-trace_stat` CSV.
pub fn parse_stat_csv(csv: &str) -> Option<(u64, u64)> {
    let mut lines = csv.lines().filter(|l| !l.trim().is_empty());
    let header: Vec<&str> = lines.next()?.split(';').collect();
    let last: Vec<&str> = lines.next_back()?.split(';').collect();
    let column = |name: &str| -> Option<u64> {
        let i = header.iter().position(|h| h.trim() == name)?;
        last.get(i)?.trim().parse().ok()
    };
    Some((column("SuccessfulCall(C)")?, column("FailedCall(C)")?))
}

/// (successful, failed) from the last statistics screen SIPp printed.
pub fn parse_screen(stdout: &str) -> Option<(u64, u64)> {
    let cumulative = |label: &str| -> Option<u64> {
        let line = stdout
            .lines()
            .rev()
            .find(|l| l.trim_start().starts_with(label))?;
        line.split('|').nth(2)?.trim().parse().ok()
    };
    Some((cumulative("Successful call")?, cumulative("Failed call")?))
}
