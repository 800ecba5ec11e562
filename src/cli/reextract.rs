//! `warta reextract`: the current extractor over the archived raw HTML, in batches.

use std::io::Write;

use chrono::{DateTime, Utc};
use url::Url;

use super::{Context, output};
use crate::dedup;
use crate::error::{Error, Result};
use crate::extract;
use crate::store::{Reextracted, Store};

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
    let mut store = Store::open(&db)?;
    let total = store.count_raw_pages(feeds)?;
    let (mut seen, mut changed, mut after) = (0i64, 0usize, 0i64);
    loop {
        let pages = store.raw_pages(after, BATCH, feeds)?;
        let Some(last) = pages.last() else { break };
        after = last.article_id;
        let mut updates = Vec::new();
        for p in &pages {
            seen += 1;
            let Ok(html) = zstd::decode_all(p.html_zstd.as_slice()) else {
                tracing::warn!(
                    article = p.article_id,
                    "stored page does not decompress; skipped"
                );
                continue;
            };
            let html = String::from_utf8_lossy(&html);
            let url = Url::parse(&p.url).ok();
            let rules = config.feed(&p.feed).and_then(|f| f.extract.clone());
            let fetched = DateTime::parse_from_rfc3339(&p.fetched)
                .map(|t| t.with_timezone(&Utc))
                .unwrap_or_else(|_| Utc::now());
            let found = extract::extract(&html, url.as_ref(), rules.as_deref(), fetched);
            if found.body_text.trim().is_empty() || found.body_text == p.body {
                continue;
            }
            updates.push(Reextracted {
                article_id: p.article_id,
                fingerprint: dedup::fingerprint(&found.body_text),
                signature: dedup::minhash::signature(&found.body_text),
                body: found.body_text,
                body_html: Some(found.body_html).filter(|h| !h.is_empty()),
                author: found.author,
                language: found.language,
                extractor_version: extract::EXTRACTOR_VERSION,
            });
        }
        changed += updates.len();
        store.update_extractions(&updates)?;
        if total > BATCH as i64 {
            eprint!("\rre-extracted {seen}/{total}, {changed} changed");
        }
    }
    if total > BATCH as i64 {
        eprintln!();
    }
    output(writeln!(
        std::io::stdout().lock(),
        "{changed} of {seen} articles changed"
    ))?;
    Ok(0)
}
