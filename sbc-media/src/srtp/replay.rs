//! Replay protection (RFC 3711 §3.3.2) and SRTP index estimation (RFC 3711 Appendix A).
//!
//! The window is a ring bitmap indexed by `index % capacity`: advancing the top clears
//! only the slots between the old and the new top (usually one), so the common in-order
//! packet costs a few instructions whatever the window size. Checking and committing
//! are separate so the caller commits only after the tag verified.

use super::error::SrtpError;

/// Largest supported window, in packets.
pub const MAX_REPLAY_WINDOW: u32 = 1024;
/// Smallest window RFC 3711 §3.3.2 allows.
pub const MIN_REPLAY_WINDOW: u32 = 64;
const WORDS: usize = (MAX_REPLAY_WINDOW / 64) as usize;

/// A sliding replay window over 48-bit SRTP or 31-bit SRTCP indices.
#[derive(Debug, Clone)]
pub(crate) struct ReplayWindow {
    /// Highest index accepted so far; `None` until the first packet.
    top: Option<u64>,
    /// Window size in packets (<= capacity).
    size: u64,
    /// Ring capacity in bits (a multiple of 64, >= size).
    cap: u64,
    bits: [u64; WORDS],
}

impl ReplayWindow {
    pub(crate) fn new(size: u32) -> Self {
        let size = u64::from(size.clamp(MIN_REPLAY_WINDOW, MAX_REPLAY_WINDOW));
        Self {
            top: None,
            size,
            cap: size.div_ceil(64) * 64,
            bits: [0; WORDS],
        }
    }

    fn slot(&self, index: u64) -> (usize, u64) {
        let pos = index % self.cap;
        ((pos / 64) as usize, 1u64 << (pos % 64))
    }

    fn is_set(&self, index: u64) -> bool {
        let (w, m) = self.slot(index);
        self.bits.get(w).is_some_and(|word| word & m != 0)
    }

    fn set(&mut self, index: u64, on: bool) {
        let (w, m) = self.slot(index);
        if let Some(word) = self.bits.get_mut(w) {
            if on {
                *word |= m;
            } else {
                *word &= !m;
            }
        }
    }

    /// Would `index` be accepted? Does not change the window.
    pub(crate) fn check(&self, index: u64) -> Result<(), SrtpError> {
        let Some(top) = self.top else { return Ok(()) };
        if index > top {
            return Ok(());
        }
        if top - index >= self.size {
            return Err(SrtpError::TooOld);
        }
        if self.is_set(index) {
            return Err(SrtpError::Replayed);
        }
        Ok(())
    }

    /// Record `index` as received (call only after `check` and authentication).
    pub(crate) fn commit(&mut self, index: u64) {
        match self.top {
            Some(top) if index <= top => {}
            Some(top) if index - top < self.cap => {
                for i in top + 1..=index {
                    self.set(i, false);
                }
                self.top = Some(index);
            }
            _ => {
                self.bits = [0; WORDS];
                self.top = Some(index);
            }
        }
        self.set(index, true);
    }
}

/// RFC 3711 Appendix A: the ROC `v` to use for `seq` given the highest accepted
/// `(roc, s_l)`. Returns `None` when the guess falls before ROC 0 (a packet from
/// "before the start": too old) or past ROC 2^32-1 (key exhausted).
pub(crate) fn estimate_roc(roc: u32, s_l: u16, seq: u16) -> Result<u32, SrtpError> {
    const HALF: u16 = 1 << 15;
    if s_l < HALF {
        if seq > s_l && seq - s_l > HALF {
            return roc.checked_sub(1).ok_or(SrtpError::TooOld);
        }
    } else if s_l - HALF > seq {
        return roc.checked_add(1).ok_or(SrtpError::KeyExhausted);
    }
    Ok(roc)
}

/// The 48-bit packet index `2^16 * roc + seq`.
pub(crate) fn packet_index(roc: u32, seq: u16) -> u64 {
    (u64::from(roc) << 16) | u64::from(seq)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_basics() {
        let mut w = ReplayWindow::new(128);
        assert_eq!(w.check(10), Ok(()));
        w.commit(10);
        assert_eq!(w.check(10), Err(SrtpError::Replayed));
        assert_eq!(w.check(9), Ok(()));
        w.commit(9);
        assert_eq!(w.check(9), Err(SrtpError::Replayed));
        w.commit(200);
        assert_eq!(w.check(72), Err(SrtpError::TooOld));
        assert_eq!(w.check(73), Ok(()));
        assert_eq!(w.check(200), Err(SrtpError::Replayed));
        // Slots reused by the ring were cleared when the top advanced.
        assert_eq!(w.check(199), Ok(()));
        w.commit(100_000);
        assert_eq!(w.check(99_999), Ok(()));
        assert_eq!(w.check(100_000 - 128), Err(SrtpError::TooOld));
    }

    #[test]
    fn roc_estimation() {
        assert_eq!(estimate_roc(0, 100, 101), Ok(0));
        assert_eq!(estimate_roc(0, 65535, 0), Ok(1));
        assert_eq!(estimate_roc(1, 2, 65534), Ok(0));
        assert_eq!(estimate_roc(0, 2, 65534), Err(SrtpError::TooOld));
        assert_eq!(
            estimate_roc(u32::MAX, 65535, 0),
            Err(SrtpError::KeyExhausted)
        );
        assert_eq!(estimate_roc(5, 40000, 7232), Ok(5));
        assert_eq!(estimate_roc(5, 40000, 7231), Ok(6));
    }
}
