//! `warta fetch [FEED…]`: one pass, a per-feed summary, exit 1 naming each feed that failed.
//!
//! Ctrl-C (SIGINT) or SIGTERM stops the pass: no new feed or page is started, pages already
//! in are written (ingest writes as it goes), and the command says what it kept and what is
//! left, then exits 1 — the contract's "ran, but something failed", not the shell's 130,
//! because scripts read warta's codes as 0/1/2. A second signal quits at once; every write
//! is a transaction, so that is as safe as the first, only less tidy.

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::Utc;
use futures_util::StreamExt;
use tokio::sync::watch;

use super::progress::{LogWriter, Progress};
use super::{Context, output, runtime};
use crate::error::{Error, Result};
use crate::ingest::{Event, FeedReport, Ingest, PollStatus};
use crate::schedule;
use crate::store::Store;
use crate::text::counted;

pub fn run(ctx: &Context, names: &[String], force: bool) -> Result<u8> {
    let config = ctx.config()?;
    let selected: Vec<String> = config
        .select_feeds(names)
        .map_err(Error::usage)?
        .iter()
        .map(|f| f.name.to_string())
        .collect();
    let db = ctx.db_path(Some(&config))?;
    let _lock = crate::lock::ArchiveLock::acquire(&db, "fetch", Some(&config.file))?;
    let store = Store::open(&db)?;
    let config = Arc::new(config);
    let (stop, stopped) = watch::channel(false);
    let progress = Progress::start(ctx.quiet, selected.len() as u64, "feeds", "0 pages, 0 new");
    let ingest = Ingest::new(config.clone(), store, force)
        .map_err(Error::failure)?
        .with_stop(stopped.clone())
        .with_observer(page_counter(&progress))
        .with_publisher_hints();
    let (reports, unpolled) = runtime()?.block_on(async {
        tokio::spawn(stop_on_signals(stop));
        let ids = ingest.sync_feeds().await?;
        let jobs: Vec<(usize, i64)> = selected
            .iter()
            .filter_map(|name| {
                let i = config.feeds.iter().position(|f| f.name.as_str() == name)?;
                Some((i, ids.get(i).copied()?))
            })
            .collect();
        let total = jobs.len();
        let mut queue = schedule::HostQueues::default();
        for (i, id) in jobs {
            queue.push(crate::fetch::host_key(&config.feeds[i].url), (i, id));
        }
        let mut running = futures_util::stream::FuturesUnordered::new();
        let mut reports: Vec<(usize, FeedReport)> = Vec::new();
        loop {
            while running.len() < schedule::POLLS_AT_ONCE && !*stopped.borrow() {
                let Some((host, (i, id))) = queue.pop() else {
                    break;
                };
                let ingest = &ingest;
                let feed = &config.feeds[i];
                running
                    .push(async move { (host, i, ingest.poll_feed(feed, id, Utc::now()).await) });
            }
            let Some((host, i, report)) = running.next().await else {
                break;
            };
            queue.done(&host);
            progress.advance_only();
            reports.push((i, report));
        }
        // The summary lists feeds in the config's order, whatever order they finished in.
        reports.sort_by_key(|(i, _)| *i);
        let unpolled = total - reports.len();
        Ok::<_, Error>((
            reports.into_iter().map(|(_, r)| r).collect::<Vec<_>>(),
            unpolled,
        ))
    })?;
    drop(progress);
    ingest.log_watch_cost();

    let mut out = std::io::stdout().lock();
    output(print_summary(&mut out, &reports))?;
    let mut failed = false;
    for r in &reports {
        if !(matches!(r.status, PollStatus::Failed(_)) || r.disk_full) {
            continue;
        }
        failed = true;
        if let PollStatus::Failed(why) | PollStatus::Skipped(why) = &r.status {
            eprintln!("warta: feed {}: {why}", r.feed);
        }
    }
    if let Some(line) = crate::fetch::network_down(
        reports
            .iter()
            .filter(|r| r.status.polled())
            .map(|r| (r.host.as_str(), r.cause)),
    ) {
        eprintln!("warta: {line}");
    }
    if *stopped.borrow() {
        eprintln!("warta: {}", interrupted(&reports, unpolled));
        return Ok(1);
    }
    send_alerts(&ingest, &config, &mut out)?;
    Ok(u8::from(failed))
}

/// Sends the watches' alerts that are due (those of this fetch and any left over), for a
/// minute at most; what is not sent waits for the next `fetch` or the daemon.
fn send_alerts(
    ingest: &Ingest,
    config: &Arc<crate::config::Config>,
    out: &mut impl Write,
) -> Result<()> {
    if !config
        .watches
        .iter()
        .any(crate::config::WatchConfig::delivers)
    {
        return Ok(());
    }
    let store = ingest
        .store
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .companion()?;
    let stats = Arc::new(crate::watch::AlertStats::default());
    let mut courier =
        crate::watch::Courier::new(config.clone(), store, stats.clone()).map_err(Error::failure)?;
    let round = runtime()?.block_on(courier.drain(std::time::Duration::from_secs(60)));
    let waiting = stats.waiting.load(std::sync::atomic::Ordering::Relaxed);
    if round.sent + round.failed + waiting > 0 {
        let mut line = format!("alerts: {} sent", round.sent);
        if waiting > 0 {
            line.push_str(&format!(
                ", {waiting} waiting (tried again by the next fetch or the daemon)"
            ));
        }
        if round.gave_up > 0 {
            line.push_str(&format!(", {} given up", round.gave_up));
        }
        output(writeln!(out, "{line}"))?;
    }
    Ok(())
}

/// Counts pages and new articles into the bar's message as ingest reports them.
fn page_counter(progress: &Progress) -> crate::ingest::Observer {
    let bar = progress.ticker();
    let pages = AtomicUsize::new(0);
    let stored = AtomicUsize::new(0);
    Arc::new(move |event| {
        match event {
            Event::Page => pages.fetch_add(1, Ordering::Relaxed),
            Event::Stored(n) => stored.fetch_add(n, Ordering::Relaxed),
        };
        bar.set_message(format!(
            "{}, {} new",
            counted(pages.load(Ordering::Relaxed), "page"),
            stored.load(Ordering::Relaxed)
        ));
    })
}

/// Waits for SIGINT or SIGTERM and asks the pass to stop; a second one quits at once.
pub(super) async fn stop_on_signals(stop: watch::Sender<bool>) {
    let mut terminate = match tokio::signal::unix::signal(
        tokio::signal::unix::SignalKind::terminate(),
    ) {
        Ok(s) => Some(s),
        Err(e) => {
            tracing::warn!(error = %e, "cannot listen for SIGTERM; only Ctrl-C stops the fetch gently");
            None
        }
    };
    next_signal(&mut terminate).await;
    let _ = stop.send(true);
    let _ = writeln!(
        LogWriter,
        "warta: stopping: finishing the pages in hand (press Ctrl-C again to quit at once)"
    );
    next_signal(&mut terminate).await;
    let _ = writeln!(
        LogWriter,
        "warta: quit at once; every article written so far is kept"
    );
    std::process::exit(1);
}

async fn next_signal(terminate: &mut Option<tokio::signal::unix::Signal>) {
    match terminate {
        Some(t) => {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = t.recv() => {}
            }
        }
        None => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

/// What an interrupted pass kept and left.
fn interrupted(reports: &[FeedReport], unpolled: usize) -> String {
    let stored: usize = reports.iter().map(|r| r.new).sum();
    let left: usize = reports.iter().map(|r| r.left).sum();
    // Cut short or never started: the next run polls these (again).
    let again = unpolled
        + reports
            .iter()
            .filter(|r| r.status == PollStatus::Interrupted)
            .count();
    let mut line = format!(
        "interrupted: {} stored, {} left for the next run",
        counted(stored, "article"),
        counted(left, "page")
    );
    if again > 0 {
        line.push_str(&format!(" ({} to poll again)", counted(again, "feed")));
    }
    line
}

fn print_summary(out: &mut impl Write, reports: &[FeedReport]) -> std::io::Result<()> {
    let width = reports
        .iter()
        .map(|r| r.feed.as_str().len())
        .max()
        .unwrap_or(4);
    let (mut new, mut dup, mut failed, mut failed_feeds) = (0, 0, 0, 0);
    for r in reports {
        let status = match &r.status {
            PollStatus::Ok => "ok",
            PollStatus::NotModified => "not modified",
            PollStatus::Failed(_) => "FAILED",
            PollStatus::Skipped(_) => "skipped",
            PollStatus::Interrupted => "interrupted",
        };
        write!(
            out,
            "{:<width$}  {:<12}  {:>4} new  {:>4} duplicate  {:>4} failed",
            r.feed.as_str(),
            status,
            r.new,
            r.duplicate,
            r.failed,
        )?;
        if r.recovered > 0 {
            write!(out, "  ({} earlier pages recovered)", r.recovered)?;
        }
        if r.left > 0 {
            write!(out, "  ({} left)", counted(r.left, "page"))?;
        }
        if r.revisited > 0 {
            write!(
                out,
                "  ({} fetched again",
                counted(r.revisited, "archived page")
            )?;
            if r.taken_down > 0 {
                write!(out, ", {} taken down", r.taken_down)?;
            }
            write!(out, ")")?;
        }
        if let PollStatus::Failed(why) | PollStatus::Skipped(why) = &r.status {
            write!(out, "  {why}")?;
        }
        writeln!(out)?;
        new += r.new;
        dup += r.duplicate;
        failed += r.failed;
        failed_feeds += usize::from(matches!(r.status, PollStatus::Failed(_)));
    }
    write!(
        out,
        "{}: {new} new, {dup} duplicate, {}",
        counted(reports.len(), "feed"),
        counted(failed, "failed page")
    )?;
    if failed_feeds > 0 {
        write!(out, "; {} failed", counted(failed_feeds, "feed"))?;
    }
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::FeedName;

    fn report(name: &str, status: PollStatus, new: usize, failed: usize) -> FeedReport {
        let mut r = FeedReport::with_status(FeedName::parse(name).unwrap(), status);
        r.new = new;
        r.failed = failed;
        r
    }

    fn summary(reports: &[FeedReport]) -> String {
        let mut out = Vec::new();
        print_summary(&mut out, reports).unwrap();
        let text = String::from_utf8(out).unwrap();
        text.lines().last().unwrap_or_default().to_string()
    }

    #[test]
    fn the_summary_counts_failed_feeds_in_the_right_number() {
        let ok = report("a", PollStatus::Ok, 10, 1);
        let bad = report("b", PollStatus::Failed("HTTP 500".into()), 0, 0);
        assert_eq!(
            summary(&[ok.clone(), bad.clone(), report("c", PollStatus::Ok, 0, 0)]),
            "3 feeds: 10 new, 0 duplicate, 1 failed page; 1 feed failed"
        );
        assert_eq!(
            summary(&[bad.clone(), bad]),
            "2 feeds: 0 new, 0 duplicate, 0 failed pages; 2 feeds failed"
        );
        assert_eq!(
            summary(&[report("a", PollStatus::Ok, 1, 2)]),
            "1 feed: 1 new, 0 duplicate, 2 failed pages"
        );
    }

    #[test]
    fn an_interruption_says_what_was_kept_and_what_is_left() {
        let mut a = report("a", PollStatus::Interrupted, 12, 0);
        a.left = 30;
        assert_eq!(
            interrupted(&[a], 0),
            "interrupted: 12 articles stored, 30 pages left for the next run (1 feed to poll again)"
        );
        let one = report("b", PollStatus::Ok, 1, 0);
        assert_eq!(
            interrupted(&[one], 1),
            "interrupted: 1 article stored, 0 pages left for the next run (1 feed to poll again)"
        );
    }
}
