//! RFC 3339 times, for people reading and typing them at the CLI. Written out
//! here (a page of arithmetic) because the CLI needs only these two
//! conversions and no date crate is otherwise in the build.

use frontdesk_domain::UnixMillis;

/// `2025-01-31T09:00:00[.123](Z|+01:00)` as milliseconds since the epoch.
pub fn parse(s: &str) -> Option<i64> {
    let num = |from: usize, len: usize| -> Option<i64> {
        let t = s.get(from..from + len)?;
        t.bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| t.parse().ok())?
    };
    let b = s.as_bytes();
    let seps = [(4, b'-'), (7, b'-'), (13, b':'), (16, b':')];
    if b.len() < 20 || seps.iter().any(|&(i, c)| b[i] != c) || !matches!(b[10], b'T' | b't' | b' ')
    {
        return None;
    }
    let (year, month, day) = (num(0, 4)?, num(5, 2)?, num(8, 2)?);
    let (hour, minute, second) = (num(11, 2)?, num(14, 2)?, num(17, 2)?);
    let days_in_month = match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        1..=12 => 31,
        _ => return None,
    };
    if !(1..=days_in_month).contains(&day) || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut rest = s.get(19..)?;
    let mut millis = 0;
    if let Some(frac) = rest.strip_prefix('.') {
        let n = frac.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return None;
        }
        let digits = format!("{:0<3}", &frac[..n.min(3)]);
        millis = digits.parse::<i64>().ok()?;
        rest = &frac[n..];
    }
    let offset_minutes = match rest {
        "Z" | "z" => 0,
        _ if rest.len() == 6 && rest.as_bytes()[3] == b':' => {
            let sign = match rest.as_bytes()[0] {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let (h, m) = (rest.get(1..3)?, rest.get(4..6)?);
            let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
            if !digits(h) || !digits(m) {
                return None;
            }
            sign * (h.parse::<i64>().ok()? * 60 + m.parse::<i64>().ok()?)
        }
        _ => return None,
    };
    let secs = days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second
        - offset_minutes * 60;
    Some(secs * 1000 + millis)
}

/// `2025-01-31T09:00:00Z` (UTC, whole seconds).
pub fn format(t: UnixMillis) -> String {
    let secs = t.as_secs();
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The inverse of [`days_from_civil`].
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_round_trip() {
        let cases = [
            ("1970-01-01T00:00:00Z", 0),
            ("2000-02-29T12:34:56Z", 951_827_696_000),
            ("2025-01-31T09:00:00.5+01:00", 1_738_310_400_500),
            ("1969-12-31T23:59:59Z", -1000),
        ];
        for (text, ms) in cases {
            assert_eq!(parse(text), Some(ms), "{text}");
        }
        assert_eq!(format(UnixMillis(951_827_696_999)), "2000-02-29T12:34:56Z");
        assert_eq!(format(UnixMillis(-1000)), "1969-12-31T23:59:59Z");
        for bad in [
            "2025-02-29T00:00:00Z",
            "2025-01-31",
            "2025-01-31T09:00:00",
            "2025-13-01T00:00:00Z",
            "2025-01-31T09:00:00+1:00",
            "２０２５-01-31T09:00:00Z",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }
}
