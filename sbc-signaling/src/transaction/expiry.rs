//! Timer dispatch: pops due deadlines off the layer's heap, skips the stale ones
//! (re-armed or stopped since), and hands live ones to their state machine.

use std::time::Instant;

use super::client_invite::Flow;
use super::layer::{ClientTx, ServerTx, TransactionLayer};
use super::timers::{Due, TxRef};

impl TransactionLayer {
    /// Run every timer due at or before `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        while let Some(due) = self.io.timers.peek() {
            if due.at > now {
                break;
            }
            self.io.timers.pop();
            self.fire(now, due);
        }
        self.prune();
    }

    fn fire(&mut self, now: Instant, due: Due) {
        match due.tx {
            TxRef::Client(id) => {
                let Some(tx) = self.clients.get_mut(&id) else {
                    return;
                };
                if !tx.timers().take_if_due(due.kind, due.at) {
                    return;
                }
                let flow = match tx {
                    ClientTx::Invite(t) => t.on_timer(&mut self.io, now, due.kind),
                    ClientTx::NonInvite(t) => t.on_timer(&mut self.io, now, due.kind),
                };
                if flow == Flow::Terminate {
                    self.remove_client(id);
                }
            }
            TxRef::Server(id) => {
                let Some(tx) = self.servers.get_mut(&id) else {
                    return;
                };
                if !tx.timers().take_if_due(due.kind, due.at) {
                    return;
                }
                let flow = match tx {
                    ServerTx::Invite(t) => t.on_timer(&mut self.io, now, due.kind),
                    ServerTx::NonInvite(t) => t.on_timer(due.kind),
                };
                if flow == Flow::Terminate {
                    self.remove_server(id);
                }
            }
        }
    }

    /// Drop stale heap entries from the top so `poll_timeout` is exact.
    pub(super) fn prune(&mut self) {
        while let Some(due) = self.io.timers.peek() {
            let live = match due.tx {
                TxRef::Client(id) => self
                    .clients
                    .get_mut(&id)
                    .is_some_and(|t| t.timers().is_live(due.kind, due.at)),
                TxRef::Server(id) => self
                    .servers
                    .get_mut(&id)
                    .is_some_and(|t| t.timers().is_live(due.kind, due.at)),
            };
            if live {
                break;
            }
            self.io.timers.pop();
        }
    }
}
