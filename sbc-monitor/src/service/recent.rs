//! A bounded set that forgets the least recently seen keys: two generations, the
//! current one filling up and the previous one kept for lookups. When the current
//! generation is full it becomes the previous one and the old previous is dropped.
//!
//! Used to remember which agents were seen on calls (to answer "agent idle" rather
//! than "unknown agent") without growing with every agent ID a platform ever sends.
//! O(1) per operation, at most `2 * generation` keys; an approximation of LRU that
//! keeps every key seen within the last `generation` distinct insertions.

use std::collections::HashSet;
use std::hash::Hash;
use std::mem;

#[derive(Debug, Clone)]
pub(super) struct RecentSet<K> {
    current: HashSet<K>,
    previous: HashSet<K>,
    generation: usize,
}

impl<K: Eq + Hash> RecentSet<K> {
    /// Keeps at most `capacity` keys (at least 2).
    pub fn new(capacity: usize) -> RecentSet<K> {
        RecentSet {
            current: HashSet::new(),
            previous: HashSet::new(),
            generation: (capacity / 2).max(1),
        }
    }

    /// Marks `key` as seen now.
    pub fn insert(&mut self, key: K) {
        if self.current.contains(&key) {
            return;
        }
        self.previous.remove(&key);
        if self.current.len() >= self.generation {
            self.previous = mem::take(&mut self.current);
        }
        self.current.insert(key);
    }

    pub fn contains(&self, key: &K) -> bool {
        self.current.contains(key) || self.previous.contains(key)
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.current.len() + self.previous.len()
    }
}

#[cfg(test)]
mod tests {
    use super::RecentSet;

    #[test]
    fn keeps_recent_keys_and_stays_bounded() {
        let mut s = RecentSet::new(4);
        for k in 0..4 {
            s.insert(k);
        }
        assert!((0..4).all(|k| s.contains(&k)));
        // Touching 0 moves it to the current generation; 1 is the oldest.
        s.insert(0);
        s.insert(4);
        s.insert(5);
        assert!(s.contains(&0) && s.contains(&4) && s.contains(&5));
        assert!(!s.contains(&1));
        for k in 0..10_000 {
            s.insert(k);
            assert!(s.len() <= 4);
            assert!(s.contains(&k));
        }
    }
}
