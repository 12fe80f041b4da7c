//! A firm's local time: reminders and digests go out at hours that make sense where the
//! firm is, daylight saving time included. The IANA time zone database is compiled in,
//! so that every machine computes the same hours whatever it has installed.

use std::ops::Range;

use crate::clock::Timestamp;

/// A time zone of the IANA database (`Europe/London`, `America/New_York`), or UTC.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimeZone {
    name: String,
    zone: jiff::tz::TimeZone,
}

/// The name is no time zone of the IANA database.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown time zone (an IANA name such as Europe/London is expected)")]
pub struct UnknownTimeZone;

/// The local time of an instant, as [`TimeZone::local`] tells it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LocalTime {
    /// The local date: year, month (1 to 12), day (1 to 31).
    pub date: (i16, i8, i8),
    /// The local hour, 0 to 23.
    pub hour: u8,
    /// Whether the local day is a Saturday or a Sunday.
    pub weekend: bool,
}

impl TimeZone {
    /// Coordinated Universal Time.
    #[must_use]
    pub fn utc() -> TimeZone {
        TimeZone {
            name: "UTC".to_owned(),
            zone: jiff::tz::TimeZone::UTC,
        }
    }

    /// The zone named `name` in the IANA database.
    pub fn named(name: &str) -> Result<TimeZone, UnknownTimeZone> {
        if name.is_empty() || name.len() > 64 {
            return Err(UnknownTimeZone);
        }
        let zone = jiff::tz::TimeZone::get(name).map_err(|_| UnknownTimeZone)?;
        Ok(TimeZone {
            name: name.to_owned(),
            zone,
        })
    }

    /// Its IANA name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The local time of `at`; an instant out of the database's range reads as UTC
    /// midnight of 1 January 1970 (no instant Portal handles is).
    #[must_use]
    pub fn local(&self, at: Timestamp) -> LocalTime {
        let zoned = jiff::Timestamp::from_millisecond(at.unix_millis())
            .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
            .to_zoned(self.zone.clone());
        LocalTime {
            date: (zoned.year(), zoned.month(), zoned.day()),
            hour: u8::try_from(zoned.hour()).unwrap_or(0),
            weekend: matches!(
                zoned.weekday(),
                jiff::civil::Weekday::Saturday | jiff::civil::Weekday::Sunday
            ),
        }
    }

    /// The instant the local day `date` (year, month, day) starts; `None` for a date
    /// that does not exist.
    #[must_use]
    pub fn start_of_day(&self, (year, month, day): (i16, i8, i8)) -> Option<Timestamp> {
        let date = jiff::civil::Date::new(year, month, day).ok()?;
        let zoned = date.to_zoned(self.zone.clone()).ok()?;
        Some(Timestamp::from_unix_millis(
            zoned.timestamp().as_millisecond(),
        ))
    }

    /// The instant it is `hour`:00 locally on the local day of `at` (the later one
    /// when daylight saving time repeats the hour, the hour after it when it skips it).
    #[must_use]
    pub fn at_hour_of_day(&self, at: Timestamp, hour: u8) -> Timestamp {
        let local = self.local(at);
        let (y, m, d) = local.date;
        jiff::civil::DateTime::new(y, m, d, i8::try_from(hour.min(23)).unwrap_or(0), 0, 0, 0)
            .ok()
            .and_then(|dt| dt.to_zoned(self.zone.clone()).ok())
            .map_or(at, |z| {
                Timestamp::from_unix_millis(z.timestamp().as_millisecond())
            })
    }

    /// Whether `at` falls, locally, within `hours` (from the first hour's start to the
    /// last one's start), on a weekday unless `weekends` allows them.
    #[must_use]
    pub fn within(&self, at: Timestamp, hours: &Range<u8>, weekends: bool) -> bool {
        let local = self.local(at);
        hours.contains(&local.hour) && (weekends || !local.weekend)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(rfc3339: &str) -> Timestamp {
        Timestamp::from_unix_millis(rfc3339.parse::<jiff::Timestamp>().unwrap().as_millisecond())
    }

    #[test]
    fn hours_follow_the_zone_and_its_daylight_saving_time() {
        let london = TimeZone::named("Europe/London").unwrap();
        // Winter: London is on UTC.
        assert_eq!(london.local(at("2026-01-14T09:30:00Z")).hour, 9);
        // Summer: an hour ahead.
        assert_eq!(london.local(at("2026-07-14T08:30:00Z")).hour, 9);
        // The night the clocks go forward (29 March 2026, 01:00 UTC).
        assert_eq!(london.local(at("2026-03-29T00:59:59Z")).hour, 0);
        assert_eq!(london.local(at("2026-03-29T01:00:00Z")).hour, 2);
        let auckland = TimeZone::named("Pacific/Auckland").unwrap();
        let local = auckland.local(at("2026-01-14T21:00:00Z"));
        assert_eq!(
            (local.date, local.hour),
            ((2026, 1, 15), 10),
            "the next day there"
        );
    }

    #[test]
    fn within_hours_on_weekdays() {
        let ny = TimeZone::named("America/New_York").unwrap();
        let hours = 9..17;
        // Wednesday 14 January 2026, 08:59 and 09:00 in New York (UTC-5).
        assert!(!ny.within(at("2026-01-14T13:59:00Z"), &hours, false));
        assert!(ny.within(at("2026-01-14T14:00:00Z"), &hours, false));
        assert!(ny.within(at("2026-01-14T21:59:00Z"), &hours, false));
        assert!(!ny.within(at("2026-01-14T22:00:00Z"), &hours, false));
        // Saturday 17 January, 10:00.
        assert!(!ny.within(at("2026-01-17T15:00:00Z"), &hours, false));
        assert!(ny.within(at("2026-01-17T15:00:00Z"), &hours, true));
    }

    #[test]
    fn a_local_day_starts_at_its_zone_s_midnight() {
        let ny = TimeZone::named("America/New_York").unwrap();
        assert_eq!(
            ny.start_of_day((2026, 12, 24)),
            Some(at("2026-12-24T05:00:00Z"))
        );
        assert_eq!(ny.start_of_day((2026, 2, 30)), None);
    }

    #[test]
    fn an_hour_of_the_local_day() {
        let tokyo = TimeZone::named("Asia/Tokyo").unwrap();
        // 23:00 UTC on the 14th is 08:00 on the 15th in Tokyo.
        assert_eq!(
            tokyo.at_hour_of_day(at("2026-01-14T23:00:00Z"), 8),
            at("2026-01-14T23:00:00Z")
        );
        // 16:00 UTC on the 15th is 01:00 on the 16th there.
        assert_eq!(
            tokyo.at_hour_of_day(at("2026-01-15T16:00:00Z"), 8),
            at("2026-01-15T23:00:00Z")
        );
    }

    #[test]
    fn only_names_of_the_database_are_zones() {
        assert!(TimeZone::named("Europe/Paris").is_ok());
        for bad in ["", "Mars/Olympus", "../etc/passwd", &"A".repeat(100)] {
            assert_eq!(TimeZone::named(bad), Err(UnknownTimeZone), "{bad:?}");
        }
        assert_eq!(TimeZone::utc().local(at("2026-01-14T23:00:00Z")).hour, 23);
    }
}
