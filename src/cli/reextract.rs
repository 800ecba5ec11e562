//! `warta reextract`: the current extractor over the archived raw HTML, in batches.

use std::io::Write;

use chrono::{DateTime, Utc};
use url::Url;

use super::progress::Progress;
use super::{Context, output};
use crate::dedup;
use crate::error::{Error, Result};
use crate::extract;
use crate::store::{OpenMode, Reextracted, Store};

const BATCH: usize = 200;

pub fn run(ctx: &Context, feeds: &[String]) -> Result<u8> {
    let config = ctx.config()?;
    for f in feeds {
        if config.feed(f).is_none() {
            return Err(Error::usage(format!(
                "--feed {f}: no such feed in {}",
                config.file.display()
            )));
        }
    }
    let db = ctx.db_path(Some(&config))?;
    // Before the lock, which would create the folder of an archive that is not there.
    crate::store::must_exist(&db)?;
    // It rewrites bodies and the index in long batches: alone, not between a daemon's polls.
    let _lock = crate::lock::ArchiveLock::acquire(&db, "reextract", Some(&config.file))?;
    let mut store = Store::open_with(&db, OpenMode::Write)?;
    let total = store.count_raw_articles(feeds)?;
    let progress = Progress::start(
        ctx.quiet,
        u64::try_from(total).unwrap_or(0),
        "articles",
        "0 changed",
    );
    let (mut seen, mut changed, mut after) = (0i64, 0usize, 0i64);
    loop {
        let articles = store.raw_articles(after, BATCH, feeds)?;
        let Some(last) = articles.last() else { break };
        after = last.article_id;
        let mut updates = Vec::new();
        for a in &articles {
            seen += 1;
            let rules = config.feed(&a.feed).and_then(|f| f.extract.clone());
            let fetched = DateTime::parse_from_rfc3339(&a.fetched)
                .map(|t| t.with_timezone(&Utc))
                .unwrap_or_else(|_| Utc::now());
            let mut found = Vec::with_capacity(a.pages.len());
            for page in &a.pages {
                // A kept response is decoded from its original bytes, as when it was fetched.
                let html = match page.kept.html(config.fetch.max_body) {
                    Ok(html) => html,
                    Err(why) => {
                        tracing::warn!(article = a.article_id, "{why}; article skipped");
                        found.clear();
                        break;
                    }
                };
                let url = Url::parse(&page.url).ok();
                match crate::isolate::isolated(|| {
                    extract::extract(&html, url.as_ref(), rules.as_deref(), fetched)
                }) {
                    Ok(f) => found.push(f),
                    Err(panic) => {
                        tracing::warn!(article = a.article_id, error = %panic, "extractor failed; article skipped");
                        found.clear();
                        break;
                    }
                }
            }
            if found.is_empty() {
                continue;
            }
            let first = found.remove(0);
            let joined = if found.is_empty() {
                first
            } else {
                extract::join_pages(first, found)
            };
            if joined.not_article.is_some()
                || joined.body_text.trim().is_empty()
                || joined.body_text == a.body
            {
                continue;
            }
            let stems = crate::stem::article_stems(
                a.language.as_deref().or(joined.language.as_deref()),
                &a.title,
                &joined.body_text,
            );
            updates.push(Reextracted {
                stems,
                article_id: a.article_id,
                fingerprint: dedup::fingerprint(&joined.body_text),
                signature: dedup::minhash::signature(&joined.body_text),
                body: joined.body_text,
                body_html: Some(joined.body_html).filter(|h| !h.is_empty()),
                author: joined.author,
                language: joined.language,
                extractor_version: extract::EXTRACTOR_VERSION,
                partial: joined.partial,
            });
        }
        changed += updates.len();
        store.update_extractions(&updates)?;
        progress.advance_by(articles.len() as u64, format!("{changed} changed"));
        // Where no bar is drawn (a service, a log file), -v still shows how far it got.
        tracing::info!("re-extracted {seen}/{total}, {changed} changed");
    }
    drop(progress);
    output(writeln!(
        std::io::stdout().lock(),
        "{changed} of {} changed",
        crate::text::counted(seen, "article")
    ))?;
    Ok(0)
}
