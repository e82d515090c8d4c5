//! Notices to a supervisor (`MediaControl::play_notice`), checked against the
//! registry on the signaling thread: the stream must be a supervisor's and in its
//! call's current monitoring picture (`set_monitoring` keeps that mark), else the
//! caller gets an error. Then the call's worker mixes it in (`monitor::notice`).

use sbc_core::ids::StreamId;
use sbc_core::media::{MediaError, MonitoredMedia, SupervisorNotice};

use super::{guard, send, stopped, MediaEngine, Registry};
use crate::command::Command;
use crate::slot::StreamRole;

impl MediaEngine {
    pub(super) fn notice(
        &self,
        stream: StreamId,
        notice: SupervisorNotice,
    ) -> Result<(), MediaError> {
        let reg = guard(&self.registry);
        let e = reg
            .streams
            .get(&stream)
            .ok_or(MediaError::UnknownStream(stream))?;
        if e.role != StreamRole::Monitor {
            return Err(MediaError::Monitor(format!(
                "{stream} is not a supervisor's stream"
            )));
        }
        if !e.supervising {
            return Err(MediaError::Monitor(format!(
                "{stream} is not monitoring its call"
            )));
        }
        let handle = self.workers.get(e.worker).ok_or_else(stopped)?;
        send(handle, Command::Notice { id: stream, notice })
    }
}

/// Marks which supervisor streams of `media.call` its new picture holds.
pub(super) fn mark_supervising(reg: &mut Registry, media: &MonitoredMedia) {
    let Registry { streams, calls } = reg;
    let Some(ids) = calls.get(&media.call) else {
        return;
    };
    for id in ids {
        if let Some(e) = streams
            .get_mut(id)
            .filter(|e| e.role == StreamRole::Monitor)
        {
            e.supervising = media.supervisors.iter().any(|s| s.stream == *id);
        }
    }
}
