//! Time as the product reads and writes it: Unix seconds from the clock,
//! and the few fixed formats pages, mail and the operator's commands show.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The current Unix time, in seconds.
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(secs)
        .unwrap_or_default()
}

/// Unix time with sub-second precision, for token buckets.
pub fn now_precise() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |elapsed| elapsed.as_secs_f64())
}

/// A duration in whole seconds, as the database stores it.
pub fn secs(duration: Duration) -> i64 {
    i64::try_from(duration.as_secs()).unwrap_or(i64::MAX / 2)
}

/// `YYYY-MM-DD HH:MM UTC` of a Unix time.
pub fn utc_date_time(unix_secs: i64) -> String {
    let minutes = unix_secs.rem_euclid(86_400) / 60;
    format!(
        "{} {:02}:{:02} UTC",
        utc_date(unix_secs),
        minutes / 60,
        minutes % 60
    )
}

/// RFC 3339 of a Unix time, in UTC: `2026-11-22T23:59:59Z`.
pub fn rfc3339(unix_secs: i64) -> String {
    let seconds = unix_secs.rem_euclid(86_400);
    format!(
        "{}T{:02}:{:02}:{:02}Z",
        utc_date(unix_secs),
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60
    )
}

/// `YYYY-MM-DD` of a Unix time, in UTC (days-to-civil, H. Hinnant).
pub fn utc_date(unix_secs: i64) -> String {
    let days = unix_secs.div_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_dates() {
        assert_eq!(utc_date(0), "1970-01-01");
        assert_eq!(utc_date(951_782_400), "2000-02-29");
        assert_eq!(utc_date(1_795_305_600), "2026-11-22");
        assert_eq!(utc_date(1_795_391_999), "2026-11-22");
        assert_eq!(utc_date_time(1_795_391_999), "2026-11-22 23:59 UTC");
        assert_eq!(rfc3339(1_795_391_999), "2026-11-22T23:59:59Z");
    }
}
