//! Transaction matching keys (RFC 3261 §17.1.3 and §17.2.3) and the hash index that
//! finds a transaction from a message without allocating.
//!
//! Each key has a borrowed form built from an incoming message (no allocation) and an
//! owned form kept in the transaction. The index maps a keyed hash to the few
//! transactions with that hash; the caller confirms with `same()`, so hash collisions
//! (or a peer crafting them) cost a comparison, never a mismatch.

use std::collections::hash_map::RandomState;
use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, Hasher};

use smallvec::SmallVec;

use crate::sip::{Method, ParseError, SipMessage, Via};

/// RFC 3261 branch prefix: a branch starting with it is globally unique (§8.1.1.7).
pub(crate) const MAGIC_COOKIE: &str = "z9hG4bK";

/// True if `branch` carries the RFC 3261 magic cookie (compared case-insensitively,
/// as some RFC 2543-era devices upper-case parameters).
pub(crate) fn is_rfc3261_branch(branch: &str) -> bool {
    branch
        .get(..MAGIC_COOKIE.len())
        .is_some_and(|p| p.eq_ignore_ascii_case(MAGIC_COOKIE))
}

/// Server transactions are keyed under INVITE for ACKs (the ACK to a non-2xx belongs to
/// the INVITE transaction); CANCEL keeps its own method (§17.2.3).
pub(crate) fn server_method(method: Method) -> Method {
    match method {
        Method::Ack => Method::Invite,
        m => m,
    }
}

/// Borrowed server-side key of a request.
#[derive(Debug, Clone, Copy)]
pub(crate) enum ServerKeyRef<'a> {
    /// §17.2.3: branch + sent-by + method.
    Branch {
        branch: &'a str,
        host: &'a str,
        port: Option<u16>,
        method: Method,
    },
    /// RFC 2543 fallback. The To tag is compared separately (an ACK carries the tag
    /// of our response, the INVITE does not), so it is not part of the key.
    Legacy {
        request_uri: &'a str,
        call_id: &'a str,
        from_tag: &'a str,
        cseq: u32,
        method: Method,
        via: &'a str,
    },
}

impl<'a> ServerKeyRef<'a> {
    /// The key of `msg` (a request) whose top Via is `via`, with `method` already mapped
    /// (ACK -> INVITE, or CANCEL -> INVITE when looking for the cancelled transaction).
    pub(crate) fn of_request(
        msg: &'a SipMessage,
        via: &Via<'a>,
        method: Method,
    ) -> Result<Self, ParseError> {
        if let Some(branch) = via.branch().filter(|b| is_rfc3261_branch(b)) {
            return Ok(ServerKeyRef::Branch {
                branch,
                host: via.host,
                port: via.port,
                method,
            });
        }
        Ok(ServerKeyRef::Legacy {
            request_uri: msg.request_uri().unwrap_or(""),
            call_id: msg.call_id()?,
            from_tag: msg.from_hdr()?.tag().unwrap_or(""),
            cseq: msg.cseq()?.seq,
            method,
            via: via.raw,
        })
    }

    pub(crate) fn hash_with(&self, s: &RandomState) -> u64 {
        let mut h = s.build_hasher();
        match self {
            ServerKeyRef::Branch {
                branch,
                host,
                port,
                method,
            } => {
                h.write_u8(1);
                branch.hash(&mut h);
                for b in host.bytes() {
                    h.write_u8(b.to_ascii_lowercase());
                }
                port.hash(&mut h);
                method.hash(&mut h);
            }
            ServerKeyRef::Legacy {
                request_uri,
                call_id,
                from_tag,
                cseq,
                method,
                via,
            } => {
                h.write_u8(2);
                request_uri.hash(&mut h);
                call_id.hash(&mut h);
                from_tag.hash(&mut h);
                cseq.hash(&mut h);
                method.hash(&mut h);
                via.hash(&mut h);
            }
        }
        h.finish()
    }

    pub(crate) fn to_owned_key(self) -> ServerKey {
        match self {
            ServerKeyRef::Branch {
                branch,
                host,
                port,
                method,
            } => ServerKey::Branch {
                branch: branch.into(),
                host: host.to_ascii_lowercase().into(),
                port,
                method,
            },
            ServerKeyRef::Legacy {
                request_uri,
                call_id,
                from_tag,
                cseq,
                method,
                via,
            } => ServerKey::Legacy {
                request_uri: request_uri.into(),
                call_id: call_id.into(),
                from_tag: from_tag.into(),
                cseq,
                method,
                via: via.into(),
            },
        }
    }
}

/// Owned server-side key, stored in the transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ServerKey {
    Branch {
        branch: Box<str>,
        host: Box<str>,
        port: Option<u16>,
        method: Method,
    },
    Legacy {
        request_uri: Box<str>,
        call_id: Box<str>,
        from_tag: Box<str>,
        cseq: u32,
        method: Method,
        via: Box<str>,
    },
}

impl ServerKey {
    pub(crate) fn is_legacy(&self) -> bool {
        matches!(self, ServerKey::Legacy { .. })
    }

    /// Does `other` (from an incoming message) name this transaction?
    pub(crate) fn same(&self, other: &ServerKeyRef<'_>) -> bool {
        match (self, other) {
            (
                ServerKey::Branch {
                    branch,
                    host,
                    port,
                    method,
                },
                ServerKeyRef::Branch {
                    branch: b2,
                    host: h2,
                    port: p2,
                    method: m2,
                },
            ) => **branch == **b2 && host.eq_ignore_ascii_case(h2) && port == p2 && method == m2,
            (
                ServerKey::Legacy {
                    request_uri,
                    call_id,
                    from_tag,
                    cseq,
                    method,
                    via,
                },
                ServerKeyRef::Legacy {
                    request_uri: u2,
                    call_id: c2,
                    from_tag: f2,
                    cseq: s2,
                    method: m2,
                    via: v2,
                },
            ) => {
                **request_uri == **u2
                    && **call_id == **c2
                    && **from_tag == **f2
                    && cseq == s2
                    && method == m2
                    && **via == **v2
            }
            _ => false,
        }
    }
}

/// Client-side key (§17.1.3): top Via branch + CSeq method.
pub(crate) fn client_hash(s: &RandomState, branch: &str, method: Method) -> u64 {
    let mut h = s.build_hasher();
    branch.hash(&mut h);
    method.hash(&mut h);
    h.finish()
}

/// Owned client key, stored in the transaction with its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ClientKey {
    pub branch: Box<str>,
    pub method: Method,
    pub hash: u64,
}

impl ClientKey {
    pub(crate) fn new(s: &RandomState, branch: &str, method: Method) -> Self {
        ClientKey {
            branch: branch.into(),
            method,
            hash: client_hash(s, branch, method),
        }
    }

    pub(crate) fn same(&self, branch: &str, method: Method) -> bool {
        *self.branch == *branch && self.method == method
    }
}

/// Key of an INVITE server transaction's dialog side, for matching the ACK to its 2xx
/// (which has a new branch): Call-ID + CSeq number + From tag.
pub(crate) fn ack2xx_hash(s: &RandomState, call_id: &str, cseq: u32, from_tag: &str) -> u64 {
    let mut h = s.build_hasher();
    call_id.hash(&mut h);
    cseq.hash(&mut h);
    from_tag.hash(&mut h);
    h.finish()
}

/// Hash -> ids. Almost every bucket holds one id; collisions just add a comparison.
#[derive(Debug)]
pub(crate) struct KeyIndex<Id> {
    map: HashMap<u64, SmallVec<[Id; 1]>>,
}

impl<Id> Default for KeyIndex<Id> {
    fn default() -> Self {
        KeyIndex {
            map: HashMap::new(),
        }
    }
}

impl<Id: Copy + PartialEq> KeyIndex<Id> {
    pub(crate) fn insert(&mut self, hash: u64, id: Id) {
        self.map.entry(hash).or_default().push(id);
    }

    pub(crate) fn remove(&mut self, hash: u64, id: Id) {
        if let Some(ids) = self.map.get_mut(&hash) {
            ids.retain(|x| *x != id);
            if ids.is_empty() {
                self.map.remove(&hash);
            }
        }
    }

    pub(crate) fn candidates(&self, hash: u64) -> &[Id] {
        self.map.get(&hash).map(|v| v.as_slice()).unwrap_or(&[])
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.map.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookie_detection() {
        assert!(is_rfc3261_branch("z9hG4bKabc"));
        assert!(is_rfc3261_branch("Z9HG4BKabc"));
        assert!(!is_rfc3261_branch("z9hG4b"));
        assert!(!is_rfc3261_branch("abc"));
        assert!(!is_rfc3261_branch(""));
    }

    #[test]
    fn branch_key_host_is_case_insensitive() {
        let s = RandomState::new();
        let a = ServerKeyRef::Branch {
            branch: "z9hG4bK1",
            host: "Proxy.Example.COM",
            port: Some(5060),
            method: Method::Invite,
        };
        let b = ServerKeyRef::Branch {
            branch: "z9hG4bK1",
            host: "proxy.example.com",
            port: Some(5060),
            method: Method::Invite,
        };
        assert_eq!(a.hash_with(&s), b.hash_with(&s));
        assert!(a.to_owned_key().same(&b));
        let c = ServerKeyRef::Branch {
            branch: "z9hG4bK1",
            host: "proxy.example.com",
            port: Some(5060),
            method: Method::Cancel,
        };
        assert!(!a.to_owned_key().same(&c));
    }

    #[test]
    fn index_insert_remove() {
        let mut idx = KeyIndex::<u32>::default();
        idx.insert(7, 1);
        idx.insert(7, 2);
        assert_eq!(idx.candidates(7), &[1, 2]);
        idx.remove(7, 1);
        assert_eq!(idx.candidates(7), &[2]);
        idx.remove(7, 2);
        assert_eq!(idx.len(), 0);
        assert!(idx.candidates(9).is_empty());
    }
}
