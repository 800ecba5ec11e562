//! `warta extract [FILE…] [--url URL]`: the extractor on saved pages, archive untouched.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use chrono::Utc;
use clap::{Args, ValueEnum};
use serde::Serialize;
use url::Url;

use super::{Context, output, render};
use crate::dedup;
use crate::error::{Error, Result};
use crate::extract::{self, SiteRules};
use crate::model::{Partial, rfc3339};

#[derive(Debug, Args)]
pub struct ExtractArgs {
    /// Saved pages (`.gz` is read decompressed); standard input when none is given.
    files: Vec<PathBuf>,
    /// The page's address, for relative links and site rules (applies to every file).
    #[arg(long)]
    url: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Json,
    Ndjson,
}

#[derive(Debug, Serialize)]
struct PageOut {
    file: Option<String>,
    url: Option<String>,
    title: Option<String>,
    author: Option<String>,
    published: Option<String>,
    language: Option<String>,
    body: Option<String>,
    /// Why the body is only part of the article (`paywall`), or null.
    partial: Option<Partial>,
    error: Option<String>,
}

/// Pages larger than this are refused rather than read whole: far beyond any article.
const MAX_PAGE_BYTES: u64 = 64 * 1024 * 1024;

pub fn run(ctx: &Context, args: &ExtractArgs) -> Result<u8> {
    let url = match &args.url {
        Some(u) => Some(
            Url::parse(u)
                .map_err(|e| Error::usage(format!("--url {u:?} is not a valid URL ({e})")))?,
        ),
        None => None,
    };
    // Site rules apply when the config has a feed on the page's site.
    let rules = match (&url, ctx.optional_config()) {
        (Some(u), Ok(Some(config))) => config
            .feeds
            .iter()
            .find(|f| f.extract.is_some() && dedup::same_site(&f.url, u))
            .and_then(|f| f.extract.clone()),
        (_, Err(e)) => {
            tracing::warn!("config not used for site rules: {e}");
            None
        }
        _ => None,
    };
    let now = Utc::now();
    let inputs: Vec<Option<&Path>> = if args.files.is_empty() {
        vec![None]
    } else {
        args.files.iter().map(|p| Some(p.as_path())).collect()
    };
    let mut pages = Vec::with_capacity(inputs.len());
    for input in inputs {
        pages.push(extract_one(input, url.as_ref(), rules.as_deref(), now));
    }
    let failed = pages.iter().any(|p| p.error.is_some() && p.body.is_none());
    let mut out = std::io::stdout().lock();
    output(match args.format {
        Format::Json if pages.len() == 1 => render::json(&mut out, &pages[0]),
        Format::Json => render::json(&mut out, &pages),
        Format::Ndjson => render::ndjson(&mut out, &pages),
        Format::Text => print_text(&mut render::printable(&mut out), &pages),
    })?;
    for p in &pages {
        if p.partial == Some(Partial::Paywall) {
            eprintln!(
                "warta: {}: only the part of the article before the paywall is on the page",
                p.file.as_deref().unwrap_or("standard input")
            );
        }
        if let Some(e) = &p.error {
            eprintln!(
                "warta: {}: {e}",
                p.file.as_deref().unwrap_or("standard input")
            );
        }
    }
    Ok(u8::from(failed))
}

fn print_text(out: &mut impl Write, pages: &[PageOut]) -> std::io::Result<()> {
    for (i, p) in pages.iter().enumerate() {
        if i > 0 {
            writeln!(out, "\n----------------------------------------\n")?;
        }
        if pages.len() > 1
            && let Some(f) = &p.file
        {
            writeln!(out, "== {f}")?;
        }
        writeln!(out, "{}", p.title.as_deref().unwrap_or(""))?;
        writeln!(out)?;
        writeln!(out, "{}", p.body.as_deref().unwrap_or(""))?;
    }
    Ok(())
}

fn extract_one(
    input: Option<&Path>,
    url: Option<&Url>,
    rules: Option<&SiteRules>,
    now: chrono::DateTime<Utc>,
) -> PageOut {
    let file = input.map(|p| p.display().to_string());
    let failed = |error: String| PageOut {
        file: file.clone(),
        url: None,
        title: None,
        author: None,
        published: None,
        language: None,
        body: None,
        partial: None,
        error: Some(error),
    };
    let bytes = match read_input(input) {
        Ok(b) => b,
        Err(e) => return failed(e),
    };
    if bytes.iter().take(4096).any(|&b| b == 0) {
        return failed("not an HTML page (binary data)".into());
    }
    let html = crate::fetch::decode_html(&bytes, None);
    let found = match crate::isolate::isolated(|| extract::extract(&html, url, rules, now)) {
        Ok(found) => found,
        Err(panic) => return failed(format!("the extractor failed: {panic}")),
    };
    let (body, error) = match found.not_article {
        // The page was read, but what it holds is not the article: say so, give no body.
        Some(why) => (String::new(), Some(format!("the page is {why}"))),
        None if found.body_text.trim().is_empty() => {
            (String::new(), Some("no article body found".to_string()))
        }
        None => (found.body_text, None),
    };
    PageOut {
        file,
        url: url.map(Url::to_string).or(found.canonical_url),
        title: found.title,
        author: found.author,
        published: found.published.map(|p| rfc3339(&p)),
        language: found.language,
        body: Some(body),
        partial: found.partial,
        error,
    }
}

fn read_input(input: Option<&Path>) -> std::result::Result<Vec<u8>, String> {
    let mut bytes = Vec::new();
    match input {
        None => std::io::stdin()
            .take(MAX_PAGE_BYTES)
            .read_to_end(&mut bytes)
            .map_err(|e| format!("cannot read standard input: {e}"))?,
        Some(path) => {
            let f = std::fs::File::open(path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            let limited = f.take(MAX_PAGE_BYTES);
            if path.extension().is_some_and(|e| e == "gz") {
                flate2::read::MultiGzDecoder::new(limited)
                    .take(MAX_PAGE_BYTES)
                    .read_to_end(&mut bytes)
                    .map_err(|e| format!("cannot decompress {}: {e}", path.display()))?
            } else {
                let mut limited = limited;
                limited
                    .read_to_end(&mut bytes)
                    .map_err(|e| format!("cannot read {}: {e}", path.display()))?
            }
        }
    };
    Ok(bytes)
}
