//! The zone times are shown in for people: `[display] timezone`, else `$TZ`, else the
//! system's zone (/etc/localtime), else UTC; always with the zone named, so "10:15 WITA"
//! cannot be mistaken for another zone's 10:15. Machine formats (json, ndjson, csv) keep RFC
//! 3339 with offsets and never come here.
//!
//! Zones come from the tz database built into warta (chrono-tz), not from
//! /usr/share/zoneinfo, which a fresh container or a minimal install may lack: the same
//! config shows the same times everywhere.

use chrono::{DateTime, Offset, Utc};
use chrono_tz::{OffsetName, Tz};

use crate::config::Config;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Zone(Tz);

impl Zone {
    pub const UTC: Zone = Zone(Tz::UTC);

    /// The zone for this run. An unknown `$TZ` is not worth stopping for: it is said once on
    /// stderr, and the system's zone is used instead.
    pub fn resolve(config: Option<&Config>) -> Zone {
        if let Some(tz) = config.and_then(|c| c.display_zone) {
            return Zone(tz);
        }
        let system = || {
            iana_time_zone::get_timezone()
                .ok()
                .and_then(|name| name.parse().ok())
                .map_or(Zone(Tz::UTC), Zone)
        };
        match std::env::var("TZ") {
            Ok(tz) if !tz.trim().is_empty() => match from_tz_variable(&tz) {
                Some(zone) => zone,
                None => {
                    let fallback = system();
                    tracing::warn!(
                        "TZ={tz:?} is not a time zone name warta knows (such as Asia/Makassar); \
                         showing times in {}",
                        fallback.0.name()
                    );
                    fallback
                }
            },
            _ => system(),
        }
    }

    /// `2024-11-20T02:15:00+00:00` as `2024-11-20 10:15 WITA`; text that is not RFC 3339 is
    /// shown as it is.
    pub fn time(&self, rfc3339: &str) -> String {
        match DateTime::parse_from_rfc3339(rfc3339) {
            Ok(t) => self.at(t.with_timezone(&Utc)),
            Err(_) => rfc3339.to_string(),
        }
    }

    /// The latest moment not after `now` when this zone's clocks showed `time` (a day's
    /// digest time): today's, or yesterday's when today's is still to come.
    pub fn last_daily(&self, time: chrono::NaiveTime, now: DateTime<Utc>) -> DateTime<Utc> {
        let local_today = now.with_timezone(&self.0).date_naive();
        let on = |day: chrono::NaiveDate| {
            day.and_time(time)
                .and_local_timezone(self.0)
                // A time a clock change skipped is taken an hour later.
                .earliest()
                .or_else(|| {
                    (day.and_time(time) + chrono::Duration::hours(1))
                        .and_local_timezone(self.0)
                        .earliest()
                })
                .map(|t| t.with_timezone(&Utc))
        };
        match on(local_today) {
            Some(t) if t <= now => t,
            _ => local_today
                .pred_opt()
                .and_then(on)
                .unwrap_or(now - chrono::Duration::days(1)),
        }
    }

    /// Seconds east of UTC at `t` (+28800 for WITA).
    pub fn offset_at(&self, t: DateTime<Utc>) -> i64 {
        i64::from(t.with_timezone(&self.0).offset().fix().local_minus_utc())
    }

    pub fn at(&self, t: DateTime<Utc>) -> String {
        let local = t.with_timezone(&self.0);
        format!(
            "{} {}",
            local.format("%Y-%m-%d %H:%M"),
            name(local.offset())
        )
    }
}

/// `$TZ` as glibc reads a zone name: `Asia/Makassar`, `:Asia/Makassar`, or a path into a
/// zoneinfo folder. (POSIX rule strings such as `WITA-8` are left to the fallback.)
fn from_tz_variable(tz: &str) -> Option<Zone> {
    let name = tz.trim().trim_start_matches(':');
    let name = name
        .split_once("zoneinfo/")
        .map_or(name, |(_, after)| after);
    name.parse().ok().map(Zone)
}

/// The zone's abbreviation where it has a real one (WITA, WIB, WIT, CET), else the offset
/// (`+07`, `+0530`): the tz database writes "+07" for zones without an abbreviation in use.
fn name(offset: &chrono_tz::TzOffset) -> String {
    match offset.abbreviation() {
        Some(a) if a.chars().all(|c| c.is_ascii_alphabetic()) => a.to_string(),
        _ => {
            let seconds = offset.fix().local_minus_utc();
            let sign = if seconds < 0 { '-' } else { '+' };
            let (h, m) = (seconds.abs() / 3600, seconds.abs() % 3600 / 60);
            if m == 0 {
                format!("{sign}{h:02}")
            } else {
                format!("{sign}{h:02}{m:02}")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(zone: Tz, t: &str) -> String {
        Zone(zone).time(t)
    }

    #[test]
    fn a_daily_time_is_the_last_one_passed_in_the_zone() {
        let wita = Zone(chrono_tz::Asia::Makassar);
        let seven = chrono::NaiveTime::from_hms_opt(7, 0, 0).unwrap();
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        // 08:00 WITA: today's 07:00 WITA (23:00 UTC the day before).
        assert_eq!(
            wita.last_daily(seven, at("2026-12-04T00:00:00Z")),
            at("2026-12-03T23:00:00Z")
        );
        // 06:00 WITA: yesterday's.
        assert_eq!(
            wita.last_daily(seven, at("2026-12-03T22:00:00Z")),
            at("2026-12-02T23:00:00Z")
        );
        // On the minute itself: that one.
        assert_eq!(
            wita.last_daily(seven, at("2026-12-03T23:00:00Z")),
            at("2026-12-03T23:00:00Z")
        );
    }

    #[test]
    fn indonesian_zones_are_named() {
        let t = "2024-11-20T02:15:00+00:00";
        assert_eq!(shown(chrono_tz::Asia::Makassar, t), "2024-11-20 10:15 WITA");
        assert_eq!(shown(chrono_tz::Asia::Jakarta, t), "2024-11-20 09:15 WIB");
        assert_eq!(shown(chrono_tz::Asia::Pontianak, t), "2024-11-20 09:15 WIB");
        assert_eq!(shown(chrono_tz::Asia::Jayapura, t), "2024-11-20 11:15 WIT");
    }

    #[test]
    fn other_zones_by_abbreviation_or_offset() {
        assert_eq!(
            shown(chrono_tz::Europe::Berlin, "2024-11-20T02:15:00Z"),
            "2024-11-20 03:15 CET"
        );
        assert_eq!(
            shown(chrono_tz::Europe::Berlin, "2024-07-20T02:15:00Z"),
            "2024-07-20 04:15 CEST"
        );
        assert_eq!(
            shown(chrono_tz::Asia::Bangkok, "2024-11-20T02:15:00Z"),
            "2024-11-20 09:15 +07"
        );
        assert_eq!(
            shown(chrono_tz::Asia::Kathmandu, "2024-11-20T02:15:00Z"),
            "2024-11-20 08:00 +0545"
        );
        assert_eq!(
            shown(Tz::UTC, "2024-11-20T10:15:00+08:00"),
            "2024-11-20 02:15 UTC"
        );
        assert_eq!(shown(Tz::UTC, "kemarin"), "kemarin");
    }

    #[test]
    fn tz_variable_forms() {
        let makassar = Some(Zone(chrono_tz::Asia::Makassar));
        assert_eq!(from_tz_variable("Asia/Makassar"), makassar);
        assert_eq!(from_tz_variable(":Asia/Makassar"), makassar);
        assert_eq!(
            from_tz_variable("/usr/share/zoneinfo/Asia/Makassar"),
            makassar
        );
        assert_eq!(from_tz_variable("Mars/Olympus_Mons"), None);
    }
}
