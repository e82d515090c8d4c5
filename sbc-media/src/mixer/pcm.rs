//! A fixed-capacity PCM queue: decoded input waiting for the next tick, or mixed
//! output waiting to fill a codec frame. It bridges frame sizes that differ from the
//! 20 ms tick (10, 30, 40, 60 ms ptimes) without allocating.

/// Samples queued front to back in one linear buffer; consuming shifts the rest
/// down (a few hundred samples per tick, cheaper than ring-buffer index math).
pub(crate) struct PcmFifo {
    buf: Box<[i16]>,
    len: usize,
}

impl PcmFifo {
    pub(crate) fn new(capacity: usize) -> Self {
        PcmFifo {
            buf: vec![0; capacity].into_boxed_slice(),
            len: 0,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Free space after the queued samples: write there, then `commit`.
    pub(crate) fn spare_mut(&mut self) -> &mut [i16] {
        self.buf.get_mut(self.len..).unwrap_or(&mut [])
    }

    /// Mark `n` samples written into `spare_mut` as queued.
    pub(crate) fn commit(&mut self, n: usize) {
        self.len = (self.len + n).min(self.buf.len());
    }

    /// The oldest `n` samples (fewer if fewer are queued).
    pub(crate) fn front(&self, n: usize) -> &[i16] {
        self.buf.get(..n.min(self.len)).unwrap_or(&[])
    }

    /// Drop the oldest `n` samples.
    pub(crate) fn consume(&mut self, n: usize) {
        let n = n.min(self.len);
        self.buf.copy_within(n..self.len, 0);
        self.len -= n;
    }

    /// Move the oldest samples into `out`, zero-filling what the queue lacks;
    /// returns how many real samples were moved.
    pub(crate) fn pop_into(&mut self, out: &mut [i16]) -> usize {
        let n = self.len.min(out.len());
        let (head, tail) = out.split_at_mut(n);
        head.copy_from_slice(self.front(n));
        tail.fill(0);
        self.consume(n);
        n
    }

    pub(crate) fn clear(&mut self) {
        self.len = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queues_and_pads() {
        let mut f = PcmFifo::new(8);
        f.spare_mut()[..3].copy_from_slice(&[1, 2, 3]);
        f.commit(3);
        let mut out = [9i16; 2];
        assert_eq!(f.pop_into(&mut out), 2);
        assert_eq!(out, [1, 2]);
        let mut out = [9i16; 3];
        assert_eq!(f.pop_into(&mut out), 1);
        assert_eq!(out, [3, 0, 0]);
        assert_eq!(f.len(), 0);
        f.commit(100);
        assert_eq!(f.len(), 8);
    }
}
