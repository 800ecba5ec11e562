//! `--since` / `--until` values: a calendar day, an exact time, or a span back from now.
//!
//! This module owns the DATE syntax of `warta search` and nothing else: it turns the text
//! into an instant, with `now` passed in so the result never depends on the clock.
//!
//! Accepted forms:
//! - `YYYY-MM-DD`: a day in UTC. As `--since` it means the start of that day; as
//!   `--until` the end of it, so `--since 2024-05-01 --until 2024-05-01` is that whole day.
//!   Both bounds are inclusive: compare with `>=` and `<=`.
//! - An RFC 3339 time (`2024-05-01T08:00:00+07:00`): that instant, for either bound.
//! - A span back from now: a whole number followed by `m` (minutes), `h` (hours), `d`
//!   (days) or `w` (weeks), as in `30m`, `12h`, `7d`, `2w`; the same instant for either
//!   bound. Months and years are left out because their length varies; `m` is minutes.

use chrono::{DateTime, NaiveDate, NaiveTime, TimeDelta, Utc};

/// Which end of a range a DATE bounds; it matters only for a bare day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    /// `--since`: a day means its first instant.
    Since,
    /// `--until`: a day means its last instant (inclusive).
    Until,
}

const FORMS: &str = "use YYYY-MM-DD (e.g. 2024-05-01), an RFC 3339 time \
                     (e.g. 2024-05-01T08:00:00+07:00), or a span back from now: \
                     a number and m, h, d or w (minutes, hours, days, weeks), e.g. 30m, 12h, 7d, 2w";

/// The last representable instant of a day, so `<=` takes in all of it. Checked when
/// compiling: a bad constant fails the build, never a run.
const END_OF_DAY: NaiveTime = match NaiveTime::from_hms_nano_opt(23, 59, 59, 999_999_999) {
    Some(t) => t,
    None => panic!("23:59:59.999999999 is a valid time"),
};

/// Parses a DATE for `--since`/`--until`. The error names the input and lists the
/// accepted forms.
pub fn parse_when(s: &str, bound: Bound, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    let text = s.trim();
    let shown = text.escape_debug();
    if text.is_empty() {
        return Err(format!("empty date: {FORMS}"));
    }
    if let Some(span) = parse_span(text) {
        return span
            .and_then(|delta| now.checked_sub_signed(delta))
            .ok_or_else(|| format!("date `{shown}` reaches too far back: use a smaller number"));
    }
    if let Some(day) = parse_day(text) {
        let day = day.ok_or_else(|| format!("date `{shown}`: no such day in the calendar"))?;
        let time = match bound {
            Bound::Since => NaiveTime::MIN,
            Bound::Until => END_OF_DAY,
        };
        return Ok(day.and_time(time).and_utc());
    }
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| format!("invalid date `{shown}`: {FORMS}"))
}

/// `None` when `text` is not shaped like a span; `Some(None)` when it is but overflows.
fn parse_span(text: &str) -> Option<Option<TimeDelta>> {
    let unit = text.chars().last()?;
    let per_unit: fn(i64) -> Option<TimeDelta> = match unit {
        'm' => TimeDelta::try_minutes,
        'h' => TimeDelta::try_hours,
        'd' => TimeDelta::try_days,
        'w' => TimeDelta::try_weeks,
        _ => return None,
    };
    let digits = text.strip_suffix(unit)?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // All ASCII digits, so the only way to fail is overflow.
    Some(digits.parse().ok().and_then(per_unit))
}

/// `None` when `text` is not shaped `YYYY-MM-DD`; `Some(None)` when it is but names no
/// real day (`2024-02-30`).
fn parse_day(text: &str) -> Option<Option<NaiveDate>> {
    let b = text.as_bytes();
    let shaped = b.len() == 10
        && b.iter().enumerate().all(|(i, &c)| match i {
            4 | 7 => c == b'-',
            _ => c.is_ascii_digit(),
        });
    if !shaped {
        return None;
    }
    let field = |r: std::ops::Range<usize>| text.get(r).and_then(|f| f.parse::<u32>().ok());
    let (year, month, day) = (field(0..4)?, field(5..7)?, field(8..10)?);
    let year = i32::try_from(year).ok()?;
    Some(NaiveDate::from_ymd_opt(year, month, day))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2024-05-10T12:30:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    fn at(rfc3339: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(rfc3339)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn accepted_forms() {
        let cases: &[(&str, &str, Bound, &str)] = &[
            (
                "day since",
                "2024-05-01",
                Bound::Since,
                "2024-05-01T00:00:00Z",
            ),
            (
                "day until is the end of the day",
                "2024-05-01",
                Bound::Until,
                "2024-05-01T23:59:59.999999999Z",
            ),
            (
                "leap day",
                "2024-02-29",
                Bound::Since,
                "2024-02-29T00:00:00Z",
            ),
            (
                "surrounding spaces",
                "  2024-05-01 ",
                Bound::Since,
                "2024-05-01T00:00:00Z",
            ),
            (
                "rfc3339 with offset",
                "2024-05-01T08:00:00+07:00",
                Bound::Since,
                "2024-05-01T01:00:00Z",
            ),
            (
                "rfc3339 is exact for until",
                "2024-05-01T08:00:00+07:00",
                Bound::Until,
                "2024-05-01T01:00:00Z",
            ),
            (
                "rfc3339 Z with fraction",
                "2024-05-01T08:00:00.5Z",
                Bound::Since,
                "2024-05-01T08:00:00.5Z",
            ),
            ("minutes", "30m", Bound::Since, "2024-05-10T12:00:00Z"),
            ("hours", "12h", Bound::Since, "2024-05-10T00:30:00Z"),
            ("days", "7d", Bound::Since, "2024-05-03T12:30:00Z"),
            ("weeks", "2w", Bound::Since, "2024-04-26T12:30:00Z"),
            (
                "span is the same for until",
                "7d",
                Bound::Until,
                "2024-05-03T12:30:00Z",
            ),
            (
                "zero span is now",
                "0d",
                Bound::Since,
                "2024-05-10T12:30:00Z",
            ),
            (
                "leading zeros",
                "007d",
                Bound::Since,
                "2024-05-03T12:30:00Z",
            ),
        ];
        for (name, input, bound, want) in cases {
            assert_eq!(
                parse_when(input, *bound, now()),
                Ok(at(want)),
                "case {name:?}"
            );
        }
    }

    #[test]
    fn rejected_forms_name_the_input_and_the_forms() {
        let cases: &[(&str, &str, &str)] = &[
            ("empty", "", "empty date"),
            ("blank", "  ", "empty date"),
            ("word", "yesterday", "invalid date `yesterday`"),
            ("months are not a unit", "3M", "invalid date `3M`"),
            ("years are not a unit", "1y", "invalid date `1y`"),
            ("negative span", "-7d", "invalid date `-7d`"),
            ("space inside span", "7 d", "invalid date `7 d`"),
            ("unit alone", "d", "invalid date `d`"),
            ("fraction", "1.5d", "invalid date `1.5d`"),
            ("no such day", "2024-02-30", "no such day"),
            ("month 13", "2024-13-01", "no such day"),
            ("short day", "2024-5-1", "invalid date `2024-5-1`"),
            ("slashes", "01/05/2024", "invalid date `01/05/2024`"),
            ("time without zone", "2024-05-01T08:00:00", "invalid date"),
            ("too far back", "99999999999999w", "too far back"),
            (
                "overflowing number",
                "99999999999999999999999d",
                "too far back",
            ),
            (
                "control character shown escaped",
                "7d\u{0}",
                "invalid date `7d\\0`",
            ),
            ("non-ASCII digits", "٧d", "invalid date"),
        ];
        for (name, input, fragment) in cases {
            let err = match parse_when(input, Bound::Since, now()) {
                Ok(t) => panic!("case {name:?}: {input:?} gave {t}"),
                Err(e) => e,
            };
            assert!(
                err.contains(fragment),
                "case {name:?}: {err:?} lacks {fragment:?}"
            );
            if err.starts_with("invalid") || err.starts_with("empty") {
                assert!(
                    err.contains("YYYY-MM-DD") && err.contains("RFC 3339") && err.contains("7d"),
                    "{err}"
                );
            }
        }
    }

    #[test]
    fn whole_day_range_is_inclusive_at_both_ends() {
        let since = parse_when("2024-05-01", Bound::Since, now()).unwrap();
        let until = parse_when("2024-05-01", Bound::Until, now()).unwrap();
        assert!(since <= at("2024-05-01T00:00:00Z") && at("2024-05-01T23:59:59Z") <= until);
        assert!(at("2024-05-02T00:00:00Z") > until);
    }
}
