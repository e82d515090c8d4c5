//! What each party of an answered call says about the agent, for the monitoring
//! plane's call registry: the configured agent headers (`X-Agent-Id`, `X-Queue`,
//! `X-Team` by default) and the party's URI, with the trunk it came from so the plane
//! believes headers only from a tenant's own trunks. Collected only when monitoring
//! is configured.

use sbc_core::config::Config;
use sbc_core::ids::TrunkName;
use sbc_core::monitoring::PartyHints;

use crate::sip::SipMessage;

/// The hints in `msg` (the caller's INVITE or the callee's 2xx).
pub(in crate::b2bua) fn party_hints(
    config: &Config,
    msg: &SipMessage,
    trunk: Option<&TrunkName>,
    // A name-addr's URI, without `<>` (`NameAddr::uri`).
    uri: Option<&str>,
) -> PartyHints {
    if config.supervisors.is_empty() {
        return PartyHints::default();
    }
    let names = &config.monitoring.agent_headers;
    let headers = [&names.agent, &names.queue, &names.team]
        .into_iter()
        .filter_map(|name| {
            let value = msg.header_by_name(name)?;
            Some((name.clone(), value.trim().to_owned()))
        })
        .collect();
    PartyHints {
        trunk: trunk.cloned(),
        headers,
        uri: uri.map(|u| {
            u.trim()
                .trim_start_matches('<')
                .trim_end_matches('>')
                .to_owned()
        }),
    }
}
