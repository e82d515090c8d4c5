//! Per-SSRC state of one context: ROC and highest sequence number, the SRTP replay
//! window, the SRTCP send index and the SRTCP replay window. Kept in a small flat `Vec`
//! searched linearly (1-4 SSRCs is the norm; a linear scan over a few cache lines beats
//! hashing) and bounded: when full, the least recently used SSRC is evicted so a peer
//! spraying SSRCs cannot grow memory. Entries are created only after a packet
//! authenticated (or when the caller sets a ROC), never for forged traffic.

use super::replay::{packet_index, ReplayWindow};

/// State of one SSRC in one direction.
#[derive(Debug, Clone)]
pub(crate) struct SsrcState {
    pub(crate) ssrc: u32,
    /// Rollover counter (meaningful with `s_l`; before the first packet it is the
    /// caller-provided starting ROC).
    pub(crate) roc: u32,
    /// Highest sequence number accepted (`s_l` in RFC 3711 §3.3.1).
    pub(crate) s_l: u16,
    /// False until the first packet: then `s_l` is taken from it as is.
    pub(crate) seq_known: bool,
    pub(crate) rtp_window: ReplayWindow,
    /// Last SRTCP index sent (protect side); 0 before the first packet.
    pub(crate) rtcp_tx_index: u32,
    pub(crate) rtcp_window: ReplayWindow,
    last_used: u64,
}

impl SsrcState {
    pub(crate) fn new(ssrc: u32, window: u32) -> Self {
        Self {
            ssrc,
            roc: 0,
            s_l: 0,
            seq_known: false,
            rtp_window: ReplayWindow::new(window),
            rtcp_tx_index: 0,
            rtcp_window: ReplayWindow::new(window),
            last_used: 0,
        }
    }

    /// Commit an authenticated RTP packet with rollover guess `v` and sequence `seq`.
    pub(crate) fn commit_rtp(&mut self, v: u32, seq: u16) {
        let index = packet_index(v, seq);
        if !self.seq_known || index > packet_index(self.roc, self.s_l) {
            self.roc = v;
            self.s_l = seq;
            self.seq_known = true;
        }
        self.rtp_window.commit(index);
    }
}

/// Bounded SSRC -> state map.
#[derive(Debug, Clone)]
pub(crate) struct SsrcTable {
    entries: Vec<SsrcState>,
    max: usize,
    window: u32,
    clock: u64,
}

impl SsrcTable {
    pub(crate) fn new(max: usize, window: u32) -> Self {
        Self {
            entries: Vec::new(),
            max: max.max(1),
            window,
            clock: 0,
        }
    }

    pub(crate) fn get(&self, ssrc: u32) -> Option<&SsrcState> {
        self.entries.iter().find(|e| e.ssrc == ssrc)
    }

    /// The state for `ssrc`, inserting a blank one (evicting the least recently used
    /// when full) if absent. Marks it as used.
    pub(crate) fn entry(&mut self, ssrc: u32) -> &mut SsrcState {
        self.clock += 1;
        let pos = match self.entries.iter().position(|e| e.ssrc == ssrc) {
            Some(pos) => pos,
            None => self.insert(ssrc),
        };
        let clock = self.clock;
        // `pos` is in bounds: found by `position` or returned by `insert`.
        let e = &mut self.entries[pos];
        e.last_used = clock;
        e
    }

    fn insert(&mut self, ssrc: u32) -> usize {
        let fresh = SsrcState::new(ssrc, self.window);
        if self.entries.len() < self.max {
            self.entries.push(fresh);
            return self.entries.len() - 1;
        }
        let lru = self
            .entries
            .iter()
            .enumerate()
            .min_by_key(|(_, e)| e.last_used)
            .map_or(0, |(i, _)| i);
        if let Some(slot) = self.entries.get_mut(lru) {
            *slot = fresh;
        }
        lru
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_with_lru_eviction() {
        let mut t = SsrcTable::new(2, 128);
        t.entry(1).roc = 7;
        t.entry(2);
        t.entry(1);
        t.entry(3); // evicts 2, the least recently used
        assert_eq!(t.len(), 2);
        assert!(t.get(2).is_none());
        assert_eq!(t.get(1).map(|e| e.roc), Some(7));
        assert!(t.get(3).is_some());
    }
}
