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
        croner::parser::CronParser::builder()
            .seconds(croner::parser::Seconds::Required)
            .dom_and_dow(true)
            .build()
            .parse(&six)
            .map_err(|e| format!("{s:?} is not a valid cron expression: {e}"))?;
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

/// `90s`, `15m`, `1h`, `2d`, or a sum such as `1h30m`. A bare number is refused: the unit
/// is where typos hide.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let t = s.trim();
    let bad = || {
        format!(
            "{s:?} is not a duration; write a number and a unit s, m, h or d, such as \"90s\", \"15m\", \"1h\""
        )
    };
    if t.is_empty() {
        return Err(bad());
    }
    let mut total: u64 = 0;
    let mut digits = String::new();
    for c in t.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            _ => return Err(bad()),
        };
        let n: u64 = digits.parse().map_err(|_| bad())?;
        total = n
            .checked_mul(unit)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(bad)?;
        digits.clear();
    }
    if !digits.is_empty() {
        return Err(bad());
    }
    Ok(Duration::from_secs(total))
}

pub fn format_duration(d: Duration) -> String {
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
    let n: u64 = num.parse().map_err(|_| bad())?;
    let mult: u64 = match unit.trim() {
        "B" => 1,
        "KiB" => 1 << 10,
        "MiB" => 1 << 20,
        "GiB" => 1 << 30,
        _ => return Err(bad()),
    };
    n.checked_mul(mult).ok_or_else(bad)
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
        for bad in ["", "15", "15x", "m", "1.5h", "-1s", "99999999999999999999d"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("10MiB"), Ok(10 << 20));
        assert_eq!(parse_size("512 B"), Ok(512));
        for bad in ["10", "10MB", "MiB", "1.5GiB"] {
            assert!(parse_size(bad).is_err(), "{bad}");
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
        assert_eq!(
            Schedule::parse("0 6 * * 1-5"),
            Ok(Schedule::Cron("0 0 6 * * 1-5".into()))
        );
    }
}
