//! Monitoring modes and sets of them.
//!
//! A mode is what a supervisor does to a call: listen (hear both parties), whisper
//! (only the agent hears the supervisor), barge (everyone hears everyone) or take over
//! (the supervisor replaces the agent). In a session the supervisor switches with the
//! DTMF digits 1-4; a join uses a feature code per mode (`*81`-`*84` by default).
//! A role's permissions are a [`ModeSet`]: a 4-bit set, `Copy`, no allocation.

use std::fmt;

/// A monitoring mode. `as_str` is the tag used in config (`modes = ["listen"]`) and
/// in the audit log; it must never change (audit rows are hashed with it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MonitorMode {
    Listen,
    Whisper,
    Barge,
    Takeover,
}

impl MonitorMode {
    /// In DTMF digit order.
    pub const ALL: [MonitorMode; 4] = [
        MonitorMode::Listen,
        MonitorMode::Whisper,
        MonitorMode::Barge,
        MonitorMode::Takeover,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MonitorMode::Listen => "listen",
            MonitorMode::Whisper => "whisper",
            MonitorMode::Barge => "barge",
            MonitorMode::Takeover => "takeover",
        }
    }

    /// The mode whose tag is `tag` (exact, lower case: tags are stored and hashed).
    pub fn from_tag(tag: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == tag)
    }

    /// The DTMF digit (RFC 4733 event 1-4, or INFO `Signal=`) that switches to it.
    pub fn dtmf_digit(self) -> char {
        match self {
            MonitorMode::Listen => '1',
            MonitorMode::Whisper => '2',
            MonitorMode::Barge => '3',
            MonitorMode::Takeover => '4',
        }
    }

    /// The mode a DTMF digit asks for; other digits (0, 5-9, *, #, A-D) mean nothing.
    pub fn from_dtmf(digit: char) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.dtmf_digit() == digit)
    }

    /// The default feature code that joins a call in this mode (`*81`..`*84`).
    pub fn default_feature_code(self) -> &'static str {
        match self {
            MonitorMode::Listen => "*81",
            MonitorMode::Whisper => "*82",
            MonitorMode::Barge => "*83",
            MonitorMode::Takeover => "*84",
        }
    }

    fn bit(self) -> u8 {
        match self {
            MonitorMode::Listen => 1,
            MonitorMode::Whisper => 2,
            MonitorMode::Barge => 4,
            MonitorMode::Takeover => 8,
        }
    }
}

impl fmt::Display for MonitorMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A set of modes (a role's permissions). The empty set permits nothing.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ModeSet(u8);

impl ModeSet {
    pub const EMPTY: ModeSet = ModeSet(0);
    pub const ALL: ModeSet = ModeSet(0b1111);

    pub fn contains(self, mode: MonitorMode) -> bool {
        self.0 & mode.bit() != 0
    }

    /// Adds `mode`; returns false if it was already there.
    pub fn insert(&mut self, mode: MonitorMode) -> bool {
        let had = self.contains(mode);
        self.0 |= mode.bit();
        !had
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn len(self) -> usize {
        self.0.count_ones() as usize
    }

    /// The modes in DTMF digit order.
    pub fn iter(self) -> impl Iterator<Item = MonitorMode> {
        MonitorMode::ALL
            .into_iter()
            .filter(move |m| self.contains(*m))
    }
}

impl FromIterator<MonitorMode> for ModeSet {
    fn from_iter<I: IntoIterator<Item = MonitorMode>>(iter: I) -> Self {
        let mut set = ModeSet::EMPTY;
        for m in iter {
            set.insert(m);
        }
        set
    }
}

impl fmt::Debug for ModeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_codes_and_tags_round_trip() {
        for (i, m) in MonitorMode::ALL.into_iter().enumerate() {
            let digit = char::from(b'1' + i as u8);
            assert_eq!(m.dtmf_digit(), digit);
            assert_eq!(MonitorMode::from_dtmf(digit), Some(m));
            assert_eq!(m.default_feature_code(), format!("*8{}", i + 1));
            assert_eq!(MonitorMode::from_tag(m.as_str()), Some(m));
        }
        for d in ['0', '5', '9', '*', '#', 'A'] {
            assert_eq!(MonitorMode::from_dtmf(d), None);
        }
        assert_eq!(MonitorMode::from_tag("Listen"), None);
        assert_eq!(MonitorMode::from_tag("take-over"), None);
    }

    #[test]
    fn mode_set_behaves_like_a_set() {
        let mut s = ModeSet::EMPTY;
        assert!(s.is_empty() && !s.contains(MonitorMode::Listen));
        assert!(s.insert(MonitorMode::Barge));
        assert!(!s.insert(MonitorMode::Barge));
        assert!(s.insert(MonitorMode::Listen));
        assert_eq!(s.len(), 2);
        let modes: Vec<_> = s.iter().collect();
        assert_eq!(modes, [MonitorMode::Listen, MonitorMode::Barge]);
        assert_eq!(format!("{s:?}"), "{Listen, Barge}");
        assert_eq!(
            MonitorMode::ALL.into_iter().collect::<ModeSet>(),
            ModeSet::ALL
        );
    }
}
