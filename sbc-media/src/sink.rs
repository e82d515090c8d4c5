//! Compiled sink lists: where a stream's packets go, fixed capacity, no heap.
//!
//! A sink names a target stream slot of the same worker; at send time the target's own
//! socket and its peer destination (latched, else SDP) are used, so the packet leaves
//! from the port that the target's peer knows. Lists are rebuilt at signaling time
//! (`connect`, forks, monitoring, release); the packet path only iterates them. Sinks
//! are the connected peer and forks; the monitoring mixer reads a stream through its
//! tap (`StreamSlot::tap`), not a sink, and a peer whose leg the mixer feeds keeps
//! only the RTCP half of its sink (`rtcp_only`).

/// Index of a stream slot in a worker's table (also encoded in the mio token).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct SlotIndex(pub u32);

impl SlotIndex {
    pub(crate) fn get(self) -> usize {
        self.0 as usize
    }
}

/// One destination of a stream's packets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Sink {
    pub target: SlotIndex,
    /// RTP is not sent here (the mixer feeds the target's leg), RTCP is.
    pub rtcp_only: bool,
}

/// Peer + listen tap + recorder fork + mixer input, with room to spare.
pub(crate) const MAX_SINKS: usize = 4;

/// The list is full (more sinks than `MAX_SINKS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("sink list full ({MAX_SINKS} sinks)")]
pub(crate) struct SinkListFull;

/// A fixed-capacity list of sinks; `Copy` so the packet path can take it by value
/// and then borrow the slot table immutably.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct SinkList {
    items: [Sink; MAX_SINKS],
    len: u8,
}

impl SinkList {
    pub(crate) fn as_slice(&self) -> &[Sink] {
        self.items.get(..usize::from(self.len)).unwrap_or(&[])
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub(crate) fn clear(&mut self) {
        self.len = 0;
    }

    pub(crate) fn len(&self) -> usize {
        usize::from(self.len)
    }

    pub(crate) fn contains(&self, target: SlotIndex) -> bool {
        self.as_slice().iter().any(|s| s.target == target)
    }

    /// Removes every sink to `target`, keeping the order of the others.
    pub(crate) fn remove(&mut self, target: SlotIndex) {
        let mut kept = SinkList::default();
        for s in self.as_slice() {
            if s.target != target {
                let _ = kept.push(*s);
            }
        }
        *self = kept;
    }

    /// The sinks RTP goes to (all but the `rtcp_only` ones), order kept.
    #[inline]
    pub(crate) fn for_rtp(&self) -> SinkList {
        let mut rtp = SinkList::default();
        for s in self.as_slice().iter().filter(|s| !s.rtcp_only) {
            let _ = rtp.push(*s);
        }
        rtp
    }

    pub(crate) fn push(&mut self, sink: Sink) -> Result<(), SinkListFull> {
        let slot = self
            .items
            .get_mut(usize::from(self.len))
            .ok_or(SinkListFull)?;
        *slot = sink;
        self.len += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_until_full_then_clear() {
        let mut l = SinkList::default();
        assert!(l.is_empty());
        for i in 0..MAX_SINKS as u32 {
            assert!(l
                .push(Sink {
                    target: SlotIndex(i),
                    rtcp_only: i == 1,
                })
                .is_ok());
        }
        assert_eq!(l.push(Sink::default()), Err(SinkListFull));
        assert_eq!(l.as_slice().len(), MAX_SINKS);
        assert_eq!(l.as_slice().get(2).map(|s| s.target), Some(SlotIndex(2)));
        let rtp: Vec<u32> = l.for_rtp().as_slice().iter().map(|s| s.target.0).collect();
        assert_eq!(rtp, [0, 2, 3]);
        l.clear();
        assert!(l.as_slice().is_empty());
    }
}
