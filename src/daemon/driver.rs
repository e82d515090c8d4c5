//! The task that drives the sans-IO call engine: feeds it inbound messages and timer
//! expiries with the real clock, and moves what it emits to the transports and to the
//! event consumers. The only place the engine meets IO.

use std::time::{Duration, Instant};

use sbc_core::monitoring::{Admission, JoinTicket, MonitorMode, MonitorSessionId};
use sbc_signaling::b2bua::{B2bua, CallEvent, EngineSettings};
use sbc_signaling::transport::{Inbound, Transports};
use tokio::sync::mpsc;

use super::monitor::MonitorInput;

/// Inbound messages handled per wake-up before timers and output get their turn.
const BATCH: usize = 64;

/// Timer wake-ups are rounded up to this grid. SIP timers are hundreds of ms and up; a
/// wake-up per distinct deadline (thousands per second under load) would cost more CPU
/// than the work done in them.
const TIMER_GRID: Duration = Duration::from_millis(10);

/// What the monitoring plane tells the engine, once its audit record is durable.
#[derive(Debug, Clone)]
pub enum MonitorCommand {
    Refuse {
        ticket: JoinTicket,
        status: u16,
        reason: String,
    },
    Admit(Admission),
    SetMode {
        session: MonitorSessionId,
        mode: MonitorMode,
    },
    /// A switch the role lacks was refused: the supervisor hears the error tone.
    RefuseMode {
        session: MonitorSessionId,
    },
}

pub struct Driver {
    engine: B2bua,
    inbound: mpsc::Receiver<Inbound>,
    transports: Transports,
    events: mpsc::UnboundedSender<CallEvent>,
    reload: mpsc::Receiver<EngineSettings>,
    /// Monitoring: call facts and supervisor events out, decisions in.
    monitor_events: Option<std::sync::mpsc::Sender<MonitorInput>>,
    monitor_commands: mpsc::UnboundedReceiver<MonitorCommand>,
    epoch: Instant,
}

impl Driver {
    pub fn new(
        engine: B2bua,
        inbound: mpsc::Receiver<Inbound>,
        transports: Transports,
        events: mpsc::UnboundedSender<CallEvent>,
        reload: mpsc::Receiver<EngineSettings>,
        monitor: Option<(
            std::sync::mpsc::Sender<MonitorInput>,
            mpsc::UnboundedReceiver<MonitorCommand>,
        )>,
    ) -> Self {
        let (monitor_events, monitor_commands) = match monitor {
            Some((tx, rx)) => (Some(tx), rx),
            // No monitoring plane: a receiver that never yields.
            None => (None, mpsc::unbounded_channel().1),
        };
        Driver {
            engine,
            inbound,
            transports,
            events,
            reload,
            monitor_events,
            monitor_commands,
            epoch: Instant::now(),
        }
    }

    /// `deadline` rounded up to the timer grid.
    fn on_grid(&self, deadline: Instant) -> Instant {
        let since = deadline.saturating_duration_since(self.epoch);
        let grid = TIMER_GRID.as_micros();
        let ticks = since.as_micros().div_ceil(grid);
        self.epoch + Duration::from_micros(u64::try_from(ticks * grid).unwrap_or(u64::MAX / 2))
    }

    pub async fn run(mut self) {
        loop {
            let deadline = self.engine.poll_timeout().map(|d| self.on_grid(d));
            let sleep = async {
                match deadline {
                    Some(d) => tokio::time::sleep_until(tokio::time::Instant::from_std(d)).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                msg = self.inbound.recv() => {
                    let Some(msg) = msg else { return };
                    self.handle(msg);
                    for _ in 1..BATCH {
                        match self.inbound.try_recv() {
                            Ok(m) => self.handle(m),
                            Err(_) => break,
                        }
                    }
                }
                _ = sleep => {}
                Some(settings) = self.reload.recv() => self.engine.set_settings(settings),
                Some(cmd) = self.monitor_commands.recv() => self.apply(cmd),
            }
            let now = Instant::now();
            if self.engine.poll_timeout().is_some_and(|d| d <= now) {
                self.engine.handle_timeout(now);
            }
            self.flush();
        }
    }

    fn handle(&mut self, msg: Inbound) {
        let now = Instant::now();
        match msg {
            Inbound::Message { bytes, from, .. } => self.engine.handle_inbound(now, bytes, from),
            Inbound::Oversize { head, from, .. } => self.engine.handle_oversize(head, from),
            Inbound::Dropped { .. } => {}
        }
    }

    fn apply(&mut self, cmd: MonitorCommand) {
        let now = Instant::now();
        match cmd {
            MonitorCommand::Refuse {
                ticket,
                status,
                reason,
            } => self.engine.monitor_refuse(now, ticket, status, &reason),
            MonitorCommand::Admit(adm) => self.engine.monitor_admit(now, adm),
            MonitorCommand::RefuseMode { session } => {
                if !self.engine.monitor_refuse_mode(session) {
                    tracing::warn!(%session, "mode refusal tone not played");
                }
            }
            MonitorCommand::SetMode { session, mode } => {
                if !self.engine.monitor_set_mode(now, session, mode) {
                    tracing::warn!(%session, mode = mode.as_str(), "mode switch not applied");
                }
            }
        }
    }

    fn flush(&mut self) {
        while let Some(t) = self.engine.poll_transmit() {
            if let Err(e) = self.transports.send_nowait(t) {
                tracing::debug!(error = %e, "send failed");
            }
        }
        while let Some(ev) = self.engine.poll_event() {
            if let Some(m) = &self.monitor_events {
                if concerns_monitoring(&ev) {
                    let _ = m.send(MonitorInput::Call(ev.clone()));
                }
            }
            let _ = self.events.send(ev);
        }
    }
}

/// Events the monitoring plane consumes: call facts and everything about supervisors.
fn concerns_monitoring(ev: &CallEvent) -> bool {
    !matches!(ev, CallEvent::Started { .. })
}
