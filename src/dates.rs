//! Reading dates the way news sites and feeds actually write them.
//!
//! Feeds are supposed to carry RFC 2822 (RSS) or RFC 3339 (Atom, JSON Feed) dates, but
//! Indonesian regional sites routinely write `Rabu, 20 Nov 2024 10:15:00 WIB`,
//! `20/11/2024 10:15 WITA`, `20 November 2024 pukul 10.15 WIB` or `2 jam lalu`. This module
//! owns turning any of those into an instant with the offset the text meant, so the feed
//! parser and the article extractor agree on one reading.
//!
//! Choices worth knowing:
//! - **Day first.** `05/11/2024` is 5 November (Indonesia writes day first). Only when the
//!   second number cannot be a month (`11/20/2024`) is the date read month first.
//! - **Missing zone.** A time without a zone is read as WIB (+07:00) when the text is
//!   Indonesian: it has an Indonesian word (day or month name, `pukul`, `lalu`, …), an
//!   Indonesian zone, or a day-first numeric date (`20/11/2024`, `20-11-2024`), which no
//!   feed standard produces and which on the sites warta reads comes from a CMS set to the
//!   Jakarta locale. Every other zone-less time (ISO `2024-11-20 10:15:00`, English text)
//!   is read as UTC.
//! - **Missing time.** A date alone is midnight in its zone.
//! - **Relative times** (`2 jam lalu`, `5 hours ago`, `kemarin`) count back from `now`.
//! - **Nonsense is refused.** Years before 1990 and instants more than two days after
//!   `now` give `None`: such values are template placeholders or broken clocks, and a
//!   wrong date sorts worse than a missing one.
//!
//! Pure: the clock is the `now` argument.

use std::sync::OnceLock;

use chrono::{
    DateTime, Datelike, Duration, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, Offset,
    TimeZone, Utc,
};
use regex_lite::Regex;

/// Parses a date as news sites and feeds write it. None when it cannot be read.
pub fn parse_date(s: &str, now: DateTime<Utc>) -> Option<DateTime<FixedOffset>> {
    parse_date_with(s, now, || None)
}

/// Like [`parse_date`], but a time written without a zone is read in `zone()` when that
/// gives one, before the defaults above apply. For an article page the page itself often
/// says its zone elsewhere (a visible `10:15 WITA` beside a zone-less
/// `<meta content="2024-11-20 10:15:00">`); `zone` is only called when it is needed.
pub fn parse_date_with(
    s: &str,
    now: DateTime<Utc>,
    zone: impl FnOnce() -> Option<FixedOffset>,
) -> Option<DateTime<FixedOffset>> {
    let s = s.trim();
    if s.is_empty() || s.len() > 200 {
        return None;
    }
    let parsed = parse_standard(s).or_else(|| parse_loose(s, now, zone))?;
    plausible(parsed, now).then_some(parsed)
}

/// Offset of Western Indonesian Time, the default for Indonesian text without a zone.
fn wib() -> FixedOffset {
    offset_hours(7)
}

fn offset_hours(h: i32) -> FixedOffset {
    // Offsets from the tables are within ±14 h and always fit; UTC keeps this total.
    FixedOffset::east_opt(h * 3600).unwrap_or_else(utc_off)
}

fn utc_off() -> FixedOffset {
    Utc.fix()
}

fn plausible(d: DateTime<FixedOffset>, now: DateTime<Utc>) -> bool {
    d.year() >= 1990 && d.with_timezone(&Utc) <= now + Duration::days(2)
}

/// The well-formed cases, read exactly (and quickly) by chrono.
fn parse_standard(s: &str) -> Option<DateTime<FixedOffset>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .or_else(|| DateTime::parse_from_rfc2822(s).ok())
}

/// Month names, English and Indonesian, full and the short forms sites use.
/// Sorted by name. Indonesian forms from KBBI month names plus the abbreviations
/// seen on Indonesian news sites (Agt/Ags/Agu, Nop/Nopember).
const MONTHS: &[(&str, u32)] = &[
    ("ags", 8),
    ("agt", 8),
    ("agu", 8),
    ("agustus", 8),
    ("apr", 4),
    ("april", 4),
    ("aug", 8),
    ("august", 8),
    ("dec", 12),
    ("december", 12),
    ("des", 12),
    ("desember", 12),
    ("feb", 2),
    ("februari", 2),
    ("february", 2),
    ("jan", 1),
    ("januari", 1),
    ("january", 1),
    ("jul", 7),
    ("juli", 7),
    ("july", 7),
    ("jun", 6),
    ("june", 6),
    ("juni", 6),
    ("mar", 3),
    ("march", 3),
    ("maret", 3),
    ("may", 5),
    ("mei", 5),
    ("nop", 11),
    ("nopember", 11),
    ("nov", 11),
    ("november", 11),
    ("oct", 10),
    ("october", 10),
    ("okt", 10),
    ("oktober", 10),
    ("sep", 9),
    ("sept", 9),
    ("september", 9),
];

/// Words that mark a text as Indonesian (sorted): month names and abbreviations that are
/// not English, day names, and the words around dates on Indonesian sites.
const INDONESIAN_WORDS: &[&str] = &[
    "ags", "agt", "agu", "agustus", "ahad", "des", "desember", "detik", "februari", "hari", "jam",
    "januari", "juli", "jumat", "juni", "kamis", "kemarin", "lalu", "maret", "mei", "menit",
    "minggu", "nop", "nopember", "okt", "oktober", "pukul", "rabu", "sabtu", "selasa", "senin",
    "wib", "wit", "wita",
];

/// Zone abbreviations and their offsets in hours (sorted). Indonesian zones from the
/// official WIB/WITA/WIT division; the rest are the RFC 822 names plus UTC.
const ZONES: &[(&str, i32)] = &[
    ("cdt", -5),
    ("cst", -6),
    ("edt", -4),
    ("est", -5),
    ("gmt", 0),
    ("mdt", -6),
    ("mst", -7),
    ("pdt", -7),
    ("pst", -8),
    ("ut", 0),
    ("utc", 0),
    ("wib", 7),
    ("wit", 9),
    ("wita", 8),
    ("z", 0),
];

fn lookup<T: Copy>(table: &[(&str, T)], key: &str) -> Option<T> {
    table
        .binary_search_by(|(k, _)| (*k).cmp(key))
        .ok()
        .and_then(|i| table.get(i))
        .map(|(_, v)| *v)
}

fn re(cell: &'static OnceLock<Regex>, pattern: &str) -> Option<&'static Regex> {
    if cell.get().is_none() {
        let compiled = Regex::new(pattern).ok()?;
        let _ = cell.set(compiled);
    }
    cell.get()
}

fn words(s: &str) -> impl Iterator<Item = &str> {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
}

/// Everything that is not RFC 2822 or RFC 3339, read piece by piece: the date, then the
/// time in what is left, then the zone in what is left after that. Weekday names and
/// filler words are ignored, so a wrong weekday does not spoil a good date.
fn parse_loose(
    original: &str,
    now: DateTime<Utc>,
    default_zone: impl FnOnce() -> Option<FixedOffset>,
) -> Option<DateTime<FixedOffset>> {
    let mut s = original
        .to_lowercase()
        // The patterns' `\s` is ASCII: a no-break space between day and month is a space.
        .replace(|c: char| c.is_whitespace() && !c.is_ascii(), " ")
        .replace(['\u{2019}', '\u{2018}', '`'], "'")
        .replace("jum'at", "jumat");
    let mut indonesian = words(&s).any(|w| INDONESIAN_WORDS.binary_search(&w).is_ok());

    if let Some(d) = parse_relative(&s, now) {
        return Some(d);
    }

    let (date, rest, day_first_numeric) = take_date(&s)?;
    indonesian |= day_first_numeric;
    s = rest;

    let (time, rest) = take_time(&s);
    s = rest;
    let zone = take_zone(&s);
    let offset = zone
        .or_else(default_zone)
        .unwrap_or_else(|| if indonesian { wib() } else { utc_off() });

    let date = match date {
        DateSpec::Absolute(d) => d,
        DateSpec::DaysAgo(n) => (now.with_timezone(&offset) - Duration::days(n)).date_naive(),
    };
    let (time, next_day) = time.unwrap_or((NaiveTime::MIN, false));
    let date = if next_day { date.succ_opt()? } else { date };
    let naive = NaiveDateTime::new(date, time);
    offset.from_local_datetime(&naive).single()
}

enum DateSpec {
    Absolute(NaiveDate),
    /// `hari ini` / `kemarin`: a day counted back from `now` in the text's own zone.
    DaysAgo(i64),
}

/// Finds the date part and returns it with the text around it (the date cut out), and
/// whether it was a day-first numeric date.
fn take_date(s: &str) -> Option<(DateSpec, String, bool)> {
    static ISO: OnceLock<Regex> = OnceLock::new();
    static NUMERIC: OnceLock<Regex> = OnceLock::new();
    static DAY_MONTH: OnceLock<Regex> = OnceLock::new();
    static MONTH_DAY: OnceLock<Regex> = OnceLock::new();

    let cut = |m: regex_lite::Match<'_>| {
        let mut rest = String::with_capacity(s.len());
        rest.push_str(s.get(..m.start()).unwrap_or(""));
        rest.push(' ');
        rest.push_str(s.get(m.end()..).unwrap_or(""));
        rest
    };
    let num =
        |c: &regex_lite::Captures<'_>, i: usize| -> Option<u32> { c.get(i)?.as_str().parse().ok() };

    // 2024-11-20, 2024/11/20, 2024-11-20T10:15
    if let Some(c) = re(
        &ISO,
        r"\b([0-9]{4})[-/]([0-9]{1,2})[-/]([0-9]{1,2})(?:t|\b)",
    )?
    .captures(s)
    {
        let d = NaiveDate::from_ymd_opt(num(&c, 1)? as i32, num(&c, 2)?, num(&c, 3)?)?;
        return Some((DateSpec::Absolute(d), cut(c.get(0)?), false));
    }
    // 20/11/2024, 20-11-2024, 20.11.2024, 20/11/24
    if let Some(c) = re(
        &NUMERIC,
        r"\b([0-9]{1,2})[-/.]([0-9]{1,2})[-/.]([0-9]{4}|[0-9]{2})\b",
    )?
    .captures(s)
    {
        let (a, b) = (num(&c, 1)?, num(&c, 2)?);
        let year = full_year(num(&c, 3)?);
        let (day, month) = if b > 12 && a <= 12 { (b, a) } else { (a, b) };
        let d = NaiveDate::from_ymd_opt(year, month, day)?;
        return Some((DateSpec::Absolute(d), cut(c.get(0)?), true));
    }
    // 20 November 2024, 20-Nov-2024, 1st of may 2024 is not a news-site form; skip it.
    let day_month = re(
        &DAY_MONTH,
        r"\b([0-9]{1,2})(?:st|nd|rd|th)?[\s,./-]*([a-z]{3,9})\.?[\s,./-]*([0-9]{4})\b",
    )?;
    for c in day_month.captures_iter(s) {
        if let Some(month) = c.get(2).and_then(|m| lookup(MONTHS, m.as_str())) {
            let d = NaiveDate::from_ymd_opt(num(&c, 3)? as i32, month, num(&c, 1)?)?;
            return Some((DateSpec::Absolute(d), cut(c.get(0)?), false));
        }
    }
    // November 20, 2024 (English sites)
    let month_day = re(
        &MONTH_DAY,
        r"\b([a-z]{3,9})\.?\s+([0-9]{1,2})(?:st|nd|rd|th)?,?\s+([0-9]{4})\b",
    )?;
    for c in month_day.captures_iter(s) {
        if let Some(month) = c.get(1).and_then(|m| lookup(MONTHS, m.as_str())) {
            let d = NaiveDate::from_ymd_opt(num(&c, 3)? as i32, month, num(&c, 2)?)?;
            return Some((DateSpec::Absolute(d), cut(c.get(0)?), false));
        }
    }
    // hari ini / today / kemarin / yesterday, usually with a time
    for (phrase, days) in [
        ("hari ini", 0),
        ("kemarin", 1),
        ("today", 0),
        ("yesterday", 1),
    ] {
        if let Some(at) = s.find(phrase) {
            let rest = format!(
                "{} {}",
                s.get(..at).unwrap_or(""),
                s.get(at + phrase.len()..).unwrap_or("")
            );
            return Some((DateSpec::DaysAgo(days), rest, false));
        }
    }
    None
}

fn full_year(y: u32) -> i32 {
    match y {
        0..=69 => 2000 + y as i32,
        70..=99 => 1900 + y as i32,
        _ => y as i32,
    }
}

/// Finds `10:15`, `10:15:00`, `10:15:00.123`, `10.15` (Indonesian style) and am/pm.
fn take_time(s: &str) -> (Option<(NaiveTime, bool)>, String) {
    static TIME: OnceLock<Regex> = OnceLock::new();
    let Some(time_re) = re(
        &TIME,
        r"(?:^|[^0-9+\-])([0-9]{1,2})[:.]([0-9]{2})(?:[:.]([0-9]{2})(?:[.,]([0-9]{1,9}))?)?\s*(am|pm|a\.m\.|p\.m\.)?",
    ) else {
        return (None, s.to_string());
    };
    let Some(c) = time_re.captures(s) else {
        return (None, s.to_string());
    };
    let num = |i: usize| -> Option<u32> { c.get(i).and_then(|m| m.as_str().parse().ok()) };
    let (Some(mut hour), Some(minute)) = (num(1), num(2)) else {
        return (None, s.to_string());
    };
    let second = num(3).unwrap_or(0).min(59);
    if let Some(ampm) = c.get(5) {
        let pm = ampm.as_str().starts_with('p');
        hour = match (hour, pm) {
            (12, false) => 0,
            (h, true) if h < 12 => h + 12,
            (h, _) => h,
        };
    }
    let nanos = c
        .get(4)
        .map(|m| {
            let digits: String = m
                .as_str()
                .chars()
                .chain("000000000".chars())
                .take(9)
                .collect();
            digits.parse::<u32>().unwrap_or(0)
        })
        .unwrap_or(0);
    // "24:00:00" is the end of the day, which feeds mean as the next midnight.
    let (hour, next_day) = if hour == 24 && minute == 0 && second == 0 {
        (0, true)
    } else {
        (hour, false)
    };
    let time = NaiveTime::from_hms_nano_opt(hour, minute, second, nanos).map(|t| (t, next_day));
    let (start, end) = match (c.get(1), c.get(0)) {
        (Some(h), Some(all)) => (h.start(), all.end()),
        _ => return (time, s.to_string()),
    };
    let rest = format!(
        "{} {}",
        s.get(..start).unwrap_or(""),
        s.get(end..).unwrap_or("")
    );
    (time, rest)
}

/// Finds a numeric offset (`+0700`, `+07:00`, `GMT+7`) or a zone name.
fn take_zone(s: &str) -> Option<FixedOffset> {
    static NAMED_NUMERIC: OnceLock<Regex> = OnceLock::new();
    static NUMERIC: OnceLock<Regex> = OnceLock::new();
    let to_offset = |sign: &str, h: i32, m: i32| -> Option<FixedOffset> {
        if h > 14 || m > 59 {
            return None;
        }
        let secs = h * 3600 + m * 60;
        FixedOffset::east_opt(if sign == "-" { -secs } else { secs })
    };
    if let Some(c) = re(
        &NAMED_NUMERIC,
        r"\b(?:gmt|utc|ut)\s*([+-])\s*([0-9]{1,2})(?::?([0-9]{2}))?\b",
    )?
    .captures(s)
    {
        let h = c.get(2)?.as_str().parse().ok()?;
        let m = c.get(3).map_or(Some(0), |m| m.as_str().parse().ok())?;
        return to_offset(c.get(1)?.as_str(), h, m);
    }
    if let Some(c) = re(&NUMERIC, r"([+-])([0-9]{2}):?([0-9]{2})\b")?.captures(s) {
        let h = c.get(2)?.as_str().parse().ok()?;
        let m = c.get(3)?.as_str().parse().ok()?;
        return to_offset(c.get(1)?.as_str(), h, m);
    }
    words(s).find_map(|w| lookup(ZONES, w)).map(offset_hours)
}

/// `2 jam lalu`, `30 menit yang lalu`, `5 hours ago`, `an hour ago`, `baru saja`.
fn parse_relative(s: &str, now: DateTime<Utc>) -> Option<DateTime<FixedOffset>> {
    static ID: OnceLock<Regex> = OnceLock::new();
    static EN: OnceLock<Regex> = OnceLock::new();
    if s == "baru saja" || s == "just now" {
        let offset = if s == "baru saja" { wib() } else { utc_off() };
        return Some(now.with_timezone(&offset));
    }
    let id = re(
        &ID,
        r"^(?:sekitar\s+)?([0-9]{1,4}|se|satu)\s*(detik|menit|jam|hari|minggu|pekan|bulan|tahun)\s+(?:yang\s+)?lalu$",
    )?;
    let en = re(
        &EN,
        r"^(?:about\s+)?([0-9]{1,4}|an?|one)\s*(seconds?|secs?|minutes?|mins?|hours?|hrs?|days?|weeks?|months?|years?)\s+ago$",
    )?;
    let (c, offset) = match id.captures(s) {
        Some(c) => (c, wib()),
        None => (en.captures(s)?, utc_off()),
    };
    let n: i64 = match c.get(1)?.as_str() {
        "se" | "satu" | "a" | "an" | "one" => 1,
        digits => digits.parse().ok()?,
    };
    let unit = c.get(2)?.as_str();
    let seconds_per_unit: i64 = match unit {
        "detik" | "sec" | "secs" | "second" | "seconds" => 1,
        "menit" | "min" | "mins" | "minute" | "minutes" => 60,
        "jam" | "hr" | "hrs" | "hour" | "hours" => 3600,
        "hari" | "day" | "days" => 86_400,
        "minggu" | "pekan" | "week" | "weeks" => 7 * 86_400,
        "bulan" | "month" | "months" => 30 * 86_400,
        "tahun" | "year" | "years" => 365 * 86_400,
        _ => return None,
    };
    let back = Duration::try_seconds(n.checked_mul(seconds_per_unit)?)?;
    Some(now.checked_sub_signed(back)?.with_timezone(&offset))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Wednesday 2024-11-20 12:00 UTC.
    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2024, 11, 20, 12, 0, 0)
            .single()
            .unwrap()
    }

    #[test]
    fn reads_every_listed_form() {
        #[rustfmt::skip]
        let cases: &[(&str, &str, &str)] = &[
            // (name, input, expected RFC 3339)
            ("rfc3339 zulu", "2024-11-20T10:15:00Z", "2024-11-20T10:15:00+00:00"),
            ("rfc3339 offset", "2024-11-20T10:15:00+07:00", "2024-11-20T10:15:00+07:00"),
            ("rfc3339 fraction", "2024-11-20T10:15:00.250Z", "2024-11-20T10:15:00.250+00:00"),
            ("iso offset without colon", "2024-11-20T10:15:00+0800", "2024-11-20T10:15:00+08:00"),
            ("iso no seconds", "2024-11-20T10:15+07:00", "2024-11-20T10:15:00+07:00"),
            ("iso no zone is utc", "2024-11-20T10:15:00", "2024-11-20T10:15:00+00:00"),
            ("iso space no zone", "2024-11-20 10:15:00", "2024-11-20T10:15:00+00:00"),
            ("iso date only", "2024-11-20", "2024-11-20T00:00:00+00:00"),
            ("rfc2822", "Wed, 20 Nov 2024 10:15:00 +0700", "2024-11-20T10:15:00+07:00"),
            ("rfc2822 gmt", "Wed, 20 Nov 2024 10:15:00 GMT", "2024-11-20T10:15:00+00:00"),
            ("rfc2822 wrong weekday", "Mon, 20 Nov 2024 10:15:00 +0000", "2024-11-20T10:15:00+00:00"),
            ("rfc2822 single-digit day", "Tue, 5 Nov 2024 10:15:00 GMT", "2024-11-05T10:15:00+00:00"),
            ("rfc2822 utc name", "Wed, 20 Nov 2024 10:15:00 UTC", "2024-11-20T10:15:00+00:00"),
            ("rfc2822 est", "Wed, 20 Nov 2024 10:15:00 EST", "2024-11-20T10:15:00-05:00"),
            ("rfc2822 no seconds", "Wed, 20 Nov 2024 10:15 +0700", "2024-11-20T10:15:00+07:00"),
            ("rfc2822 long weekday", "Wednesday, 20 Nov 2024 10:15:00 GMT", "2024-11-20T10:15:00+00:00"),
            ("rfc2822 no weekday", "20 Nov 2024 10:15:00 +0000", "2024-11-20T10:15:00+00:00"),
            ("english month first", "November 20, 2024 10:15 PM", "2024-11-20T22:15:00+00:00"),
            ("gmt plus seven", "20 Nov 2024 10:15 GMT+7", "2024-11-20T10:15:00+07:00"),
            ("indonesian rfc2822 wib", "Rabu, 20 Nov 2024 10:15:00 WIB", "2024-11-20T10:15:00+07:00"),
            ("indonesian slash wita", "Rabu, 20/11/2024 10:15 WITA", "2024-11-20T10:15:00+08:00"),
            ("slash wita no day", "20/11/2024 10:15 WITA", "2024-11-20T10:15:00+08:00"),
            ("dash no zone is wib", "20-11-2024 10:15", "2024-11-20T10:15:00+07:00"),
            ("pipe separated wita", "Rabu, 20 November 2024 | 10:15 WITA", "2024-11-20T10:15:00+08:00"),
            ("pukul with dot", "20 November 2024 pukul 10.15 WIB", "2024-11-20T10:15:00+07:00"),
            ("parenthesised date", "Rabu (20/11/2024)", "2024-11-20T00:00:00+07:00"),
            ("wit", "Rabu, 20 Nov 2024 10:15 WIT", "2024-11-20T10:15:00+09:00"),
            ("jum'at", "Jum'at, 15 Nov 2024 08:00 WIB", "2024-11-15T08:00:00+07:00"),
            ("jumat no zone", "Jumat, 15 Nov 2024 08:00", "2024-11-15T08:00:00+07:00"),
            ("ahad", "Ahad, 17 Nov 2024 08:00", "2024-11-17T08:00:00+07:00"),
            ("agustus", "1 Agustus 2024", "2024-08-01T00:00:00+07:00"),
            ("agt short", "1 Agt 2024 07:00 WIB", "2024-08-01T07:00:00+07:00"),
            ("nopember", "Senin, 4 Nopember 2024 09:30", "2024-11-04T09:30:00+07:00"),
            ("mei", "Kamis, 2 Mei 2024 - 13:05 WIB", "2024-05-02T13:05:00+07:00"),
            ("okt", "Selasa, 8 Okt 2024 13:05:44 WIB", "2024-10-08T13:05:44+07:00"),
            ("des", "Sabtu, 9 Des 2023 23:59", "2023-12-09T23:59:00+07:00"),
            ("month-first fallback", "11/20/2024 10:15", "2024-11-20T10:15:00+07:00"),
            ("dotted date", "20.11.2024 10:15 WIB", "2024-11-20T10:15:00+07:00"),
            ("relative jam", "2 jam lalu", "2024-11-20T17:00:00+07:00"),
            ("relative menit yang lalu", "30 menit yang lalu", "2024-11-20T18:30:00+07:00"),
            ("relative hours ago", "5 hours ago", "2024-11-20T07:00:00+00:00"),
            ("relative an hour ago", "an hour ago", "2024-11-20T11:00:00+00:00"),
            ("kemarin", "kemarin", "2024-11-19T00:00:00+07:00"),
            ("kemarin with time", "Kemarin, 10:15 WIB", "2024-11-19T10:15:00+07:00"),
            ("hari ini", "Hari ini, 08.00 WIB", "2024-11-20T08:00:00+07:00"),
            ("rfc2822 comment", "Wed, 20 Nov 2024 10:15:00 +0700 (WIB)", "2024-11-20T10:15:00+07:00"),
            ("two-digit year", "20 Nov 24 10:15 GMT", "2024-11-20T10:15:00+00:00"),
            ("english long date", "Wednesday, November 20, 2024", "2024-11-20T00:00:00+00:00"),
            ("prefix word", "Diperbarui 20 Nov 2024, 10:15 WIB", "2024-11-20T10:15:00+07:00"),
            ("iso with wib", "2024-11-20 10:15:00 WIB", "2024-11-20T10:15:00+07:00"),
            ("end of day", "Tue, 19 Nov 2024 24:00:00 GMT", "2024-11-20T00:00:00+00:00"),
            ("relative hari yang lalu", "1 hari yang lalu", "2024-11-19T19:00:00+07:00"),
            ("relative 2 minggu lalu", "2 minggu lalu", "2024-11-06T19:00:00+07:00"),
        ];
        let mut failures = Vec::new();
        for (name, input, want) in cases {
            let got = parse_date(input, now()).map(|d| d.to_rfc3339());
            if got.as_deref() != Some(*want) {
                failures.push(format!("{name}: {input:?} gave {got:?}, want {want}"));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn refuses_nonsense() {
        let cases: &[(&str, &str)] = &[
            ("empty", ""),
            ("words", "tidak diketahui"),
            ("too old", "Mon, 01 Jan 1979 00:00:00 GMT"),
            ("epoch", "1970-01-01T00:00:00Z"),
            ("far future", "2024-11-23T12:00:00Z"),
            ("impossible day", "31/02/2024 10:00"),
            ("impossible month", "2024-13-01"),
            ("bare number", "20241120"),
        ];
        for (name, input) in cases {
            assert_eq!(parse_date(input, now()), None, "{name}: {input:?}");
        }
    }

    #[test]
    fn tables_are_sorted_for_binary_search() {
        assert!(MONTHS.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(INDONESIAN_WORDS.windows(2).all(|w| w[0] < w[1]));
        assert!(ZONES.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn a_zone_less_time_takes_the_callers_zone_and_a_written_zone_wins() {
        let wita = || FixedOffset::east_opt(8 * 3600);
        let cases: &[(&str, &str)] = &[
            ("2024-11-20 10:15:00", "2024-11-20T10:15:00+08:00"),
            ("Rabu, 20 Nov 2024 10:15", "2024-11-20T10:15:00+08:00"),
            ("20 Nov 2024 10:15 WIB", "2024-11-20T10:15:00+07:00"),
            ("2024-11-20T10:15:00Z", "2024-11-20T10:15:00+00:00"),
        ];
        for (input, want) in cases {
            let got = parse_date_with(input, now(), wita).map(|d| d.to_rfc3339());
            assert_eq!(got.as_deref(), Some(*want), "{input:?}");
        }
        // Without a zone from the caller the defaults hold.
        let got = parse_date_with("2024-11-20 10:15:00", now(), || None);
        assert_eq!(
            got.map(|d| d.to_rfc3339()).as_deref(),
            Some("2024-11-20T10:15:00+00:00")
        );
    }

    #[test]
    fn accepts_up_to_two_days_ahead() {
        assert!(parse_date("2024-11-22T11:59:00Z", now()).is_some());
    }
}
