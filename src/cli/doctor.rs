//! `warta doctor [--network]`: checks a setup and prints one line per check, `ok`, `warn`
//! or `FAIL`, with what to do about anything that is not ok. Exit 0 when nothing failed, 1
//! otherwise (warnings alone do not fail).
//!
//! Feeds: one feed that fails is the feed's problem (`warn`); no feed reachable at all is
//! the setup's (`FAIL`, exit 1). Without `--network` that is judged from each feed's last
//! poll (some polled, none succeeded); with it, from fetching every enabled feed now, and
//! when they all fail the same way on the way to their hosts (names not resolved, no
//! connection, timeouts), one `network` line says the network looks down.
//!
//! Nothing here changes the setup: the archive is opened read-only and never created, and
//! the writable check makes and removes one empty file beside it. Free space comes from
//! [`crate::store::free_bytes`].

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::Args;
use futures_util::StreamExt;

use super::{Context, output, runtime};
use crate::config::Config;
use crate::error::Result;
use crate::fetch::{Fetched, Fetcher, Purpose};

/// Below this much free space a warning; below [`FAIL_FREE`] a failure (SQLite needs room
/// for its write-ahead log and for a whole poll's transaction).
const WARN_FREE: u64 = 1 << 30;
const FAIL_FREE: u64 = 100 << 20;

#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  warta doctor               config, archive, disk, each feed's last state\n  warta doctor --network     also fetch every enabled feed now\n\nExit 1 when a check FAILs: a broken config or archive, a full disk, no feed reachable (one failing feed among working ones is a warning)."
)]
pub struct DoctorArgs {
    /// Also fetch every enabled feed now (politely, through the usual fetcher) and report.
    #[arg(long)]
    network: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Level {
    Ok,
    Warn,
    Fail,
}

#[derive(Debug, Clone)]
struct Check {
    level: Level,
    what: String,
    detail: String,
    fix: Option<String>,
}

impl Check {
    fn ok(what: impl Into<String>, detail: impl Into<String>) -> Check {
        Check {
            level: Level::Ok,
            what: what.into(),
            detail: detail.into(),
            fix: None,
        }
    }
    fn warn(what: impl Into<String>, detail: impl Into<String>, fix: impl Into<String>) -> Check {
        Check {
            level: Level::Warn,
            what: what.into(),
            detail: detail.into(),
            fix: Some(fix.into()),
        }
    }
    fn fail(what: impl Into<String>, detail: impl Into<String>, fix: impl Into<String>) -> Check {
        Check {
            level: Level::Fail,
            what: what.into(),
            detail: detail.into(),
            fix: Some(fix.into()),
        }
    }

    fn line(&self) -> String {
        let level = match self.level {
            Level::Ok => "ok",
            Level::Warn => "warn",
            Level::Fail => "FAIL",
        };
        let mut s = format!("{level:<4}  {}: {}", self.what, self.detail);
        if let Some(fix) = &self.fix {
            s.push_str(" — ");
            s.push_str(fix);
        }
        s
    }
}

pub fn run(ctx: &Context, args: &DoctorArgs) -> Result<u8> {
    let mut out = std::io::stdout().lock();
    let mut failed = false;
    let mut emit = |checks: Vec<Check>, out: &mut std::io::StdoutLock<'_>| -> Result<()> {
        for c in checks {
            failed |= c.level == Level::Fail;
            output(writeln!(out, "{}", c.line()))?;
        }
        Ok(())
    };

    let (config_path, _) = ctx.config_path();
    let config = match Config::load(&config_path) {
        Ok(c) => {
            let enabled = c.feeds.iter().filter(|f| f.enabled).count();
            let check = if enabled == 0 {
                Check::warn(
                    "config",
                    format!("{}: no enabled feeds", config_path.display()),
                    "add a [[feed]] with a name and url (or `warta feeds add URL`)",
                )
            } else {
                Check::ok(
                    "config",
                    format!(
                        "{}: valid, {} ({enabled} enabled)",
                        config_path.display(),
                        crate::text::counted(c.feeds.len(), "feed")
                    ),
                )
            };
            emit(vec![check], &mut out)?;
            Some(c)
        }
        Err(e) => {
            emit(
                vec![Check::fail(
                    "config",
                    e.to_string(),
                    "fix the file at the line named, or pass --config PATH",
                )],
                &mut out,
            )?;
            None
        }
    };

    let db = match ctx.db_path(config.as_ref()) {
        Ok(db) => db,
        Err(_) => {
            emit(
                vec![Check::fail(
                    "archive",
                    "no config to name the archive",
                    "fix the config, or pass --db PATH",
                )],
                &mut out,
            )?;
            return Ok(1);
        }
    };
    let (db_checks, feeds) = database_checks(&db);
    emit(db_checks, &mut out)?;
    // A PostgreSQL archive has no folder or disk of its own here.
    if crate::store::postgres_url(&db).is_none() {
        emit(folder_checks(&db), &mut out)?;
    }
    if let Some(config) = &config {
        emit(feed_checks(config, feeds.as_deref()), &mut out)?;
        if !args.network {
            emit(none_succeeded(config, feeds.as_deref()), &mut out)?;
        }
        if args.network {
            emit(network_checks(config)?, &mut out)?;
        }
    }
    Ok(u8::from(failed))
}

fn database_checks(db: &Path) -> (Vec<Check>, Option<Vec<crate::store::FeedHealth>>) {
    let name = db.display();
    if crate::store::postgres_url(db).is_none() && !db.exists() {
        return (
            vec![Check::warn(
                "database",
                format!("{name} does not exist yet"),
                "`warta fetch` or `warta daemon` creates it on the first poll",
            )],
            None,
        );
    }
    let inspection = match crate::store::inspect(db) {
        Ok(i) => i,
        Err(e) => {
            return (
                vec![Check::fail(
                    "database",
                    format!("cannot open: {e}"),
                    "check that it is a warta archive and that this user may read it; restore a copy made with `warta backup`",
                )],
                None,
            );
        }
    };
    let mut checks = Vec::new();
    if inspection.quick_check == ["ok"] {
        checks.push(Check::ok(
            "database",
            match crate::store::postgres_url(db) {
                Some(_) => format!(
                    "{name}: opens (PostgreSQL), schema {}",
                    inspection.schema_version
                ),
                None => format!(
                    "{name}: opens, quick_check ok, {}",
                    super::maintenance::human_bytes(crate::store::archive_bytes(db))
                ),
            },
        ));
    } else {
        let first: Vec<&str> = inspection
            .quick_check
            .iter()
            .take(3)
            .map(String::as_str)
            .collect();
        checks.push(Check::fail(
            "database",
            format!("{name}: quick_check found damage: {}", first.join("; ")),
            "stop the daemon and restore a copy made with `warta backup`, or salvage with sqlite3's .recover",
        ));
    }
    let known = crate::store::known_schema_version();
    let v = inspection.schema_version;
    checks.push(if v == known {
        Check::ok("schema", format!("version {v}, current"))
    } else if v < known {
        Check::warn(
            "schema",
            format!("version {v}; this warta writes version {known}"),
            "it is upgraded the next time `warta fetch` or `warta daemon` opens it; make a `warta backup` first",
        )
    } else {
        Check::fail(
            "schema",
            format!("version {v}, written by a newer warta (this one knows {known})"),
            "upgrade warta",
        )
    });
    (checks, Some(inspection.feeds))
}

fn folder_checks(db: &Path) -> Vec<Check> {
    let folder = match db.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut checks = Vec::new();
    // The folder may not exist yet; the first poll creates it inside the nearest one that does.
    let existing = folder
        .ancestors()
        .find(|p| p.is_dir())
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    let probe = existing.join(format!(".warta-doctor-{}", std::process::id()));
    match std::fs::File::create(&probe) {
        Ok(_) => {
            let _ = std::fs::remove_file(&probe);
            checks.push(Check::ok(
                "folder",
                if existing == folder {
                    format!("{} is writable", folder.display())
                } else {
                    format!(
                        "{} will be created inside {}, which is writable",
                        folder.display(),
                        existing.display()
                    )
                },
            ));
        }
        Err(e) => checks.push(Check::fail(
            "folder",
            format!("cannot write in {}: {e}", existing.display()),
            "let the user that runs warta write there: SQLite keeps its write-ahead log beside the archive",
        )),
    }
    checks.push(match crate::store::free_bytes(&existing) {
        Ok(free) => {
            let human = super::maintenance::human_bytes(free);
            let detail = format!("{human} free on {}", existing.display());
            if free < crate::store::FULL_FREE {
                Check::fail(
                    "disk",
                    format!("the disk is full: {detail}"),
                    "free space now: until there is room every poll is abandoned (and retried; feeds are not marked failing)",
                )
            } else if free < FAIL_FREE {
                Check::fail(
                    "disk",
                    detail,
                    "free space now: a full disk fails every poll's commit",
                )
            } else if free < WARN_FREE {
                Check::warn(
                    "disk",
                    detail,
                    "free some space; the archive grows with every poll",
                )
            } else {
                Check::ok("disk", detail)
            }
        }
        Err(e) => Check::warn(
            "disk",
            format!("cannot tell the free space on {}: {e}", existing.display()),
            "check it with `df -h`",
        ),
    });
    checks
}

fn feed_checks(config: &Config, rows: Option<&[crate::store::FeedHealth]>) -> Vec<Check> {
    let file = config.file.display();
    let zone = crate::zone::Zone::resolve(Some(config));
    config
        .feeds
        .iter()
        .filter(|f| f.enabled)
        .map(|f| {
            let what = format!("feed {}", f.name);
            let row = rows.and_then(|rows| rows.iter().find(|r| r.name == f.name.as_str()));
            let Some(row) = row else {
                return Check::ok(what, "not polled yet");
            };
            match row.state.as_str() {
                "ok" => Check::ok(
                    what,
                    format!(
                        "ok, last success {}",
                        row.last_success
                            .as_deref()
                            .map_or_else(|| "unknown".to_string(), |t| zone.time(t))
                    ),
                ),
                "new" => Check::ok(what, "not polled yet"),
                "failing" => Check::warn(
                    what,
                    format!(
                        "failing ({} in a row): {}",
                        crate::text::counted(row.consecutive_failures, "failed poll"),
                        row.last_error.as_deref().unwrap_or("no error recorded")
                    ),
                    format!(
                        "open {} in a browser; `warta fetch {}` shows the error now",
                        f.url, f.name
                    ),
                ),
                "gone" => Check::fail(
                    what,
                    "gone: the site answered 410 and it is no longer polled",
                    format!(
                        "remove it from {file}, or `warta fetch --force {}` to try again",
                        f.name
                    ),
                ),
                "moved" => Check::warn(
                    what,
                    format!(
                        "moved to {}",
                        row.moved_to.as_deref().unwrap_or("another address")
                    ),
                    format!("set its url to the new address in {file}"),
                ),
                other => Check::warn(
                    what,
                    format!("state {other:?}"),
                    "`warta feeds` shows the details",
                ),
            }
        })
        .collect()
}

/// A `FAIL` when feeds were polled and none succeeded on its last poll.
fn none_succeeded(config: &Config, rows: Option<&[crate::store::FeedHealth]>) -> Vec<Check> {
    let polled: Vec<&str> = config
        .feeds
        .iter()
        .filter(|f| f.enabled)
        .filter_map(|f| rows?.iter().find(|r| r.name == f.name.as_str()))
        .map(|r| r.state.as_str())
        .filter(|state| *state != "new")
        .collect();
    if polled.is_empty() || polled.iter().any(|s| matches!(*s, "ok" | "moved")) {
        return Vec::new();
    }
    vec![Check::fail(
        "feeds",
        format!(
            "none of the {} polled succeeded on its last poll",
            crate::text::counted(polled.len(), "feed")
        ),
        "`warta doctor --network` fetches them now and says whether the network is down",
    )]
}

/// One enabled feed fetched now: its check, and what the fetch says about the network.
struct Probe {
    check: Check,
    host: String,
    /// Fetched and read as a feed.
    reached: bool,
    cause: Option<crate::fetch::Cause>,
}

fn network_checks(config: &Config) -> Result<Vec<Check>> {
    let fetcher = Fetcher::new(&config.fetch)
        .and_then(|f| f.for_feeds(&config.feeds))
        .map_err(crate::error::Error::failure)?;
    let fetcher = Arc::new(fetcher);
    let feeds: Vec<_> = config.feeds.iter().filter(|f| f.enabled).collect();
    let concurrency = config.fetch.concurrency.max(1);
    let probes = runtime()?.block_on(async {
        futures_util::stream::iter(feeds.iter().map(|f| {
            let fetcher = fetcher.clone();
            async move {
                let what = format!("fetch {}", f.name);
                let started = std::time::Instant::now();
                let mut cause = None;
                let check = match fetcher.get(&f.url, Purpose::Feed, None).await {
                    // A site is read through its sitemaps at each poll; reaching it is what
                    // can be checked here.
                    Ok(Fetched::Body(resp)) if f.site().is_some() => Check::ok(
                        what,
                        format!(
                            "HTTP {}, the site answers ({} ms)",
                            resp.status,
                            started.elapsed().as_millis()
                        ),
                    ),
                    Ok(Fetched::Body(resp)) => {
                        let ms = started.elapsed().as_millis();
                        match crate::feed::parse_feed(
                            &resp.body,
                            resp.charset.as_deref(),
                            &resp.url,
                            chrono::Utc::now(),
                        ) {
                            Ok(parsed) => Check::ok(
                                what,
                                format!(
                                    "HTTP {}, {}, {ms} ms",
                                    resp.status,
                                    crate::text::counted(parsed.items.len(), "item")
                                ),
                            ),
                            Err(e) => Check::fail(
                                what,
                                format!("HTTP {} but not a feed: {e}", resp.status),
                                format!("open {} in a browser; the site may have moved its feed (`warta feeds add PAGE` finds it)", f.url),
                            ),
                        }
                    }
                    Ok(Fetched::NotModified { .. }) => Check::ok(what, "HTTP 304 not modified"),
                    Err(e) => {
                        cause = e.cause();
                        Check::fail(
                            what,
                            e.to_string(),
                            "check the URL, the network and DNS from this machine",
                        )
                    }
                };
                Probe {
                    reached: check.level == Level::Ok,
                    check,
                    host: crate::fetch::host_key(&f.url),
                    cause,
                }
            }
        }))
        .buffered(concurrency)
        .collect::<Vec<Probe>>()
        .await
    });
    Ok(judge_network(probes))
}

/// Feeds that cannot be fetched fail the doctor only when no feed can; then, if they all
/// failed the same way on the way to their hosts, one line says so.
fn judge_network(probes: Vec<Probe>) -> Vec<Check> {
    let any_reached = probes.iter().any(|p| p.reached);
    let down = crate::fetch::network_down(probes.iter().map(|p| (p.host.as_str(), p.cause)));
    let mut checks: Vec<Check> = probes
        .into_iter()
        .map(|p| match p.check.level {
            Level::Fail if any_reached => Check {
                level: Level::Warn,
                ..p.check
            },
            _ => p.check,
        })
        .collect();
    if let Some(line) = down {
        checks.push(Check::fail(
            "network",
            line,
            "fix the connection of this machine, then run `warta doctor --network` again",
        ));
    }
    checks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_say_level_check_detail_and_fix() {
        assert_eq!(
            Check::ok("disk", "9.0 GiB free").line(),
            "ok    disk: 9.0 GiB free"
        );
        assert_eq!(
            Check::fail("schema", "version 9", "upgrade warta").line(),
            "FAIL  schema: version 9 — upgrade warta"
        );
    }

    #[cfg(unix)]
    #[test]
    fn free_space_of_a_real_folder_is_positive() {
        let dir = tempfile::tempdir().unwrap();
        assert!(crate::store::free_bytes(dir.path()).unwrap() > 0);
        assert!(crate::store::free_bytes(&dir.path().join("missing")).is_err());
    }

    fn probe(host: &str, reached: bool, cause: Option<crate::fetch::Cause>) -> Probe {
        let check = if reached {
            Check::ok(format!("fetch {host}"), "HTTP 200")
        } else {
            Check::fail(format!("fetch {host}"), "cannot fetch", "check")
        };
        Probe {
            check,
            host: host.into(),
            reached,
            cause,
        }
    }

    #[test]
    fn one_unreachable_feed_warns_and_none_reachable_fails_once_for_the_network() {
        use crate::fetch::Cause::Dns;
        let levels = |checks: &[Check]| checks.iter().map(|c| c.level).collect::<Vec<_>>();
        let some = judge_network(vec![probe("a", true, None), probe("b", false, Some(Dns))]);
        assert_eq!(levels(&some), [Level::Ok, Level::Warn]);
        let none = judge_network(vec![
            probe("a", false, Some(Dns)),
            probe("b", false, Some(Dns)),
        ]);
        assert_eq!(levels(&none), [Level::Fail, Level::Fail, Level::Fail]);
        assert_eq!(none[2].what, "network");
        assert!(
            none[2].detail.contains("network looks down"),
            "{:?}",
            none[2]
        );
        let http = judge_network(vec![probe("a", false, None), probe("b", false, None)]);
        assert_eq!(
            levels(&http),
            [Level::Fail, Level::Fail],
            "dead feeds, live network"
        );
    }

    #[test]
    fn a_missing_archive_is_a_warning_not_a_failure() {
        let dir = tempfile::tempdir().unwrap();
        let (checks, feeds) = database_checks(&dir.path().join("a.db"));
        assert_eq!(checks.len(), 1);
        assert_eq!(checks[0].level, Level::Warn);
        assert!(feeds.is_none());
        assert!(!dir.path().join("a.db").exists());
    }

    #[test]
    fn a_folder_still_to_be_made_is_checked_in_its_nearest_parent() {
        let dir = tempfile::tempdir().unwrap();
        let checks = folder_checks(&dir.path().join("data/sub/a.db"));
        assert_eq!(checks[0].level, Level::Ok, "{:?}", checks[0]);
        assert!(
            checks[0].detail.contains("will be created"),
            "{:?}",
            checks[0]
        );
    }
}
