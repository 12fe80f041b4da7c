//! Meetings: a date, a time, a duration and a join link, and the calendar invitation
//! (RFC 5545 `.ics`) a client downloads for it.
//!
//! Staff give the start as a local time with its UTC offset
//! (`2026-12-10T14:00+01:00`) and the time zone's name for display
//! (`Europe/Vienna`). The instant is exact from the offset alone, so Portal carries
//! no time-zone database; the invitation states the start in UTC, which every
//! calendar program shows in its user's own zone.

use std::fmt::Write as _;

use super::problem::{EvidenceError, Problem};
use crate::clock::Timestamp;

/// The longest meeting: a day.
pub const MAX_MINUTES: u32 = 24 * 60;

/// A meeting's details.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Meeting {
    /// When it starts.
    pub starts_at: Timestamp,
    /// The offset from UTC, in minutes, of the local time staff gave.
    pub utc_offset_minutes: i32,
    /// The time zone's name, for display (`Europe/Vienna`, `UTC`).
    pub time_zone: String,
    /// How long it lasts, in minutes (1 to a day).
    pub duration_minutes: u32,
    /// Where to join it: an `https://` link.
    pub join_link: String,
}

impl Meeting {
    /// Checks staff's entries: `starts` as `YYYY-MM-DDTHH:MM[:SS]` with `Z` or
    /// `±HH:MM`, a time zone name of letters, digits and `/_+-`, a duration, and an
    /// `https://` join link of one line.
    pub fn new(
        starts: &str,
        time_zone: &str,
        duration_minutes: u32,
        join_link: &str,
    ) -> Result<Meeting, EvidenceError> {
        let (starts_at, utc_offset_minutes) = parse_local_time(starts.trim())
            .ok_or_else(|| EvidenceError::new("starts_at", Problem::Malformed))?;
        let time_zone = time_zone.trim();
        if time_zone.is_empty()
            || time_zone.len() > 64
            || !time_zone
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'_' | b'+' | b'-'))
        {
            return Err(EvidenceError::new("time_zone", Problem::Malformed));
        }
        if !(1..=MAX_MINUTES).contains(&duration_minutes) {
            return Err(EvidenceError::new(
                "duration_minutes",
                Problem::OutOfRange {
                    min: 1,
                    max: i64::from(MAX_MINUTES),
                },
            ));
        }
        Ok(Meeting {
            starts_at,
            utc_offset_minutes,
            time_zone: time_zone.to_owned(),
            duration_minutes,
            join_link: https_link(join_link, "join_link")?,
        })
    }

    /// The meeting checked again as [`Meeting::new`] checks staff's entries.
    pub fn checked(self) -> Result<Meeting, EvidenceError> {
        let (hh, mm, ss) = time_of_day(self.starts_at);
        let checked = Meeting::new(
            &format!("{}T{hh:02}:{mm:02}:{ss:02}Z", self.starts_at.date_string()),
            &self.time_zone,
            self.duration_minutes,
            &self.join_link,
        )?;
        Ok(Meeting {
            utc_offset_minutes: self.utc_offset_minutes,
            ..checked
        })
    }

    /// When it ends.
    #[must_use]
    pub fn ends_at(&self) -> Timestamp {
        self.starts_at + std::time::Duration::from_secs(u64::from(self.duration_minutes) * 60)
    }

    /// The start as staff gave it: `2026-12-10 14:00`, in [`Meeting::time_zone`].
    #[must_use]
    pub fn local_start(&self) -> String {
        let local = Timestamp::from_unix_millis(
            self.starts_at.unix_millis() + i64::from(self.utc_offset_minutes) * 60_000,
        );
        let (y, m, d) = local.date();
        let (hh, mm, _) = time_of_day(local);
        format!("{y:04}-{m:02}-{d:02} {hh:02}:{mm:02}")
    }

    /// The calendar invitation: one event, `uid` stable for the task (so that a second
    /// download updates the first rather than adding another), stamped `stamp` (when
    /// the meeting was last set), revision `sequence` (which must grow whenever the
    /// meeting changes: a calendar keeps the event of the highest), with `summary` and
    /// `description` as its text.
    #[must_use]
    pub fn ics(
        &self,
        uid: &str,
        stamp: Timestamp,
        sequence: u32,
        summary: &str,
        description: &str,
    ) -> String {
        let mut text = String::from(description.trim());
        if !text.is_empty() {
            text.push_str("\n\n");
        }
        text.push_str("Join: ");
        text.push_str(&self.join_link);
        let lines = [
            "BEGIN:VCALENDAR".to_owned(),
            "VERSION:2.0".to_owned(),
            "PRODID:-//Portal//Client portal//EN".to_owned(),
            "CALSCALE:GREGORIAN".to_owned(),
            "METHOD:PUBLISH".to_owned(),
            "BEGIN:VEVENT".to_owned(),
            format!("UID:{}", escape_text(uid)),
            format!("DTSTAMP:{}", utc_stamp(stamp)),
            format!("SEQUENCE:{sequence}"),
            format!("DTSTART:{}", utc_stamp(self.starts_at)),
            format!("DTEND:{}", utc_stamp(self.ends_at())),
            format!("SUMMARY:{}", escape_text(summary)),
            format!("DESCRIPTION:{}", escape_text(&text)),
            format!("LOCATION:{}", escape_text(&self.join_link)),
            format!("URL:{}", self.join_link),
            "END:VEVENT".to_owned(),
            "END:VCALENDAR".to_owned(),
        ];
        let mut out = String::new();
        for line in &lines {
            fold(line, &mut out);
        }
        out
    }
}

/// An `https://` link of one line, without spaces or quotes, at most 2,048 bytes:
/// what a page may put in an `href` and a calendar in a `URL`.
pub(crate) fn https_link(link: &str, field: &str) -> Result<String, EvidenceError> {
    let link = link.trim();
    let host_ok = link
        .get(..8)
        .filter(|s| s.eq_ignore_ascii_case("https://"))
        .and_then(|_| link[8..].split(['/', '?', '#']).next())
        .is_some_and(|authority| {
            !authority.is_empty()
                && authority
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':'))
        });
    if !host_ok
        || link.len() > 2_048
        || !link
            .bytes()
            .all(|b| b.is_ascii_graphic() && !matches!(b, b'"' | b'<' | b'>' | b'\\' | b'`'))
    {
        return Err(EvidenceError::new(field, Problem::LinkNotAllowed));
    }
    Ok(link.to_owned())
}

/// `YYYY-MM-DDTHH:MM[:SS]` then `Z` or `±HH:MM`: the instant and the offset in minutes.
fn parse_local_time(s: &str) -> Option<(Timestamp, i32)> {
    let (date, rest) = s.split_once(['T', 't', ' '])?;
    let (time, offset) = match rest.strip_suffix(['Z', 'z']) {
        Some(time) => (time, 0),
        None => {
            let at = rest.rfind(['+', '-'])?;
            let (time, off) = rest.split_at(at);
            let sign = if off.starts_with('-') { -1 } else { 1 };
            let (h, m) = off[1..].split_once(':')?;
            let (h, m) = (two_digits(h)?, two_digits(m)?);
            if h > 23 || m > 59 {
                return None;
            }
            (time, sign * (h * 60 + m))
        }
    };
    let mut parts = time.split(':');
    let (hh, mm) = (two_digits(parts.next()?)?, two_digits(parts.next()?)?);
    let ss = parts.next().map_or(Some(0), two_digits)?;
    if parts.next().is_some() || hh > 23 || mm > 59 || ss > 59 {
        return None;
    }
    let midnight = Timestamp::parse_date(date)?;
    let local = midnight.unix_millis() + i64::from(hh * 3600 + mm * 60 + ss) * 1000;
    Some((
        Timestamp::from_unix_millis(local - i64::from(offset) * 60_000),
        offset,
    ))
}

fn two_digits(s: &str) -> Option<i32> {
    (s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

fn time_of_day(t: Timestamp) -> (i64, i64, i64) {
    let secs = t.unix_millis().div_euclid(1000).rem_euclid(86_400);
    (secs / 3600, secs / 60 % 60, secs % 60)
}

/// RFC 5545's UTC date-time: `20261210T130000Z`.
fn utc_stamp(t: Timestamp) -> String {
    let (y, m, d) = t.date();
    let (hh, mm, ss) = time_of_day(t);
    format!("{y:04}{m:02}{d:02}T{hh:02}{mm:02}{ss:02}Z")
}

/// RFC 5545's TEXT value: `\`, `;` and `,` escaped, line breaks as `\n`, and no other
/// control character (they have no place in a calendar's text).
fn escape_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\r' => {
                chars.next_if_eq(&'\n');
                out.push_str("\\n");
            }
            '\n' => out.push_str("\\n"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Appends `line` folded at 75 octets (a continuation starts with one space, which
/// counts), never inside a UTF-8 sequence, and ended with CRLF.
fn fold(line: &str, out: &mut String) {
    let mut room = 75;
    let mut used = 0;
    for c in line.chars() {
        if used + c.len_utf8() > room {
            out.push_str("\r\n ");
            room = 74;
            used = 0;
        }
        out.push(c);
        used += c.len_utf8();
    }
    let _ = write!(out, "\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meeting() -> Meeting {
        Meeting::new(
            "2026-12-10T14:00+01:00",
            "Europe/Vienna",
            45,
            "https://meet.example.com/abc-defg-hij",
        )
        .unwrap()
    }

    #[test]
    fn the_start_is_exact_from_the_offset() {
        let m = meeting();
        assert_eq!(m.starts_at.to_rfc3339(), "2026-12-10T13:00:00.000Z");
        assert_eq!(m.local_start(), "2026-12-10 14:00");
        assert_eq!(m.ends_at().to_rfc3339(), "2026-12-10T13:45:00.000Z");
        let west =
            Meeting::new("2026-12-10T23:30:15-05:30", "America/X", 60, "https://a.b").unwrap();
        assert_eq!(west.starts_at.to_rfc3339(), "2026-12-11T05:00:15.000Z");
        assert_eq!(west.local_start(), "2026-12-10 23:30");
    }

    #[test]
    fn bad_entries_name_their_field() {
        let field = |r: Result<Meeting, EvidenceError>| r.unwrap_err().field;
        for bad in [
            "2026-12-10T14:00",
            "2026-12-10T24:00Z",
            "2026-02-30T10:00Z",
            "2026-12-10T14:00+1:00",
            "tomorrow",
        ] {
            assert_eq!(
                field(Meeting::new(bad, "UTC", 30, "https://a.b")),
                "starts_at",
                "{bad}"
            );
        }
        assert_eq!(
            field(Meeting::new(
                "2026-12-10T14:00Z",
                "UTC\r\nX: y",
                30,
                "https://a.b"
            )),
            "time_zone"
        );
        assert_eq!(
            field(Meeting::new("2026-12-10T14:00Z", "UTC", 0, "https://a.b")),
            "duration_minutes"
        );
        assert_eq!(
            field(Meeting::new(
                "2026-12-10T14:00Z",
                "UTC",
                1441,
                "https://a.b"
            )),
            "duration_minutes"
        );
        for bad in [
            "http://meet.example.com/x",
            "javascript:alert(1)",
            "https://meet.example.com/a b",
            "https://meet.example.com/\"><script>",
            "https://meet.example.com/x\r\nX-Evil: 1",
            "https://user@meet.example.com/",
            "https:///x",
        ] {
            assert_eq!(
                field(Meeting::new("2026-12-10T14:00Z", "UTC", 30, bad)),
                "join_link",
                "{bad}"
            );
        }
    }

    #[test]
    fn the_invitation_escapes_folds_and_ends_lines_with_crlf() {
        let m = meeting();
        let summary = "Year end; review, Q4 \\ all";
        let description = format!("Line one\r\nLine two {}", "é".repeat(60));
        let ics = m.ics(
            "task-1@portal.example",
            Timestamp::from_unix_millis(0),
            3,
            summary,
            &description,
        );
        assert!(ics.ends_with("END:VCALENDAR\r\n"));
        assert!(!ics.replace("\r\n", "").contains('\n') && !ics.replace("\r\n", "").contains('\r'));
        for line in ics.split("\r\n") {
            assert!(line.len() <= 75, "{} octets: {line}", line.len());
        }
        let unfolded = ics.replace("\r\n ", "");
        assert!(
            unfolded.contains("SUMMARY:Year end\\; review\\, Q4 \\\\ all\r\n"),
            "{unfolded}"
        );
        assert!(unfolded.contains(&format!("DESCRIPTION:Line one\\nLine two {}\\n\\nJoin: https://meet.example.com/abc-defg-hij\r\n", "é".repeat(60))));
        assert!(unfolded.contains("DTSTART:20261210T130000Z\r\n"));
        assert!(unfolded.contains("DTEND:20261210T134500Z\r\n"));
        assert!(unfolded.contains("DTSTAMP:19700101T000000Z\r\n"));
        assert!(unfolded.contains("UID:task-1@portal.example\r\n"));
        assert!(unfolded.contains("SEQUENCE:3\r\n"));
    }
}
