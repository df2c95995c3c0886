use std::collections::HashSet;

use proptest::prelude::*;

use super::zones::{COUNTRY_ZONES, REGION_ZONES};
use super::*;
use crate::time::{DAY, HOUR, MINUTE};

/// UTC ms of an RFC 3339 instant.
fn at(s: &str) -> i64 {
    s.parse::<jiff::Timestamp>()
        .unwrap_or_else(|e| panic!("{s}: {e}"))
        .as_millisecond()
}

fn zone(name: &str) -> Zone {
    Zone::parse(name).unwrap()
}

fn window(tz: &str, days: &[&str], start: &str, end: &str) -> SendWindow {
    SendWindow::parse(tz, days, start, end).unwrap()
}

const WEEK: [&str; 5] = ["mon", "tue", "wed", "thu", "fri"];
const ALL: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

#[test]
fn inside_the_window_is_now() {
    let w = window("Europe/Berlin", &WEEK, "09:00", "17:00");
    // Tue 2026-03-10, 10:00 CET.
    let now = at("2026-03-10T09:00:00Z");
    assert_eq!(next_allowed(now, &w, None), now);
    // The end minute is included: 17:00:59 CET is open, 17:01 is not.
    let last = at("2026-03-10T16:00:59.999Z");
    assert_eq!(next_allowed(last, &w, None), last);
    assert!(!w.is_open(at("2026-03-10T16:01:00Z"), None));
    assert_eq!(
        next_allowed(at("2026-03-10T16:01:00Z"), &w, None),
        at("2026-03-11T08:00:00Z")
    );
    // Before opening the same day.
    assert_eq!(
        next_allowed(at("2026-03-10T05:00:00Z"), &w, None),
        at("2026-03-10T08:00:00Z")
    );
}

#[test]
fn berlin_spring_forward() {
    let w = window("Europe/Berlin", &WEEK, "09:00", "17:00");
    // Saturday 2026-03-28 20:00 CET; the clocks go forward on Sunday 29th; Monday 09:00 is
    // CEST (UTC+2).
    assert_eq!(
        next_allowed(at("2026-03-28T19:00:00Z"), &w, None),
        at("2026-03-30T07:00:00Z")
    );
    let every = window("Europe/Berlin", &ALL, "09:00", "17:00");
    // Sunday 01:30 CET -> 09:00 CEST on the same day.
    assert_eq!(
        next_allowed(at("2026-03-29T00:30:00Z"), &every, None),
        at("2026-03-29T07:00:00Z")
    );
    // A start inside the skipped hour (02:30 does not exist that night) opens at 03:30 CEST.
    let gap = window("Europe/Berlin", &ALL, "02:30", "04:00");
    assert_eq!(
        next_allowed(at("2026-03-29T00:00:00Z"), &gap, None),
        at("2026-03-29T01:30:00Z")
    );
    // The day before it is an ordinary 02:30 CET.
    assert_eq!(
        next_allowed(at("2026-03-28T00:00:00Z"), &gap, None),
        at("2026-03-28T01:30:00Z")
    );
}

#[test]
fn berlin_fall_back() {
    let every = window("Europe/Berlin", &ALL, "09:00", "17:00");
    // Sunday 2026-10-25 the clocks go back at 03:00 CEST; 09:00 is CET (UTC+1).
    assert_eq!(
        next_allowed(at("2026-10-24T18:00:00Z"), &every, None),
        at("2026-10-25T08:00:00Z")
    );
    // The repeated hour counts once, the earlier (CEST) one: 02:15 CEST = 00:15Z.
    let fold = window("Europe/Berlin", &ALL, "02:15", "02:20");
    assert_eq!(
        next_allowed(at("2026-10-24T23:00:00Z"), &fold, None),
        at("2026-10-25T00:15:00Z")
    );
    // Its second occurrence (02:15 CET = 01:15Z) is not an opening; next is Monday 02:15 CET.
    assert!(!fold.is_open(at("2026-10-25T01:16:00Z"), None));
    assert_eq!(
        next_allowed(at("2026-10-25T01:16:00Z"), &fold, None),
        at("2026-10-26T01:15:00Z")
    );
}

#[test]
fn new_york_dst() {
    let every = window("America/New_York", &ALL, "09:00", "17:00");
    // 2026-03-08: 02:00 EST -> 03:00 EDT. Midnight EST is 05:00Z, 09:00 EDT is 13:00Z.
    assert_eq!(
        next_allowed(at("2026-03-08T05:00:00Z"), &every, None),
        at("2026-03-08T13:00:00Z")
    );
    // The day before, 09:00 EST = 14:00Z.
    assert_eq!(
        next_allowed(at("2026-03-07T05:00:00Z"), &every, None),
        at("2026-03-07T14:00:00Z")
    );
    // 2026-11-01: 02:00 EDT -> 01:00 EST; 09:00 EST = 14:00Z.
    assert_eq!(
        next_allowed(at("2026-11-01T04:30:00Z"), &every, None),
        at("2026-11-01T14:00:00Z")
    );
    // 17:00 EST is the last minute: 22:00:59Z open, 22:01Z closed.
    assert!(every.is_open(at("2026-11-01T22:00:59Z"), None));
    assert!(!every.is_open(at("2026-11-01T22:01:00Z"), None));
    // The ambiguous 01:30 takes the earlier (EDT) instant.
    let fold = window("America/New_York", &["sun"], "01:30", "01:45");
    assert_eq!(
        next_allowed(at("2026-11-01T04:00:00Z"), &fold, None),
        at("2026-11-01T05:30:00Z")
    );
}

#[test]
fn window_crossing_midnight() {
    // Monday evenings 22:00 until Tuesday 06:00 (UTC).
    let w = window("UTC", &["mon"], "22:00", "06:00");
    // 2026-03-09 is a Monday.
    assert_eq!(
        next_allowed(at("2026-03-09T12:00:00Z"), &w, None),
        at("2026-03-09T22:00:00Z")
    );
    let late = at("2026-03-10T03:00:00Z");
    assert_eq!(next_allowed(late, &w, None), late);
    assert!(w.is_open(at("2026-03-10T06:00:59Z"), None));
    assert!(!w.is_open(at("2026-03-10T06:01:00Z"), None));
    assert_eq!(
        next_allowed(at("2026-03-10T07:00:00Z"), &w, None),
        at("2026-03-16T22:00:00Z")
    );
    // Tuesday 03:00 is not open for a Tuesday-only night window (it opens Tuesday 22:00).
    let tue = window("UTC", &["tue"], "22:00", "06:00");
    assert_eq!(next_allowed(late, &tue, None), at("2026-03-10T22:00:00Z"));
    // Across the Berlin spring-forward night: Saturday 22:00 CET to Sunday 06:00 CEST.
    let sat = window("Europe/Berlin", &["sat"], "22:00", "06:00");
    assert!(sat.is_open(at("2026-03-28T21:00:00Z"), None));
    assert!(sat.is_open(at("2026-03-29T04:00:30Z"), None));
    assert!(!sat.is_open(at("2026-03-29T04:01:00Z"), None));
    assert_eq!(
        next_allowed(at("2026-03-29T04:01:00Z"), &sat, None),
        at("2026-04-04T20:00:00Z")
    );
}

#[test]
fn all_day_every_day_is_always_open() {
    let w = window("UTC", &ALL, "00:00", "23:59");
    for now in [
        at("2026-01-01T00:00:00Z"),
        at("2026-06-30T23:59:59.999Z"),
        at("2026-03-29T01:30:00Z"),
    ] {
        assert_eq!(next_allowed(now, &w, None), now);
    }
    let w = window("Europe/Berlin", &ALL, "00:00", "23:59");
    for now in [at("2026-03-29T01:00:00Z"), at("2026-10-25T01:30:00Z")] {
        assert_eq!(next_allowed(now, &w, None), now);
    }
    let w = SendWindow::always(zone("Asia/Tokyo"));
    assert!(w.is_open(at("2026-05-05T05:05:05Z"), None));
}

#[test]
fn recipient_zone_overrides_the_campaign_zone() {
    let w = window("UTC", &WEEK, "09:00", "17:00");
    let ny = zone("America/New_York");
    // Monday 2026-06-01 12:00Z is 08:00 EDT: wait until 09:00 EDT = 13:00Z.
    assert_eq!(
        next_allowed(at("2026-06-01T12:00:00Z"), &w, Some(&ny)),
        at("2026-06-01T13:00:00Z")
    );
    assert_eq!(
        next_allowed(at("2026-06-01T12:00:00Z"), &w, None),
        at("2026-06-01T12:00:00Z")
    );
    // Kathmandu is UTC+05:45.
    let ktm = zone("Asia/Kathmandu");
    assert_eq!(
        next_allowed(at("2026-06-01T00:00:00Z"), &w, Some(&ktm)),
        at("2026-06-01T03:15:00Z")
    );
}

#[test]
fn invalid_windows_are_refused_when_parsed() {
    assert_eq!(
        SendWindow::parse("Mars/Olympus", &ALL, "09:00", "17:00"),
        Err(WindowError::UnknownTimeZone("Mars/Olympus".into()))
    );
    assert!(matches!(
        SendWindow::parse("", &ALL, "09:00", "17:00"),
        Err(WindowError::UnknownTimeZone(_))
    ));
    assert_eq!(
        SendWindow::parse::<&str>("UTC", &[], "09:00", "17:00"),
        Err(WindowError::NoDays)
    );
    assert_eq!(
        SendWindow::parse("UTC", &["mo"], "09:00", "17:00"),
        Err(WindowError::BadDay("mo".into()))
    );
    for bad in ["24:00", "9", "09:60", "09:5", "ab:cd", "-1:00", "123:00"] {
        assert_eq!(
            SendWindow::parse("UTC", &ALL, bad, "17:00"),
            Err(WindowError::BadTime(bad.into())),
            "{bad}"
        );
    }
    assert!(SendWindow::new("UTC", Weekdays::ALL, (24, 0), (1, 0)).is_err());
    assert!(SendWindow::parse("UTC", &["Monday", "SUN"], "9:05", "17:00").is_ok());
}

#[test]
fn zone_names() {
    assert_eq!(zone("europe/berlin").name(), "Europe/Berlin");
    assert_eq!(zone("UTC").name(), "UTC");
    assert_eq!(Zone::utc(), zone("UTC"));
    assert!(Zone::parse("Not/AZone").is_err());
    assert!(Zone::parse("EST5EDT,M3.2.0,M11.1.0").is_err());
}

#[test]
fn schedule_spec_round_trip() {
    let json = r#"{"timezone":"UTC","days":["mon","tue","wed","thu","fri","sat","sun"],
                   "start":"00:00","end":"23:59"}"#;
    let spec: ScheduleSpec = serde_json::from_str(json).unwrap();
    let w = SendWindow::from_spec(&spec).unwrap();
    assert_eq!(w.days(), Weekdays::ALL);
    assert_eq!((w.start(), w.end()), ((0, 0), (23, 59)));
    assert_eq!(w.to_spec(), spec);
    let w = window("Europe/Berlin", &["fri", "mon"], "9:30", "17:00");
    assert_eq!(w.to_spec().days, vec!["mon", "fri"]);
    assert_eq!(w.to_spec().start, "09:30");
}

#[test]
fn due_after_calendar_and_business_days() {
    let utc = Zone::utc();
    // Friday 2026-03-06 15:00Z.
    let fri = at("2026-03-06T15:00:00Z");
    assert_eq!(due_after(fri, 0, true, &utc), fri);
    assert_eq!(due_after(fri, 1, false, &utc), at("2026-03-07T15:00:00Z"));
    assert_eq!(due_after(fri, 1, true, &utc), at("2026-03-09T15:00:00Z"));
    assert_eq!(due_after(fri, 5, true, &utc), at("2026-03-13T15:00:00Z"));
    assert_eq!(due_after(fri, 6, true, &utc), at("2026-03-16T15:00:00Z"));
    assert_eq!(due_after(fri, 10, true, &utc), at("2026-03-20T15:00:00Z"));
    // Saturday + 1 business day is Monday; Thursday + 2 is Monday.
    assert_eq!(
        due_after(at("2026-03-07T10:00:00Z"), 1, true, &utc),
        at("2026-03-09T10:00:00Z")
    );
    assert_eq!(
        due_after(at("2026-03-05T10:00:00Z"), 2, true, &utc),
        at("2026-03-09T10:00:00Z")
    );
    // Weekends are judged in the recipient's zone: Friday 23:30Z is already Saturday in Tokyo,
    // so one business day later is Monday 08:30 JST = Sunday 23:30Z.
    let tokyo = zone("Asia/Tokyo");
    assert_eq!(
        due_after(at("2026-03-06T23:30:00Z"), 1, true, &tokyo),
        at("2026-03-08T23:30:00Z")
    );
    // Calendar days keep the wall-clock time across DST: 10:00 CET Saturday -> 10:00 CEST.
    let berlin = zone("Europe/Berlin");
    assert_eq!(
        due_after(at("2026-03-28T09:00:00Z"), 1, false, &berlin),
        at("2026-03-29T08:00:00Z")
    );
    // Absurd delays do not overflow.
    assert!(due_after(fri, u32::MAX, true, &utc) > fri);
}

#[test]
fn local_days() {
    let berlin = zone("Europe/Berlin");
    // Noon on the spring-forward Sunday: the day started at 00:00 CET = 23:00Z Saturday and
    // the next starts at 00:00 CEST = 22:00Z.
    let noon = at("2026-03-29T10:00:00Z");
    assert_eq!(
        local_day_start_ms(noon, &berlin),
        at("2026-03-28T23:00:00Z")
    );
    assert_eq!(
        next_local_day_start_ms(noon, &berlin),
        at("2026-03-29T22:00:00Z")
    );
    assert_eq!(
        local_day_start_ms(at("2026-07-01T21:59:59Z"), &berlin),
        at("2026-06-30T22:00:00Z")
    );
    assert_eq!(
        local_day_start_ms(at("2026-07-01T22:00:00Z"), &berlin),
        at("2026-07-01T22:00:00Z")
    );
    let utc = Zone::utc();
    assert_eq!(
        local_day_start_ms(at("2026-07-01T12:34:56Z"), &utc),
        at("2026-07-01T00:00:00Z")
    );
    // 23:30 CET Saturday and 01:30 CET Sunday are one local day apart, the same UTC day.
    let a = at("2026-03-28T22:30:00Z");
    let b = at("2026-03-29T00:30:00Z");
    assert_eq!(local_days_between(a, b, &berlin), 1);
    assert_eq!(local_days_between(a, b, &utc), 1);
    assert_eq!(
        local_days_between(
            at("2026-03-28T20:00:00Z"),
            at("2026-03-28T22:30:00Z"),
            &berlin
        ),
        0
    );
    assert_eq!(local_days_between(b, a, &berlin), -1);
    assert_eq!(
        local_days_between(
            at("2026-01-01T12:00:00Z"),
            at("2026-12-31T12:00:00Z"),
            &berlin
        ),
        364
    );
}

#[test]
fn warmup() {
    let ramp = WarmupRamp {
        start: 10,
        increment: 5,
    };
    assert_eq!(warmup_limit(0, 50, ramp), 10);
    assert_eq!(warmup_limit(3, 50, ramp), 25);
    assert_eq!(warmup_limit(8, 50, ramp), 50);
    assert_eq!(warmup_limit(100, 50, ramp), 50);
    assert_eq!(warmup_limit(u32::MAX, 50, ramp), 50);
    assert_eq!(warmup_limit(0, 5, ramp), 5);
}

fn active(sent: u32, limit: u32) -> SenderState {
    SenderState {
        sent_today: sent,
        daily_limit: limit,
        health: SenderHealth::Active,
    }
}

#[test]
fn choose_skips_full_and_paused_and_prefers_least_used() {
    let paused = SenderState {
        health: SenderHealth::Paused,
        ..active(0, 10)
    };
    assert_eq!(choose_sender(&[], None), None);
    assert_eq!(choose_sender(&[paused, active(10, 10)], None), None);
    assert_eq!(choose_sender(&[active(0, 0)], None), None);
    assert_eq!(
        choose_sender(
            &[active(5, 10), paused, active(10, 10), active(2, 10)],
            None
        ),
        Some(3)
    );
    // 3/100 is a smaller fraction than 1/10.
    assert_eq!(
        choose_sender(&[active(1, 10), active(3, 100)], None),
        Some(1)
    );
    // Ties rotate after the last one used.
    let same = [active(0, 10), active(0, 10), active(0, 10)];
    assert_eq!(choose_sender(&same, None), Some(0));
    assert_eq!(choose_sender(&same, Some(0)), Some(1));
    assert_eq!(choose_sender(&same, Some(2)), Some(0));
    assert_eq!(choose_sender(&same, Some(99)), Some(1));
}

#[test]
fn budget_rotates_fairly_and_stops_when_full() {
    let mut b = SenderBudget::new(vec![active(0, 10), active(0, 20), active(0, 30)]);
    assert_eq!(b.remaining(), 60);
    let mut picks = [0u32; 3];
    for _ in 0..30 {
        picks[b.next_sender().unwrap()] += 1;
    }
    // Half-way, each sender has used about half its limit.
    assert!(
        picks[0].abs_diff(5) <= 1 && picks[1].abs_diff(10) <= 1,
        "{picks:?}"
    );
    for _ in 30..60 {
        picks[b.next_sender().unwrap()] += 1;
    }
    assert_eq!(picks, [10, 20, 30]);
    assert_eq!(b.next_sender(), None);
    b.release(1);
    assert_eq!(b.next_sender(), Some(1));
    // Equal senders alternate.
    let mut b = SenderBudget::new(vec![active(0, 100), active(0, 100)]).with_last_used(Some(0));
    let seq: Vec<usize> = (0..4).filter_map(|_| b.next_sender()).collect();
    assert_eq!(seq, vec![1, 0, 1, 0]);
}

#[test]
fn gaps() {
    assert_eq!(next_gap_ms(0, 42), 0);
    let gaps: Vec<u64> = (0..2000).map(|s| next_gap_ms(60, s)).collect();
    assert!(gaps.iter().all(|g| (60_000..=90_000).contains(g)));
    assert!(gaps.iter().any(|&g| g < 63_000));
    assert!(gaps.iter().any(|&g| g > 87_000));
    assert_eq!(next_gap_ms(60, 7), next_gap_ms(60, 7));
    assert!(next_gap_ms(u64::MAX, 1) > 0);
}

#[test]
fn timezone_for_countries_regions_and_phones() {
    assert_eq!(timezone_for(Some("DE"), None, None), Some("Europe/Berlin"));
    assert_eq!(timezone_for(Some("de"), None, None), Some("Europe/Berlin"));
    assert_eq!(
        timezone_for(Some("Germany"), None, None),
        Some("Europe/Berlin")
    );
    assert_eq!(
        timezone_for(Some("US"), None, None),
        Some("America/New_York")
    );
    for ca in ["CA", "US-CA", "us-ca", "California", " california "] {
        assert_eq!(
            timezone_for(Some("US"), Some(ca), None),
            Some("America/Los_Angeles"),
            "{ca}"
        );
    }
    assert_eq!(
        timezone_for(Some("US"), Some("Washington, D.C."), None),
        Some("America/New_York")
    );
    assert_eq!(
        timezone_for(Some("US"), Some("Washington"), None),
        Some("America/Los_Angeles")
    );
    assert_eq!(
        timezone_for(Some("US"), Some("TX"), None),
        Some("America/Chicago")
    );
    assert_eq!(
        timezone_for(Some("US"), Some("Atlantis"), None),
        Some("America/New_York")
    );
    assert_eq!(
        timezone_for(Some("CA"), Some("BC"), None),
        Some("America/Vancouver")
    );
    assert_eq!(
        timezone_for(Some("CA"), Some("Québec"), None),
        Some("America/Toronto")
    );
    assert_eq!(
        timezone_for(Some("CA"), None, None),
        Some("America/Toronto")
    );
    assert_eq!(
        timezone_for(Some("AU"), Some("Western Australia"), None),
        Some("Australia/Perth")
    );
    assert_eq!(
        timezone_for(Some("AU"), Some("QLD"), None),
        Some("Australia/Brisbane")
    );
    assert_eq!(
        timezone_for(Some("BR"), Some("São Paulo"), None),
        Some("America/Sao_Paulo")
    );
    assert_eq!(
        timezone_for(Some("BR"), Some("Amazonas"), None),
        Some("America/Manaus")
    );
    assert_eq!(
        timezone_for(Some("BR"), Some("BR-AM"), None),
        Some("America/Manaus")
    );
    assert_eq!(
        timezone_for(Some("MX"), Some("Jalisco"), None),
        Some("America/Mexico_City")
    );
    assert_eq!(
        timezone_for(Some("MX"), Some("Baja California"), None),
        Some("America/Tijuana")
    );
    assert_eq!(
        timezone_for(Some("MX"), Some("Baja California Sur"), None),
        Some("America/Mazatlan")
    );
    assert_eq!(
        timezone_for(Some("RU"), Some("Novosibirsk Oblast"), None),
        Some("Asia/Novosibirsk")
    );
    assert_eq!(
        timezone_for(Some("RU"), Some("Republic of Tatarstan"), None),
        Some("Europe/Moscow")
    );
    assert_eq!(
        timezone_for(Some("RU"), Some("RU-PRI"), None),
        Some("Asia/Vladivostok")
    );
    // Regions only matter for the multi-zone countries.
    assert_eq!(
        timezone_for(Some("FR"), Some("CA"), None),
        Some("Europe/Paris")
    );

    // Phones: the calling code (and the number's range for shared codes).
    assert_eq!(
        timezone_for(None, None, Some("+49301234567")),
        Some("Europe/Berlin")
    );
    assert_eq!(
        timezone_for(None, None, Some("+442079460000")),
        Some("Europe/London")
    );
    assert_eq!(
        timezone_for(None, None, Some("+12125550123")),
        Some("America/New_York")
    );
    assert_eq!(
        timezone_for(None, Some("CA"), Some("+14155550123")),
        Some("America/Los_Angeles")
    );
    assert_eq!(
        timezone_for(None, None, Some("+16045550123")),
        Some("America/Toronto")
    );
    assert_eq!(
        timezone_for(None, Some("BC"), Some("+16045550123")),
        Some("America/Vancouver")
    );
    assert_eq!(
        timezone_for(None, None, Some("+74951234567")),
        Some("Europe/Moscow")
    );
    assert_eq!(
        timezone_for(None, None, Some("+77271234567")),
        Some("Asia/Almaty")
    );
    // The country wins over the phone; an unknown country falls back to the phone.
    assert_eq!(
        timezone_for(Some("FR"), None, Some("+49301234567")),
        Some("Europe/Paris")
    );
    assert_eq!(
        timezone_for(Some("Narnia"), None, Some("+49301234567")),
        Some("Europe/Berlin")
    );
    assert_eq!(timezone_for(None, None, Some("030 1234567")), None);
    assert_eq!(timezone_for(None, None, Some("+")), None);
    assert_eq!(timezone_for(None, None, None), None);
    assert_eq!(country_for_phone("+33142685300").as_deref(), Some("FR"));
}

#[test]
fn every_table_zone_exists_in_the_bundled_database() {
    for (c, z) in COUNTRY_ZONES {
        assert!(Zone::parse(z).is_ok(), "{c}: {z}");
    }
    for (c, groups) in REGION_ZONES {
        assert!(zone_for_country(c).is_some(), "{c}");
        for (z, _) in *groups {
            assert!(Zone::parse(z).is_ok(), "{c}: {z}");
        }
    }
}

#[test]
fn country_table_is_sorted_and_covers_every_country() {
    assert!(COUNTRY_ZONES.windows(2).all(|w| w[0].0 < w[1].0));
    for a in b'A'..=b'Z' {
        for b in b'A'..=b'Z' {
            let code = String::from_utf8(vec![a, b]).unwrap();
            if crate::normalize::to_iso2(&code).is_ok_and(|c| c.as_str() == code) {
                assert!(zone_for_country(&code).is_some(), "no zone for {code}");
            }
        }
    }
    assert!(COUNTRY_ZONES.len() >= 249);
}

#[test]
fn region_keys_are_unambiguous_within_a_country() {
    for (c, groups) in REGION_ZONES {
        let mut seen = std::collections::HashMap::new();
        for (z, keys) in *groups {
            for k in *keys {
                let probe = timezone_for(Some(c), Some(k), None);
                assert_eq!(probe, Some(*z), "{c} {k}");
                if let Some(prev) = seen.insert(k.to_lowercase(), *z) {
                    assert_eq!(prev, *z, "{c} {k}");
                }
            }
        }
    }
}

const ZONES: [&str; 10] = [
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "Asia/Kathmandu",
    "Australia/Lord_Howe",
    "Pacific/Chatham",
    "America/Santiago",
    "America/Havana",
    "Asia/Kolkata",
    "Pacific/Kiritimati",
];

/// Independent check of a window in a fixed-offset zone, by plain arithmetic.
fn fixed_open(ms: i64, offset_ms: i64, days: Weekdays, start: i64, end: i64) -> bool {
    let local = ms + offset_ms;
    let day = local.div_euclid(DAY);
    let minute = local.rem_euclid(DAY) / MINUTE;
    // 1970-01-01 was a Thursday (Monday-zero 3).
    let wd = |d: i64| (d + 3).rem_euclid(7) as u8;
    if start <= end {
        days.contains(wd(day)) && (start..=end).contains(&minute)
    } else if minute >= start {
        days.contains(wd(day))
    } else if minute <= end {
        days.contains(wd(day - 1))
    } else {
        false
    }
}

proptest! {
    #[test]
    fn next_allowed_is_at_or_after_now_and_open(
        now in at("2000-01-01T00:00:00Z")..at("2100-01-01T00:00:00Z"),
        z in 0usize..ZONES.len(),
        mask in 1u8..128,
        start in 0u16..1440,
        end in 0u16..1440,
    ) {
        let mut days = Weekdays::NONE;
        for d in 0..7u8 {
            if mask & (1 << d) != 0 {
                days = days.with(d);
            }
        }
        let w = SendWindow::new(
            ZONES[z],
            days,
            ((start / 60) as u8, (start % 60) as u8),
            ((end / 60) as u8, (end % 60) as u8),
        ).unwrap();
        let r = next_allowed(now, &w, None);
        prop_assert!(r >= now);
        prop_assert!(r - now <= 9 * DAY);
        prop_assert!(w.is_open(r, None), "{r} not open");
        if r > now {
            prop_assert!(!w.is_open(now, None));
            prop_assert!(!w.is_open(r - 1, None), "{} open before {}", r - 1, r);
        }
        // The same answer whoever asks again at the answer.
        prop_assert_eq!(next_allowed(r, &w, None), r);
    }

    #[test]
    fn fixed_offset_windows_match_plain_arithmetic(
        now in at("2000-01-01T00:00:00Z")..at("2100-01-01T00:00:00Z"),
        fixed in prop::sample::select(vec![("UTC", 0i64), ("Asia/Kolkata", 330 * MINUTE),
                                           ("Pacific/Kiritimati", 14 * HOUR)]),
        mask in 1u8..128,
        start in 0i64..1440,
        end in 0i64..1440,
    ) {
        let mut days = Weekdays::NONE;
        for d in 0..7u8 {
            if mask & (1 << d) != 0 {
                days = days.with(d);
            }
        }
        let w = SendWindow::new(
            fixed.0,
            days,
            ((start / 60) as u8, (start % 60) as u8),
            ((end / 60) as u8, (end % 60) as u8),
        ).unwrap();
        let r = next_allowed(now, &w, None);
        prop_assert!(fixed_open(r, fixed.1, days, start, end));
        prop_assert_eq!(w.is_open(now, None), fixed_open(now, fixed.1, days, start, end));
        // Nothing open in between, minute by minute.
        if r > now {
            let mut t = now - now.rem_euclid(MINUTE) + MINUTE;
            while t < r {
                prop_assert!(!fixed_open(t, fixed.1, days, start, end), "open at {t}");
                t += MINUTE;
            }
        }
    }

    #[test]
    fn recipient_zone_result_is_open_there(
        now in at("2000-01-01T00:00:00Z")..at("2100-01-01T00:00:00Z"),
        z in 0usize..ZONES.len(),
    ) {
        let w = window("UTC", &WEEK, "09:00", "17:00");
        let rz = zone(ZONES[z]);
        let r = next_allowed(now, &w, Some(&rz));
        prop_assert!(r >= now);
        prop_assert!(w.is_open(r, Some(&rz)));
    }

    #[test]
    fn business_days_match_day_by_day_count(
        prev in at("2000-01-01T00:00:00Z")..at("2100-01-01T00:00:00Z"),
        delay in 0u32..40,
        z in 0usize..ZONES.len(),
    ) {
        let zn = zone(ZONES[z]);
        let due = due_after(prev, delay, true, &zn);
        prop_assert!(due >= prev);
        let tz = jiff::tz::TimeZone::get(ZONES[z]).unwrap();
        let local = |ms: i64| tz.to_datetime(jiff::Timestamp::from_millisecond(ms).unwrap());
        if delay > 0 {
            let wd = local(due).date().weekday();
            prop_assert!(!matches!(wd, jiff::civil::Weekday::Saturday | jiff::civil::Weekday::Sunday));
        }
        // Count business days between the two local dates by walking.
        let mut d = local(prev).date();
        let end = local(due).date();
        let mut count = 0;
        while d < end {
            d = d.tomorrow().unwrap();
            if !matches!(d.weekday(), jiff::civil::Weekday::Saturday | jiff::civil::Weekday::Sunday) {
                count += 1;
            }
        }
        prop_assert_eq!(count, delay);
        let cal = due_after(prev, delay, false, &zn);
        prop_assert!(cal <= due);
    }

    #[test]
    fn local_day_start_is_the_first_moment_of_the_day(
        ms in at("2000-01-01T00:00:00Z")..at("2100-01-01T00:00:00Z"),
        z in 0usize..ZONES.len(),
    ) {
        let zn = zone(ZONES[z]);
        let start = local_day_start_ms(ms, &zn);
        let next = next_local_day_start_ms(ms, &zn);
        prop_assert!(start <= ms && ms < next);
        prop_assert!(next - start >= 22 * HOUR && next - start <= 26 * HOUR);
        prop_assert_eq!(local_days_between(start, ms, &zn), 0);
        prop_assert_eq!(local_days_between(start - 1, ms, &zn), 1);
        prop_assert_eq!(local_days_between(ms, next, &zn), 1);
        prop_assert_eq!(local_day_start_ms(next, &zn), next);
    }

    #[test]
    fn chosen_sender_can_send_and_is_least_used(
        raw in prop::collection::vec((0u32..50, 0u32..50, any::<bool>()), 0..8),
        last in prop::option::of(0usize..10),
    ) {
        let senders: Vec<SenderState> = raw.iter().map(|&(sent, limit, paused)| SenderState {
            sent_today: sent,
            daily_limit: limit,
            health: if paused { SenderHealth::Paused } else { SenderHealth::Active },
        }).collect();
        match choose_sender(&senders, last) {
            None => prop_assert!(senders.iter().all(|s| !s.can_send())),
            Some(i) => {
                let c = senders[i];
                prop_assert!(c.can_send());
                for s in senders.iter().filter(|s| s.can_send()) {
                    prop_assert!(
                        u64::from(c.sent_today) * u64::from(s.daily_limit)
                            <= u64::from(s.sent_today) * u64::from(c.daily_limit)
                    );
                }
            }
        }
    }

    #[test]
    fn gap_is_within_bounds(min in 0u64..100_000, seed in any::<u64>()) {
        let g = next_gap_ms(min, seed);
        prop_assert!(g >= min * 1000 && g <= min * 1000 + min * 500);
    }
}

#[test]
fn weekdays_set() {
    assert!(Weekdays::ALL.contains(6));
    assert!(!Weekdays::MON_FRI.contains(5));
    assert!(!Weekdays::ALL.contains(7));
    assert_eq!(
        Weekdays::parse(&["sun", "mon"]).unwrap().names(),
        vec!["mon", "sun"]
    );
    let all: HashSet<&str> = Weekdays::ALL.names().into_iter().collect();
    assert_eq!(all.len(), 7);
}

#[test]
fn local_times_from_a_form_become_utc_instants() {
    let berlin = Zone::parse("Europe/Berlin").unwrap();
    // 2026-12-02 09:30 in Berlin (CET, +1) is 08:30 UTC.
    assert_eq!(
        berlin.local_to_ms("2026-12-02T09:30").unwrap(),
        1_796_200_200_000
    );
    assert_eq!(
        berlin.local_to_ms("2026-12-02T09:30:00").unwrap(),
        1_796_200_200_000
    );
    assert!(berlin.local_to_ms("tomorrow").is_err());
    assert!(berlin.local_to_ms("2026-13-02T09:30").is_err());
    // 02:30 on the spring-forward night does not exist: it moves forward, never fails.
    assert!(berlin.local_to_ms("2026-03-29T02:30").is_ok());
}
