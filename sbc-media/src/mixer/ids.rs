//! Typed handles for the mixer's inputs and outputs, the slot table that hands them
//! out, and the set of inputs one output hears.
//!
//! A handle is an index plus a generation: removing an input or output bumps its
//! slot's generation, so a stale handle held by signaling is refused instead of
//! silently naming whoever reused the slot.

/// Most inputs one mixer takes (customer, agent and the supervisors): the hear set
/// is a bit mask of this width.
pub const MAX_INPUTS: usize = 32;
/// Most outputs one mixer feeds.
pub const MAX_OUTPUTS: usize = 32;

/// One audio source of the mixer (a leg's received stream).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct InputId {
    index: u8,
    generation: u32,
}

/// One listener of the mixer (a leg's mixed send stream).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OutputId {
    index: u8,
    generation: u32,
}

impl InputId {
    pub(crate) fn new(index: usize, generation: u32) -> Self {
        InputId {
            index: index as u8,
            generation,
        }
    }

    /// Slot number, 0..MAX_INPUTS (stable while the input exists).
    pub fn index(self) -> usize {
        usize::from(self.index)
    }

    pub(crate) fn generation(self) -> u32 {
        self.generation
    }
}

impl OutputId {
    pub(crate) fn new(index: usize, generation: u32) -> Self {
        OutputId {
            index: index as u8,
            generation,
        }
    }

    /// Slot number, 0..MAX_OUTPUTS (stable while the output exists).
    pub fn index(self) -> usize {
        usize::from(self.index)
    }

    pub(crate) fn generation(self) -> u32 {
        self.generation
    }
}

/// The inputs an output hears, as a bit per input slot: testing membership on the
/// tick is one AND, and changing the set never allocates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct InputSet(u32);

impl InputSet {
    pub(crate) const EMPTY: InputSet = InputSet(0);

    pub(crate) fn with(self, index: usize) -> Self {
        InputSet(self.0 | bit(index))
    }

    pub(crate) fn without(self, index: usize) -> Self {
        InputSet(self.0 & !bit(index))
    }

    pub(crate) fn contains(self, index: usize) -> bool {
        self.0 & bit(index) != 0
    }
}

fn bit(index: usize) -> u32 {
    1u32.checked_shl(index as u32).unwrap_or(0)
}

struct Entry<T> {
    generation: u32,
    item: Option<T>,
}

/// A fixed-capacity table of items addressed by (index, generation).
pub(crate) struct Slots<T> {
    entries: Vec<Entry<T>>,
    capacity: usize,
}

impl<T> Slots<T> {
    /// Reserves all entries up front so `insert` never reallocates under a reader.
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        Slots {
            entries: Vec::with_capacity(capacity),
            capacity,
        }
    }

    /// Stores `item` in the first free slot: `(index, generation)`, or `None` if full.
    pub(crate) fn insert(&mut self, item: T) -> Option<(usize, u32)> {
        if let Some((i, e)) = self
            .entries
            .iter_mut()
            .enumerate()
            .find(|(_, e)| e.item.is_none())
        {
            e.item = Some(item);
            return Some((i, e.generation));
        }
        if self.entries.len() >= self.capacity {
            return None;
        }
        self.entries.push(Entry {
            generation: 0,
            item: Some(item),
        });
        Some((self.entries.len() - 1, 0))
    }

    pub(crate) fn get(&self, index: usize, generation: u32) -> Option<&T> {
        self.entries
            .get(index)
            .filter(|e| e.generation == generation)
            .and_then(|e| e.item.as_ref())
    }

    pub(crate) fn get_mut(&mut self, index: usize, generation: u32) -> Option<&mut T> {
        self.entries
            .get_mut(index)
            .filter(|e| e.generation == generation)
            .and_then(|e| e.item.as_mut())
    }

    /// Takes the item out and retires the handle.
    pub(crate) fn remove(&mut self, index: usize, generation: u32) -> Option<T> {
        let e = self
            .entries
            .get_mut(index)
            .filter(|e| e.generation == generation)?;
        let item = e.item.take()?;
        e.generation = e.generation.wrapping_add(1);
        Some(item)
    }

    /// Live items with their index and generation.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (usize, u32, &T)> {
        self.entries
            .iter()
            .enumerate()
            .filter_map(|(i, e)| e.item.as_ref().map(|t| (i, e.generation, t)))
    }

    pub(crate) fn iter_mut(&mut self) -> impl Iterator<Item = (usize, &mut T)> {
        self.entries
            .iter_mut()
            .enumerate()
            .filter_map(|(i, e)| e.item.as_mut().map(|t| (i, t)))
    }

    /// The entry at `index`: `None` past the end, `Some(None)` when free (the tick
    /// iterator walks these in order).
    pub(crate) fn entry(&self, index: usize) -> Option<Option<(u32, &T)>> {
        self.entries
            .get(index)
            .map(|e| e.item.as_ref().map(|t| (e.generation, t)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_handles_are_refused_after_reuse() {
        let mut s = Slots::with_capacity(2);
        let (i, g) = s.insert("a").unwrap_or((9, 9));
        assert_eq!(s.get(i, g), Some(&"a"));
        assert_eq!(s.remove(i, g), Some("a"));
        let (j, h) = s.insert("b").unwrap_or((9, 9));
        assert_eq!(j, i);
        assert_ne!(h, g);
        assert_eq!(s.get(i, g), None);
        assert!(s.insert("c").is_some());
        assert!(s.insert("d").is_none());
    }

    #[test]
    fn input_set_bits() {
        let s = InputSet::EMPTY.with(0).with(31);
        assert!(s.contains(0) && s.contains(31) && !s.contains(1));
        assert!(!s.without(31).contains(31));
        assert!(!InputSet::EMPTY.with(40).contains(40));
    }
}
