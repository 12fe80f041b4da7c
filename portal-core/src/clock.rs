//! Time, injected: every rule that expires something reads the [`Clock`] it was given,
//! so that tests move time by hand instead of sleeping.

use std::fmt;
use std::ops::{Add, Sub};
use std::time::Duration;

/// A point in time, in whole milliseconds since the Unix epoch (UTC).
///
/// Milliseconds are what both SQL dialects store cheaply (`BIGINT`), and finer
/// precision buys nothing for expiry rules measured in minutes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

impl Timestamp {
    /// The Unix epoch.
    pub const EPOCH: Timestamp = Timestamp(0);

    /// A timestamp from milliseconds since the Unix epoch.
    #[must_use]
    pub const fn from_unix_millis(millis: i64) -> Self {
        Timestamp(millis)
    }

    /// Milliseconds since the Unix epoch.
    #[must_use]
    pub const fn unix_millis(self) -> i64 {
        self.0
    }

    /// How long ago `earlier` was, or zero if it is not earlier.
    #[must_use]
    pub fn since(self, earlier: Timestamp) -> Duration {
        Duration::from_millis(u64::try_from(self.0.saturating_sub(earlier.0)).unwrap_or(0))
    }

    /// Midnight UTC of a calendar date; `None` for a date that does not exist.
    #[must_use]
    pub fn from_date(year: i64, month: u32, day: u32) -> Option<Self> {
        let days = days_from_civil(year, month, day);
        (civil_from_days(days) == (year, month, day))
            .then_some(Timestamp(days.checked_mul(86_400_000)?))
    }

    /// The UTC calendar date `(year, month, day)`.
    #[must_use]
    pub fn date(self) -> (i64, u32, u32) {
        civil_from_days(self.0.div_euclid(86_400_000))
    }

    /// Midnight UTC of a `YYYY-MM-DD` date; `None` for any other form or a date that
    /// does not exist.
    #[must_use]
    pub fn parse_date(s: &str) -> Option<Self> {
        let mut parts = s.splitn(3, '-');
        let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
        if y.len() != 4 || m.len() != 2 || d.len() != 2 {
            return None;
        }
        let digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
        if !(digits(y) && digits(m) && digits(d)) {
            return None;
        }
        Timestamp::from_date(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)
    }

    /// The instant as [`Display`](fmt::Display) writes it (`YYYY-MM-DDTHH:MM:SS.mmmZ`);
    /// `None` for any other form.
    #[must_use]
    pub fn parse_written(s: &str) -> Option<Self> {
        let (date, time) = s.split_once('T')?;
        let time = time.strip_suffix('Z')?;
        let b = time.as_bytes();
        if b.len() != 12 || [b[2], b[5], b[8]] != [b':', b':', b'.'] {
            return None;
        }
        let part = |from: usize, to: usize| -> Option<i64> {
            let p = &time[from..to];
            p.bytes()
                .all(|c| c.is_ascii_digit())
                .then(|| p.parse().ok())?
        };
        let (h, m, sec, ms) = (part(0, 2)?, part(3, 5)?, part(6, 8)?, part(9, 12)?);
        if h > 23 || m > 59 || sec > 59 {
            return None;
        }
        let midnight = Timestamp::parse_date(date)?;
        Some(Timestamp(
            midnight.0 + ((h * 60 + m) * 60 + sec) * 1000 + ms,
        ))
    }

    /// The UTC date, `YYYY-MM-DD`.
    #[must_use]
    pub fn date_string(self) -> String {
        let (y, m, d) = self.date();
        format!("{y:04}-{m:02}-{d:02}")
    }

    /// RFC 3339 in UTC with millisecond precision, e.g. `2026-11-24T07:52:18.000Z`.
    #[must_use]
    pub fn to_rfc3339(self) -> String {
        self.to_string()
    }
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

impl Add<Duration> for Timestamp {
    type Output = Timestamp;
    fn add(self, rhs: Duration) -> Timestamp {
        Timestamp(self.0.saturating_add(millis(rhs)))
    }
}

impl Sub<Duration> for Timestamp {
    type Output = Timestamp;
    fn sub(self, rhs: Duration) -> Timestamp {
        Timestamp(self.0.saturating_sub(millis(rhs)))
    }
}

/// Days since the epoch to a proleptic Gregorian (year, month, day): the civil-from-days
/// algorithm of Howard Hinnant's date library.
pub(crate) fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// The inverse of [`civil_from_days`].
pub(crate) fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

impl Timestamp {
    /// The RFC 3339 text written digit by digit into a buffer of its own, for the
    /// years of four digits: task lists serialise hundreds of timestamps, and the
    /// formatting machinery costs several times this.
    fn rfc3339_bytes(self) -> Option<[u8; 24]> {
        fn put(slot: &mut [u8], mut value: i64) {
            for digit in slot.iter_mut().rev() {
                // A remainder of 10 is one digit.
                *digit = b'0' + u8::try_from(value % 10).unwrap_or(0);
                value /= 10;
            }
        }
        let day_ms = 86_400_000;
        let (y, mo, d) = civil_from_days(self.0.div_euclid(day_ms));
        if !(0..=9999).contains(&y) {
            return None;
        }
        let ms = self.0.rem_euclid(day_ms);
        let mut text = *b"0000-00-00T00:00:00.000Z";
        put(&mut text[0..4], y);
        put(&mut text[5..7], i64::from(mo));
        put(&mut text[8..10], i64::from(d));
        put(&mut text[11..13], ms / 3_600_000);
        put(&mut text[14..16], ms / 60_000 % 60);
        put(&mut text[17..19], ms / 1000 % 60);
        put(&mut text[20..23], ms % 1000);
        Some(text)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(text) = self.rfc3339_bytes() {
            return f.write_str(std::str::from_utf8(&text).map_err(|_| fmt::Error)?);
        }
        let day_ms = 86_400_000;
        let (y, mo, d) = civil_from_days(self.0.div_euclid(day_ms));
        let ms = self.0.rem_euclid(day_ms);
        write!(
            f,
            "{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
            ms / 3_600_000,
            ms / 60_000 % 60,
            ms / 1000 % 60,
            ms % 1000
        )
    }
}

impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.rfc3339_bytes() {
            Some(text) => {
                s.serialize_str(std::str::from_utf8(&text).map_err(serde::ser::Error::custom)?)
            }
            None => s.collect_str(self),
        }
    }
}

impl<'de> serde::Deserialize<'de> for Timestamp {
    /// What `Serialize` writes: `YYYY-MM-DDTHH:MM:SS.mmmZ`, exactly.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Timestamp::parse_written(&text)
            .ok_or_else(|| serde::de::Error::custom("expected YYYY-MM-DDTHH:MM:SS.mmmZ"))
    }
}

/// Where the current time comes from.
pub trait Clock: Send + Sync + fmt::Debug + 'static {
    /// The current time.
    fn now(&self) -> Timestamp;
}

/// The operating system's wall clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[allow(clippy::disallowed_methods)] // the one place that reads the real clock
    fn now(&self) -> Timestamp {
        let since = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        Timestamp(millis(since))
    }
}

/// A clock that only moves when told to; for tests of expiry rules.
#[cfg(any(test, feature = "testing"))]
#[derive(Debug)]
pub struct ManualClock(std::sync::atomic::AtomicI64);

#[cfg(any(test, feature = "testing"))]
impl ManualClock {
    /// A clock stopped at `start`.
    #[must_use]
    pub fn new(start: Timestamp) -> Self {
        ManualClock(std::sync::atomic::AtomicI64::new(start.0))
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: Duration) {
        self.0
            .fetch_add(millis(by), std::sync::atomic::Ordering::SeqCst);
    }

    /// Sets the clock to `at`.
    pub fn set(&self, at: Timestamp) {
        self.0.store(at.0, std::sync::atomic::Ordering::SeqCst);
    }
}

#[cfg(any(test, feature = "testing"))]
impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        Timestamp(self.0.load(std::sync::atomic::Ordering::SeqCst))
    }
}

#[cfg(any(test, feature = "testing"))]
impl Clock for std::sync::Arc<ManualClock> {
    fn now(&self) -> Timestamp {
        self.as_ref().now()
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn the_digit_by_digit_text_is_the_formatted_one() {
        let written = |t: Timestamp| {
            let day_ms = 86_400_000;
            let (y, mo, d) = civil_from_days(t.0.div_euclid(day_ms));
            let ms = t.0.rem_euclid(day_ms);
            format!(
                "{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
                ms / 3_600_000,
                ms / 60_000 % 60,
                ms / 1000 % 60,
                ms % 1000
            )
        };
        let year_0 = -62_167_219_200_000;
        let year_10000 = 253_402_300_800_000;
        let mut t = year_0 - 1;
        while t <= year_10000 + 1 {
            let ts = Timestamp(t);
            assert_eq!(ts.to_string(), written(ts));
            assert_eq!(
                serde_json::to_string(&ts).unwrap(),
                format!("\"{}\"", written(ts))
            );
            t += 86_399_999_937;
        }
        for t in [0, 1, 999, 86_399_999, year_0, year_10000 - 1, -1] {
            assert_eq!(Timestamp(t).to_string(), written(Timestamp(t)));
        }
        assert!(Timestamp(year_0 - 1).rfc3339_bytes().is_none());
        assert!(Timestamp(year_10000).rfc3339_bytes().is_none());
    }

    use super::*;

    #[test]
    fn written_instants_read_back_and_nothing_else_does() {
        for millis in [0, 1_767_225_599_999, -1, 86_400_000 * 365 + 12_345] {
            let t = Timestamp(millis);
            assert_eq!(Timestamp::parse_written(&t.to_string()), Some(t));
        }
        for bad in [
            "2026-12-31",
            "2026-12-31T10:00:00Z",
            "2026-12-31T24:00:00.000Z",
            "2026-12-31T10:00:00.000+01:00",
            "2026-02-30T10:00:00.000Z",
            "2026-12-31T1a:00:00.000Z",
        ] {
            assert_eq!(Timestamp::parse_written(bad), None, "{bad}");
        }
    }

    #[test]
    fn dates_parse_strictly() {
        let t = Timestamp::parse_date("2026-12-31").unwrap();
        assert_eq!(t.date_string(), "2026-12-31");
        for bad in [
            "2026-2-1",
            "2026-02-30",
            "26-01-01",
            "2026-01-01T00:00",
            "x",
            "+026-01-01",
            "2026-+1-01",
        ] {
            assert_eq!(Timestamp::parse_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn formats_rfc3339_in_utc() {
        assert_eq!(Timestamp::EPOCH.to_string(), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            Timestamp::from_unix_millis(1_795_508_338_123).to_string(),
            "2026-11-24T08:18:58.123Z"
        );
        assert_eq!(
            Timestamp::from_unix_millis(-1).to_string(),
            "1969-12-31T23:59:59.999Z"
        );
    }

    #[test]
    fn civil_days_round_trip() {
        for days in (-800_000..800_000).step_by(997) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }

    #[test]
    fn dates_are_validated() {
        let t = Timestamp::from_date(2026, 2, 28).unwrap();
        assert_eq!(t.to_string(), "2026-02-28T00:00:00.000Z");
        assert_eq!(t.date(), (2026, 2, 28));
        assert_eq!(Timestamp::from_date(2026, 2, 29), None);
        assert_eq!(Timestamp::from_date(2026, 13, 1), None);
        assert!(Timestamp::from_date(2024, 2, 29).is_some());
    }

    #[test]
    fn arithmetic_saturates() {
        let t = Timestamp::from_unix_millis(i64::MAX - 1);
        assert_eq!((t + Duration::from_secs(10)).unix_millis(), i64::MAX);
        assert_eq!(Timestamp::EPOCH.since(t), Duration::ZERO);
    }
}
