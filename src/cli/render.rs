//! Every byte a command prints on stdout goes through here: table, json, ndjson, csv.

use std::io::{self, Write};

use clap::ValueEnum;
use serde::Serialize;

use crate::model::Partial;
use crate::store::{ArticleView, FeedRow, SearchHit, Stats};
use crate::text::counted;
use crate::zone::Zone;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    Table,
    Json,
    Ndjson,
    Csv,
}

/// The text formats are read on terminals, and their text comes from pages and feeds: what
/// they print passes through [`crate::text::printable`], so a control character or a
/// bidirectional override is shown as U+FFFD instead of acted on. JSON needs none of this: it
/// escapes controls itself, and its readers are programs.
pub struct Printable<W: Write> {
    inner: W,
    /// The start of a character the last write cut short, completed by the next one.
    held: Vec<u8>,
}

pub fn printable<W: Write>(inner: W) -> Printable<W> {
    Printable {
        inner,
        held: Vec::new(),
    }
}

const REPLACEMENT: &[u8] = "\u{FFFD}".as_bytes();

impl<W: Write> Write for Printable<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.write_all(buf)?;
        Ok(buf.len())
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        let joined;
        let mut rest: &[u8] = if self.held.is_empty() {
            buf
        } else {
            joined = [std::mem::take(&mut self.held).as_slice(), buf].concat();
            &joined
        };
        loop {
            let e = match std::str::from_utf8(rest) {
                Ok(text) => {
                    return self
                        .inner
                        .write_all(crate::text::printable(text).as_bytes());
                }
                Err(e) => e,
            };
            let (valid, after) = rest.split_at(e.valid_up_to());
            let text = std::str::from_utf8(valid).unwrap_or_default();
            self.inner
                .write_all(crate::text::printable(text).as_bytes())?;
            match e.error_len() {
                // Cut short: the next write finishes the character.
                None => {
                    self.held = after.to_vec();
                    return Ok(());
                }
                Some(bad) => {
                    self.inner.write_all(REPLACEMENT)?;
                    rest = &after[bad..];
                }
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

impl<W: Write> Drop for Printable<W> {
    fn drop(&mut self) {
        // A character never finished: shown as what it is, broken.
        if !self.held.is_empty() {
            let _ = self.inner.write_all(REPLACEMENT);
        }
    }
}

pub fn json<T: Serialize + ?Sized>(out: &mut impl Write, value: &T) -> io::Result<()> {
    // `from`, not `other`: a write error stays itself, so a closed pipe is still BrokenPipe.
    serde_json::to_writer_pretty(&mut *out, value).map_err(io::Error::from)?;
    writeln!(out)
}

pub fn ndjson<T: Serialize>(out: &mut impl Write, values: &[T]) -> io::Result<()> {
    for v in values {
        serde_json::to_writer(&mut *out, v).map_err(io::Error::from)?;
        writeln!(out)?;
    }
    Ok(())
}

pub fn hits(
    out: &mut impl Write,
    hits: &[SearchHit],
    format: ListFormat,
    zone: &Zone,
) -> io::Result<()> {
    match format {
        // JSON escapes controls itself and is read by programs: the text as stored.
        ListFormat::Json => json(out, hits),
        ListFormat::Ndjson => ndjson(out, hits),
        ListFormat::Csv => hits_csv(&mut printable(out), hits),
        ListFormat::Table => hits_table(&mut printable(out), hits, zone),
    }
}

fn hits_csv(out: &mut impl Write, hits: &[SearchHit]) -> io::Result<()> {
    writeln!(
        out,
        "id,title,url,feed,published,fetched,language,snippet,score,story,copies"
    )?;
    for h in hits {
        let fields = [
            h.id.to_string(),
            h.title.clone(),
            h.url.clone(),
            h.feed.clone(),
            h.published.clone().unwrap_or_default(),
            h.fetched.clone(),
            h.language.clone().unwrap_or_default(),
            h.snippet.clone(),
            format!("{:.4}", h.score),
            h.story.to_string(),
            h.copies.to_string(),
        ];
        let row: Vec<String> = fields.iter().map(|f| crate::export::csv::cell(f)).collect();
        writeln!(out, "{}", row.join(","))?;
    }
    Ok(())
}

fn hits_table(out: &mut impl Write, hits: &[SearchHit], zone: &Zone) -> io::Result<()> {
    if hits.is_empty() {
        return writeln!(out, "no matches");
    }
    for (i, h) in hits.iter().enumerate() {
        if i > 0 {
            writeln!(out)?;
        }
        hit_block(out, h, zone)?;
    }
    Ok(())
}

/// Width of the table layout: an 80-column terminal, with no wrapping by the terminal.
const WIDTH: usize = 80;

/// One hit in four lines that fit 80 columns: `#12  2024-11-20 10:15 WITA  tribun-kaltim
/// ×2 copies` / the title / the snippet (two lines) / the URL.
fn hit_block(out: &mut impl Write, h: &SearchHit, zone: &Zone) -> io::Result<()> {
    let date = zone.time(h.published.as_deref().unwrap_or(&h.fetched));
    let copies = if h.copies > 1 {
        format!("  ×{}", counted(h.copies, "copy"))
    } else {
        String::new()
    };
    let head = format!("#{}  {date}  {}{copies}", h.id, h.feed);
    writeln!(out, "{}", truncate_chars(&head, WIDTH))?;
    writeln!(out, "  {}", truncate_chars(&h.title, WIDTH - 2))?;
    for line in wrap(&h.snippet, WIDTH - 4, 2) {
        writeln!(out, "    {line}")?;
    }
    writeln!(out, "  {}", truncate_chars(&h.url, WIDTH - 2))
}

/// Up to `lines` lines of at most `width` characters, broken at spaces; the last line
/// ends in `…` when text is left over.
fn wrap(text: &str, width: usize, lines: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut left_over = false;
    for word in text.split_whitespace() {
        let len = current.chars().count();
        if len > 0 && len + 1 + word.chars().count() > width {
            out.push(std::mem::take(&mut current));
            if out.len() == lines {
                left_over = true;
                break;
            }
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(word);
    }
    if !current.is_empty() {
        out.push(current);
    }
    if let Some(last) = out.last_mut() {
        let cut = truncate_chars(last, width);
        *last = if left_over && !cut.ends_with('…') {
            let keep: String = cut.chars().take(width.saturating_sub(1)).collect();
            format!("{keep}…")
        } else {
            cut
        };
    }
    out
}

pub fn count(
    out: &mut impl Write,
    c: crate::store::SearchCount,
    all: bool,
    format: ListFormat,
) -> io::Result<()> {
    match format {
        ListFormat::Json | ListFormat::Ndjson => {
            serde_json::to_writer(&mut *out, &c).map_err(io::Error::from)?;
            writeln!(out)
        }
        ListFormat::Csv => writeln!(out, "stories,copies\n{},{}", c.stories, c.copies),
        ListFormat::Table if all => writeln!(
            out,
            "{}, {}",
            counted(c.stories, "story"),
            counted(c.copies, "copy")
        ),
        ListFormat::Table => writeln!(out, "{}", c.stories),
    }
}

pub fn article_text(out: &mut impl Write, a: &ArticleView, zone: &Zone) -> io::Result<()> {
    let out = &mut printable(out);
    writeln!(out, "{}", a.title)?;
    writeln!(out)?;
    writeln!(out, "id:        {}", a.id)?;
    writeln!(out, "url:       {}", a.url)?;
    writeln!(out, "feed:      {}", a.feed)?;
    if let Some(p) = &a.published {
        writeln!(out, "published: {}", zone.time(p))?;
    }
    writeln!(out, "fetched:   {}", zone.time(&a.fetched))?;
    if let Some(au) = &a.author {
        writeln!(out, "author:    {au}")?;
    }
    if let Some(l) = &a.language {
        writeln!(out, "language:  {l}")?;
    }
    writeln!(
        out,
        "story:     {} ({})",
        a.story,
        counted(a.copies, "copy")
    )?;
    if a.version > 1 {
        writeln!(
            out,
            "version:   {} (revised; --versions shows earlier texts)",
            a.version
        )?;
    }
    if let Some(when) = &a.removed {
        writeln!(
            out,
            "removed:   {} (taken down by the publisher; the archived text stays)",
            zone.time(when)
        )?;
    }
    if a.partial == Some(Partial::Paywall) {
        writeln!(
            out,
            "partial:   paywall (only the part shown before the subscription prompt)"
        )?;
    }
    if a.source == "feed" {
        writeln!(
            out,
            "body from: the feed's text ({})",
            a.note.as_deref().unwrap_or("page not extracted")
        )?;
    }
    writeln!(out)?;
    writeln!(out, "{}", a.body)?;
    if a.story_copies.len() > 1 {
        writeln!(out)?;
        writeln!(out, "Copies of this story (earliest first):")?;
        for c in &a.story_copies {
            let when = zone.time(c.published.as_deref().unwrap_or(&c.first_seen));
            let how = match (c.method.as_str(), c.similarity) {
                ("minhash", Some(s)) => format!("near-duplicate, similarity {s:.2}"),
                ("same-url", _) => "same URL".to_string(),
                ("same-body", _) => "same text".to_string(),
                _ => "first seen here".to_string(),
            };
            let first = if c.earliest {
                "  [published first]"
            } else {
                ""
            };
            writeln!(
                out,
                "  #{}  {}  {}  {when}  ({how}){first}",
                c.id,
                c.feeds.join(", "),
                c.url
            )?;
        }
    }
    if let Some(versions) = &a.earlier_versions {
        writeln!(out)?;
        if versions.is_empty() {
            writeln!(out, "No earlier versions.")?;
        }
        for v in versions {
            writeln!(
                out,
                "--- version {} (fetched {}): {}",
                v.version,
                zone.time(&v.fetched),
                v.title
            )?;
            writeln!(out, "{}", v.body)?;
        }
    }
    Ok(())
}

pub fn feeds_table(out: &mut impl Write, rows: &[FeedRow], zone: &Zone) -> io::Result<()> {
    let out = &mut printable(out);
    let w = rows.iter().map(|r| r.name.len()).max().unwrap_or(4).max(4);
    let short_time = |t: Option<&str>| t.map_or_else(|| "-".to_string(), |t| zone.time(t));
    // "2024-11-20 10:15 WITA": the zone's name is 3 to 5 characters.
    let t = rows
        .iter()
        .flat_map(|r| [&r.last_success, &r.next_poll])
        .map(|t| short_time(t.as_deref()).chars().count())
        .max()
        .unwrap_or(0)
        .max(12);
    writeln!(
        out,
        "{:<w$}  {:<8}  {:>8}  {:>7}  {:>5}  {:<t$}  {:<t$}  LAST ERROR",
        "NAME", "STATE", "ARTICLES", "PENDING", "FAILS", "LAST SUCCESS", "NEXT POLL"
    )?;
    for r in rows {
        writeln!(
            out,
            "{:<w$}  {:<8}  {:>8}  {:>7}  {:>5}  {:<t$}  {:<t$}  {}",
            r.name,
            r.state,
            r.articles,
            r.pending_pages,
            r.consecutive_failures,
            short_time(r.last_success.as_deref()),
            short_time(r.next_poll.as_deref()),
            r.last_error
                .as_deref()
                .map(|e| shorten_middle(e, ERROR_WIDTH))
                .unwrap_or_default()
        )?;
    }
    Ok(())
}

pub fn stats_table(out: &mut impl Write, s: &Stats) -> io::Result<()> {
    writeln!(out, "feeds:             {}", s.feeds)?;
    writeln!(out, "articles:          {}", s.articles)?;
    writeln!(out, "stories:           {}", s.stories)?;
    writeln!(out, "copies:            {}", s.copies)?;
    writeln!(out, "duplicates:        {}", s.duplicates)?;
    writeln!(out, "articles (24 h):   {}", s.articles_24h)?;
    writeln!(out, "from feed text:    {}", s.from_feed_text)?;
    writeln!(out, "pages pending:     {}", s.pending_pages)?;
    writeln!(out, "revised:           {}", s.revised)?;
    writeln!(out, "taken down:        {}", s.removed)?;
    writeln!(out, "database size:     {}", human_bytes(s.database_bytes))
}

fn human_bytes(n: i64) -> String {
    let n = n as f64;
    if n >= 1024.0 * 1024.0 * 1024.0 {
        format!("{:.1} GiB", n / (1024.0 * 1024.0 * 1024.0))
    } else if n >= 1024.0 * 1024.0 {
        format!("{:.1} MiB", n / (1024.0 * 1024.0))
    } else if n >= 1024.0 {
        format!("{:.1} KiB", n / 1024.0)
    } else {
        format!("{n} B")
    }
}

/// Room for a feed's last error in the feeds table; `warta feeds --format json` has it whole.
const ERROR_WIDTH: usize = 72;

/// At most `n` characters, cut in the middle: an error says what failed at its start (the
/// URL) and why at its end ("… 404 Not Found", "… connection refused"), and both matter.
fn shorten_middle(s: &str, n: usize) -> String {
    let len = s.chars().count();
    if len <= n {
        return s.to_string();
    }
    let head = n.saturating_sub(1) / 2;
    let tail = n.saturating_sub(1) - head;
    let start: String = s.chars().take(head).collect();
    let end: String = s.chars().skip(len - tail).collect();
    format!("{}…{}", start.trim_end(), end.trim_start())
}

/// At most `n` characters: longer text is cut to `n - 1` and ends in `…`.
fn truncate_chars(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        return s.to_string();
    }
    let keep: String = s.chars().take(n.saturating_sub(1)).collect();
    format!("{keep}…")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn printed(chunks: &[&[u8]]) -> String {
        let mut out = Vec::new();
        let mut p = printable(&mut out);
        for c in chunks {
            p.write_all(c).unwrap();
        }
        p.flush().unwrap();
        drop(p);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn control_characters_print_as_replacement_characters() {
        assert_eq!(
            printed(&["a\u{1b}[2Jb\u{7}c\rd\u{7f}".as_bytes()]),
            "a\u{FFFD}[2Jb\u{FFFD}c\u{FFFD}d\u{FFFD}"
        );
        assert_eq!(
            printed(&["line\n\tindented".as_bytes()]),
            "line\n\tindented"
        );
        // The 8-bit CSI and a right-to-left override, even split between two writes; other
        // characters stay, split or not.
        let csi = "\u{9b}31m".as_bytes();
        assert_eq!(printed(&[&csi[..1], &csi[1..]]), "\u{FFFD}31m");
        let rlo = "a\u{202E}b".as_bytes();
        assert_eq!(printed(&[&rlo[..2], &rlo[2..]]), "a\u{FFFD}b");
        assert_eq!(printed(&["¢ Â é ü — ⠁".as_bytes()]), "¢ Â é ü — ⠁");
        let cent = "¢".as_bytes();
        assert_eq!(printed(&[&cent[..1], &cent[1..]]), "¢");
        assert_eq!(printed(&[b"x\xffy"]), "x\u{FFFD}y");
    }

    #[test]
    fn table_hits_fit_eighty_columns() {
        let h = SearchHit {
            id: 12345,
            title: "Pemkab Kutai Timur Salurkan Bantuan Bibit Hortikultura kepada Empat Puluh Kelompok Tani di Sangatta".into(),
            url: format!("https://kaltim.tribunnews.com/2024/11/20/{}", "x".repeat(120)),
            feed: "tribun-kaltim".into(),
            published: Some("2024-11-20T10:15:00+08:00".into()),
            fetched: "2024-11-20T03:00:00+00:00".into(),
            language: Some("id".into()),
            snippet: "kata ".repeat(80),
            score: 1.0,
            story: 1,
            copies: 3,
        };
        let mut out = Vec::new();
        let zone = Zone::resolve(None);
        hits(&mut out, &[h], ListFormat::Table, &zone).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text.lines().count(), 5, "{text}");
        for line in text.lines() {
            assert!(line.chars().count() <= WIDTH, "{line:?}");
        }
        assert!(text.contains("×3 copies") && text.contains('…'), "{text}");
    }

    #[test]
    fn wrap_breaks_at_spaces() {
        assert_eq!(wrap("a bb ccc dddd", 6, 3), ["a bb", "ccc", "dddd"]);
        assert_eq!(wrap("a bb ccc dddd", 6, 2), ["a bb", "ccc…"]);
        assert!(wrap("", 6, 2).is_empty());
    }

    #[test]
    fn long_errors_keep_their_start_and_their_end() {
        let e = format!(
            "https://kaltim.example/{}/feed.xml: HTTP 404 Not Found",
            "x".repeat(100)
        );
        let short = shorten_middle(&e, 60);
        assert!(short.chars().count() <= 60, "{short}");
        assert!(short.starts_with("https://kaltim.example/"), "{short}");
        assert!(short.ends_with("HTTP 404 Not Found"), "{short}");
        assert_eq!(shorten_middle("timed out", 40), "timed out");
    }

    #[test]
    fn truncation_respects_char_boundaries() {
        assert_eq!(truncate_chars("Samarinda—Balikpapan", 11), "Samarinda—…");
        assert_eq!(truncate_chars("Samarinda", 9), "Samarinda");
    }
}
