//! RFC 3339 times, for people reading and typing them at the CLI (the `time`
//! crate's parser and formatter, in Frontdesk's milliseconds).

use frontdesk_domain::UnixMillis;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// `2025-01-31T09:00:00[.123](Z|+01:00)` as milliseconds since the epoch.
pub fn parse(s: &str) -> Option<i64> {
    let t = OffsetDateTime::parse(s, &Rfc3339).ok()?;
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).ok()
}

/// `2025-01-31T09:00:00Z` (UTC, whole seconds).
pub fn format(t: UnixMillis) -> String {
    OffsetDateTime::from_unix_timestamp(t.as_secs())
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| t.0.to_string())
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
