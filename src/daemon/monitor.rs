//! The monitoring plane's edge: one thread that owns the session service and the audit
//! log. It takes call facts and supervisor events from the engine driver and digits
//! from the media plane, lets `MonitorService` decide, appends the decision's audit
//! records durably (SQLite, fsync) and only then sends the effect back to the driver.
//! A plain thread because every append blocks for an fsync; the signaling thread
//! never waits for one.

use std::path::Path;
use std::sync::mpsc::{Receiver, Sender};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Context;
use sbc_core::config::Config;
use sbc_core::ids::StreamId;
use sbc_monitor::audit::{AuditLog, UnixMillis};
use sbc_monitor::policy::Policy;
use sbc_monitor::service::{Effect, MonitorService, Outcome};
use sbc_signaling::b2bua::CallEvent;
use tokio::sync::mpsc::UnboundedSender;

use super::driver::MonitorCommand;

/// What the monitoring thread is fed.
#[derive(Debug)]
pub enum MonitorInput {
    /// From the engine: answered and ended calls, joins, supervisor legs.
    Call(CallEvent),
    /// An RFC 4733 digit on a supervisor's media stream.
    Digit { stream: StreamId, digit: char },
    /// A reloaded configuration (SIGHUP).
    Reload(Arc<Config>),
}

/// How often old audit records are pruned (and once at start).
const PRUNE_EVERY: Duration = Duration::from_secs(3600);

/// Opens the audit log and starts the thread. `Ok(None)`: monitoring is not configured.
pub fn spawn(
    config: &Config,
    commands: UnboundedSender<MonitorCommand>,
) -> anyhow::Result<Option<(Sender<MonitorInput>, std::thread::JoinHandle<()>)>> {
    if config.supervisors.is_empty() {
        return Ok(None);
    }
    let path = config
        .audit
        .path
        .as_deref()
        .context("monitoring needs [audit] path")?;
    let retention = Duration::from_secs(u64::from(config.audit.retention_days) * 86_400);
    let log = open_log(path, retention)?;
    let service = MonitorService::new(Arc::new(Policy::from_config(config)));
    let (tx, rx) = std::sync::mpsc::channel();
    let handle = std::thread::Builder::new()
        .name("sbc-monitor".into())
        .spawn(move || run(service, log, rx, commands))
        .context("starting the monitoring thread")?;
    Ok(Some((tx, handle)))
}

fn open_log(path: &Path, retention: Duration) -> anyhow::Result<AuditLog> {
    AuditLog::open(path, retention)
        .with_context(|| format!("opening the audit log {}", path.display()))
}

fn now_ms() -> UnixMillis {
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0);
    UnixMillis(i64::try_from(ms).unwrap_or(i64::MAX))
}

fn run(
    mut service: MonitorService,
    mut log: AuditLog,
    inputs: Receiver<MonitorInput>,
    commands: UnboundedSender<MonitorCommand>,
) {
    let mut last_prune = None;
    loop {
        if last_prune.is_none_or(|t: std::time::Instant| t.elapsed() >= PRUNE_EVERY) {
            if let Err(e) = log.prune(now_ms()) {
                tracing::warn!(error = %e, "audit log pruning failed");
            }
            last_prune = Some(std::time::Instant::now());
        }
        let input = match inputs.recv_timeout(PRUNE_EVERY) {
            Ok(i) => i,
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => continue,
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => return,
        };
        let outcome = match input {
            MonitorInput::Call(ev) => on_call_event(&mut service, ev),
            MonitorInput::Digit { stream, digit } => match service.session_of_stream(stream) {
                Some(session) => service.digit(now_ms(), session, digit),
                None => Outcome::none(),
            },
            MonitorInput::Reload(config) => {
                service.set_policy(Arc::new(Policy::from_config(&config)));
                Outcome::none()
            }
        };
        carry_out(&mut service, &mut log, outcome, &commands);
    }
}

fn on_call_event(service: &mut MonitorService, ev: CallEvent) -> Outcome {
    let at = now_ms();
    match ev {
        CallEvent::Answered {
            call,
            ingress,
            target,
            a,
            b,
        } => {
            service.call_answered(call, ingress.as_ref(), &target, &a, &b);
            Outcome::none()
        }
        CallEvent::Ended(cdr) => {
            service.call_ended(cdr.call);
            Outcome::none()
        }
        CallEvent::MonitorJoin(req) => service.join(at, &req),
        CallEvent::MonitorStarted {
            session, stream, ..
        } => {
            service.session_started(session, stream);
            Outcome::none()
        }
        CallEvent::MonitorDigit { session, digit } => service.digit(at, session, digit),
        CallEvent::MonitorEnded { session, end } => service.session_ended(at, session, end),
        CallEvent::AgentReleased { call, .. } => {
            service.agent_released(call);
            Outcome::none()
        }
        CallEvent::Transferred {
            call, side, party, ..
        } => {
            service.call_transferred(call, side, &party);
            Outcome::none()
        }
        CallEvent::Started { .. } => Outcome::none(),
    }
}

/// Appends every record durably, then applies the effect; if an append fails the
/// effect is replaced by its safe fallback (no monitoring without an audit trail).
fn carry_out(
    service: &mut MonitorService,
    log: &mut AuditLog,
    outcome: Outcome,
    commands: &UnboundedSender<MonitorCommand>,
) {
    let mut durable = true;
    for record in &outcome.audit {
        if let Err(e) = log.append(record) {
            tracing::error!(error = %e, kind = record.kind.as_str(), "audit append failed");
            durable = false;
            break;
        }
    }
    let Some(effect) = outcome.effect else {
        return;
    };
    let effect = if durable {
        Some(effect)
    } else {
        service.audit_failed(&effect)
    };
    let Some(effect) = effect else { return };
    let command = match effect {
        Effect::Refuse { ticket, status } => MonitorCommand::Refuse {
            ticket,
            status: status.code,
            reason: status.reason.to_owned(),
        },
        Effect::Admit(adm) => MonitorCommand::Admit(adm),
        Effect::SetMode { session, mode, .. } => MonitorCommand::SetMode { session, mode },
        Effect::RefuseMode { session, mode } => {
            // Audited; the session stays in its mode and its supervisor hears the
            // error tone.
            tracing::info!(%session, mode = mode.as_str(), "mode switch refused");
            MonitorCommand::RefuseMode { session }
        }
    };
    let _ = commands.send(command);
}
