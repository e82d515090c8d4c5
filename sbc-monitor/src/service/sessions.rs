//! The running monitor sessions: who monitors which call in which mode, and which
//! media stream is whose (RFC 4733 digits arrive by stream). Each session keeps a
//! snapshot of its call's tenant and agent so its `end` record is complete even after
//! the call itself is gone.

use std::collections::HashMap;

use sbc_core::ids::{CallRef, StreamId, TenantId};
use sbc_core::monitoring::{AgentIdentity, MonitorMode, MonitorSessionId, SupervisorId};

use super::facts::Facts;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Session {
    pub supervisor: SupervisorId,
    pub call: CallRef,
    pub tenant: TenantId,
    pub agent: AgentIdentity,
    pub mode: MonitorMode,
    pub stream: Option<StreamId>,
}

impl Session {
    /// The audit fields of an action of this session in `mode`.
    pub fn facts(&self, mode: MonitorMode) -> Facts {
        Facts {
            supervisor: self.supervisor.clone(),
            tenant: Some(self.tenant.clone()),
            queue: self.agent.queue.clone(),
            agent: Some(self.agent.agent.clone()),
            call: Some(self.call),
            mode: Some(mode),
        }
    }
}

#[derive(Debug, Default)]
pub(super) struct Sessions {
    by_id: HashMap<MonitorSessionId, Session>,
    by_stream: HashMap<StreamId, MonitorSessionId>,
    /// The last ID handed out; IDs start at 1 and are never reused.
    last: u64,
}

impl Sessions {
    /// Registers a new session under a fresh ID.
    pub fn open(&mut self, session: Session) -> MonitorSessionId {
        self.last = self.last.wrapping_add(1);
        let id = MonitorSessionId(self.last);
        self.by_id.insert(id, session);
        id
    }

    /// Forgets a session and its stream; `None` if it was unknown.
    pub fn close(&mut self, id: MonitorSessionId) -> Option<Session> {
        let session = self.by_id.remove(&id)?;
        if let Some(stream) = session.stream {
            self.unmap_stream(stream, id);
        }
        Some(session)
    }

    /// Binds the session's media stream (replacing an earlier one). Unknown sessions
    /// are ignored; a stream already bound to another session moves to this one.
    pub fn bind_stream(&mut self, id: MonitorSessionId, stream: StreamId) {
        let Some(session) = self.by_id.get_mut(&id) else {
            return;
        };
        let old = session.stream.replace(stream);
        if let Some(old) = old.filter(|s| *s != stream) {
            self.unmap_stream(old, id);
        }
        if let Some(prev) = self.by_stream.insert(stream, id) {
            if prev != id {
                if let Some(other) = self.by_id.get_mut(&prev) {
                    other.stream = None;
                }
            }
        }
    }

    fn unmap_stream(&mut self, stream: StreamId, id: MonitorSessionId) {
        if self.by_stream.get(&stream) == Some(&id) {
            self.by_stream.remove(&stream);
        }
    }

    pub fn get(&self, id: MonitorSessionId) -> Option<&Session> {
        self.by_id.get(&id)
    }

    pub fn get_mut(&mut self, id: MonitorSessionId) -> Option<&mut Session> {
        self.by_id.get_mut(&id)
    }

    pub fn of_stream(&self, stream: StreamId) -> Option<MonitorSessionId> {
        self.by_stream.get(&stream).copied()
    }

    pub fn len(&self) -> usize {
        self.by_id.len()
    }
}
