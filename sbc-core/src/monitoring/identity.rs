//! Who the agent on a call is: from headers the contact-center platform sets on the
//! call (`X-Agent-Id`, `X-Queue`, `X-Team` by default), else from the agent directory
//! by the URI the agent's leg was sent to.
//!
//! Pure: the caller passes a header lookup closure and the URI, so this module needs
//! nothing from signaling. Which requests' headers to believe (only those from the
//! tenant's own trunks) is the caller's decision; this module only reads them.
//!
//! Precedence, per field: a header wins; the directory fills what headers leave out,
//! and only from the entry for this very agent (a directory entry for another agent
//! at the same URI never lends its team). A header present but malformed is an error,
//! not "absent": a platform sending garbage should be noticed, not silently ignored.

use std::collections::HashMap;

use super::model::AgentDirectoryEntry;
use super::names::{is_agent_id, is_label, AgentId, QueueName, TeamName};
use super::uri::UriKey;
use crate::ids::TenantId;

/// The header names agent identity is read from. Compared case-insensitively by the
/// caller's lookup (SIP header names are case-insensitive).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentHeaderNames {
    pub agent: String,
    pub queue: String,
    pub team: String,
}

impl Default for AgentHeaderNames {
    fn default() -> Self {
        AgentHeaderNames {
            agent: "X-Agent-Id".to_owned(),
            queue: "X-Queue".to_owned(),
            team: "X-Team".to_owned(),
        }
    }
}

/// The agent on one call, and the call's queue and the agent's team when known.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AgentIdentity {
    pub agent: AgentId,
    pub queue: Option<QueueName>,
    pub team: Option<TeamName>,
}

/// Why no identity could be established.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentityError {
    /// No agent header and no directory entry for the URI: not an agent's call.
    #[error("no agent header and the agent URI is not in the directory")]
    Unidentified,
    /// A header is present but its value is not acceptable.
    #[error("header {header} has an invalid value")]
    InvalidHeader { header: String },
}

/// The `[[agent]]` directory indexed by URI.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AgentDirectory {
    by_uri: HashMap<UriKey, AgentDirectoryEntry>,
}

impl AgentDirectory {
    /// Indexes `entries`; on a repeated URI the first entry wins (validation refuses
    /// repeated URIs in config, so this only matters for hand-built lists).
    pub fn new(entries: &[AgentDirectoryEntry]) -> AgentDirectory {
        let mut by_uri = HashMap::with_capacity(entries.len());
        for e in entries {
            by_uri.entry(e.uri.clone()).or_insert_with(|| e.clone());
        }
        AgentDirectory { by_uri }
    }

    pub fn get(&self, uri: &UriKey) -> Option<&AgentDirectoryEntry> {
        self.by_uri.get(uri)
    }

    pub fn len(&self) -> usize {
        self.by_uri.len()
    }

    /// Whether the directory lists agent `agent` as working for `tenant`.
    pub fn has_agent_of(&self, tenant: &TenantId, agent: &AgentId) -> bool {
        self.by_uri
            .values()
            .any(|e| &e.agent == agent && e.tenant.as_ref() == Some(tenant))
    }

    pub fn is_empty(&self) -> bool {
        self.by_uri.is_empty()
    }
}

/// The identity of the agent on a call. `header` looks a header up by name (first
/// value, case-insensitive name); `agent_uri` is the agent leg's URI, if known.
pub fn identify_agent<'m>(
    names: &AgentHeaderNames,
    header: &dyn Fn(&str) -> Option<&'m str>,
    agent_uri: Option<&str>,
    directory: &AgentDirectory,
) -> Result<AgentIdentity, IdentityError> {
    let from_header =
        |name: &str, valid: fn(&str) -> bool| -> Result<Option<&'m str>, IdentityError> {
            match header(name).map(str::trim) {
                None => Ok(None),
                Some(v) if valid(v) => Ok(Some(v)),
                Some(_) => Err(IdentityError::InvalidHeader {
                    header: name.to_owned(),
                }),
            }
        };
    let agent = from_header(&names.agent, is_agent_id)?.map(AgentId::new);
    let queue = from_header(&names.queue, is_label)?.map(QueueName::new);
    let team = from_header(&names.team, is_label)?.map(TeamName::new);
    let entry = agent_uri
        .and_then(UriKey::parse)
        .and_then(|k| directory.get(&k))
        .filter(|e| agent.as_ref().is_none_or(|a| *a == e.agent));
    let agent = agent
        .or_else(|| entry.map(|e| e.agent.clone()))
        .ok_or(IdentityError::Unidentified)?;
    Ok(AgentIdentity {
        agent,
        queue: queue.or_else(|| match entry.map(|e| e.queues.as_slice()) {
            Some([only]) => Some(only.clone()),
            _ => None,
        }),
        team: team.or_else(|| entry.and_then(|e| e.team.clone())),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn directory() -> AgentDirectory {
        let entry =
            |uri: &str, agent: &str, team: Option<&str>, queues: &[&str]| AgentDirectoryEntry {
                uri: UriKey::parse(uri).unwrap(),
                agent: AgentId::new(agent),
                team: team.map(TeamName::new),
                queues: queues.iter().map(|q| QueueName::new(q)).collect(),
                tenant: None,
            };
        AgentDirectory::new(&[
            entry("sip:1001@pbx", "a1001", Some("blue"), &["sales"]),
            entry("sip:1002@pbx", "a1002", None, &["sales", "support"]),
        ])
    }

    /// Identity from `(name, value)` headers (names matched case-insensitively).
    fn identify(
        headers: &[(&str, &str)],
        uri: Option<&str>,
    ) -> Result<AgentIdentity, IdentityError> {
        let lookup = |name: &str| {
            headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| *v)
        };
        identify_agent(&AgentHeaderNames::default(), &lookup, uri, &directory())
    }

    fn id(agent: &str, queue: Option<&str>, team: Option<&str>) -> AgentIdentity {
        AgentIdentity {
            agent: AgentId::new(agent),
            queue: queue.map(QueueName::new),
            team: team.map(TeamName::new),
        }
    }

    #[test]
    fn headers_alone_identify_the_agent() {
        let h = [
            ("x-agent-id", " 7 "),
            ("X-Queue", "billing"),
            ("X-Team", "red"),
        ];
        assert_eq!(
            identify(&h, None),
            Ok(id("7", Some("billing"), Some("red")))
        );
        assert_eq!(
            identify(&[("X-Agent-Id", "7")], None),
            Ok(id("7", None, None))
        );
    }

    #[test]
    fn directory_identifies_by_uri_and_fills_gaps() {
        let uri = Some("<sip:1001@PBX;transport=tcp>");
        assert_eq!(
            identify(&[], uri),
            Ok(id("a1001", Some("sales"), Some("blue")))
        );
        // A header queue wins over the directory's.
        let h = [("X-Queue", "vip")];
        assert_eq!(
            identify(&h, uri),
            Ok(id("a1001", Some("vip"), Some("blue")))
        );
        // The same agent in a header: the directory still lends team and queue.
        let h = [("X-Agent-Id", "a1001")];
        assert_eq!(
            identify(&h, uri),
            Ok(id("a1001", Some("sales"), Some("blue")))
        );
        // Two queues in the directory: the call's queue is unknown.
        assert_eq!(
            identify(&[], Some("sip:1002@pbx")),
            Ok(id("a1002", None, None))
        );
    }

    #[test]
    fn directory_of_another_agent_lends_nothing() {
        let h = [("X-Agent-Id", "a9")];
        assert_eq!(identify(&h, Some("sip:1001@pbx")), Ok(id("a9", None, None)));
    }

    #[test]
    fn unidentified_and_invalid() {
        assert_eq!(identify(&[], None), Err(IdentityError::Unidentified));
        assert_eq!(
            identify(&[], Some("sip:9999@pbx")),
            Err(IdentityError::Unidentified)
        );
        assert_eq!(
            identify(&[], Some("not a uri")),
            Err(IdentityError::Unidentified)
        );
        // Only a queue header: not enough to name an agent.
        assert_eq!(
            identify(&[("X-Queue", "q")], None),
            Err(IdentityError::Unidentified)
        );
        for (name, value) in [
            ("X-Agent-Id", ""),
            ("X-Agent-Id", "a b"),
            ("X-Agent-Id", "<script>"),
            ("X-Queue", ""),
            ("X-Team", "a\u{7}b"),
        ] {
            let headers: &[(&str, &str)] = if name == "X-Agent-Id" {
                &[(name, value)]
            } else {
                &[("X-Agent-Id", "7"), (name, value)]
            };
            assert_eq!(
                identify(headers, None),
                Err(IdentityError::InvalidHeader {
                    header: name.to_owned()
                }),
                "{name}: {value:?}"
            );
        }
    }

    #[test]
    fn custom_header_names() {
        let names = AgentHeaderNames {
            agent: "P-Agent".into(),
            queue: "P-Queue".into(),
            team: "P-Team".into(),
        };
        let lookup = |n: &str| (n == "P-Agent").then_some("42");
        let got = identify_agent(&names, &lookup, None, &AgentDirectory::default());
        assert_eq!(got, Ok(id("42", None, None)));
    }
}
