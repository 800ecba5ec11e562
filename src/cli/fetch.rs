//! `warta fetch [FEED…]`: one pass, a per-feed summary, exit 1 naming each feed that failed.

use std::io::Write;
use std::sync::Arc;

use chrono::Utc;
use futures_util::StreamExt;

use super::progress::Progress;
use super::{Context, output, runtime};
use crate::error::{Error, Result};
use crate::ingest::{FeedReport, Ingest, PollStatus};
use crate::schedule;
use crate::store::Store;

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
    let ingest = Ingest::new(config.clone(), store, force).map_err(Error::failure)?;
    let reports = runtime()?.block_on(async {
        let ids = ingest.sync_feeds().await?;
        let jobs: Vec<(usize, i64)> = selected
            .iter()
            .filter_map(|name| {
                let i = config.feeds.iter().position(|f| f.name.as_str() == name)?;
                Some((i, ids.get(i).copied()?))
            })
            .collect();
        let progress = Progress::start(ctx.quiet, jobs.len() as u64, "feeds", "0 new");
        let mut new_so_far = 0;
        let mut queue = schedule::HostQueues::default();
        for (i, id) in jobs {
            queue.push(crate::fetch::host_key(&config.feeds[i].url), (i, id));
        }
        let mut running = futures_util::stream::FuturesUnordered::new();
        let mut reports: Vec<(usize, FeedReport)> = Vec::new();
        loop {
            while running.len() < schedule::POLLS_AT_ONCE {
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
            new_so_far += report.new;
            progress.advance(format!("{new_so_far} new"));
            reports.push((i, report));
        }
        drop(progress);
        // The summary lists feeds in the config's order, whatever order they finished in.
        reports.sort_by_key(|(i, _)| *i);
        Ok::<_, Error>(reports.into_iter().map(|(_, r)| r).collect::<Vec<_>>())
    })?;

    let mut out = std::io::stdout().lock();
    output(print_summary(&mut out, &reports))?;
    let failed: Vec<&FeedReport> = reports
        .iter()
        .filter(|r| matches!(r.status, PollStatus::Failed(_)) || r.disk_full)
        .collect();
    for r in &failed {
        if let PollStatus::Failed(why) | PollStatus::Skipped(why) = &r.status {
            eprintln!("warta: feed {}: {why}", r.feed);
        }
    }
    Ok(if failed.is_empty() { 0 } else { 1 })
}

fn print_summary(out: &mut impl Write, reports: &[FeedReport]) -> std::io::Result<()> {
    let width = reports
        .iter()
        .map(|r| r.feed.as_str().len())
        .max()
        .unwrap_or(4);
    let (mut new, mut dup, mut failed) = (0, 0, 0);
    for r in reports {
        let status = match &r.status {
            PollStatus::Ok => "ok".to_string(),
            PollStatus::NotModified => "not modified".to_string(),
            PollStatus::Failed(_) => "FAILED".to_string(),
            PollStatus::Skipped(_) => "skipped".to_string(),
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
        if let PollStatus::Failed(why) | PollStatus::Skipped(why) = &r.status {
            write!(out, "  {why}")?;
        }
        writeln!(out)?;
        new += r.new;
        dup += r.duplicate;
        failed += r.failed;
    }
    writeln!(
        out,
        "{} feeds: {new} new, {dup} duplicate, {failed} failed pages",
        reports.len()
    )
}
