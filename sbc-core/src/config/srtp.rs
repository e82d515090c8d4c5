//! A trunk's SRTP keys: `srtp` (the policy) and `srtp_suites` (which suites, in order of
//! preference). Names are the RFC 4568 / RFC 7714 SDES names, matched without regard to
//! case like the `a=crypto` grammar does; an unknown or repeated suite is an error at
//! its own array element, and an empty list is an error (a trunk that may use SRTP must
//! be able to name a suite; `srtp = "off"` is how to say "no SRTP").

use std::fmt;
use std::str::FromStr;

use super::decode::{Decoder, Section};
use super::schema::SrtpPolicy;
use crate::media::SrtpSuite;

/// `srtp`: "off", "optional" or "mandatory" (any case); `None` when absent or invalid.
pub(crate) fn srtp_policy(d: &mut Decoder<'_>, t: &Section<'_>) -> Option<SrtpPolicy> {
    let p = d.string(t, "srtp")?;
    let policy = match p.value.to_ascii_lowercase().as_str() {
        "off" => SrtpPolicy::Off,
        "optional" => SrtpPolicy::Optional,
        "mandatory" => SrtpPolicy::Mandatory,
        _ => {
            let msg = format!(
                "unknown SRTP policy `{}`; expected one of: {}",
                p.value.escape_debug(),
                SrtpPolicy::NAMES.join(", ")
            );
            d.invalid(&p.path, p.pos, msg);
            return None;
        }
    };
    Some(policy)
}

/// `srtp_suites`: the suites in preference order; absent or invalid gives every suite,
/// strongest first (the default), so one error does not cascade.
pub(crate) fn srtp_suites(d: &mut Decoder<'_>, t: &Section<'_>) -> Vec<SrtpSuite> {
    let errors_before = d.errors.len();
    let Some(names) = d.parse_list::<SuiteName>(t, "srtp_suites") else {
        return SrtpSuite::ALL.to_vec();
    };
    if d.errors.len() > errors_before {
        return SrtpSuite::ALL.to_vec();
    }
    let path = format!("{}.srtp_suites", t.path);
    if names.is_empty() {
        let pos = d.spots.position(&path);
        let msg = "must name at least one suite (set srtp = \"off\" to disable SRTP)";
        d.invalid(&path, pos, msg);
        return SrtpSuite::ALL.to_vec();
    }
    let mut suites = Vec::with_capacity(names.len());
    for (i, SuiteName(suite)) in names.into_iter().enumerate() {
        if suites.contains(&suite) {
            let element = format!("{path}[{i}]");
            let pos = d.spots.position(&element);
            d.invalid(&element, pos, format!("{suite} is listed twice"));
        } else {
            suites.push(suite);
        }
    }
    suites
}

/// One element of `srtp_suites`.
struct SuiteName(SrtpSuite);

/// Why an element of `srtp_suites` is refused (the message names the known suites).
struct UnknownSuite(String);

impl fmt::Display for UnknownSuite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let known: Vec<&str> = SrtpSuite::ALL.iter().map(|s| s.sdes_name()).collect();
        write!(
            f,
            "unknown SRTP suite `{}`; expected one of: {}",
            self.0.escape_debug(),
            known.join(", ")
        )
    }
}

impl FromStr for SuiteName {
    type Err = UnknownSuite;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SrtpSuite::ALL
            .iter()
            .find(|suite| suite.sdes_name().eq_ignore_ascii_case(s))
            .map(|suite| SuiteName(*suite))
            .ok_or_else(|| UnknownSuite(s.to_owned()))
    }
}
