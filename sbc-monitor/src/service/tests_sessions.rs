//! Running sessions: digits allowed, denied and ignored; several supervisors on one
//! call; call and session ends; streams; audit failure fallbacks; and a random event
//! sequence that must never panic.

use std::sync::Arc;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sbc_core::ids::{CallRef, StreamId};
use sbc_core::monitoring::{
    tenant_id, AgentId, JoinTicket, MonitorMode, MonitorSessionId, QueueName, SessionEnd,
};

use super::tests::{admit, agent, digest, request, service, ACME_SALES, T0};
use super::*;
use crate::audit::AuditKind;

const T1: UnixMillis = UnixMillis(T0.0 + 1_000);

#[test]
fn allowed_digits_switch_and_are_audited() {
    let mut svc = service();
    let s = admit(&mut svc, "bob", MonitorMode::Listen, "1007").session;
    let out = svc.digit(T1, s, '2');
    assert_eq!(
        out.effect,
        Some(Effect::SetMode {
            session: s,
            call: ACME_SALES,
            mode: MonitorMode::Whisper,
            previous: MonitorMode::Listen,
        })
    );
    let [r] = out.audit.as_slice() else {
        panic!("{:?}", out.audit)
    };
    assert_eq!(
        (r.kind, r.reason.as_str(), r.time),
        (AuditKind::ModeChange, "ok", T1)
    );
    assert_eq!(r.supervisor.as_str(), "bob");
    assert_eq!(r.tenant, Some(tenant_id("acme")));
    assert_eq!(r.queue, Some(QueueName::new("sales")));
    assert_eq!(r.agent, Some(AgentId::new("1007")));
    assert_eq!(
        (r.call, r.mode),
        (Some(ACME_SALES), Some(MonitorMode::Whisper))
    );
    assert_eq!(svc.session_mode(s), Some(MonitorMode::Whisper));

    let out = svc.digit(T1, s, '4');
    assert_eq!(out.audit[0].kind, AuditKind::Takeover);
    assert!(matches!(
        out.effect,
        Some(Effect::SetMode {
            mode: MonitorMode::Takeover,
            ..
        })
    ));
    let out = svc.digit(T1, s, '3');
    assert_eq!(out.audit[0].kind, AuditKind::ModeChange);
    assert_eq!(svc.session_mode(s), Some(MonitorMode::Barge));
}

#[test]
fn ignored_digits_change_nothing() {
    let mut svc = service();
    let s = admit(&mut svc, "bob", MonitorMode::Listen, "1007").session;
    for d in ['1', '0', '5', '9', '*', '#', 'A', 'x', '\u{0}'] {
        assert!(svc.digit(T1, s, d).is_empty(), "{d:?}");
    }
    assert!(svc.digit(T1, MonitorSessionId(999), '2').is_empty());
    assert_eq!(svc.session_mode(s), Some(MonitorMode::Listen));
}

#[test]
fn denied_digits_keep_the_mode_and_refuse_with_a_tone() {
    let mut svc = service();
    let s = admit(&mut svc, "alice", MonitorMode::Listen, "1007").session;
    for (d, mode) in [('3', MonitorMode::Barge), ('4', MonitorMode::Takeover)] {
        let out = svc.digit(T1, s, d);
        assert_eq!(out.effect, Some(Effect::RefuseMode { session: s, mode }));
        let [r] = out.audit.as_slice() else {
            panic!("{:?}", out.audit)
        };
        assert_eq!(
            (r.kind, r.reason.as_str()),
            (AuditKind::Denied, "mode_not_in_role")
        );
        assert_eq!((r.mode, r.call), (Some(mode), Some(ACME_SALES)));
        assert_eq!(svc.session_mode(s), Some(MonitorMode::Listen));
    }
    assert_eq!(svc.digit(T1, s, '2').audit[0].kind, AuditKind::ModeChange);
}

#[test]
fn reload_judges_the_next_switch_by_the_current_policy() {
    let mut svc = service();
    let s = admit(&mut svc, "bob", MonitorMode::Listen, "1007").session;
    svc.set_policy(Arc::new(Policy::default()));
    let out = svc.digit(T1, s, '2');
    assert_eq!(out.audit[0].reason, "unknown_supervisor");
    assert!(matches!(out.effect, Some(Effect::RefuseMode { .. })));
    // The registry survives the reload: joins find the call but nobody is known.
    let out = svc.join(
        T1,
        &request(digest("bob"), agent(MonitorMode::Listen, "1007")),
    );
    assert_eq!(out.audit[1].reason, "unknown_supervisor");
}

#[test]
fn two_supervisors_on_one_call_are_independent() {
    let mut svc = service();
    let bob = admit(&mut svc, "bob", MonitorMode::Barge, "1007").session;
    let alice = admit(&mut svc, "alice", MonitorMode::Listen, "1007").session;
    assert_ne!(bob, alice);
    assert_eq!(svc.active_sessions(), 2);
    assert!(matches!(
        svc.digit(T1, alice, '2').effect,
        Some(Effect::SetMode { .. })
    ));
    assert_eq!(svc.session_mode(bob), Some(MonitorMode::Barge));
    let out = svc.session_ended(T1, bob, SessionEnd::SupervisorHangup);
    assert_eq!(out.audit[0].supervisor.as_str(), "bob");
    assert_eq!(svc.active_sessions(), 1);
    assert_eq!(svc.session_mode(alice), Some(MonitorMode::Whisper));
    assert!(matches!(
        svc.digit(T1, alice, '1').effect,
        Some(Effect::SetMode { .. })
    ));
}

#[test]
fn call_end_and_session_end() {
    let mut svc = service();
    let s = admit(&mut svc, "bob", MonitorMode::Whisper, "1007").session;
    svc.session_started(s, StreamId(40));
    assert_eq!(svc.session_of_stream(StreamId(40)), Some(s));
    svc.call_ended(ACME_SALES);
    svc.call_ended(ACME_SALES);
    // The call is gone: digits are ignored until signaling reports the session's end.
    assert!(svc.digit(T1, s, '1').is_empty());
    let out = svc.session_ended(T1, s, SessionEnd::CallEnded);
    assert_eq!(out.effect, None);
    let [r] = out.audit.as_slice() else {
        panic!("{:?}", out.audit)
    };
    assert_eq!(
        (r.kind, r.reason.as_str(), r.time),
        (AuditKind::End, "call_ended", T1)
    );
    assert_eq!(
        (r.call, r.mode),
        (Some(ACME_SALES), Some(MonitorMode::Whisper))
    );
    assert_eq!(r.agent, Some(AgentId::new("1007")));
    assert_eq!(svc.session_of_stream(StreamId(40)), None);
    assert_eq!(svc.active_sessions(), 0);
    assert!(svc.session_ended(T1, s, SessionEnd::CallEnded).is_empty());
}

#[test]
fn streams_map_to_sessions() {
    let mut svc = service();
    let a = admit(&mut svc, "bob", MonitorMode::Listen, "1007").session;
    let b = admit(&mut svc, "alice", MonitorMode::Listen, "1007").session;
    svc.session_started(MonitorSessionId(999), StreamId(1));
    assert_eq!(svc.session_of_stream(StreamId(1)), None);
    svc.session_started(a, StreamId(1));
    svc.session_started(a, StreamId(2));
    assert_eq!(svc.session_of_stream(StreamId(1)), None);
    assert_eq!(svc.session_of_stream(StreamId(2)), Some(a));
    // A stream reused for another session moves to it.
    svc.session_started(b, StreamId(2));
    assert_eq!(svc.session_of_stream(StreamId(2)), Some(b));
    let _ = svc.session_ended(T1, a, SessionEnd::SupervisorHangup);
    assert_eq!(svc.session_of_stream(StreamId(2)), Some(b));
}

#[test]
fn audit_failure_fallbacks() {
    let ticket = JoinTicket(5);
    let s = MonitorSessionId(3);
    let refuse_500 = Some(Effect::Refuse {
        ticket,
        status: AUDIT_UNAVAILABLE,
    });
    let refused = Effect::Refuse {
        ticket,
        status: crate::authz::SipStatus {
            code: 404,
            reason: "Not Found",
        },
    };
    assert_eq!(refused.on_audit_failure(), refuse_500);
    let tone = Some(Effect::RefuseMode {
        session: s,
        mode: MonitorMode::Barge,
    });
    let set = Effect::SetMode {
        session: s,
        call: ACME_SALES,
        mode: MonitorMode::Barge,
        previous: MonitorMode::Listen,
    };
    assert_eq!(set.on_audit_failure(), tone);
    assert_eq!(tone.clone().and_then(|t| t.on_audit_failure()), tone);
    assert_eq!(AUDIT_UNAVAILABLE.code, 500);

    // The service undoes what it recorded for the failed effect.
    let mut svc = service();
    let out = svc.join(
        T0,
        &request(digest("bob"), agent(MonitorMode::Listen, "1007")),
    );
    let admitted = out.effect.expect("admitted");
    assert!(matches!(
        svc.audit_failed(&admitted),
        Some(Effect::Refuse {
            status: AUDIT_UNAVAILABLE,
            ..
        })
    ));
    assert_eq!(svc.active_sessions(), 0);
    let s = admit(&mut svc, "bob", MonitorMode::Listen, "1007").session;
    let switched = svc.digit(T1, s, '3').effect.expect("switch");
    assert_eq!(
        svc.audit_failed(&switched),
        Some(Effect::RefuseMode {
            session: s,
            mode: MonitorMode::Barge
        })
    );
    assert_eq!(svc.session_mode(s), Some(MonitorMode::Listen));
    // The switch can be retried and is audited again.
    assert_eq!(svc.digit(T1, s, '3').audit.len(), 1);
}

#[test]
fn random_event_sequences_never_panic() {
    let mut rng = StdRng::seed_from_u64(0x5bc);
    let mut svc = service();
    let users = ["bob", "alice", "carol", "dave", "mallory"];
    let agents = ["1007", "2001", "2002", "9"];
    let mut admitted = 0;
    for _ in 0..20_000 {
        let session = MonitorSessionId(rng.gen_range(0..3_000));
        let call = CallRef(rng.gen_range(0..6));
        match rng.gen_range(0..7) {
            0 => {
                let user = users[rng.gen_range(0..users.len())];
                let who = agents[rng.gen_range(0..agents.len())];
                let mode = MonitorMode::ALL[rng.gen_range(0..4)];
                let out = svc.join(T0, &request(digest(user), agent(mode, who)));
                admitted += usize::from(matches!(out.effect, Some(Effect::Admit(_))));
            }
            1 => {
                let digit = char::from(b"0123456789*#"[rng.gen_range(0..12)]);
                let _ = svc.digit(T1, session, digit);
            }
            2 => {
                let _ = svc.session_ended(T1, session, SessionEnd::SupervisorHangup);
            }
            3 => svc.session_started(session, StreamId(rng.gen_range(0..8))),
            4 => svc.call_ended(call),
            5 => {
                let b = super::tests::party(Some("acme-cc"), &[("X-Agent-Id", "1007")], "");
                super::tests::inbound(&mut svc, call, "acme-cc", b);
            }
            _ => {
                let out = svc.digit(T1, session, '2');
                if let Some(effect) = out.effect {
                    let _ = svc.audit_failed(&effect);
                }
            }
        }
    }
    assert!(svc.known_calls() <= 6);
    assert!(
        admitted > 100 && svc.active_sessions() <= admitted,
        "{admitted}"
    );
}
