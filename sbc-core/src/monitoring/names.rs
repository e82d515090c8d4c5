//! The names of who is who in monitoring: agents, queues, teams, supervisors and roles.
//!
//! Each is a cheap-to-clone newtype over `Arc<str>`, so an agent ID can never be passed
//! where a queue name is expected. They are opaque labels: the config decoder and the
//! feature-code parser decide which characters are acceptable where they come from.
//! `TenantId` lives in `crate::ids` (calls carry it too).

use std::borrow::Borrow;
use std::fmt;
use std::sync::Arc;

use crate::ids::TenantId;

macro_rules! text_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub Arc<str>);

        impl $name {
            pub fn new(s: &str) -> Self {
                $name(Arc::from(s))
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        /// Lets indexes keyed by this name be searched with a plain `&str`.
        impl Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }
    };
}

text_id!(
    /// A contact-center agent, as set by the platform (`X-Agent-Id`) or the directory.
    AgentId
);
text_id!(
    /// A queue a call waits in before an agent takes it (`X-Queue`).
    QueueName
);
text_id!(
    /// A team of agents (`X-Team`, or the agent's team in the directory).
    TeamName
);
text_id!(
    /// A supervisor account: its digest username. In an audit record of a failed
    /// attempt, the identity that was *claimed*.
    SupervisorId
);
text_id!(
    /// A role: a named set of monitoring modes.
    RoleName
);

/// Longest agent ID, and longest queue or team label.
pub const MAX_AGENT_ID_LEN: usize = 64;
pub const MAX_LABEL_LEN: usize = 128;

/// Whether `s` can be an agent ID: 1-64 characters of `A-Z a-z 0-9 . _ -`. The same
/// alphabet everywhere an agent ID comes from (config, headers, feature codes), so an
/// agent the platform names can always be dialled as `*81a<ID>` and logged safely.
pub fn is_agent_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_AGENT_ID_LEN
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// Whether `s` can be a queue or team label: free-form text of 1-128 bytes with no
/// control characters and no surrounding whitespace (labels are compared exactly).
pub fn is_label(s: &str) -> bool {
    !s.is_empty() && s.len() <= MAX_LABEL_LEN && s.trim() == s && !s.chars().any(char::is_control)
}

/// Builds a `TenantId` from text (the type itself is shared with the call model).
pub fn tenant_id(s: &str) -> TenantId {
    TenantId(Arc::from(s))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn names_display_and_borrow_as_str() {
        let a = AgentId::new("a1007");
        assert_eq!(a.to_string(), "a1007");
        assert_eq!(a.as_str(), "a1007");
        let set: HashSet<QueueName> = [QueueName::new("sales")].into_iter().collect();
        assert!(set.contains("sales"));
        assert_eq!(tenant_id("acme").0.as_ref(), "acme");
    }

    #[test]
    fn agent_ids_and_labels() {
        assert!(is_agent_id("1007") && is_agent_id("a.b_c-D"));
        for bad in ["", "a b", "a@b", "ü", &"x".repeat(65)] {
            assert!(!is_agent_id(bad), "{bad:?}");
        }
        assert!(is_label("Sales EMEA") && is_label("ventes-été"));
        for bad in ["", " sales", "sales ", "a\nb", &"x".repeat(129)] {
            assert!(!is_label(bad), "{bad:?}");
        }
    }
}
