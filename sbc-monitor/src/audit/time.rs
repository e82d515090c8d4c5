//! Converting between [`UnixMillis`] and RFC 3339 timestamps (`2024-05-01T12:00:00Z`,
//! `2024-05-01T14:00:00.250+02:00`) for the command line and JSON output. Pure
//! arithmetic on the proleptic Gregorian calendar; no clock, no time zone database.

use super::types::UnixMillis;

const MS_PER_DAY: i64 = 86_400_000;

impl UnixMillis {
    /// Parses an RFC 3339 date-time (section 5.6): `T` or space separator, optional
    /// fraction (truncated to milliseconds), `Z` or a numeric offset. A leap second
    /// (`:60`) is refused: Unix time has no place for it.
    pub fn parse_rfc3339(s: &str) -> Option<UnixMillis> {
        let b = s.as_bytes();
        if b.len() < 20 || b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
            return None;
        }
        if !matches!(b.get(10), Some(b'T' | b't' | b' ')) || b.get(13) != Some(&b':') {
            return None;
        }
        if b.get(16) != Some(&b':') {
            return None;
        }
        let year = digits(b, 0, 4)?;
        let month = digits(b, 5, 2)?;
        let day = digits(b, 8, 2)?;
        let (hour, min, sec) = (digits(b, 11, 2)?, digits(b, 14, 2)?, digits(b, 17, 2)?);
        if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
            return None;
        }
        if hour > 23 || min > 59 || sec > 59 {
            return None;
        }
        let (frac_ms, rest) = fraction(b.get(19..)?)?;
        let offset_min = offset(rest)?;
        let days = days_from_civil(year, month, day);
        let ms = days * MS_PER_DAY + ((hour * 60 + min) * 60 + sec) * 1000 + frac_ms
            - offset_min * 60_000;
        Some(UnixMillis(ms))
    }

    /// Formats as RFC 3339 in UTC with milliseconds: `2024-05-01T12:00:00.000Z`.
    pub fn to_rfc3339(self) -> String {
        let days = self.0.div_euclid(MS_PER_DAY);
        let ms = self.0.rem_euclid(MS_PER_DAY);
        let (y, m, d) = civil_from_days(days);
        let (h, rem) = (ms / 3_600_000, ms % 3_600_000);
        let (min, rem) = (rem / 60_000, rem % 60_000);
        let (s, milli) = (rem / 1000, rem % 1000);
        format!("{y:04}-{m:02}-{d:02}T{h:02}:{min:02}:{s:02}.{milli:03}Z")
    }
}

fn digits(b: &[u8], at: usize, n: usize) -> Option<i64> {
    let field = b.get(at..at + n)?;
    field.iter().try_fold(0i64, |acc, &c| {
        c.is_ascii_digit().then(|| acc * 10 + i64::from(c - b'0'))
    })
}

/// An optional `.ddd…` fraction: its value in milliseconds and the rest of the input.
fn fraction(b: &[u8]) -> Option<(i64, &[u8])> {
    let Some(digits) = b.strip_prefix(b".") else {
        return Some((0, b));
    };
    let n = digits.iter().take_while(|c| c.is_ascii_digit()).count();
    if n == 0 {
        return None;
    }
    let mut ms = 0;
    for i in 0..3 {
        let d = if i < n {
            digits.get(i).map_or(0, |c| i64::from(c - b'0'))
        } else {
            0
        };
        ms = ms * 10 + d;
    }
    Some((ms, digits.get(n..)?))
}

/// `Z` or `±HH:MM`, as minutes east of UTC; nothing may follow.
fn offset(b: &[u8]) -> Option<i64> {
    match b {
        [b'Z' | b'z'] => Some(0),
        [sign @ (b'+' | b'-'), _, _, b':', _, _] => {
            let (h, m) = (digits(b, 1, 2)?, digits(b, 4, 2)?);
            if h > 23 || m > 59 {
                return None;
            }
            let sign = if *sign == b'-' { -1 } else { 1 };
            Some(sign * (h * 60 + m))
        }
        _ => None,
    }
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a civil date (H. Hinnant's `days_from_civil`).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The inverse of [`days_from_civil`].
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_utc_and_offsets() {
        let t = UnixMillis::parse_rfc3339("2023-11-14T22:13:20Z");
        assert_eq!(t, Some(UnixMillis(1_700_000_000_000)));
        let t = UnixMillis::parse_rfc3339("2023-11-15T00:13:20.5+02:00");
        assert_eq!(t, Some(UnixMillis(1_700_000_000_500)));
        let t = UnixMillis::parse_rfc3339("1970-01-01T00:00:00.001234Z");
        assert_eq!(t, Some(UnixMillis(1)));
        let t = UnixMillis::parse_rfc3339("2024-02-29 00:00:00-00:30");
        assert_eq!(t, Some(UnixMillis(1_709_166_600_000)));
    }

    #[test]
    fn refuses_garbage() {
        for s in [
            "",
            "2023-11-14",
            "2023-11-14T22:13:20",
            "2023-13-01T00:00:00Z",
            "2023-02-29T00:00:00Z",
            "2023-11-14T24:00:00Z",
            "2023-11-14T22:13:60Z",
            "2023-11-14T22:13:20.Z",
            "2023-11-14T22:13:20Zjunk",
            "2023-11-14T22:13:20+2:00",
            "２０２３-11-14T22:13:20Z",
        ] {
            assert_eq!(UnixMillis::parse_rfc3339(s), None, "{s}");
        }
    }

    #[test]
    fn formats_and_round_trips() {
        assert_eq!(UnixMillis(0).to_rfc3339(), "1970-01-01T00:00:00.000Z");
        assert_eq!(UnixMillis(-1).to_rfc3339(), "1969-12-31T23:59:59.999Z");
        for ms in [
            0,
            1_700_000_000_123,
            -86_400_001,
            951_782_400_000,
            4_102_444_800_000,
        ] {
            let s = UnixMillis(ms).to_rfc3339();
            assert_eq!(UnixMillis::parse_rfc3339(&s), Some(UnixMillis(ms)), "{s}");
        }
    }
}
