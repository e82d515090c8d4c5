//! Process limits the SBC needs: every media port is a socket (and parked sockets keep
//! theirs), every SIP TCP connection is one too. A default soft limit of 1,024 open files
//! would cap a box at about 250 calls, so start-up raises the soft limit to the hard one
//! and warns, with the numbers, when even that cannot cover the configuration.

use sbc_core::config::Config;

/// File descriptors the configuration can need at once, with room for the rest.
pub fn needed_files(config: &Config) -> u64 {
    let media_ports = u64::from(config.media.port_max.saturating_sub(config.media.port_min)) + 1;
    media_ports + config.sip.tcp.max_connections as u64 + 256
}

/// Raises RLIMIT_NOFILE's soft limit to its hard limit; returns (soft, hard) after.
// rlim_t is u64 here but 32 bits on some targets: the casts are not no-ops everywhere.
#[allow(clippy::unnecessary_cast)]
pub fn raise_open_files() -> std::io::Result<(u64, u64)> {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit only read/write the struct we pass.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    if lim.rlim_cur < lim.rlim_max {
        let raised = libc::rlimit {
            rlim_cur: lim.rlim_max,
            rlim_max: lim.rlim_max,
        };
        // SAFETY: as above.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
        lim = raised;
    }
    Ok((lim.rlim_cur as u64, lim.rlim_max as u64))
}

/// Raises the limit and logs what the configuration may run into.
pub fn apply(config: &Config) {
    let needed = needed_files(config);
    match raise_open_files() {
        Ok((soft, _)) if soft < needed => tracing::warn!(
            open_files = soft,
            needed,
            "open-file limit is below what the media range and TCP limits can use; \
             raise the hard limit (LimitNOFILE= in systemd, ulimit -Hn) or calls will be refused"
        ),
        Ok((soft, _)) => tracing::info!(open_files = soft, needed, "open-file limit"),
        Err(e) => tracing::warn!(error = %e, "cannot read or raise the open-file limit"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_config_needs_a_file_per_media_port() {
        let c = Config::embedded_default();
        // 20000-39999: 20,000 media ports plus the TCP connection limit and slack.
        assert_eq!(
            needed_files(&c),
            20_000 + c.sip.tcp.max_connections as u64 + 256
        );
    }

    #[test]
    #[allow(clippy::unnecessary_cast)]
    fn soft_limit_is_raised_to_the_hard_limit() {
        let mut lim = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: reading and lowering our own (test process) limit.
        unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) };
        let lowered = libc::rlimit {
            rlim_cur: lim.rlim_max.min(512),
            rlim_max: lim.rlim_max,
        };
        unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lowered) };
        let (soft, hard) = raise_open_files().expect("raise");
        assert_eq!(soft, hard);
        assert_eq!(hard, lim.rlim_max as u64);
    }
}
