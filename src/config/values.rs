//! Durations, sizes and schedules as feeds.toml writes them.

use std::time::Duration;

/// When a feed is polled: every so often, or on a cron expression (kept in the 6-field,
/// seconds-first form that tokio-cron-scheduler reads).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Schedule {
    Every(Duration),
    Cron(String),
}

impl Schedule {
    pub fn parse(s: &str) -> Result<Schedule, String> {
        let t = s.trim();
        let fields: Vec<&str> = t.split_whitespace().collect();
        if fields.len() == 1 {
            let d = parse_duration(t)?;
            if d < Duration::from_secs(1) {
                return Err(format!("{s:?} is too short; poll at most once a second"));
            }
            return Ok(Schedule::Every(d));
        }
        let six = match fields.len() {
            5 => format!("0 {}", fields.join(" ")),
            6 => fields.join(" "),
            n => {
                return Err(format!(
                    "{s:?} has {n} fields; a cron expression has 5 (minute first) or 6 (seconds first), \
                     and a duration is like \"90s\", \"15m\", \"1h\""
                ));
            }
        };
        let cron = croner::parser::CronParser::builder()
            .seconds(croner::parser::Seconds::Required)
            .dom_and_dow(true)
            .build()
            .parse(&six)
            .map_err(|e| format!("{s:?} is not a valid cron expression: {e}"))?;
        // A date that never comes (30 February) parses, and would leave the feed unpolled
        // for ever without a word. Any fixed start shows it: such a date is never anywhere.
        let start = chrono::DateTime::<chrono::Utc>::UNIX_EPOCH;
        if cron.find_next_occurrence(&start, false).is_err() {
            return Err(format!(
                "{s:?} names a time that never comes (such as 30 February); check the day and month fields"
            ));
        }
        Ok(Schedule::Cron(six))
    }
}

impl std::fmt::Display for Schedule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Schedule::Every(d) => write!(f, "every {}", format_duration(*d)),
            Schedule::Cron(c) => write!(f, "cron {c}"),
        }
    }
}

/// The longest duration any setting takes. Anything longer is a typo, and would overflow the
/// clock arithmetic of scheduling (a date past the year 262,143 cannot be written).
pub const MAX_DURATION: Duration = Duration::from_secs(366 * 86_400);

/// `200ms`, `90s`, `15m`, `1h`, `2d`, or a sum such as `1h30m`, up to [`MAX_DURATION`]. A
/// bare number is refused: the unit is where typos hide.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let bad = || {
        format!(
            "{s:?} is not a duration; write a number and a unit ms, s, m, h or d, such as \"200ms\", \"90s\", \"15m\", \"1h\""
        )
    };
    let too_long = || {
        format!(
            "{s:?} is too long; the longest duration warta takes is {}",
            format_duration(MAX_DURATION)
        )
    };
    let mut rest = s.trim();
    if rest.is_empty() {
        return Err(bad());
    }
    let mut millis: u64 = 0;
    while !rest.is_empty() {
        let (number, tail) = rest.split_at(
            rest.find(|c: char| !c.is_ascii_digit())
                .unwrap_or(rest.len()),
        );
        let (unit, next) = tail.split_at(
            tail.find(|c: char| c.is_ascii_digit())
                .unwrap_or(tail.len()),
        );
        let per: u64 = match unit {
            "ms" => 1,
            "s" => 1_000,
            "m" => 60_000,
            "h" => 3_600_000,
            "d" => 86_400_000,
            _ => return Err(bad()),
        };
        if number.is_empty() {
            return Err(bad());
        }
        // Only digits are left, so a number that does not parse is one too large for u64.
        let n: u64 = number.parse().map_err(|_| too_long())?;
        millis = n
            .checked_mul(per)
            .and_then(|v| millis.checked_add(v))
            .ok_or_else(too_long)?;
        rest = next;
    }
    let d = Duration::from_millis(millis);
    if d > MAX_DURATION {
        return Err(too_long());
    }
    Ok(d)
}

/// [`parse_duration`], no longer than `max`; `why` says what a longer one would do.
pub fn parse_duration_at_most(s: &str, max: Duration, why: &str) -> Result<Duration, String> {
    let d = parse_duration(s)?;
    if d > max {
        return Err(format!(
            "{s:?} is longer than {}: {why}",
            format_duration(max)
        ));
    }
    Ok(d)
}

pub fn format_duration(d: Duration) -> String {
    if d.subsec_millis() != 0 {
        return format!("{}ms", d.as_millis());
    }
    let s = d.as_secs();
    match s {
        0 => "0s".into(),
        s if s % 86_400 == 0 => format!("{}d", s / 86_400),
        s if s % 3600 == 0 => format!("{}h", s / 3600),
        s if s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

/// `512B`, `64KiB`, `10MiB`, `1GiB` (a space before the unit is allowed).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let bad =
        || format!("{s:?} is not a size; write a number and B, KiB, MiB or GiB, such as \"10MiB\"");
    let mult: u64 = match unit.trim() {
        "B" => 1,
        "KiB" => 1 << 10,
        "MiB" => 1 << 20,
        "GiB" => 1 << 30,
        _ => return Err(bad()),
    };
    let too_large = || format!("{s:?} is too large to count in bytes");
    if num.is_empty() {
        return Err(bad());
    }
    // Only digits are left, so a number that does not parse is one too large for u64.
    let n: u64 = num.parse().map_err(|_| too_large())?;
    n.checked_mul(mult).ok_or_else(too_large)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("15m"), Ok(Duration::from_secs(900)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("2d"), Ok(Duration::from_secs(172_800)));
        assert_eq!(parse_duration("200ms"), Ok(Duration::from_millis(200)));
        assert_eq!(parse_duration("1s500ms"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("366d"), Ok(MAX_DURATION));
        for bad in [
            "", "15", "15x", "m", "ms", "1.5h", "-1s", "1 h", "5sm", "10mss",
        ] {
            let e = parse_duration(bad).unwrap_err();
            assert!(e.contains("not a duration"), "{bad}: {e}");
        }
        for huge in [
            "99999999999999999999d",
            "18446744073709551615s",
            "18446744073709551615ms",
            "99999999999d",
            "367d",
            "366d1ms",
        ] {
            let e = parse_duration(huge).unwrap_err();
            assert!(e.contains("too long"), "{huge}: {e}");
        }
    }

    #[test]
    fn durations_format_as_they_parse() {
        for s in ["0s", "200ms", "1500ms", "90s", "15m", "1h", "2d"] {
            assert_eq!(format_duration(parse_duration(s).unwrap()), s);
        }
        let e = parse_duration_at_most("2h", Duration::from_secs(3600), "why").unwrap_err();
        assert!(e.contains("longer than 1h: why"), "{e}");
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("10MiB"), Ok(10 << 20));
        assert_eq!(parse_size("512 B"), Ok(512));
        for bad in ["10", "10MB", "MiB", "1.5GiB"] {
            assert!(parse_size(bad).unwrap_err().contains("not a size"), "{bad}");
        }
        for huge in ["17179869184GiB", "99999999999999999999999B"] {
            assert!(
                parse_size(huge).unwrap_err().contains("too large"),
                "{huge}"
            );
        }
    }

    #[test]
    fn schedules() {
        assert_eq!(
            Schedule::parse("10m"),
            Ok(Schedule::Every(Duration::from_secs(600)))
        );
        assert!(Schedule::parse("0s").is_err());
        assert!(Schedule::parse("* * *").is_err());
        assert!(Schedule::parse("0 0 32 * *").is_err());
        assert!(Schedule::parse("200ms").unwrap_err().contains("too short"));
        for never in ["0 0 30 2 *", "0 0 31 4 *", "0 0 0 31 2,4,6 *"] {
            let e = Schedule::parse(never).unwrap_err();
            assert!(e.contains("never comes"), "{never}: {e}");
        }
        assert!(Schedule::parse("0 0 29 2 *").is_ok(), "leap days come");
        assert_eq!(
            Schedule::parse("0 6 * * 1-5"),
            Ok(Schedule::Cron("0 0 6 * * 1-5".into()))
        );
    }
}
