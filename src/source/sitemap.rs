//! Sitemaps, read the way sites publish them: a streaming reader for one file, the order in
//! which an index's children are worth reading, where to look for a site's sitemaps, and
//! which listed pages to take.
//!
//! Pure: bytes, URLs and `now` in, values out. Fetching, conditional GET and remembering
//! each child's `lastmod` belong to the caller ([`select_children`] is told what it
//! remembered).
//!
//! Choices worth knowing:
//! - **Streaming.** [`read`] hands each entry to a callback as soon as its closing tag is
//!   read, so a 50,000-URL, 50 MB file costs the memory of one entry and one piece of markup
//!   ([`Limits::max_element_bytes`]), never the file. [`Summary::largest_buffer`] says how
//!   much that was.
//! - **Forgiving, by local name.** Elements are matched by their local name in context
//!   (`<loc>` directly in `<url>`, `<title>` in `<news:news>`), whatever the prefix and
//!   whether or not its namespace is declared; a byte-order mark, whitespace before the
//!   declaration or around a `<loc>`, CDATA, HTML entities, a bare `&` and mismatched end
//!   tags are read through. What cannot be read through (a broken tail, a cut-off file)
//!   stops the reading: the entries before it have been handed over, and
//!   [`Summary::error`] says what broke at which byte of the (uncompressed) text.
//! - **Encoding.** Sitemaps are UTF-8; a byte that is not part of valid UTF-8 is read as
//!   Windows-1252 (Latin-1 included), so a file declared ISO-8859-1 or one stray legacy
//!   byte costs a letter, not the rest of the file. Byte offsets in errors count the text
//!   after that repair (the same as the input when it is valid UTF-8).
//! - **gzip** is recognised by its magic bytes, whatever the name or the response headers
//!   said, and both its compressed and its uncompressed size are bounded (gzip bombs).
//! - **Scope.** A listed URL, page or child sitemap, must be http(s) on the site's host, a
//!   subdomain of it, or a host the caller allows ([`Scope::allow_host`]; for child
//!   sitemaps also [`Scope::allow_sitemap_host`], e.g. the host of a sitemap the site's
//!   robots.txt names); `www.` is ignored. The sitemap protocol's path
//!   rule (a sitemap under `/a/` lists only `/a/…`) is not enforced: WordPress and most
//!   CMSs serve `/sitemaps/post.xml` listing `/2024/…`, and the host rule already keeps
//!   another site's pages out. Cross-submission (robots.txt of the site naming a sitemap
//!   on another host) makes that sitemap readable, not its host's pages.
//! - **Dates** ([`parse_w3c_date`]): the W3C forms and the broken ones sites emit; a
//!   zone-less time is UTC, as `dates` reads ISO times; nonsense and far-future dates are
//!   no date.

use std::cell::Cell;
use std::collections::{BinaryHeap, HashSet};
use std::io::{self, BufRead, BufReader, Read};
use std::ops::ControlFlow;
use std::rc::Rc;
use std::sync::OnceLock;

use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, TimeZone, Utc};
use quick_xml::events::Event;
use regex::Regex;
use url::Url;

#[cfg(test)]
mod tests;

/// How much one sitemap file may cost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Uncompressed bytes read from one file; the protocol allows 50 MB.
    pub max_bytes: u64,
    /// Compressed bytes read from one gzip file.
    pub max_compressed_bytes: u64,
    /// Entries (`<url>` or `<sitemap>`, or lines) taken from one file; the protocol allows
    /// 50,000.
    pub max_urls: usize,
    /// Longest URL taken; the protocol allows 2,048 characters.
    pub max_loc_len: usize,
    /// Longest single piece of markup or text held at once (a tag, a text run, a line).
    pub max_element_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bytes: 50 * 1024 * 1024,
            max_compressed_bytes: 50 * 1024 * 1024,
            max_urls: 50_000,
            max_loc_len: 2048,
            max_element_bytes: 64 * 1024,
        }
    }
}

/// Which hosts a source's sitemaps may list pages and child sitemaps of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    site_host: String,
    extra_hosts: Vec<String>,
    sitemap_hosts: Vec<String>,
}

impl Scope {
    /// The site's host and its subdomains.
    pub fn new(site: &Url) -> Self {
        Scope {
            site_host: bare_host(site.host_str().unwrap_or_default()),
            extra_hosts: Vec::new(),
            sitemap_hosts: Vec::new(),
        }
    }

    /// Also child sitemaps (not pages) on `host`: the site's robots.txt names a sitemap
    /// there, which the protocol takes as the site vouching for the sitemaps it serves.
    pub fn allow_sitemap_host(mut self, host: &str) -> Self {
        self.sitemap_hosts.push(bare_host(host));
        self
    }

    /// Whether `url` may be read as one of this site's sitemaps.
    pub fn allows_sitemap(&self, url: &Url) -> bool {
        self.allows(url)
            || (matches!(url.scheme(), "http" | "https")
                && url
                    .host_str()
                    .is_some_and(|h| self.sitemap_hosts.contains(&bare_host(h))))
    }

    /// Also the pages of `host` (exactly that host, `www.` aside): the source's own
    /// configuration says this site publishes there too.
    pub fn allow_host(mut self, host: &str) -> Self {
        self.extra_hosts.push(bare_host(host));
        self
    }

    /// Whether `url` is an http(s) page of this site.
    pub fn allows(&self, url: &Url) -> bool {
        if !matches!(url.scheme(), "http" | "https") {
            return false;
        }
        let Some(host) = url.host_str().map(bare_host) else {
            return false;
        };
        let own = !self.site_host.is_empty()
            && (host == self.site_host
                || host
                    .strip_suffix(self.site_host.as_str())
                    .is_some_and(|sub| sub.ends_with('.')));
        own || self.extra_hosts.contains(&host)
    }
}

fn bare_host(host: &str) -> String {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    match host.strip_prefix("www.") {
        Some(rest) => rest.to_string(),
        None => host,
    }
}

/// One thing a sitemap lists.
#[derive(Debug, Clone, PartialEq)]
pub enum Entry {
    /// A page, from `<url>` or a line of a text sitemap.
    Page(Page),
    /// A child sitemap, from `<sitemap>` in an index.
    Sitemap(Child),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    pub url: Url,
    pub lastmod: Option<DateTime<FixedOffset>>,
    pub news: Option<News>,
    /// At most [`MAX_MEDIA`] of them.
    pub images: Vec<Image>,
    /// At most [`MAX_MEDIA`] of them.
    pub videos: Vec<Video>,
}

impl Page {
    /// When the page appeared, as well as the sitemap says: the Google News publication
    /// date, else a video's, else `lastmod` (which an edit of an old article also moves).
    pub fn date(&self) -> Option<DateTime<FixedOffset>> {
        self.news
            .as_ref()
            .and_then(|n| n.publication_date)
            .or_else(|| self.videos.iter().find_map(|v| v.publication_date))
            .or(self.lastmod)
    }
}

/// Images or videos kept per page; the protocol allows 1,000 images, a news archive wants
/// the lead picture or a few.
pub const MAX_MEDIA: usize = 8;

/// The Google News extension (`news:news`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct News {
    /// `news:publication/news:name`.
    pub publication: Option<String>,
    /// `news:publication/news:language` (ISO 639, e.g. `id`).
    pub language: Option<String>,
    pub title: Option<String>,
    pub publication_date: Option<DateTime<FixedOffset>>,
    pub keywords: Option<String>,
}

/// The image extension (`image:image`).
#[derive(Debug, Clone, PartialEq)]
pub struct Image {
    pub url: Url,
    pub caption: Option<String>,
    pub title: Option<String>,
}

/// The video extension (`video:video`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Video {
    pub title: Option<String>,
    pub publication_date: Option<DateTime<FixedOffset>>,
    pub thumbnail: Option<Url>,
    pub content: Option<Url>,
    pub player: Option<Url>,
}

/// A child of a sitemap index.
#[derive(Debug, Clone, PartialEq)]
pub struct Child {
    pub url: Url,
    pub lastmod: Option<DateTime<FixedOffset>>,
}

/// What the file turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `<urlset>`.
    UrlSet,
    /// `<sitemapindex>`.
    Index,
    /// One URL a line.
    Text,
    /// Nothing readable (empty, or not a sitemap).
    Unknown,
}

/// Listed URLs that were not handed over, by reason.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Rejected {
    /// Not a URL, even relative to the sitemap's own.
    pub unreadable: usize,
    /// Not http or https (`javascript:`, `mailto:`, …).
    pub not_http: usize,
    /// On a host outside the [`Scope`].
    pub off_site: usize,
    /// Longer than [`Limits::max_loc_len`].
    pub too_long: usize,
    /// An entry without a `<loc>`.
    pub no_loc: usize,
}

impl Rejected {
    pub fn total(&self) -> usize {
        self.unreadable + self.not_http + self.off_site + self.too_long + self.no_loc
    }
}

/// How reading one file went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub kind: Kind,
    /// Entries handed to the callback.
    pub entries: usize,
    pub rejected: Rejected,
    pub gzip: bool,
    /// Uncompressed bytes read.
    pub bytes: u64,
    /// The largest buffer the reader held at once, in bytes: what reading cost beyond the
    /// entry being built and the fixed-size read buffers.
    pub largest_buffer: usize,
    /// The callback asked to stop.
    pub stopped: bool,
    /// Why reading ended before the end of the file, if it did. Entries before it were
    /// handed over.
    pub error: Option<ReadError>,
}

/// Why a sitemap could not be read to its end. Offsets count bytes of the uncompressed
/// (and UTF-8-repaired) text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    #[error("the sitemap is empty")]
    Empty,
    #[error("not a sitemap: its root element is <{root}>")]
    NotSitemap { root: String },
    #[error("not a sitemap: it is not XML, and no line of it is a URL")]
    NotText,
    #[error("the sitemap breaks off at byte {offset}: {message}")]
    Malformed { offset: u64, message: String },
    #[error("the sitemap is larger than {limit} bytes{}; the rest is not read", if *.compressed { " compressed" } else { "" })]
    TooLarge { limit: u64, compressed: bool },
    #[error("the sitemap lists more than {limit} URLs; the rest (from byte {offset}) is not read")]
    TooManyUrls { limit: usize, offset: u64 },
    #[error("one piece of the sitemap at byte {offset} is longer than {limit} bytes")]
    TooLong { limit: usize, offset: u64 },
    #[error("the sitemap's gzip data is broken after byte {offset}: {message}")]
    Gzip { offset: u64, message: String },
    #[error("reading the sitemap failed at byte {offset}: {message}")]
    Io { offset: u64, message: String },
}

/// Reads one sitemap file (XML urlset or index, or text; gzipped or not) from `input`,
/// handing each entry to `on_entry` as it is read; `on_entry` may stop the reading with
/// `ControlFlow::Break`. Relative URLs are resolved against `base`, the file's own URL.
/// `now` bounds plausible dates.
pub fn read<R: BufRead>(
    input: R,
    base: &Url,
    scope: &Scope,
    limits: &Limits,
    now: DateTime<Utc>,
    mut on_entry: impl FnMut(Entry) -> ControlFlow<()>,
) -> Summary {
    let mut summary = Summary {
        kind: Kind::Unknown,
        entries: 0,
        rejected: Rejected::default(),
        gzip: false,
        bytes: 0,
        largest_buffer: 0,
        stopped: false,
        error: None,
    };
    let compressed_trip = Rc::new(Cell::new(false));
    let (text, gzip) = match decompress(input, limits, &compressed_trip) {
        Ok(v) => v,
        Err(e) => {
            summary.error = Some(ReadError::Io {
                offset: 0,
                message: e.to_string(),
            });
            return summary;
        }
    };
    summary.gzip = gzip;
    let mut meter = Meter {
        inner: Box::new(Utf8Repair {
            inner: text,
            out: Vec::new(),
            pos: 0,
            checked: 0,
        }),
        consumed: 0,
        max: limits.max_bytes,
        mark: 0,
        max_span: limits.max_element_bytes as u64,
        trip: None,
    };
    let mut ctx = Ctx {
        base,
        scope,
        limits,
        now,
        summary: &mut summary,
        on_entry: &mut on_entry,
        compressed_trip: &compressed_trip,
    };
    match skip_preamble(&mut meter) {
        Ok(Some(b'<')) => read_xml(&mut meter, &mut ctx),
        Ok(Some(_)) => read_text(&mut meter, &mut ctx),
        Ok(None) => ctx.fail(ReadError::Empty),
        Err(e) => {
            let err = io_error(&meter, gzip, &compressed_trip, limits, e);
            ctx.fail(err);
        }
    }
    summary.bytes = meter.consumed;
    summary
}

/// Where each read entry goes, and the bookkeeping that goes with it.
struct Ctx<'a, F> {
    base: &'a Url,
    scope: &'a Scope,
    limits: &'a Limits,
    now: DateTime<Utc>,
    summary: &'a mut Summary,
    on_entry: &'a mut F,
    /// Set when the compressed input hit its limit (the error itself comes out of the
    /// decompressor as a plain I/O error).
    compressed_trip: &'a Cell<bool>,
}

impl<F: FnMut(Entry) -> ControlFlow<()>> Ctx<'_, F> {
    fn fail(&mut self, error: ReadError) {
        self.summary.error.get_or_insert(error);
    }

    /// Hands an entry over; false when reading must stop.
    fn emit(&mut self, entry: Entry, offset: u64) -> bool {
        if self.summary.entries >= self.limits.max_urls {
            self.fail(ReadError::TooManyUrls {
                limit: self.limits.max_urls,
                offset,
            });
            return false;
        }
        self.summary.entries += 1;
        if (self.on_entry)(entry).is_break() {
            self.summary.stopped = true;
            return false;
        }
        true
    }

    fn held(&mut self, bytes: usize) {
        self.summary.largest_buffer = self.summary.largest_buffer.max(bytes);
    }

    /// A listed page or child sitemap URL, resolved and checked; a refusal is counted.
    fn listed_url(&mut self, raw: &str, child: bool) -> Option<Url> {
        let raw = raw.trim();
        let rejected = &mut self.summary.rejected;
        if raw.is_empty() {
            rejected.no_loc += 1;
            return None;
        }
        if raw.len() > self.limits.max_loc_len {
            rejected.too_long += 1;
            return None;
        }
        let Ok(mut url) = Url::options().base_url(Some(self.base)).parse(raw) else {
            rejected.unreadable += 1;
            return None;
        };
        if !matches!(url.scheme(), "http" | "https") {
            rejected.not_http += 1;
            return None;
        }
        let allowed = if child {
            self.scope.allows_sitemap(&url)
        } else {
            self.scope.allows(&url)
        };
        if !allowed {
            rejected.off_site += 1;
            return None;
        }
        url.set_fragment(None);
        Some(url)
    }
}

/// An image, thumbnail or video address: http(s) on any host (media live on CDNs).
fn media_url(raw: &str, base: &Url, limits: &Limits) -> Option<Url> {
    let raw = raw.trim();
    if raw.is_empty() || raw.len() > limits.max_loc_len {
        return None;
    }
    let url = Url::options().base_url(Some(base)).parse(raw).ok()?;
    matches!(url.scheme(), "http" | "https").then_some(url)
}

type Text<'a> = Box<dyn BufRead + 'a>;

/// The input as text: gunzipped when it starts with gzip's magic bytes.
fn decompress<'a, R: BufRead + 'a>(
    mut input: R,
    limits: &Limits,
    compressed_trip: &Rc<Cell<bool>>,
) -> io::Result<(Text<'a>, bool)> {
    let mut head = [0u8; 2];
    let mut got = 0;
    while got < head.len() {
        let buf = input.fill_buf()?;
        if buf.is_empty() {
            break;
        }
        let n = buf.len().min(head.len() - got);
        head[got..got + n].copy_from_slice(&buf[..n]);
        input.consume(n);
        got += n;
    }
    let rejoined = io::Cursor::new(head).take(got as u64).chain(input);
    if got == 2 && head == [0x1f, 0x8b] {
        let counted = Capped {
            inner: rejoined,
            left: limits.max_compressed_bytes,
            trip: Rc::clone(compressed_trip),
        };
        let gunzip = flate2::bufread::MultiGzDecoder::new(counted);
        Ok((Box::new(BufReader::with_capacity(16 * 1024, gunzip)), true))
    } else {
        Ok((Box::new(rejoined), false))
    }
}

/// `Read` for a reader whose own `BufRead` does the limiting.
fn read_buffered(reader: &mut impl BufRead, out: &mut [u8]) -> io::Result<usize> {
    let n = {
        let buf = reader.fill_buf()?;
        let n = buf.len().min(out.len());
        out[..n].copy_from_slice(&buf[..n]);
        n
    };
    reader.consume(n);
    Ok(n)
}

/// Compressed input, cut off (with `trip` set) after `left` bytes.
struct Capped<R> {
    inner: R,
    left: u64,
    trip: Rc<Cell<bool>>,
}

impl<R: BufRead> Read for Capped<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        read_buffered(self, out)
    }
}

impl<R: BufRead> BufRead for Capped<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        let left = self.left;
        let buf = self.inner.fill_buf()?;
        if !buf.is_empty() && left == 0 {
            self.trip.set(true);
            return Err(io::Error::other("compressed size limit"));
        }
        let n = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        Ok(&buf[..n])
    }

    fn consume(&mut self, n: usize) {
        self.left = self.left.saturating_sub(n as u64);
        self.inner.consume(n);
    }
}

/// The text with every byte that is not part of valid UTF-8 read as Windows-1252 (which
/// includes Latin-1): sitemaps declared ISO-8859-1, or UTF-8 with a stray legacy byte,
/// would otherwise stop the XML reader at their first accented letter.
struct Utf8Repair<'a> {
    inner: Text<'a>,
    /// Repaired bytes not yet consumed, from `pos`; when empty, `inner`'s own buffer is
    /// handed out directly.
    out: Vec<u8>,
    pos: usize,
    /// Bytes at the start of `inner`'s buffer already known to be valid, so a buffer is
    /// checked once, not at every small read the XML reader makes.
    checked: usize,
}

impl Utf8Repair<'_> {
    /// Moves the invalid or incomplete sequence at the start of `inner` into `out`,
    /// repaired.
    fn repair(&mut self) -> io::Result<()> {
        let buf = self.inner.fill_buf()?;
        let lead = buf.first().copied().unwrap_or_default();
        let need = match lead {
            0xc2..=0xdf => 2,
            0xe0..=0xef => 3,
            0xf0..=0xf4 => 4,
            _ => 1,
        };
        if need > 1 && buf.len() < need {
            // A character split across reads: gather it, then judge it whole.
            let mut pending: Vec<u8> = buf.to_vec();
            let taken = pending.len();
            self.inner.consume(taken);
            while pending.len() < need {
                let more = self.inner.fill_buf()?;
                let Some(&b) = more.first() else { break };
                pending.push(b);
                self.inner.consume(1);
            }
            match std::str::from_utf8(&pending) {
                Ok(_) => self.out.extend_from_slice(&pending),
                Err(_) => pending.iter().for_each(|&b| push_cp1252(&mut self.out, b)),
            }
            return Ok(());
        }
        let bad = match std::str::from_utf8(&buf[..need.min(buf.len())]) {
            Ok(_) => 0,
            Err(e) => e.error_len().unwrap_or(1),
        };
        if bad == 0 {
            self.out.extend_from_slice(&buf[..need]);
            self.inner.consume(need);
        } else {
            push_cp1252(&mut self.out, lead);
            self.inner.consume(1);
        }
        Ok(())
    }
}

fn push_cp1252(out: &mut Vec<u8>, byte: u8) {
    let one = [byte];
    let (text, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(&one);
    out.extend_from_slice(text.as_bytes());
}

impl Read for Utf8Repair<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        read_buffered(self, out)
    }
}

impl BufRead for Utf8Repair<'_> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.pos >= self.out.len() {
            self.out.clear();
            self.pos = 0;
            let buf = self.inner.fill_buf()?;
            if self.checked == 0 {
                self.checked = match std::str::from_utf8(buf) {
                    Ok(_) => buf.len(),
                    Err(e) => e.valid_up_to(),
                };
            }
            let valid = self.checked.min(buf.len());
            if valid == 0 && !buf.is_empty() {
                self.repair()?;
            } else {
                return Ok(&self.inner.fill_buf()?[..valid]);
            }
        }
        Ok(&self.out[self.pos..])
    }

    fn consume(&mut self, n: usize) {
        if self.pos < self.out.len() {
            self.pos += n;
        } else {
            self.checked = self.checked.saturating_sub(n);
            self.inner.consume(n);
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Trip {
    TooLarge,
    TooLong,
}

/// The uncompressed text, counted: at most `max` bytes in all, and at most `max_span`
/// since the last `mark` (one piece of markup), so no buffer grows past it.
struct Meter<'a> {
    inner: Text<'a>,
    consumed: u64,
    max: u64,
    mark: u64,
    max_span: u64,
    trip: Option<Trip>,
}

impl Meter<'_> {
    fn mark(&mut self) {
        self.mark = self.consumed;
    }
}

impl Read for Meter<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        read_buffered(self, out)
    }
}

impl BufRead for Meter<'_> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        let total_left = self.max.saturating_sub(self.consumed);
        let span_left = (self.mark + self.max_span).saturating_sub(self.consumed);
        let buf = self.inner.fill_buf()?;
        if buf.is_empty() {
            return Ok(buf);
        }
        let (left, trip) = if total_left <= span_left {
            (total_left, Trip::TooLarge)
        } else {
            (span_left, Trip::TooLong)
        };
        if left == 0 {
            self.trip = Some(trip);
            return Err(io::Error::other("sitemap size limit"));
        }
        let n = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        Ok(&buf[..n])
    }

    fn consume(&mut self, n: usize) {
        self.consumed += n as u64;
        self.inner.consume(n);
    }
}

/// The error an I/O failure stands for: a limit the meters tripped, broken gzip, or the
/// input itself.
fn io_error(
    meter: &Meter<'_>,
    gzip: bool,
    compressed_trip: &Cell<bool>,
    limits: &Limits,
    e: impl std::fmt::Display,
) -> ReadError {
    if compressed_trip.get() {
        return ReadError::TooLarge {
            limit: limits.max_compressed_bytes,
            compressed: true,
        };
    }
    match meter.trip {
        Some(Trip::TooLarge) => ReadError::TooLarge {
            limit: limits.max_bytes,
            compressed: false,
        },
        Some(Trip::TooLong) => ReadError::TooLong {
            limit: limits.max_element_bytes,
            offset: meter.mark,
        },
        None if gzip => ReadError::Gzip {
            offset: meter.consumed,
            message: e.to_string(),
        },
        None => ReadError::Io {
            offset: meter.consumed,
            message: e.to_string(),
        },
    }
}

/// Skips a byte-order mark and leading whitespace (both break an XML declaration) and
/// returns the first byte after them, None for an empty file.
fn skip_preamble(meter: &mut Meter<'_>) -> io::Result<Option<u8>> {
    let mut bom = 0;
    loop {
        let buf = meter.fill_buf()?;
        let Some(&first) = buf.first() else {
            return Ok(None);
        };
        let skip = if bom < 3 && first == [0xef, 0xbb, 0xbf][bom] {
            bom += 1;
            1
        } else if first.is_ascii_whitespace() {
            bom = 3;
            buf.iter().take_while(|b| b.is_ascii_whitespace()).count()
        } else {
            return Ok(Some(first));
        };
        meter.consume(skip);
        meter.mark();
    }
}

/// A text sitemap: one absolute URL a line; anything else on a line makes it no entry.
fn read_text<F: FnMut(Entry) -> ControlFlow<()>>(meter: &mut Meter<'_>, ctx: &mut Ctx<'_, F>) {
    ctx.summary.kind = Kind::Text;
    let mut line = Vec::new();
    loop {
        line.clear();
        meter.mark();
        let offset = meter.consumed;
        match meter.read_until(b'\n', &mut line) {
            Ok(0) => {
                if ctx.summary.entries == 0 && ctx.summary.rejected.unreadable > 0 {
                    ctx.fail(ReadError::NotText);
                }
                return;
            }
            Ok(_) => {}
            Err(e) => {
                let err = io_error(meter, ctx.summary.gzip, ctx.compressed_trip, ctx.limits, e);
                ctx.fail(err);
                return;
            }
        }
        ctx.held(line.capacity());
        let text = String::from_utf8_lossy(&line);
        let text = text.trim();
        if text.is_empty() {
            continue;
        }
        if Url::parse(text).is_err() {
            ctx.summary.rejected.unreadable += 1;
            continue;
        }
        let Some(url) = ctx.listed_url(text, false) else {
            continue;
        };
        let page = Page {
            url,
            lastmod: None,
            news: None,
            images: Vec::new(),
            videos: Vec::new(),
        };
        if !ctx.emit(Entry::Page(page), offset) {
            return;
        }
    }
}

/// The elements whose place matters; everything else is `Other`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tag {
    Url,
    Sitemap,
    News,
    Publication,
    Image,
    Video,
    Field(Field),
    Other,
}

/// An element whose text is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Loc,
    Lastmod,
    NewsDate,
    NewsTitle,
    NewsKeywords,
    PublicationName,
    PublicationLanguage,
    ImageLoc,
    ImageCaption,
    ImageTitle,
    VideoTitle,
    VideoDate,
    VideoThumbnail,
    VideoContent,
    VideoPlayer,
}

/// What `name` (a lowercased local name) is inside `parent`.
fn tag_of(parent: Option<Tag>, name: &str) -> Tag {
    use Field as F;
    match (parent, name) {
        (_, "url") => Tag::Url,
        (_, "sitemap") => Tag::Sitemap,
        (Some(Tag::Url), "news") => Tag::News,
        (Some(Tag::Url), "image") => Tag::Image,
        (Some(Tag::Url), "video") => Tag::Video,
        (Some(Tag::Url | Tag::Sitemap), "loc") => Tag::Field(F::Loc),
        (Some(Tag::Url | Tag::Sitemap), "lastmod") => Tag::Field(F::Lastmod),
        (Some(Tag::News), "publication") => Tag::Publication,
        (Some(Tag::News), "publication_date") => Tag::Field(F::NewsDate),
        (Some(Tag::News), "title") => Tag::Field(F::NewsTitle),
        (Some(Tag::News), "keywords") => Tag::Field(F::NewsKeywords),
        // Some generators put name and language directly in news:news.
        (Some(Tag::News | Tag::Publication), "name") => Tag::Field(F::PublicationName),
        (Some(Tag::News | Tag::Publication), "language") => Tag::Field(F::PublicationLanguage),
        (Some(Tag::Image), "loc") => Tag::Field(F::ImageLoc),
        (Some(Tag::Image), "caption") => Tag::Field(F::ImageCaption),
        (Some(Tag::Image), "title") => Tag::Field(F::ImageTitle),
        (Some(Tag::Video), "title") => Tag::Field(F::VideoTitle),
        (Some(Tag::Video), "publication_date") => Tag::Field(F::VideoDate),
        (Some(Tag::Video), "thumbnail_loc") => Tag::Field(F::VideoThumbnail),
        (Some(Tag::Video), "content_loc") => Tag::Field(F::VideoContent),
        (Some(Tag::Video), "player_loc") => Tag::Field(F::VideoPlayer),
        _ => Tag::Other,
    }
}

/// The entry being read: raw texts until its end tag.
#[derive(Default)]
struct Draft {
    loc: Option<String>,
    lastmod: Option<String>,
    news: Option<News>,
    news_date: Option<String>,
    images: Vec<Image>,
    image: Option<(Option<String>, Option<String>, Option<String>)>,
    videos: Vec<Video>,
    video: Option<Video>,
}

/// Deeper nesting than any sitemap has is refused rather than stacked.
const MAX_DEPTH: usize = 32;

fn read_xml<F: FnMut(Entry) -> ControlFlow<()>>(meter: &mut Meter<'_>, ctx: &mut Ctx<'_, F>) {
    let gzip = ctx.summary.gzip;
    let mut reader = quick_xml::Reader::from_reader(meter);
    {
        let config = reader.config_mut();
        config.check_end_names = false;
        config.allow_unmatched_ends = true;
        config.allow_dangling_amp = true;
        config.check_comments = false;
    }
    let mut buf = Vec::new();
    // Open elements, outermost first, with their lowercased local names.
    let mut stack: Vec<(Tag, String)> = Vec::new();
    let mut root: Option<Kind> = None;
    let mut draft = Draft::default();
    let mut text = String::new();
    let mut text_overflow = false;
    let mut last_entry_end = 0;
    loop {
        reader.get_mut().mark();
        buf.clear();
        let event = match reader.read_event_into(&mut buf) {
            Ok(e) => e,
            Err(e) => {
                let meter: &Meter<'_> = reader.get_ref();
                let err = if meter.trip.is_some() || matches!(e, quick_xml::Error::Io(_)) {
                    io_error(meter, gzip, ctx.compressed_trip, ctx.limits, e)
                } else {
                    ReadError::Malformed {
                        offset: reader.error_position(),
                        message: e.to_string(),
                    }
                };
                ctx.fail(err);
                break;
            }
        };
        let offset = reader.buffer_position();
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let empty = matches!(event, Event::Empty(_));
                let name = e.local_name().as_ref().to_ascii_lowercase();
                if root.is_none() {
                    let kind = match name.as_str() {
                        "urlset" => Kind::UrlSet,
                        "sitemapindex" => Kind::Index,
                        _ => {
                            ctx.fail(ReadError::NotSitemap { root: name });
                            break;
                        }
                    };
                    root = Some(kind);
                    ctx.summary.kind = kind;
                }
                let tag = tag_of(stack.last().map(|(t, _)| *t), &name);
                open(tag, &mut draft);
                if empty {
                    if !close(tag, "", &mut draft, ctx, offset) {
                        break;
                    }
                } else {
                    if stack.len() >= MAX_DEPTH {
                        ctx.fail(ReadError::Malformed {
                            offset,
                            message: format!("elements nested deeper than {MAX_DEPTH}"),
                        });
                        break;
                    }
                    stack.push((tag, name));
                    text.clear();
                    text_overflow = false;
                }
            }
            Event::End(ref e) => {
                let name = e.local_name().as_ref().to_ascii_lowercase();
                // A mismatched end tag closes up to the element it names, as browsers do;
                // one that names no open element is ignored.
                let Some(at) = stack.iter().rposition(|(_, n)| *n == name) else {
                    continue;
                };
                let mut go_on = true;
                while stack.len() > at {
                    let Some((tag, _)) = stack.pop() else { break };
                    let value = if text_overflow { "" } else { text.as_str() };
                    go_on = close(tag, value, &mut draft, ctx, offset);
                    if matches!(tag, Tag::Url | Tag::Sitemap) {
                        last_entry_end = offset;
                    }
                    text.clear();
                    text_overflow = false;
                    if !go_on {
                        break;
                    }
                }
                if !go_on {
                    break;
                }
            }
            Event::Text(t) => push_text(&mut text, &mut text_overflow, &t.into_inner(), ctx),
            Event::CData(t) => push_text(&mut text, &mut text_overflow, &t.into_inner(), ctx),
            Event::GeneralRef(r) => {
                let name = r.into_inner();
                let resolved = crate::opml::entity(&name).map(String::from);
                let piece = resolved.unwrap_or_else(|| format!("&{name};"));
                push_text(&mut text, &mut text_overflow, &piece, ctx);
            }
            Event::Eof => {
                if let Some((_, name)) = stack.first() {
                    ctx.fail(ReadError::Malformed {
                        offset,
                        message: format!(
                            "the file ends inside <{name}> (the last complete entry ends at byte {last_entry_end}): it is cut off"
                        ),
                    });
                } else if root.is_none() {
                    ctx.fail(ReadError::Malformed {
                        offset,
                        message: "no element at all".into(),
                    });
                }
                break;
            }
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) | Event::DocType(_) => {}
        }
        ctx.held(buf.capacity().max(text.capacity()));
    }
}

fn push_text<F>(text: &mut String, overflow: &mut bool, piece: &str, ctx: &mut Ctx<'_, F>) {
    if text.len() + piece.len() > ctx.limits.max_element_bytes {
        *overflow = true;
        return;
    }
    text.push_str(piece);
}

/// An element opens: extensions start their record.
fn open(tag: Tag, draft: &mut Draft) {
    match tag {
        Tag::Url | Tag::Sitemap => *draft = Draft::default(),
        Tag::News => {
            draft.news.get_or_insert_with(News::default);
        }
        Tag::Image => draft.image = Some((None, None, None)),
        Tag::Video => draft.video = Some(Video::default()),
        _ => {}
    }
}

/// An element closes with `text` as its content; false when reading must stop.
fn close<F: FnMut(Entry) -> ControlFlow<()>>(
    tag: Tag,
    text: &str,
    draft: &mut Draft,
    ctx: &mut Ctx<'_, F>,
    offset: u64,
) -> bool {
    let now = ctx.now;
    let clean = || Some(text.trim().to_string()).filter(|s| !s.is_empty());
    let date = || parse_w3c_date(text, now);
    match tag {
        Tag::Field(field) => {
            let (base, limits) = (ctx.base, ctx.limits);
            match field {
                Field::Loc => draft.loc = clean(),
                Field::Lastmod => draft.lastmod = clean(),
                Field::NewsDate => draft.news_date = clean(),
                Field::NewsTitle => set_news(draft, |n| n.title = clean()),
                Field::NewsKeywords => set_news(draft, |n| n.keywords = clean()),
                Field::PublicationName => set_news(draft, |n| n.publication = clean()),
                Field::PublicationLanguage => set_news(draft, |n| n.language = clean()),
                Field::ImageLoc | Field::ImageCaption | Field::ImageTitle => {
                    if let Some(image) = draft.image.as_mut() {
                        let slot = match field {
                            Field::ImageLoc => &mut image.0,
                            Field::ImageCaption => &mut image.1,
                            _ => &mut image.2,
                        };
                        *slot = clean();
                    }
                }
                Field::VideoTitle => set_video(draft, |v| v.title = clean()),
                Field::VideoDate => set_video(draft, |v| v.publication_date = date()),
                Field::VideoThumbnail => {
                    set_video(draft, |v| v.thumbnail = media_url(text, base, limits))
                }
                Field::VideoContent => {
                    set_video(draft, |v| v.content = media_url(text, base, limits))
                }
                Field::VideoPlayer => {
                    set_video(draft, |v| v.player = media_url(text, base, limits))
                }
            }
            true
        }
        Tag::Image => {
            if let Some((Some(loc), caption, title)) = draft.image.take()
                && draft.images.len() < MAX_MEDIA
                && let Some(url) = media_url(&loc, ctx.base, ctx.limits)
            {
                draft.images.push(Image {
                    url,
                    caption,
                    title,
                });
            }
            true
        }
        Tag::Video => {
            if let Some(video) = draft.video.take()
                && draft.videos.len() < MAX_MEDIA
            {
                draft.videos.push(video);
            }
            true
        }
        Tag::Url | Tag::Sitemap => {
            let draft = std::mem::take(draft);
            let Some(url) = ctx.listed_url(
                draft.loc.as_deref().unwrap_or_default(),
                tag == Tag::Sitemap,
            ) else {
                return true;
            };
            let lastmod = draft.lastmod.and_then(|s| parse_w3c_date(&s, ctx.now));
            let entry = if tag == Tag::Sitemap {
                Entry::Sitemap(Child { url, lastmod })
            } else {
                let news = draft.news.map(|mut n| {
                    n.publication_date = draft.news_date.and_then(|s| parse_w3c_date(&s, ctx.now));
                    n
                });
                Entry::Page(Page {
                    url,
                    lastmod,
                    news,
                    images: draft.images,
                    videos: draft.videos,
                })
            };
            ctx.emit(entry, offset)
        }
        Tag::News | Tag::Publication | Tag::Other => true,
    }
}

fn set_news(draft: &mut Draft, f: impl FnOnce(&mut News)) {
    f(draft.news.get_or_insert_with(News::default));
}

fn set_video(draft: &mut Draft, f: impl FnOnce(&mut Video)) {
    if let Some(video) = draft.video.as_mut() {
        f(video);
    }
}

/// Reads a sitemap date: the W3C datetime forms (`2024`, `2024-11`, `2024-11-20`,
/// `2024-11-20T10:15+07:00`, with seconds and fractions), the ones sites get wrong (a space
/// for the `T`, a space before the zone, `+0700`, no zone, `UTC` or `GMT` for the zone,
/// slashes), and anything `dates` reads (RFC 2822, Indonesian forms). A time without a
/// zone is UTC. None for nonsense (`0000-00-00`), years before 1990 and instants more
/// than two days after `now`.
pub fn parse_w3c_date(s: &str, now: DateTime<Utc>) -> Option<DateTime<FixedOffset>> {
    static W3C: OnceLock<Option<Regex>> = OnceLock::new();
    let s = s.trim();
    if s.is_empty() || s.len() > 64 {
        return None;
    }
    let w3c = W3C
        .get_or_init(|| {
            Regex::new(
                r"(?i)^(\d{4})(?:[-/](\d{1,2})(?:[-/](\d{1,2})(?:(?:t|\s+t?\s*)(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9})\d*)?)?\s*(z|utc|gmt|[+-]\d{2}(?::?\d{2})?)?)?)?)?$",
            )
            .ok()
        })
        .as_ref()?;
    let Some(c) = w3c.captures(s) else {
        return crate::dates::parse_date(s, now);
    };
    let num = |i: usize| -> Option<u32> { c.get(i).and_then(|m| m.as_str().parse().ok()) };
    let year = i32::try_from(num(1)?).ok()?;
    let date = NaiveDate::from_ymd_opt(year, num(2).unwrap_or(1), num(3).unwrap_or(1))?;
    let time = match num(4) {
        Some(hour) => {
            let nanos = c.get(7).map_or(0, |m| {
                let digits = format!("{:0<9}", m.as_str());
                digits.parse().unwrap_or(0)
            });
            date.and_hms_nano_opt(hour, num(5)?, num(6).unwrap_or(0).min(59), nanos)?
        }
        None => date.and_hms_opt(0, 0, 0)?,
    };
    let offset = match c.get(8).map(|m| m.as_str().to_ascii_lowercase()) {
        None => FixedOffset::east_opt(0)?,
        Some(z) if matches!(z.as_str(), "z" | "utc" | "gmt") => FixedOffset::east_opt(0)?,
        Some(z) => {
            let sign = if z.starts_with('-') { -1 } else { 1 };
            let digits: String = z.chars().filter(char::is_ascii_digit).collect();
            let hours: i32 = digits.get(..2)?.parse().ok()?;
            let minutes: i32 = digits
                .get(2..)
                .filter(|m| !m.is_empty())
                .map_or(Some(0), |m| m.parse().ok())?;
            if hours > 14 || minutes > 59 {
                return None;
            }
            FixedOffset::east_opt(sign * (hours * 3600 + minutes * 60))?
        }
    };
    let instant = offset.from_local_datetime(&time).single()?;
    let plausible =
        instant.year() >= 1990 && instant.with_timezone(&Utc) <= now + Duration::days(2);
    plausible.then_some(instant)
}

/// How far a sitemap index is followed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexBounds {
    /// Index levels followed below the first file: 1 reads the children of an index, 2
    /// also the children of a child that is itself an index.
    pub max_depth: usize,
    /// Children read per index, newest first.
    pub max_children: usize,
}

impl Default for IndexBounds {
    fn default() -> Self {
        IndexBounds {
            max_depth: 2,
            max_children: 8,
        }
    }
}

/// How new a child sitemap looks, most trustworthy first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recency {
    /// Its `lastmod`.
    Modified(DateTime<Utc>),
    /// A date in its URL (`sitemap-2024-11.xml`, `?yyyy=2024&mm=11`), as the end of the
    /// period it names.
    Named(DateTime<Utc>),
    /// A sequence number in its file name (`post-sitemap12.xml`,
    /// `wp-sitemap-posts-post-12.xml`): WordPress and its SEO plugins number older posts
    /// first, so higher is newer.
    Numbered(u64),
    /// Nothing to tell.
    Unknown,
}

impl Recency {
    /// The instant after which the child lists nothing new, when known.
    fn until(self) -> Option<DateTime<Utc>> {
        match self {
            Recency::Modified(d) | Recency::Named(d) => Some(d),
            Recency::Numbered(_) | Recency::Unknown => None,
        }
    }
}

/// How new `child` looks: its `lastmod`, else a date in its URL, else a number in its
/// file name.
pub fn recency(child: &Child) -> Recency {
    if let Some(d) = child.lastmod {
        return Recency::Modified(d.with_timezone(&Utc));
    }
    if let Some(d) = date_in_name(&child.url) {
        return Recency::Named(d);
    }
    match number_in_name(&child.url) {
        Some(n) => Recency::Numbered(n),
        None => Recency::Unknown,
    }
}

/// The end of the period a date in the URL names (the next day, month or year), a day
/// late so a zone cannot make it too early.
fn date_in_name(url: &Url) -> Option<DateTime<Utc>> {
    static PATH: OnceLock<Option<Regex>> = OnceLock::new();
    static QUERY: OnceLock<Option<Regex>> = OnceLock::new();
    let path = PATH
        .get_or_init(|| {
            Regex::new(
                r"(?:^|\D)((?:19|20)\d{2})(?:[-_/.]?(0[1-9]|1[0-2])(?:[-_/.]?(0[1-9]|[12]\d|3[01]))?)?(?:\D|$)",
            )
            .ok()
        })
        .as_ref()?;
    let query = QUERY
        .get_or_init(|| {
            Regex::new(r"(?i)(?:^|&)(yyyy|year|y|mm|month|m|dd|day|d)=(\d{1,4})\b").ok()
        })
        .as_ref()?;
    let (mut year, mut month, mut day) = (None, None, None);
    for c in query.captures_iter(url.query().unwrap_or_default()) {
        let value: Option<u32> = c.get(2).and_then(|m| m.as_str().parse().ok());
        match c.get(1).map(|m| m.as_str().to_ascii_lowercase()).as_deref() {
            Some("yyyy" | "year" | "y") => year = value,
            Some("mm" | "month" | "m") => month = value,
            Some(_) => day = value,
            None => {}
        }
    }
    if year.is_none() {
        let c = path.captures(url.path())?;
        let num = |i: usize| -> Option<u32> { c.get(i).and_then(|m| m.as_str().parse().ok()) };
        (year, month, day) = (num(1), num(2), num(3));
    }
    let year = i32::try_from(year?)
        .ok()
        .filter(|y| (1990..=2200).contains(y))?;
    let next = match (month, day) {
        (Some(m), Some(d)) => NaiveDate::from_ymd_opt(year, m, d)?.succ_opt()?,
        (Some(m), None) if m < 12 => NaiveDate::from_ymd_opt(year, m + 1, 1)?,
        (Some(12), None) | (None, _) => NaiveDate::from_ymd_opt(year + 1, 1, 1)?,
        (Some(_), None) => return None,
    };
    let end = next.succ_opt()?.and_hms_opt(0, 0, 0)?;
    Some(Utc.from_utc_datetime(&end))
}

/// The last number in the file name (`post-sitemap12.xml` → 12, `sitemap.xml` → none).
fn number_in_name(url: &Url) -> Option<u64> {
    let file = url.path_segments()?.next_back()?;
    let stem = file.split('.').next().unwrap_or_default();
    let digits: String = stem
        .chars()
        .rev()
        .skip_while(|c| !c.is_ascii_digit())
        .take_while(char::is_ascii_digit)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    digits.parse().ok()
}

/// Children of WordPress, Yoast and Rank Math indexes that list taxonomy, author,
/// static-page or attachment URLs, never articles.
fn lists_no_articles(url: &Url) -> bool {
    static NAMES: OnceLock<Option<Regex>> = OnceLock::new();
    let Some(names) = NAMES
        .get_or_init(|| {
            Regex::new(
                r"(?i)^(?:(?:category|post_tag|tag|author|page|attachment|product|product_cat|local|web-story)-sitemap\d*\.xml|wp-sitemap-(?:taxonomies|users)-.*|wp-sitemap-posts-(?:page|attachment)-.*)$",
            )
            .ok()
        })
        .as_ref()
    else {
        return false;
    };
    url.path_segments()
        .and_then(|mut s| s.next_back())
        .is_some_and(|file| names.is_match(file))
}

/// Why a child sitemap is not read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SkipReason {
    /// The index is already as deep as [`IndexBounds::max_depth`].
    TooDeep,
    /// Its `lastmod` (or the date in its name) is older than the horizon: nothing in it is
    /// new enough.
    Old,
    /// It lists categories, tags, authors or static pages, not articles.
    NotArticles,
    /// Its `lastmod` has not moved since the source last read it.
    Unchanged,
    /// More children than [`IndexBounds::max_children`]; the newer ones were chosen.
    OverCount,
}

/// The children of one index to read, newest first, and the others with the reason.
#[derive(Debug, Clone, PartialEq)]
pub struct Choice {
    pub chosen: Vec<Child>,
    pub skipped: Vec<(Child, SkipReason)>,
}

/// Orders `children` newest first: those with a date (`lastmod`, else one in the name) by
/// it, then numbered ones highest first, then the rest in the index's order.
pub fn order_children(children: &mut [Child]) {
    // Sorting is stable, so equal keys keep the index's order.
    children.sort_by_key(|c| match recency(c) {
        Recency::Modified(d) | Recency::Named(d) => {
            (0, std::cmp::Reverse(d.timestamp()), std::cmp::Reverse(0))
        }
        Recency::Numbered(n) => (1, std::cmp::Reverse(0), std::cmp::Reverse(n)),
        Recency::Unknown => (2, std::cmp::Reverse(0), std::cmp::Reverse(0)),
    });
}

/// Chooses which children of an index read at `depth` (1 for the first index) to read:
/// none beyond `bounds.max_depth`; not those that list no articles, nor those whose
/// `lastmod` (or name) says they hold nothing newer than `horizon`, nor those whose
/// `lastmod` is no later than the one `last_read` gives (the child's `lastmod` when the
/// source last read it); of the rest the newest `bounds.max_children`. A child without a
/// `lastmod` cannot be judged unchanged here; conditional GET is what spares it.
pub fn select_children(
    mut children: Vec<Child>,
    depth: usize,
    horizon: Option<DateTime<Utc>>,
    bounds: &IndexBounds,
    last_read: impl Fn(&Url) -> Option<DateTime<FixedOffset>>,
) -> Choice {
    if depth > bounds.max_depth {
        let skipped = children
            .into_iter()
            .map(|c| (c, SkipReason::TooDeep))
            .collect();
        return Choice {
            chosen: Vec::new(),
            skipped,
        };
    }
    order_children(&mut children);
    let mut choice = Choice {
        chosen: Vec::new(),
        skipped: Vec::new(),
    };
    for child in children {
        let old = horizon.is_some_and(|h| recency(&child).until().is_some_and(|d| d < h));
        let unchanged = child
            .lastmod
            .zip(last_read(&child.url))
            .is_some_and(|(now, then)| now <= then);
        let reason = if lists_no_articles(&child.url) {
            Some(SkipReason::NotArticles)
        } else if old {
            Some(SkipReason::Old)
        } else if unchanged {
            Some(SkipReason::Unchanged)
        } else if choice.chosen.len() >= bounds.max_children {
            Some(SkipReason::OverCount)
        } else {
            None
        };
        match reason {
            Some(r) => choice.skipped.push((child, r)),
            None => choice.chosen.push(child),
        }
    }
    choice
}

/// The well-known places, after robots.txt, in the order they are tried.
pub const WELL_KNOWN: &[&str] = &[
    "/sitemap.xml",
    "/sitemap_index.xml",
    "/news-sitemap.xml",
    "/wp-sitemap.xml",
];

/// The sitemap URLs to try for `site`, in order, without repeats: the `Sitemap:` lines of
/// its robots.txt (`texting_robots::Robot::sitemaps`; resolved against the site, http(s)
/// only, on any host, since robots.txt naming a sitemap is the protocol's proof that the
/// site stands behind it), then the [`WELL_KNOWN`] paths on the site's host.
pub fn candidates(site: &Url, robots_sitemaps: &[String]) -> Vec<Url> {
    let mut out: Vec<Url> = Vec::new();
    let mut push = |url: Url| {
        if !out.contains(&url) {
            out.push(url);
        }
    };
    // robots.txt lives at the root, so a relative line is relative to the root.
    let Ok(root) = site.join("/") else {
        return out;
    };
    for line in robots_sitemaps {
        let Ok(mut url) = root.join(line.trim()) else {
            continue;
        };
        if matches!(url.scheme(), "http" | "https") {
            url.set_fragment(None);
            push(url);
        }
    }
    for path in WELL_KNOWN {
        if let Ok(url) = root.join(path) {
            push(url);
        }
    }
    out
}

/// Keeps the newest pages newer than a horizon, at most `max` of them, in memory for `max`
/// pages whatever is offered. Pages without any date are kept after all dated ones (the
/// horizon cannot judge them, and a text sitemap has nothing else), in the order offered.
/// A page whose date is before the horizon is dropped; so is a second offer of one URL.
pub struct Newest {
    horizon: Option<DateTime<Utc>>,
    max: usize,
    offered: u64,
    dated: BinaryHeap<std::cmp::Reverse<Ranked>>,
    undated: Vec<Page>,
    urls: HashSet<Url>,
    /// A page newer than the horizon was let go for want of room.
    overflowed: bool,
}

/// A dated page in the heap: newer is greater, and of equal dates the earlier offered.
struct Ranked {
    date: DateTime<Utc>,
    order: u64,
    page: Page,
}

impl Ranked {
    fn key(&self) -> (DateTime<Utc>, std::cmp::Reverse<u64>) {
        (self.date, std::cmp::Reverse(self.order))
    }
}

impl PartialEq for Ranked {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}
impl Eq for Ranked {}
impl PartialOrd for Ranked {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Ranked {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.key().cmp(&other.key())
    }
}

impl Newest {
    pub fn new(horizon: Option<DateTime<Utc>>, max: usize) -> Self {
        Newest {
            horizon,
            max,
            offered: 0,
            dated: BinaryHeap::new(),
            undated: Vec::new(),
            urls: HashSet::new(),
            overflowed: false,
        }
    }

    pub fn offer(&mut self, page: Page) {
        self.offered += 1;
        if self.max == 0 || self.urls.contains(&page.url) {
            return;
        }
        let Some(date) = page.date().map(|d| d.with_timezone(&Utc)) else {
            if self.undated.len() < self.max {
                self.urls.insert(page.url.clone());
                self.undated.push(page);
            } else {
                self.overflowed = true;
            }
            return;
        };
        if self.horizon.is_some_and(|h| date < h) {
            return;
        }
        if self.dated.len() >= self.max
            && self
                .dated
                .peek()
                .is_some_and(|std::cmp::Reverse(oldest)| oldest.date >= date)
        {
            self.overflowed = true;
            return;
        }
        self.urls.insert(page.url.clone());
        self.dated.push(std::cmp::Reverse(Ranked {
            date,
            order: self.offered,
            page,
        }));
        if self.dated.len() > self.max
            && let Some(std::cmp::Reverse(dropped)) = self.dated.pop()
        {
            self.urls.remove(&dropped.page.url);
            self.overflowed = true;
        }
    }

    /// Whether pages newer than the horizon did not fit in `max`: they wait for a later
    /// turn. A page offered twice (a news sitemap and a post sitemap list it both) counts
    /// once.
    pub fn left_over(&self) -> bool {
        self.overflowed || self.dated.len() + self.undated.len() > self.max
    }

    /// The kept pages: dated newest first, then undated, at most `max`.
    pub fn finish(self) -> Vec<Page> {
        let mut dated: Vec<Ranked> = self.dated.into_iter().map(|r| r.0).collect();
        dated.sort_by(|a, b| b.cmp(a));
        dated
            .into_iter()
            .map(|r| r.page)
            .chain(self.undated)
            .take(self.max)
            .collect()
    }
}

/// [`Newest`] over a whole list.
pub fn select_pages(
    pages: impl IntoIterator<Item = Page>,
    horizon: Option<DateTime<Utc>>,
    max: usize,
) -> Vec<Page> {
    let mut newest = Newest::new(horizon, max);
    for page in pages {
        newest.offer(page);
    }
    newest.finish()
}
