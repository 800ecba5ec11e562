//! `warta show`, `warta feeds`, `warta stats`: reads of the archive.

use std::io::Write;

use chrono::Utc;

use super::{Context, ShowFormat, TableFormat, output, render};
use crate::error::{Error, Result};
use crate::store::{FeedRow, OpenMode, Store};
use crate::zone::Zone;

pub fn show(ctx: &Context, id: &str, format: ShowFormat, versions: bool) -> Result<u8> {
    let n: i64 = id.trim().trim_start_matches('#').parse().map_err(|_| {
        Error::usage(format!(
            "{id:?} is not an article id; ids are the numbers `warta search` prints"
        ))
    })?;
    let config = ctx.optional_config()?;
    let db = ctx.db_path(config.as_ref())?;
    let store = Store::open_with(&db, OpenMode::Read)?;
    let mut article = store
        .article(n)?
        .ok_or_else(|| Error::usage(format!("no article with id {n} in {}", db.display())))?;
    if versions {
        article.earlier_versions = Some(store.versions(n)?);
    }
    let mut out = std::io::stdout().lock();
    output(match format {
        ShowFormat::Json => render::json(&mut out, &article),
        ShowFormat::Text => {
            render::article_text(&mut out, &article, &Zone::resolve(config.as_ref()))
        }
        ShowFormat::Html => {
            let html = article
                .body_html
                .clone()
                .unwrap_or_else(|| paragraphs_to_html(&article.body));
            writeln!(render::printable(&mut out), "{html}")
        }
    })?;
    Ok(0)
}

fn paragraphs_to_html(body: &str) -> String {
    body.split("\n\n")
        .filter(|p| !p.trim().is_empty())
        .map(|p| format!("<p>{}</p>", escape(p.trim())))
        .collect::<Vec<_>>()
        .join("\n")
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

pub fn feeds(ctx: &Context, format: TableFormat) -> Result<u8> {
    let config = ctx.config()?;
    let db = ctx.db_path(Some(&config))?;
    let rows: Vec<FeedRow> = Store::open_with(&db, OpenMode::Read)?.feed_rows()?;
    let list = crate::views::feed_views(&config, &rows);
    let mut out = std::io::stdout().lock();
    output(match format {
        TableFormat::Json => render::json(&mut out, &list),
        TableFormat::Table => {
            let table: Vec<FeedRow> = list
                .iter()
                .map(|f| FeedRow {
                    name: f.name.clone(),
                    url: f.url.clone(),
                    state: f.state.clone(),
                    last_poll: f.last_poll.clone(),
                    last_success: f.last_success.clone(),
                    last_error: f.last_error.clone(),
                    consecutive_failures: f.consecutive_failures,
                    articles: f.articles,
                    pending_pages: f.pending_pages,
                    next_poll: f.next_poll.clone(),
                    moved_to: f.moved_to.clone(),
                })
                .collect();
            render::feeds_table(&mut out, &table, &Zone::resolve(Some(&config)))
        }
    })?;
    Ok(0)
}

pub fn stats(ctx: &Context, format: TableFormat) -> Result<u8> {
    let config = ctx.optional_config()?;
    let db = ctx.db_path(config.as_ref())?;
    let store = Store::open_with(&db, OpenMode::Read)?;
    let feeds = match &config {
        Some(c) => c.feeds.len() as i64,
        None => store.feed_names()?.len() as i64,
    };
    let stats = store.stats(feeds, Utc::now())?;
    let mut out = std::io::stdout().lock();
    output(match format {
        TableFormat::Json => render::json(&mut out, &stats),
        TableFormat::Table => render::stats_table(&mut out, &stats),
    })?;
    Ok(0)
}
