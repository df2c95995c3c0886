//! Time zones, send windows, step delays and local days.
//!
//! All instants are UTC milliseconds ([`crate::time::Millis`]); wall-clock reasoning happens in
//! an IANA zone from jiff's bundled database, so results never depend on the machine's
//! `/usr/share/zoneinfo`.

use std::fmt;

use jiff::civil::{Date, DateTime, Weekday};
use jiff::tz::TimeZone;
use jiff::{Span, Timestamp};
use serde::{Deserialize, Serialize};

use crate::time::{DAY, Millis};

/// Why a zone or a window is not valid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WindowError {
    #[error("unknown time zone '{0}' (use an IANA name such as Europe/Berlin)")]
    UnknownTimeZone(String),
    #[error("unknown day '{0}' (use mon, tue, wed, thu, fri, sat, sun)")]
    BadDay(String),
    #[error("a send window needs at least one day")]
    NoDays,
    #[error("bad time '{0}' (use HH:MM, 00:00 to 23:59)")]
    BadTime(String),
}

/// An IANA time zone, checked against the bundled database when it is built.
#[derive(Clone)]
pub struct Zone {
    name: String,
    tz: TimeZone,
}

impl Zone {
    /// Looks the name up (case-insensitively) in the bundled tz database.
    pub fn parse(name: &str) -> Result<Zone, WindowError> {
        let trimmed = name.trim();
        if trimmed.is_empty() {
            return Err(WindowError::UnknownTimeZone(name.to_string()));
        }
        let tz =
            TimeZone::get(trimmed).map_err(|_| WindowError::UnknownTimeZone(name.to_string()))?;
        let name = tz.iana_name().unwrap_or(trimmed).to_string();
        Ok(Zone { name, tz })
    }

    /// UTC.
    pub fn utc() -> Zone {
        Zone {
            name: "UTC".to_string(),
            tz: TimeZone::UTC,
        }
    }

    /// The IANA name as the database spells it (`Europe/Berlin`).
    pub fn name(&self) -> &str {
        &self.name
    }

    pub(super) fn tz(&self) -> &TimeZone {
        &self.tz
    }

    /// A wall-clock time in this zone as a browser's `datetime-local` input gives it
    /// (`2026-12-02T09:30`, seconds optional), as UTC milliseconds. A time skipped by a DST
    /// change moves forward, a repeated one takes the earlier instant.
    pub fn local_to_ms(&self, local: &str) -> Result<Millis, WindowError> {
        let bad = || WindowError::BadTime(local.to_string());
        let dt: DateTime = local.trim().parse().map_err(|_| bad())?;
        local_to_ms(&self.tz, dt).ok_or_else(bad)
    }
}

impl PartialEq for Zone {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for Zone {}

impl fmt::Debug for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Zone({})", self.name)
    }
}

impl fmt::Display for Zone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

impl std::str::FromStr for Zone {
    type Err = WindowError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Zone::parse(s)
    }
}

const DAY_NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const DAY_FULL: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

/// A set of weekdays (bit 0 = Monday ... bit 6 = Sunday).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Weekdays(u8);

impl Weekdays {
    pub const NONE: Weekdays = Weekdays(0);
    pub const ALL: Weekdays = Weekdays(0x7f);
    /// Monday to Friday.
    pub const MON_FRI: Weekdays = Weekdays(0x1f);

    /// Parses names such as `mon`, `Tue`, `wednesday`.
    pub fn parse<S: AsRef<str>>(names: &[S]) -> Result<Weekdays, WindowError> {
        let mut set = Weekdays::NONE;
        for raw in names {
            let n = raw.as_ref().trim().to_ascii_lowercase();
            let i = DAY_NAMES
                .iter()
                .position(|d| *d == n)
                .or_else(|| DAY_FULL.iter().position(|d| *d == n))
                .ok_or_else(|| WindowError::BadDay(raw.as_ref().to_string()))?;
            set.0 |= 1 << i;
        }
        Ok(set)
    }

    /// The set with day `monday_zero` (0 = Monday ... 6 = Sunday) added.
    pub fn with(self, monday_zero: u8) -> Weekdays {
        Weekdays(self.0 | (1 << (monday_zero % 7)))
    }

    /// Whether day `monday_zero` (0 = Monday ... 6 = Sunday) is in the set.
    pub fn contains(self, monday_zero: u8) -> bool {
        monday_zero < 7 && self.0 & (1 << monday_zero) != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 & 0x7f == 0
    }

    /// Short names (`mon`...) in week order.
    pub fn names(self) -> Vec<&'static str> {
        (0..7u8)
            .filter(|&d| self.contains(d))
            .map(|d| DAY_NAMES[usize::from(d)])
            .collect()
    }

    fn has(self, wd: Weekday) -> bool {
        self.contains(wd.to_monday_zero_offset() as u8)
    }
}

/// The schedule as campaigns store and the API accepts it:
/// `{"timezone":"UTC","days":["mon",...],"start":"09:00","end":"17:00"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduleSpec {
    pub timezone: String,
    pub days: Vec<String>,
    pub start: String,
    pub end: String,
}

/// The days and hours in which messages may be sent, in a time zone.
///
/// `start` is the first minute and `end` the last minute in which sending is allowed (both
/// inclusive), so `00:00`–`23:59` is the whole day and `09:00`–`17:00` allows sends until
/// 17:00:59. When `start` is later than `end` the window crosses midnight (`22:00`–`06:00`):
/// it belongs to the day it opens on, so `days` names the evenings. Times are wall-clock
/// times: a window keeps its local hours across DST changes, a start that falls in a skipped
/// hour opens when the clocks have jumped, and a repeated hour counts once (the earlier).
///
/// The zone given here is the campaign's fallback; [`next_allowed`] uses the recipient's zone
/// when it is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendWindow {
    zone: Zone,
    days: Weekdays,
    start: u16,
    end: u16,
}

fn parse_hm(raw: &str) -> Result<(u8, u8), WindowError> {
    let bad = || WindowError::BadTime(raw.to_string());
    let (h, m) = raw.trim().split_once(':').ok_or_else(bad)?;
    if h.is_empty() || h.len() > 2 || m.len() != 2 {
        return Err(bad());
    }
    let h: u8 = h.parse().map_err(|_| bad())?;
    let m: u8 = m.parse().map_err(|_| bad())?;
    if h > 23 || m > 59 {
        return Err(bad());
    }
    Ok((h, m))
}

impl SendWindow {
    /// A window in zone `timezone` on `days`, from `start` to `end` as (hour, minute).
    pub fn new(
        timezone: &str,
        days: Weekdays,
        start: (u8, u8),
        end: (u8, u8),
    ) -> Result<SendWindow, WindowError> {
        let zone = Zone::parse(timezone)?;
        if days.is_empty() {
            return Err(WindowError::NoDays);
        }
        let minutes = |(h, m): (u8, u8)| {
            if h > 23 || m > 59 {
                Err(WindowError::BadTime(format!("{h:02}:{m:02}")))
            } else {
                Ok(u16::from(h) * 60 + u16::from(m))
            }
        };
        Ok(SendWindow {
            zone,
            days,
            start: minutes(start)?,
            end: minutes(end)?,
        })
    }

    /// Parses the string form: day names and `HH:MM` times.
    pub fn parse<S: AsRef<str>>(
        timezone: &str,
        days: &[S],
        start: &str,
        end: &str,
    ) -> Result<SendWindow, WindowError> {
        let days = Weekdays::parse(days)?;
        SendWindow::new(timezone, days, parse_hm(start)?, parse_hm(end)?)
    }

    /// Parses a stored or submitted [`ScheduleSpec`].
    pub fn from_spec(spec: &ScheduleSpec) -> Result<SendWindow, WindowError> {
        SendWindow::parse(&spec.timezone, &spec.days, &spec.start, &spec.end)
    }

    /// Every day, all day, in `zone`.
    pub fn always(zone: Zone) -> SendWindow {
        SendWindow {
            zone,
            days: Weekdays::ALL,
            start: 0,
            end: 23 * 60 + 59,
        }
    }

    /// The string form back.
    pub fn to_spec(&self) -> ScheduleSpec {
        let hm = |m: u16| format!("{:02}:{:02}", m / 60, m % 60);
        ScheduleSpec {
            timezone: self.zone.name().to_string(),
            days: self.days.names().iter().map(|d| d.to_string()).collect(),
            start: hm(self.start),
            end: hm(self.end),
        }
    }

    /// The campaign's (fallback) zone.
    pub fn zone(&self) -> &Zone {
        &self.zone
    }

    pub fn days(&self) -> Weekdays {
        self.days
    }

    /// (hour, minute) of the first allowed minute.
    pub fn start(&self) -> (u8, u8) {
        ((self.start / 60) as u8, (self.start % 60) as u8)
    }

    /// (hour, minute) of the last allowed minute.
    pub fn end(&self) -> (u8, u8) {
        ((self.end / 60) as u8, (self.end % 60) as u8)
    }

    /// Length of one opening in wall-clock minutes (1..=1440).
    fn span_minutes(&self) -> i64 {
        let (s, e) = (i64::from(self.start), i64::from(self.end));
        if e >= s { e - s + 1 } else { 1440 - s + e + 1 }
    }

    /// The opening that starts on local date `d`, as [open, close) instants, if `d` is one of
    /// the window's days.
    fn opening(&self, tz: &TimeZone, d: Date) -> Option<(Millis, Millis)> {
        if !self.days.has(d.weekday()) {
            return None;
        }
        let open: DateTime = d.at((self.start / 60) as i8, (self.start % 60) as i8, 0, 0);
        let close = open
            .checked_add(Span::new().minutes(self.span_minutes()))
            .ok()?;
        let o = local_to_ms(tz, open)?;
        let c = local_to_ms(tz, close)?;
        (o < c).then_some((o, c))
    }

    /// Whether a send at `ms` is inside the window, in `recipient`'s zone when given.
    pub fn is_open(&self, ms: Millis, recipient: Option<&Zone>) -> bool {
        let tz = recipient.unwrap_or(&self.zone).tz();
        let Some(today) = local_date(tz, ms) else {
            return false;
        };
        (-2..=1).any(|k| {
            add_days(today, k)
                .and_then(|d| self.opening(tz, d))
                .is_some_and(|(o, c)| o <= ms && ms < c)
        })
    }
}

/// Converts a local wall-clock time to UTC ms: a time in a DST gap moves forward by the gap, a
/// repeated time takes the earlier instant (jiff's "compatible" rule, as RFC 5545 does).
fn local_to_ms(tz: &TimeZone, dt: DateTime) -> Option<Millis> {
    tz.to_ambiguous_timestamp(dt)
        .compatible()
        .ok()
        .map(Timestamp::as_millisecond)
}

fn local_datetime(tz: &TimeZone, ms: Millis) -> Option<DateTime> {
    Timestamp::from_millisecond(ms)
        .ok()
        .map(|ts| tz.to_datetime(ts))
}

fn local_date(tz: &TimeZone, ms: Millis) -> Option<Date> {
    local_datetime(tz, ms).map(DateTime::date)
}

fn add_days(d: Date, days: i64) -> Option<Date> {
    d.checked_add(Span::new().days(days)).ok()
}

/// The earliest moment at or after `now_ms` inside `window`, judged in `recipient`'s zone when
/// it is known and in the window's own zone otherwise: `now_ms` itself when the window is open.
///
/// Instants outside jiff's range (years -9999 to 9999) are returned unchanged.
pub fn next_allowed(now_ms: Millis, window: &SendWindow, recipient: Option<&Zone>) -> Millis {
    let tz = recipient.unwrap_or(&window.zone).tz();
    let Some(today) = local_date(tz, now_ms) else {
        return now_ms;
    };
    // Yesterday's opening may still run (windows crossing midnight); some day of the next week
    // opens, since the window has at least one day.
    (-2..=8)
        .filter_map(|k| add_days(today, k).and_then(|d| window.opening(tz, d)))
        .filter(|&(_, close)| now_ms < close)
        .map(|(open, _)| open.max(now_ms))
        .min()
        .unwrap_or(now_ms)
}

/// When a step that waits `delay_days` after a send at `prev_sent_ms` becomes due.
///
/// Days are calendar days in `zone` (the same wall-clock time N days later, whatever DST does);
/// with `business_days`, only Monday to Friday count, so Friday + 1 is Monday and Saturday + 1
/// is Monday. Delay 0 is due at once. The send window is applied afterwards, by
/// [`next_allowed`].
pub fn due_after(
    prev_sent_ms: Millis,
    delay_days: u32,
    business_days: bool,
    zone: &Zone,
) -> Millis {
    if delay_days == 0 {
        return prev_sent_ms;
    }
    // Far beyond any campaign; keeps the arithmetic inside jiff's range.
    let delay = i64::from(delay_days.min(36_500));
    let naive = prev_sent_ms.saturating_add(delay.saturating_mul(DAY));
    let tz = zone.tz();
    let Some(start) = local_datetime(tz, prev_sent_ms) else {
        return naive;
    };
    let days = if business_days {
        // Whole weeks of five business days, then the remainder one day at a time.
        let weeks = (delay - 1) / 5;
        let mut left = delay - weeks * 5;
        let mut d = match add_days(start.date(), weeks * 7) {
            Some(d) => d,
            None => return naive,
        };
        let mut total = weeks * 7;
        while left > 0 {
            d = match add_days(d, 1) {
                Some(d) => d,
                None => return naive,
            };
            total += 1;
            if !matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday) {
                left -= 1;
            }
        }
        total
    } else {
        delay
    };
    start
        .checked_add(Span::new().days(days))
        .ok()
        .and_then(|dt| local_to_ms(tz, dt))
        .unwrap_or(naive)
}

/// Start (UTC ms) of the local day in `zone` that contains `ms` — the moment daily send counts
/// reset. On days whose midnight does not exist, the first moment of the day.
pub fn local_day_start_ms(ms: Millis, zone: &Zone) -> Millis {
    Timestamp::from_millisecond(ms)
        .ok()
        .and_then(|ts| ts.to_zoned_datetime(zone.tz().clone()).start_of_day().ok())
        .map(|z| z.timestamp().as_millisecond())
        .unwrap_or_else(|| ms - ms.rem_euclid(DAY))
}

/// Start (UTC ms) of the local day after the one containing `ms`.
pub fn next_local_day_start_ms(ms: Millis, zone: &Zone) -> Millis {
    let tz = zone.tz();
    local_date(tz, ms)
        .and_then(|d| add_days(d, 1))
        .and_then(|d| d.to_zoned_datetime(tz.clone()).ok())
        .map(|z| z.timestamp().as_millisecond())
        .unwrap_or_else(|| ms - ms.rem_euclid(DAY) + DAY)
}

/// Number of local calendar days from the day of `from_ms` to the day of `to_ms` in `zone`
/// (0 on the same day, negative when `to_ms` is earlier): the warm-up day index.
pub fn local_days_between(from_ms: Millis, to_ms: Millis, zone: &Zone) -> i64 {
    let tz = zone.tz();
    let epoch_day = |ms: Millis| {
        local_date(tz, ms)
            .and_then(|d| TimeZone::UTC.to_timestamp(d.at(0, 0, 0, 0)).ok())
            .map(|ts| ts.as_millisecond().div_euclid(DAY))
            .unwrap_or_else(|| ms.div_euclid(DAY))
    };
    epoch_day(to_ms) - epoch_day(from_ms)
}
