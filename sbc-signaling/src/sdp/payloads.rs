//! What the media plane needs to know about an m= section's payload types: the clock
//! rate of the first (preferred) format, for jitter in time units, and the payload
//! type of RFC 4733 `telephone-event`, for DTMF detection. Read from `a=rtpmap`
//! (RFC 8866 §6.6), with the RFC 3551 static assignments for formats without one.

use sbc_core::media::{AudioEncoding, AudioFormat};

use super::MediaDescription;

/// Longest `a=ptime` believed (ms); longer values are ignored (20 ms assumed).
const MAX_PTIME_MS: u16 = 120;

/// RFC 3551 table 4: static audio payload types and their clock rates.
fn static_clock_rate(pt: u8) -> Option<u32> {
    match pt {
        0 | 3..=5 | 7..=9 | 12 | 13 | 15 | 18 => Some(8000),
        6 => Some(16_000),
        10 | 11 => Some(44_100),
        16 => Some(11_025),
        17 => Some(22_050),
        _ => None,
    }
}

impl MediaDescription<'_> {
    /// `(payload type, encoding name, clock rate)` of every well-formed `a=rtpmap`.
    fn rtpmaps(&self) -> impl Iterator<Item = (u8, &str, u32)> + '_ {
        self.attributes()
            .filter(|(name, _)| name.eq_ignore_ascii_case("rtpmap"))
            .filter_map(|(_, value)| {
                let (pt, encoding) = value?.trim().split_once([' ', '\t'])?;
                let mut parts = encoding.trim().split('/');
                let name = parts.next()?;
                let rate = parts.next()?.trim().parse().ok()?;
                Some((pt.parse().ok()?, name, rate))
            })
    }

    /// Clock rate of `pt`: its rtpmap, else its static assignment.
    pub fn clock_rate(&self, pt: u8) -> Option<u32> {
        self.rtpmaps()
            .find(|(p, _, _)| *p == pt)
            .map(|(_, _, rate)| rate)
            .or_else(|| static_clock_rate(pt))
            .filter(|r| *r > 0)
    }

    /// Clock rate of the first format listed (the author's preferred payload).
    pub fn main_clock_rate(&self) -> Option<u32> {
        let first = self.format_list().next()?.parse().ok()?;
        self.clock_rate(first)
    }

    /// The listed formats the mixer can decode and encode, in the m= line's order: by
    /// `a=rtpmap` name and clock rate, else by static payload type (0, 8, 9). The
    /// packetization comes from `a=ptime` (one per m= line).
    pub fn audio_formats(&self) -> Vec<AudioFormat> {
        let ptime_ms = self
            .attributes()
            .find(|(name, _)| name.eq_ignore_ascii_case("ptime"))
            .and_then(|(_, v)| v?.trim().parse::<u16>().ok())
            .filter(|ms| (10..=MAX_PTIME_MS).contains(ms));
        self.format_list()
            .filter_map(|f| f.parse::<u8>().ok())
            .filter_map(|pt| {
                let encoding = match self.rtpmaps().find(|(p, _, _)| *p == pt) {
                    Some((_, name, rate)) => AudioEncoding::from_rtpmap(name, rate)?,
                    None => AudioEncoding::from_static(pt)?,
                };
                Some(AudioFormat {
                    payload_type: pt,
                    encoding,
                    ptime_ms,
                })
            })
            .collect()
    }

    /// The telephone-event payload type among the formats: the one at the main clock
    /// rate if several rates are offered, else the first.
    pub fn telephone_event(&self) -> Option<u8> {
        let listed = |pt: u8| self.format_list().any(|f| f.parse() == Ok(pt));
        let events = || {
            self.rtpmaps()
                .filter(|(pt, name, _)| name.eq_ignore_ascii_case("telephone-event") && listed(*pt))
        };
        let main = self.main_clock_rate();
        events()
            .find(|(_, _, rate)| Some(*rate) == main)
            .or_else(|| events().next())
            .map(|(pt, _, _)| pt)
    }
}

#[cfg(test)]
mod tests {
    use crate::sdp::Sdp;

    fn media(sdp: &str) -> (Option<u32>, Option<u8>) {
        let text = format!(
            "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n{sdp}"
        );
        let parsed = Sdp::parse(text.as_bytes()).unwrap();
        let m = parsed.media().first().unwrap().clone();
        (m.main_clock_rate(), m.telephone_event())
    }

    fn audio(sdp: &str) -> Vec<(u8, sbc_core::media::AudioEncoding, Option<u16>)> {
        let text = format!(
            "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n{sdp}"
        );
        let parsed = Sdp::parse(text.as_bytes()).unwrap();
        let m = parsed.media().first().unwrap().clone();
        m.audio_formats()
            .into_iter()
            .map(|f| (f.payload_type, f.encoding, f.ptime_ms))
            .collect()
    }

    #[test]
    fn mixable_formats_in_sdp_order() {
        use sbc_core::media::AudioEncoding::*;
        assert_eq!(
            audio("m=audio 4000 RTP/AVP 8 0 9 18 101\r\na=rtpmap:101 telephone-event/8000\r\n"),
            vec![(8, Pcma, None), (0, Pcmu, None), (9, G722, None)]
        );
        assert_eq!(
            audio("m=audio 4000 RTP/AVP 111 0\r\na=rtpmap:111 opus/48000/2\r\na=ptime:40\r\n"),
            vec![(111, Opus, Some(40)), (0, Pcmu, Some(40))]
        );
        // A dynamic type with the wrong clock, an unknown name, a remapped static type.
        assert_eq!(
            audio(
                "m=audio 4000 RTP/AVP 96 97 0\r\na=rtpmap:96 opus/8000\r\n\
                 a=rtpmap:97 speex/8000\r\na=rtpmap:0 PCMA/8000\r\na=ptime:9999\r\n"
            ),
            vec![(0, Pcma, None)]
        );
    }

    #[test]
    fn static_and_mapped_payloads() {
        assert_eq!(media("m=audio 4000 RTP/AVP 0 8\r\n"), (Some(8000), None));
        assert_eq!(
            media("m=audio 4000 RTP/AVP 111 101\r\na=rtpmap:111 opus/48000/2\r\na=rtpmap:101 telephone-event/8000\r\na=rtpmap:100 telephone-event/48000\r\n"),
            (Some(48_000), Some(101)),
            "100 is not in the format list"
        );
        assert_eq!(
            media("m=audio 4000 RTP/AVP 111 100 101\r\na=rtpmap:111 opus/48000/2\r\na=rtpmap:101 telephone-event/8000\r\na=rtpmap:100 telephone-event/48000\r\n"),
            (Some(48_000), Some(100)),
            "the event rate matching the main codec wins"
        );
        assert_eq!(
            media("m=audio 4000 RTP/AVP 96\r\na=rtpmap:96 garbage\r\n"),
            (None, None)
        );
    }
}
