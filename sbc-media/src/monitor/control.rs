//! The engine's synchronous checks of a monitoring picture, made on the signaling
//! thread before anything is queued, so that signaling gets a `MediaError` (and the
//! supervisor a 503) instead of a picture the worker would have to half-refuse.
//!
//! A picture is accepted when its streams are the call's own (customer and agent
//! legs, supervisors allocated with `allocate_monitor`), all distinct, at most
//! `MAX_SUPERVISORS` supervisors, and every one of them with a format the mixer can
//! decode and encode. An empty supervisor list (stop) only needs the two legs.

use sbc_core::ids::{CallRef, StreamId};
use sbc_core::media::{AudioFormat, MediaError, MonitoredMedia};

use super::MAX_SUPERVISORS;
use crate::slot::StreamRole;

/// What the engine's registry knows about one stream.
#[derive(Debug, Clone, Copy)]
pub(crate) struct StreamView<'a> {
    pub call: CallRef,
    pub role: StreamRole,
    pub audio: &'a [AudioFormat],
}

/// Checks `media` against the registry (`lookup`).
pub(crate) fn check<'a>(
    media: &MonitoredMedia,
    lookup: impl Fn(StreamId) -> Option<StreamView<'a>>,
) -> Result<(), MediaError> {
    let refuse = |why: String| Err(MediaError::Monitor(why));
    if media.customer == media.agent {
        return refuse(format!("{} is both customer and agent", media.customer));
    }
    if media.supervisors.len() > MAX_SUPERVISORS {
        return refuse(format!(
            "{} supervisors on {} (at most {MAX_SUPERVISORS})",
            media.supervisors.len(),
            media.call
        ));
    }
    let mixing = !media.supervisors.is_empty();
    for leg in [media.customer, media.agent] {
        let v = stream(media.call, leg, &lookup)?;
        if v.role == StreamRole::Monitor {
            return refuse(format!("{leg} is a supervisor's stream, not a leg"));
        }
        if mixing && v.audio.is_empty() {
            return refuse(no_format(leg));
        }
    }
    for (n, s) in media.supervisors.iter().enumerate() {
        let v = stream(media.call, s.stream, &lookup)?;
        if v.role != StreamRole::Monitor {
            return refuse(format!("{} is not a supervisor's stream", s.stream));
        }
        if media
            .supervisors
            .iter()
            .take(n)
            .any(|o| o.stream == s.stream)
        {
            return refuse(format!("{} is listed twice", s.stream));
        }
        if v.audio.is_empty() {
            return refuse(no_format(s.stream));
        }
    }
    Ok(())
}

fn stream<'a>(
    call: CallRef,
    id: StreamId,
    lookup: &impl Fn(StreamId) -> Option<StreamView<'a>>,
) -> Result<StreamView<'a>, MediaError> {
    let v = lookup(id).ok_or(MediaError::UnknownStream(id))?;
    if v.call != call {
        return Err(MediaError::Monitor(format!(
            "{id} belongs to {}, not {call}",
            v.call
        )));
    }
    Ok(v)
}

fn no_format(id: StreamId) -> String {
    format!("{id} has no audio format the mixer can decode and encode")
}

#[cfg(test)]
mod tests {
    use super::*;
    use sbc_core::ids::LegSide;
    use sbc_core::media::{AgentAfterTakeover, AudioEncoding, MonitorLeg};
    use sbc_core::monitoring::MonitorMode;

    const PCMU: [AudioFormat; 1] = [AudioFormat {
        payload_type: 0,
        encoding: AudioEncoding::Pcmu,
        ptime_ms: None,
    }];

    fn view(id: StreamId) -> Option<StreamView<'static>> {
        let (call, role, audio): (u64, StreamRole, &[AudioFormat]) = match id.0 {
            1 => (1, StreamRole::Leg(LegSide::A), &PCMU),
            2 => (1, StreamRole::Leg(LegSide::B), &PCMU),
            3 | 4 => (1, StreamRole::Monitor, &PCMU),
            5 => (1, StreamRole::Monitor, &[]),
            6 => (2, StreamRole::Monitor, &PCMU),
            _ => return None,
        };
        Some(StreamView {
            call: CallRef(call),
            role,
            audio,
        })
    }

    fn media(customer: u64, agent: u64, sups: &[u64]) -> MonitoredMedia {
        MonitoredMedia {
            call: CallRef(1),
            customer: StreamId(customer),
            agent: StreamId(agent),
            supervisors: sups
                .iter()
                .map(|&s| MonitorLeg {
                    stream: StreamId(s),
                    mode: MonitorMode::Listen,
                })
                .collect(),
            after_takeover: AgentAfterTakeover::Released,
            agent_beep: false,
        }
    }

    #[test]
    fn accepts_the_calls_own_streams() {
        assert_eq!(check(&media(1, 2, &[3, 4]), view), Ok(()));
        assert_eq!(check(&media(1, 2, &[]), view), Ok(()));
    }

    #[test]
    fn refuses_what_cannot_be_mixed() {
        let refused = |m: MonitoredMedia| matches!(check(&m, view), Err(MediaError::Monitor(_)));
        assert!(refused(media(1, 1, &[3])), "customer is agent");
        assert!(refused(media(1, 3, &[4])), "a supervisor as agent");
        assert!(refused(media(1, 2, &[2])), "a leg as supervisor");
        assert!(refused(media(1, 2, &[3, 3])), "twice");
        assert!(refused(media(1, 2, &[5])), "no format");
        assert!(refused(media(1, 2, &[6])), "another call's stream");
        assert!(refused(media(1, 2, &[3; MAX_SUPERVISORS + 1])), "too many");
        assert_eq!(
            check(&media(1, 2, &[9]), view),
            Err(MediaError::UnknownStream(StreamId(9)))
        );
    }
}
