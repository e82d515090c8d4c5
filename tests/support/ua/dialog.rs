//! The UAC's view of one dialog (RFC 3261 §12.1.2): identifiers, the remote
//! target and route set learned from the 2xx, and the local CSeq counter.
//! Shared by the INVITE transaction (`caller`) and the in-dialog requests
//! (`in_dialog`).

use std::net::SocketAddr;

use sbc_signaling::sip::{HeaderName, SipMessage};

use super::message::RequestHead;
use super::{keys, UaError};

#[derive(Debug, Clone)]
pub(super) struct Dialog {
    pub(super) sbc: SocketAddr,
    pub(super) call_id: String,
    pub(super) from: String,
    pub(super) to: String,
    pub(super) remote_target: String,
    pub(super) routes: Vec<String>,
    /// The last CSeq number we used.
    pub(super) cseq: u32,
    /// The CSeq of the INVITE that set the dialog up (its ACK reuses it).
    pub(super) invite_cseq: u32,
}

impl Dialog {
    /// The state before any response: our From tag, the SBC as target.
    pub(super) fn new(local: SocketAddr, sbc: SocketAddr, from_user: &str, user: &str) -> Dialog {
        Dialog {
            sbc,
            call_id: format!("{}@test-ua", keys::token()),
            from: format!("<sip:{from_user}@{local}>;tag={}", keys::token()),
            to: format!("<sip:{user}@{sbc}>"),
            remote_target: format!("sip:{user}@{sbc}"),
            routes: Vec::new(),
            cseq: 1,
            invite_cseq: 1,
        }
    }

    pub(super) fn head<'a>(&'a self, local: SocketAddr, branch: &'a str) -> RequestHead<'a> {
        RequestHead {
            local,
            branch,
            from: &self.from,
            to: &self.to,
            call_id: &self.call_id,
            cseq: self.cseq,
            routes: &self.routes,
        }
    }

    /// The dialog the 2xx creates: remote tag, target (Contact) and the
    /// route set (Record-Route in reverse, §12.1.2).
    pub(super) fn established(mut self, ok: &SipMessage) -> Result<Dialog, UaError> {
        let bad = |why: &str| UaError::Protocol(format!("2xx to INVITE {why}"));
        self.to = ok
            .header(HeaderName::To)
            .ok_or_else(|| bad("without To"))?
            .to_owned();
        if ok.to_hdr().ok().and_then(|t| t.tag()).is_none() {
            return Err(bad("without a To tag"));
        }
        let contact = ok.contact().ok_or_else(|| bad("without Contact"))?;
        self.remote_target = contact
            .map_err(|e| bad(&format!("with a bad Contact: {e}")))?
            .uri
            .to_owned();
        let mut routes: Vec<String> = ok
            .header_values(HeaderName::RecordRoute)
            .flat_map(|v| v.split(',').map(|r| r.trim().to_owned()))
            .collect();
        routes.reverse();
        self.routes = routes;
        self.invite_cseq = self.cseq;
        Ok(self)
    }
}
