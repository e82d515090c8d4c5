//! Cheap, incremental hints for the stream framer: where a message head ends and how
//! long the whole message will be. They decide only *when* to ask
//! `sip::message_length`, which gives the verdict; a wrong hint costs some CPU, never a
//! wrong frame.
//!
//! Why: `message_length` is stateless and rescans the head on every call, so calling it
//! per read would make a peer that drips bytes cost quadratic work. With the hints,
//! each byte is scanned a bounded number of times.

/// Offset of the first body byte: just past the blank line that ends the head, searching
/// from `from`. Accepts the line ends the SIP scanner accepts (CRLF and bare LF).
pub(crate) fn find_body_start(buf: &[u8], from: usize) -> Option<usize> {
    let tail = buf.get(from..)?;
    tail.iter().enumerate().find_map(|(i, &b)| {
        if b != b'\n' {
            return None;
        }
        let at = from + i;
        match (buf.get(at + 1), buf.get(at + 2)) {
            (Some(b'\n'), _) => Some(at + 2),
            (Some(b'\r'), Some(b'\n')) => Some(at + 3),
            _ => None,
        }
    })
}

/// The total length the head announces (body start + Content-Length), or `None` when
/// it is missing, malformed or ambiguous (the verdict then comes from the parser).
pub(crate) fn expected_length(buf: &[u8], body_start: usize) -> Option<usize> {
    let head = buf.get(..body_start)?;
    let mut found: Option<usize> = None;
    for line in head.split(|&b| b == b'\n') {
        // Folded continuation lines: not a header of their own.
        if line.first().is_some_and(|b| *b == b' ' || *b == b'\t') {
            continue;
        }
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        let (name, value) = line.split_at(colon);
        let name = name.trim_ascii();
        if name.eq_ignore_ascii_case(b"content-length") || name.eq_ignore_ascii_case(b"l") {
            let n = parse_len(value.get(1..)?)?;
            if found.is_some_and(|prev| prev != n) {
                return None;
            }
            found = Some(n);
        }
    }
    body_start.checked_add(found?)
}

fn parse_len(value: &[u8]) -> Option<usize> {
    let digits = value.trim_ascii();
    if digits.is_empty() || digits.len() > 10 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    digits.iter().try_fold(0usize, |acc, d| {
        acc.checked_mul(10)?.checked_add(usize::from(d - b'0'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_start_with_crlf_and_bare_lf() {
        let m = b"INVITE sip:x SIP/2.0\r\nl: 4\r\n\r\nbody";
        assert_eq!(find_body_start(m, 0), Some(m.len() - 4));
        assert_eq!(find_body_start(b"A\nl: 0\n\nxy", 0), Some(8));
        assert_eq!(find_body_start(b"A\nl: 0\n\r\nxy", 0), Some(9));
        assert_eq!(find_body_start(b"A\r\nl: 0\r\n\r", 0), None);
        assert_eq!(find_body_start(b"A\r\nl: 0\r\n", 0), None);
    }

    #[test]
    fn resuming_finds_a_blank_line_split_across_reads() {
        let m = b"A\r\nl: 0\r\n\r\n";
        // A caller resumes two bytes before where it stopped.
        for stop in 0..m.len() {
            let from = stop.saturating_sub(2);
            assert_eq!(find_body_start(m, from), Some(m.len()), "stop {stop}");
        }
    }

    #[test]
    fn expected_length_forms() {
        assert_eq!(expected_length(b"A\r\nl:0\r\n\r\n", 10), Some(10));
        assert_eq!(
            expected_length(b"A\r\nCONTENT-length  :  2 \r\n\r\n", 28),
            Some(30)
        );
        assert_eq!(expected_length(b"A\r\nl: 1\r\nl: 1\r\n\r\n", 17), Some(18));
        assert_eq!(
            expected_length(b"A\r\nX: a\r\n l: 9\r\nl: 0\r\n\r\n", 24),
            Some(24)
        );
    }

    #[test]
    fn no_hint_when_missing_malformed_or_conflicting() {
        assert_eq!(expected_length(b"A\r\nVia: x\r\n\r\n", 13), None);
        assert_eq!(expected_length(b"A\r\nl: -1\r\n\r\n", 12), None);
        assert_eq!(expected_length(b"A\r\nl: 99999999999\r\n\r\n", 21), None);
        assert_eq!(expected_length(b"A\r\nl: 1\r\nl: 2\r\n\r\n", 17), None);
    }
}
