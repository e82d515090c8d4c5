//! Stop signals for transport tasks: a one-shot, level-triggered flag built on a tokio
//! `watch` channel, so a task that starts waiting after the signal still sees it.
//!
//! `Trigger` fires on `fire()` *or when dropped*; that is how dropping the last
//! `Transports` handle ends every task without an explicit `shutdown()`.

use tokio::sync::watch;

/// The firing side. Dropping it fires too.
#[derive(Debug)]
pub(crate) struct Trigger(watch::Sender<bool>);

/// The waiting side; cheap to clone, one per task.
#[derive(Debug, Clone)]
pub(crate) struct Stop(watch::Receiver<bool>);

pub(crate) fn pair() -> (Trigger, Stop) {
    let (tx, rx) = watch::channel(false);
    (Trigger(tx), Stop(rx))
}

impl Trigger {
    pub(crate) fn fire(&self) {
        self.0.send_replace(true);
    }
}

impl Stop {
    /// Resolves once fired or once the trigger is gone.
    pub(crate) async fn wait(&mut self) {
        // Err means the trigger was dropped, which also means stop.
        let _ = self.0.wait_for(|fired| *fired).await;
    }

    pub(crate) fn is_stopped(&self) -> bool {
        *self.0.borrow() || self.0.has_changed().is_err()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn fire_wakes_late_waiters() {
        let (t, mut s) = pair();
        t.fire();
        s.wait().await;
        assert!(s.is_stopped());
    }

    #[tokio::test]
    async fn dropping_the_trigger_stops() {
        let (t, mut s) = pair();
        assert!(!s.is_stopped());
        drop(t);
        s.wait().await;
        assert!(s.is_stopped());
    }
}
