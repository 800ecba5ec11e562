//! Writes: a poll is written in small transactions as its pages are extracted (so a kill
//! or Ctrl-C loses only pages in flight), the last one also advancing the feed's state.
//! The dedup decision that counts is made here, inside the transaction: two feeds polled
//! at once may both have fetched the same article, and only the writer can see what the
//! other committed.

use super::db::{OptionalExtension, Transaction, params};
use chrono::{DateTime, FixedOffset, Utc};

use super::revisit::{self, CheckWrite, PageState};
use super::sources::{self, SourceFile, UrlVerdict};
use super::vocab::{IndexWords, Tally};
use super::watches::WatchSet;
use super::{Store, StoreError, bands, feeds, stories};
use crate::dedup::minhash::Signature;
use crate::fetch::Validators;
use crate::model::{ArticleId, Partial, rfc3339};

/// Where an article's body came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// Extracted from the article's page.
    Page,
    /// The feed's own text (the page could not be fetched or gave no body).
    Feed,
}

impl Source {
    fn as_str(self) -> &'static str {
        match self {
            Source::Page => "page",
            Source::Feed => "feed",
        }
    }
}

/// The zstd level of kept pages (`Content::raw_pages`). Level 9 cost 2–4 ms a page, nearly
/// as much as extracting it; level 3 is 3× faster and keeps pages 10 % larger; level 2
/// takes 11 % fewer instructions than 3 for 3 % more bytes, and level 1 19 % fewer for 7 %
/// more (see BENCHMARKS.md, "Where an article's time goes"). Any level reads back alike.
pub const RAW_ZSTD_LEVEL: i32 = 2;

/// A kept page's HTML compressed for `Content::raw_pages` at [`RAW_ZSTD_LEVEL`]: one zstd
/// frame. A page that came gzip-encoded is kept as it came instead (see
/// `ingest::PageFetch::gzip`); [`raw_html`] reads back both.
pub fn compress_raw(html: &[u8]) -> std::io::Result<Vec<u8>> {
    compress_raw_at(html, RAW_ZSTD_LEVEL)
}

/// A kept page's HTML (UTF-8, as extracted when it was fetched), from its compressed copy:
/// a zstd frame, or a gzip stream as the site sent it, told apart by their magic bytes.
/// The one reader of kept pages. At most `cap` bytes (the fetcher's `fetch.max_body`: no
/// page was kept larger), so a damaged or planted blob cannot inflate without bound.
pub fn raw_html(kept: &[u8], cap: u64) -> Result<Vec<u8>, String> {
    let inflated = if crate::fetch::is_gzip(kept) {
        crate::fetch::gunzip(kept, cap)
    } else if kept.starts_with(&ZSTD_MAGIC) {
        unzstd(kept, cap)?
    } else {
        return Err("the kept page is neither zstd nor gzip".to_string());
    };
    whole(inflated, cap)
}

/// At most `cap` bytes of the zstd frames `kept`.
fn unzstd(kept: &[u8], cap: u64) -> Result<crate::fetch::Inflated, String> {
    // As `zstd::decode_all`, which read them before: concatenated frames are read on.
    let zstd = zstd::stream::read::Decoder::with_buffer(kept)
        .map_err(|e| format!("the kept page does not decompress: {e}"))?;
    let hint = zstd::zstd_safe::get_frame_content_size(kept)
        .ok()
        .flatten()
        .map_or(0, |n| usize::try_from(n).unwrap_or(usize::MAX));
    Ok(crate::fetch::read_capped(zstd, cap, hint))
}

fn whole(inflated: crate::fetch::Inflated, cap: u64) -> Result<Vec<u8>, String> {
    match inflated {
        crate::fetch::Inflated::Whole(html) => Ok(html),
        crate::fetch::Inflated::OverCap(_) => Err(format!(
            "the kept page is larger than fetch.max_body ({cap} bytes) once decompressed; raise it to read the page"
        )),
        crate::fetch::Inflated::Broken(_, e) => {
            Err(format!("the kept page does not decompress: {e}"))
        }
    }
}

/// One kept page of an article, in the table its kind is kept in.
#[derive(Debug, Clone)]
pub struct RawPage {
    /// Where the page came from, after redirects.
    pub url: String,
    pub kept: Kept,
}

/// What is kept of a page (`[archive] keep_raw`).
#[derive(Debug, Clone)]
pub enum Kept {
    /// The HTML as decoded, compressed as [`raw_html`] reads it (table `pages`).
    Html(Vec<u8>),
    /// The exchange as it went over the wire (table `responses`).
    Response(Box<KeptResponse>),
}

/// A page's HTTP exchange: the heads as [`crate::fetch::Exchange`] records them and the body
/// bytes as received, before any decoding, compressed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptResponse {
    pub request_head: Vec<u8>,
    pub response_head: Vec<u8>,
    /// One zstd frame of the body as it came (still in its Content-Encoding).
    pub body_zstd: Vec<u8>,
    /// The body was cut on the wire at `fetch.max_body`.
    pub truncated: bool,
    /// The server's address, when known.
    pub ip: Option<String>,
}

impl KeptResponse {
    /// The body bytes as received; at most `cap` (`fetch.max_body`: none was kept larger).
    pub fn body(&self, cap: u64) -> Result<Vec<u8>, String> {
        whole(unzstd(&self.body_zstd, cap)?, cap)
    }

    /// The page's text, decoded from the original bytes the way the fetcher decoded it
    /// (content coding, then the charset of Content-Type, else what the body declares).
    pub fn html(&self, cap: u64) -> Result<String, String> {
        let head = crate::fetch::read_response_head(&self.response_head)?;
        let body = crate::fetch::decode_body(self.body(cap)?, &head.coding, self.truncated, cap)?;
        Ok(crate::fetch::decode_html_kept(body.body, head.charset.as_deref()).0)
    }
}

impl Kept {
    /// The page's text, at most `cap` bytes of it read back.
    pub fn html(&self, cap: u64) -> Result<String, String> {
        match self {
            Kept::Html(kept) => {
                raw_html(kept, cap).map(|h| String::from_utf8_lossy(&h).into_owned())
            }
            Kept::Response(r) => r.html(cap),
        }
    }
}

/// The magic number that starts a zstd frame.
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

/// The scratch buffer of a pooled compressor is dropped after a page larger than this, so
/// one huge page does not stay allocated.
const RAW_SCRATCH_KEPT: usize = 1 << 20;

/// Compressors kept for reuse: as many as have run at once (one per extracting core), not
/// one per thread of the blocking pool, each of which would keep its context's megabytes.
const RAW_COMPRESSORS_KEPT: usize = 8;

/// A zstd compression context at a level, with its output buffer. A fresh context per page,
/// as `zstd::encode_all` makes, costs its allocation and table set-up every time (page
/// faults on fresh memory), and a page-sized output buffer per page more fresh memory.
struct RawCompressor {
    level: i32,
    zstd: zstd::bulk::Compressor<'static>,
    scratch: Vec<u8>,
}

static RAW_COMPRESSORS: std::sync::Mutex<Vec<RawCompressor>> = std::sync::Mutex::new(Vec::new());

/// [`compress_raw`] at another level (the profile example compares them).
pub fn compress_raw_at(html: &[u8], level: i32) -> std::io::Result<Vec<u8>> {
    let pooled = {
        let mut pool = RAW_COMPRESSORS.lock().unwrap_or_else(|p| p.into_inner());
        pool.iter()
            .position(|c| c.level == level)
            .map(|i| pool.swap_remove(i))
    };
    let mut c = match pooled {
        Some(c) => c,
        None => RawCompressor {
            level,
            zstd: zstd::bulk::Compressor::new(level)?,
            scratch: Vec::new(),
        },
    };
    c.scratch.clear();
    c.scratch.reserve(zstd::compress_bound(html.len()));
    let written = c.zstd.compress_to_buffer(html, &mut c.scratch);
    let out = c.scratch.as_slice().to_vec();
    if c.scratch.capacity() > RAW_SCRATCH_KEPT {
        c.scratch = Vec::new();
    }
    // A context that failed may hold a half-written frame; it is not reused.
    if written.is_ok() {
        let mut pool = RAW_COMPRESSORS.lock().unwrap_or_else(|p| p.into_inner());
        if pool.len() < RAW_COMPRESSORS_KEPT {
            pool.push(c);
        }
    }
    written.map(|_| out)
}

/// An article's text and metadata as the ingest stage produced it.
#[derive(Debug, Clone)]
pub struct Content {
    pub url: String,
    pub title: String,
    pub author: Option<String>,
    pub published: Option<DateTime<FixedOffset>>,
    pub language: Option<String>,
    pub body: String,
    pub body_html: Option<String>,
    pub fingerprint: String,
    /// MinHash of the body, for near-duplicate (same story) detection; None for short texts.
    pub signature: Option<Signature>,
    pub source: Source,
    /// Why the body is the feed's text, when it is.
    pub note: Option<String>,
    /// Try the page again on a later poll.
    pub page_pending: bool,
    /// The article's pages (one, or several for a paginated article) as fetched, each
    /// kept as `[archive] keep_raw` asks.
    pub raw_pages: Vec<RawPage>,
    pub extractor_version: Option<u32>,
    /// Why the body is only part of the article (a paywall teaser), when it is.
    pub partial: Option<Partial>,
    /// What a revisit of the page compares with, and when it is due (page articles).
    pub page_state: Option<PageState>,
    /// The stemmed search column (Indonesian text only; see `stem::index_stems_id`).
    pub stems: String,
    /// The distinct words the index will hold of title, body and stems, when worked out
    /// before the write ([`Content::with_words`]); the writer works them out otherwise.
    pub words: Option<IndexWords>,
}

impl Content {
    /// Works out the article's index words here rather than on the single writer. Call it
    /// once title, body and stems are final: words of other texts are ignored.
    pub fn with_words(mut self) -> Content {
        self.words = Some(IndexWords::new([&self.title, &self.body, &self.stems]));
        self
    }
}

/// One feed item to record.
#[derive(Debug, Clone)]
pub struct ItemWrite {
    pub guid: String,
    /// The link as the feed gave it (a place the article was seen).
    pub link: String,
    /// URL keys known for the article (`dedup::url_key` of the link, the final URL, the
    /// page's canonical URL).
    pub keys: Vec<String>,
    pub published: Option<DateTime<FixedOffset>>,
    /// The item's `updated` (else `published`) time: a later one on a later poll means the
    /// publisher revised the article.
    pub revision: Option<DateTime<FixedOffset>>,
    /// None when the ingest stage already found the article by URL and fetched nothing.
    pub content: Option<Content>,
}

/// A second try at a page archived from feed text.
#[derive(Debug, Clone)]
pub struct RetryWrite {
    pub article_id: ArticleId,
    pub result: Result<(Vec<String>, Content), String>,
}

/// An item the feed gave before, now with a later revision time: its page fetched again.
#[derive(Debug, Clone)]
pub struct RevisionWrite {
    pub guid: String,
    pub article_id: ArticleId,
    pub revision: Option<DateTime<FixedOffset>>,
    /// The text now, with the URL keys it adds; None when the page could not be had (the
    /// revision time is still recorded, so the page is not fetched again for it).
    pub content: Option<(Vec<String>, Content)>,
}

/// Items, revisions and page retries of a poll, written together.
#[derive(Debug, Clone, Default)]
pub struct Work {
    pub items: Vec<ItemWrite>,
    pub retries: Vec<RetryWrite>,
    pub revisions: Vec<RevisionWrite>,
    /// Archived pages fetched again, and what that found.
    pub checks: Vec<CheckWrite>,
    /// Pages a site listed that are not archived, and why (sites only).
    pub site_urls: Vec<SiteUrlWrite>,
}

/// A page a site listed that gave no article: remembered so later polls pass it by (a
/// failure only for a while, see [`Store::known_keys`]).
#[derive(Debug, Clone)]
pub struct SiteUrlWrite {
    pub key: String,
    pub verdict: UrlVerdict,
}

impl Work {
    /// Writes it holds.
    pub fn len(&self) -> usize {
        self.items.len()
            + self.retries.len()
            + self.revisions.len()
            + self.site_urls.len()
            + self.checks.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The end of one successful poll of a feed: its last work and the feed's new state.
#[derive(Debug, Clone)]
pub struct PollWrite {
    pub feed_id: i64,
    pub now: DateTime<Utc>,
    /// None after a 304: the stored validators stay.
    pub validators: Option<Validators>,
    pub work: Work,
    /// When the feed may be polled again, and when it is expected to be.
    pub timing: Timing,
    /// Where a permanent redirect of the feed's URL pointed this time.
    pub redirect: Option<String>,
    /// A site's sitemap files as read by this poll: recorded with its end, so a poll cut
    /// short reads them again rather than taking them as done.
    pub source_files: Vec<(String, SourceFile)>,
}

/// The next poll of a feed, as the schedule module worked it out.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    pub not_before: DateTime<Utc>,
    pub next_poll: DateTime<Utc>,
}

/// What a poll's write came to.
#[derive(Debug, Clone)]
pub struct PollOutcome {
    pub items: Vec<ItemOutcome>,
    /// The feed's state before and after, when it changed.
    pub state: Option<(String, String)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemOutcome {
    /// A new article.
    New(ArticleId),
    /// Another place for an archived article.
    Duplicate(ArticleId),
    /// This feed's item was recorded before.
    Seen,
    /// Nothing could be recorded (no content and no archived article to attach it to).
    Skipped,
}

#[derive(Debug, Clone)]
pub struct PendingPage {
    pub article_id: ArticleId,
    pub url: String,
    pub attempts: u32,
}

/// After this many failed tries a page is left to the feed text for good.
pub const MAX_PAGE_ATTEMPTS: u32 = 5;

impl Store {
    /// The article a feed's item was archived as, with the item's revision time then.
    pub fn item_revision(
        &self,
        feed_id: i64,
        guid: &str,
    ) -> Result<Option<(ArticleId, Option<String>)>, StoreError> {
        self.conn
            .prepare_cached(
                "SELECT article_id, revision FROM items WHERE feed_id = ?1 AND guid = ?2",
            )
            .and_then(|mut s| {
                s.query_row(params![feed_id, guid], |r| {
                    Ok((ArticleId(r.get(0)?), r.get(1)?))
                })
                .optional()
            })
            .map_err(|e| self.err(e))
    }

    pub fn article_by_key(&self, key: &str) -> Result<Option<ArticleId>, StoreError> {
        self.conn
            .prepare_cached("SELECT article_id FROM url_keys WHERE key = ?1")
            .and_then(|mut s| s.query_row([key], |r| r.get(0)).optional())
            .map(|o| o.map(ArticleId))
            .map_err(|e| self.err(e))
    }

    /// Articles of this feed archived from feed text whose page is to be tried again.
    /// Pages due for another try at `now` (each waits longer after every failure).
    pub fn pending_pages(
        &self,
        feed_id: i64,
        limit: usize,
        now: DateTime<Utc>,
    ) -> Result<Vec<PendingPage>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT id, url, page_attempts FROM articles
                 WHERE feed_id = ?1 AND page_pending = 1
                   AND (page_next_try IS NULL OR page_next_try <= ?3)
                 ORDER BY id LIMIT ?2",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(params![feed_id, limit as i64, rfc3339(&now)], |r| {
                Ok(PendingPage {
                    article_id: ArticleId(r.get(0)?),
                    url: r.get(1)?,
                    attempts: r.get(2)?,
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    /// Records part of a poll's work (items, revisions, retries) in one transaction, so a
    /// finished page is kept even if the rest of the poll never finishes. The feed's state
    /// (validators, schedule) is left alone: only [`Store::apply_poll`] advances it.
    pub fn apply_batch(
        &mut self,
        feed_id: i64,
        now: DateTime<Utc>,
        work: &Work,
    ) -> Result<Vec<ItemOutcome>, StoreError> {
        let mut outcomes = self.apply_batches(&[(feed_id, now, work)])?;
        outcomes
            .pop()
            .ok_or_else(|| StoreError::Task("a batch's write gave no outcome".into()))
    }

    /// Records several polls' batches (feed, poll time, work) in one transaction, in order,
    /// as if each were written by [`Store::apply_batch`] right after the one before: for a
    /// writer that finds several polls' batches waiting. A commit's fixed cost (the search
    /// index's new segment, the vocabulary upsert, the log's sync) is then paid once.
    pub fn apply_batches(
        &mut self,
        batches: &[(i64, DateTime<Utc>, &Work)],
    ) -> Result<Vec<Vec<ItemOutcome>>, StoreError> {
        let path = self.path.clone();
        let tx = self
            .conn
            .transaction()
            .map_err(|e| super::sql_err(&path, e))?;
        let mut outcomes = Vec::with_capacity(batches.len());
        let mut words = Tally::default();
        for (feed_id, now, work) in batches {
            outcomes.push(
                write_work(
                    &tx,
                    (*feed_id, *now),
                    work,
                    &mut words,
                    self.watches.as_deref(),
                )
                .map_err(|e| super::sql_err(&path, e))?,
            );
        }
        words.write(&tx).map_err(|e| super::sql_err(&path, e))?;
        tx.commit().map_err(|e| super::sql_err(&path, e))?;
        Ok(outcomes)
    }

    /// Records the end of a successful poll (its last items, retries, the feed state) in
    /// one transaction.
    pub fn apply_poll(&mut self, poll: &PollWrite) -> Result<PollOutcome, StoreError> {
        let mut outcomes = self.apply_polls(std::slice::from_ref(poll))?;
        outcomes
            .pop()
            .ok_or_else(|| StoreError::Task("a poll's write gave no outcome".into()))
    }

    /// Records the ends of several polls in one transaction, in order, as if each were
    /// written by [`Store::apply_poll`] right after the one before: for a writer that finds
    /// several polls waiting. Every commit flushes the search index's new entries as a
    /// segment of its own and upserts the batch's vocabulary, so a few polls in one
    /// transaction cost much less than each in its own.
    pub fn apply_polls(&mut self, polls: &[PollWrite]) -> Result<Vec<PollOutcome>, StoreError> {
        let path = self.path.clone();
        let tx = self
            .conn
            .transaction()
            .map_err(|e| super::sql_err(&path, e))?;
        let mut outcomes = Vec::with_capacity(polls.len());
        let mut words = Tally::default();
        for poll in polls {
            let items = write_work(
                &tx,
                (poll.feed_id, poll.now),
                &poll.work,
                &mut words,
                self.watches.as_deref(),
            )
            .map_err(|e| super::sql_err(&path, e))?;
            let state = feeds::finish_poll(&tx, poll).map_err(|e| super::sql_err(&path, e))?;
            for (url, file) in &poll.source_files {
                sources::record_source_file(&tx, poll.feed_id, url, file, poll.now)
                    .map_err(|e| super::sql_err(&path, e))?;
            }
            outcomes.push(PollOutcome { items, state });
        }
        words.write(&tx).map_err(|e| super::sql_err(&path, e))?;
        tx.commit().map_err(|e| super::sql_err(&path, e))?;
        Ok(outcomes)
    }
}

/// Writes one batch; its words are counted into `words`, which the caller adds to the
/// vocabulary once for the whole transaction (batches share most of their words).
fn write_work(
    tx: &Transaction<'_>,
    (feed_id, now_utc): (i64, DateTime<Utc>),
    work: &Work,
    words: &mut Tally,
    watches: Option<&WatchSet>,
) -> super::db::Result<Vec<ItemOutcome>> {
    let now = rfc3339(&now_utc);
    let mut outcomes = Vec::with_capacity(work.items.len());
    for item in &work.items {
        let outcome = write_item(tx, feed_id, &now, now_utc, item, words)?;
        if let (ItemOutcome::New(id), Some(set), Some(c)) = (&outcome, watches, &item.content) {
            super::watches::check_new(tx, set, id.0, c, now_utc)?;
        }
        outcomes.push(outcome);
    }
    for rev in &work.revisions {
        write_revision(tx, feed_id, (&now, now_utc), rev, words, watches)?;
    }
    for retry in &work.retries {
        write_retry(tx, &now, now_utc, retry, words)?;
    }
    for url in &work.site_urls {
        sources::mark_site_url(tx, feed_id, &url.key, url.verdict, &now)?;
    }
    for check in &work.checks {
        revisit::write_check(tx, now_utc, check, words, watches)?;
    }
    Ok(outcomes)
}

/// A new article's row, less its closing parentheses (PostgreSQL adds its index entry).
const INSERT_ARTICLE: &str = "INSERT INTO articles (story_id, feed_id, guid, url, title, author,
     published, published_ts, fetched, fetched_ts, language, body, body_html, fingerprint, source,
     note, page_pending, page_attempts, extractor_version, minhash, shingles, story_method,
     story_similarity, stems, partial";
const ARTICLE_VALUES: &str = "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13,
     ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25";

pub(super) fn write_item(
    tx: &Transaction<'_>,
    feed_id: i64,
    now: &str,
    now_utc: DateTime<Utc>,
    item: &ItemWrite,
    words: &mut Tally,
) -> super::db::Result<ItemOutcome> {
    if tx
        .prepare_cached("SELECT 1 FROM items WHERE feed_id = ?1 AND guid = ?2")?
        .exists(params![feed_id, item.guid])?
    {
        return Ok(ItemOutcome::Seen);
    }
    let mut existing = None;
    for key in &item.keys {
        existing = tx
            .prepare_cached("SELECT article_id FROM url_keys WHERE key = ?1")?
            .query_row([key], |r| r.get::<_, i64>(0))
            .optional()?
            .map(|a| (a, "same-url"));
        if existing.is_some() {
            break;
        }
    }
    if existing.is_none()
        && let Some(c) = &item.content
    {
        existing = tx
            .prepare_cached("SELECT id FROM articles WHERE fingerprint = +?1 ORDER BY id LIMIT 1")?
            .query_row([&c.fingerprint], |r| r.get::<_, i64>(0))
            .optional()?
            .map(|a| (a, "same-body"));
    }
    let published = item.published.map(|p| rfc3339(&p));
    if let Some((article, method)) = existing {
        add_place(
            tx,
            article,
            feed_id,
            item,
            published.as_deref(),
            now,
            (method, Some(1.0)),
        )?;
        return Ok(ItemOutcome::Duplicate(ArticleId(article)));
    }
    let Some(c) = &item.content else {
        return Ok(ItemOutcome::Skipped);
    };
    let placed = stories::place(tx, c.signature.as_ref(), &item.link, now)?;
    let (story, method, similarity) = (placed.story, placed.method, placed.similarity);
    let published = c.published.or(item.published);
    // PostgreSQL's index entry goes in with the row (`pg_search.rs`), and the id comes
    // back from the INSERT itself.
    let fts = tx
        .is_pg()
        .then(|| super::pg_search::tsvector(&c.title, &c.body, &c.stems));
    let signature = c.signature.as_ref().map(Signature::to_bytes);
    let shingles = c.signature.as_ref().map(|s| s.shingles as i64);
    let published_text = published.map(|p| rfc3339(&p));
    let published_ts = published.map(|p| p.timestamp());
    let fetched_ts = now_utc.timestamp();
    let source = c.source.as_str();
    let attempts = u32::from(c.page_pending);
    let partial = c.partial.map(Partial::as_str);
    let mut args: Vec<&dyn super::db::ToSql> = params![
        story,
        feed_id,
        item.guid,
        c.url,
        c.title,
        c.author,
        published_text,
        published_ts,
        now,
        fetched_ts,
        c.language,
        c.body,
        c.body_html,
        c.fingerprint,
        source,
        c.note,
        c.page_pending,
        attempts,
        c.extractor_version,
        signature,
        shingles,
        method,
        similarity,
        c.stems,
        partial,
    ]
    .to_vec();
    let article = match &fts {
        Some(fts) => {
            args.push(fts);
            tx.prepare_cached(&format!(
                "{INSERT_ARTICLE}, fts) {ARTICLE_VALUES}, ?26::text::tsvector) RETURNING id"
            ))?
            .query_row(&args[..], |r| r.get(0))?
        }
        None => {
            tx.prepare_cached(&format!("{INSERT_ARTICLE}) {ARTICLE_VALUES})"))?
                .execute(&args[..])?;
            tx.last_insert_rowid()?
        }
    };
    if let (true, Some(sig)) = (tx.is_pg(), &c.signature) {
        add_bands(tx, article, sig)?;
    }
    words.note_article([&c.title, &c.body, &c.stems], c.words.as_ref());
    // Its bands are indexed from its stored `minhash` by the next placement (`bands.rs`).
    store_pages(tx, article, now, &c.raw_pages)?;
    revisit::keep_page_state(tx, article, now_utc, c.page_state.as_ref())?;
    add_place(
        tx,
        article,
        feed_id,
        item,
        published.map(|p| rfc3339(&p)).as_deref(),
        now,
        (method, similarity),
    )?;
    stories::refresh_representative(tx, story)?;
    Ok(ItemOutcome::New(ArticleId(article)))
}

/// Indexes the new signature of an article already archived.
fn add_bands(tx: &Transaction<'_>, article: i64, sig: &Signature) -> super::db::Result<()> {
    bands::add(tx, article, &sig.bands())
}

/// Records that `article` was seen as this feed's item: the item identity, its URL keys,
/// and the copy (place and time, and why it counts as this article or story).
pub(super) fn add_place(
    tx: &Transaction<'_>,
    article: i64,
    feed_id: i64,
    item: &ItemWrite,
    published: Option<&str>,
    now: &str,
    (method, similarity): (&str, Option<f64>),
) -> super::db::Result<()> {
    tx.prepare_cached(
        "INSERT OR IGNORE INTO items (feed_id, guid, article_id, first_seen, revision)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        feed_id,
        item.guid,
        article,
        now,
        item.revision.map(|r| rfc3339(&r))
    ])?;
    for key in &item.keys {
        tx.prepare_cached("INSERT OR IGNORE INTO url_keys (key, article_id) VALUES (?1, ?2)")?
            .execute(params![key, article])?;
    }
    tx.prepare_cached(
        "INSERT INTO copies (article_id, feed_id, url, published, first_seen, last_seen, method, similarity)
         VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6, ?7)
         ON CONFLICT (article_id, feed_id, url) DO UPDATE SET last_seen = excluded.last_seen",
    )?
    .execute(params![
        article,
        feed_id,
        shown_link(&item.link),
        published,
        now,
        method,
        similarity
    ])?;
    Ok(())
}

fn store_pages(
    tx: &Transaction<'_>,
    article: i64,
    now: &str,
    pages: &[RawPage],
) -> super::db::Result<()> {
    if pages.is_empty() {
        return Ok(());
    }
    // A newer fetch replaces the kept HTML, and the exchanges of the text's own version (a
    // page tried again); those of earlier versions stay, as evidence of what was revised.
    let version: i64 = tx.query_row(
        "SELECT version FROM articles WHERE id = ?1",
        [article],
        |r| r.get(0),
    )?;
    tx.prepare_cached("DELETE FROM pages WHERE article_id = ?1")?
        .execute([article])?;
    tx.prepare_cached("DELETE FROM responses WHERE article_id = ?1 AND version = ?2")?
        .execute([article, version])?;
    for (n, page) in pages.iter().enumerate() {
        let page_no = n as i64 + 1;
        match &page.kept {
            Kept::Html(html) => {
                tx.prepare_cached(
                    "INSERT INTO pages (article_id, page_no, url, fetched, html_zstd) VALUES (?1, ?2, ?3, ?4, ?5)",
                )?
                .execute(params![article, page_no, page.url, now, html])?;
            }
            Kept::Response(r) => {
                tx.prepare_cached(
                    "INSERT INTO responses (article_id, version, page_no, url, fetched, ip,
                         request_head, response_head, body_zstd, truncated)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                )?
                .execute(params![
                    article,
                    version,
                    page_no,
                    page.url,
                    now,
                    r.ip,
                    r.request_head,
                    r.response_head,
                    r.body_zstd,
                    r.truncated
                ])?;
            }
        }
    }
    Ok(())
}

/// Keeps a changed text as the article's new version; the old one stays readable in
/// `article_versions`, and the FTS triggers re-index the new text.
fn write_revision(
    tx: &Transaction<'_>,
    feed_id: i64,
    (now, now_utc): (&str, DateTime<Utc>),
    rev: &RevisionWrite,
    words: &mut Tally,
    watches: Option<&WatchSet>,
) -> super::db::Result<()> {
    tx.execute(
        "UPDATE items SET revision = ?3 WHERE feed_id = ?1 AND guid = ?2",
        params![feed_id, rev.guid, rev.revision.map(|r| rfc3339(&r))],
    )?;
    let Some((keys, c)) = &rev.content else {
        return Ok(());
    };
    revise_text(
        tx,
        rev.article_id.0,
        (now, now_utc),
        (keys, c),
        words,
        watches,
    )
}

/// An archived article's text as its page has it now: a new version, unless only counters
/// and stamps changed (then only the page's new validators are kept).
/// The watches see the new text as they see a new article's (see
/// `watches::check_revised`).
pub(super) fn revise_text(
    tx: &Transaction<'_>,
    id: i64,
    (now, now_utc): (&str, DateTime<Utc>),
    (keys, c): (&[String], &Content),
    words: &mut Tally,
    watches: Option<&WatchSet>,
) -> super::db::Result<()> {
    let Some((fingerprint, story, body)) = tx
        .query_row(
            "SELECT fingerprint, story_id, body FROM articles WHERE id = ?1",
            [id],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, String>(2)?,
                ))
            },
        )
        .optional()?
    else {
        return Ok(());
    };
    revisit::keep_page_state(tx, id, now_utc, c.page_state.as_ref())?;
    // A version is a change of the text, not of a view counter or a "3 jam lalu".
    if fingerprint == c.fingerprint
        || c.body.trim().is_empty()
        || crate::dedup::same_text(&body, &c.body)
    {
        return Ok(());
    }
    tx.execute(
        "INSERT INTO article_versions (article_id, version, title, body, body_html, fetched)
         SELECT id, version, title, body, body_html, fetched FROM articles WHERE id = ?1",
        [id],
    )?;
    bands::keep(tx, id)?;
    tx.execute(
        "UPDATE articles SET version = version + 1, title = ?2, body = ?3, body_html = ?4,
             fingerprint = ?5, minhash = ?6, shingles = ?7, fetched = ?8,
             author = coalesce(?9, author), published = coalesce(published, ?10),
             source = ?11, note = ?12, extractor_version = ?13, stems = ?14, partial = ?15
         WHERE id = ?1",
        params![
            id,
            c.title,
            c.body,
            c.body_html,
            c.fingerprint,
            c.signature.as_ref().map(Signature::to_bytes),
            c.signature.as_ref().map(|s| s.shingles as i64),
            now,
            c.author,
            c.published.map(|p| rfc3339(&p)),
            c.source.as_str(),
            c.note,
            c.extractor_version,
            c.stems,
            c.partial.map(Partial::as_str),
        ],
    )?;
    if tx.is_pg() {
        super::pg_search::index(tx, id, [&c.title, &c.body, &c.stems])?;
    }
    words.note(&[&c.title, &c.body, &c.stems]);
    if let Some(sig) = &c.signature {
        add_bands(tx, id, sig)?;
    }
    store_pages(tx, id, now, &c.raw_pages)?;
    for key in keys {
        tx.prepare_cached("INSERT OR IGNORE INTO url_keys (key, article_id) VALUES (?1, ?2)")?
            .execute(params![key, id])?;
    }
    stories::refresh_representative(tx, story)?;
    if let Some(set) = watches {
        super::watches::check_revised(tx, set, id, c, now_utc)?;
    }
    tracing::info!(
        article = id,
        "article revised; the earlier text is kept as a version"
    );
    Ok(())
}

/// A copy's URL without tracking parameters: they say who shared the link, not where the
/// article is, and the contract's `url` fields are canonical URLs.
fn shown_link(link: &str) -> String {
    url::Url::parse(link).map_or_else(
        |_| link.to_string(),
        |u| crate::dedup::clean_url(&u).to_string(),
    )
}

/// The wait before the next try of a page that failed `attempts` times: 15 minutes,
/// doubling, at most 6 hours.
fn page_backoff(attempts: u32) -> chrono::Duration {
    let minutes = 15i64.saturating_mul(1 << attempts.saturating_sub(1).min(5));
    chrono::Duration::minutes(minutes.min(360))
}

fn write_retry(
    tx: &Transaction<'_>,
    now: &str,
    now_utc: DateTime<Utc>,
    retry: &RetryWrite,
    words: &mut Tally,
) -> super::db::Result<()> {
    let id = retry.article_id.0;
    match &retry.result {
        Ok((keys, c)) => {
            bands::keep(tx, id)?;
            tx.execute(
                "UPDATE articles SET url = ?2, title = ?3, author = coalesce(?4, author),
                     published = coalesce(?5, published), published_ts = coalesce(?6, published_ts),
                     language = coalesce(?7, language), body = ?8, body_html = ?9, fingerprint = ?10,
                     source = ?11, note = ?12, page_pending = ?13,
                     page_attempts = page_attempts + 1, extractor_version = ?14, minhash = ?15,
                     shingles = ?16, stems = ?17, partial = ?18
                 WHERE id = ?1",
                params![
                    id,
                    c.url,
                    c.title,
                    c.author,
                    c.published.map(|p| rfc3339(&p)),
                    c.published.map(|p| p.timestamp()),
                    c.language,
                    c.body,
                    c.body_html,
                    c.fingerprint,
                    c.source.as_str(),
                    c.note,
                    c.page_pending,
                    c.extractor_version,
                    c.signature.as_ref().map(Signature::to_bytes),
                    c.signature.as_ref().map(|s| s.shingles as i64),
                    c.stems,
                    c.partial.map(Partial::as_str),
                ],
            )?;
            if tx.is_pg() {
                super::pg_search::index(tx, id, [&c.title, &c.body, &c.stems])?;
            }
            words.note(&[&c.title, &c.body, &c.stems]);
            store_pages(tx, id, now, &c.raw_pages)?;
            revisit::keep_page_state(tx, id, now_utc, c.page_state.as_ref())?;
            if let Some(sig) = &c.signature {
                add_bands(tx, id, sig)?;
            }
            let story: i64 =
                tx.query_row("SELECT story_id FROM articles WHERE id = ?1", [id], |r| {
                    r.get(0)
                })?;
            stories::refresh_representative(tx, story)?;
            for key in keys {
                tx.prepare_cached(
                    "INSERT OR IGNORE INTO url_keys (key, article_id) VALUES (?1, ?2)",
                )?
                .execute(params![key, id])?;
            }
        }
        Err(reason) => {
            let attempts: u32 = tx.query_row(
                "SELECT page_attempts + 1 FROM articles WHERE id = ?1",
                [id],
                |r| r.get(0),
            )?;
            tx.execute(
                "UPDATE articles SET page_attempts = ?4, note = ?2,
                     page_pending = ?3, page_next_try = ?5
                 WHERE id = ?1",
                params![
                    id,
                    reason,
                    attempts < MAX_PAGE_ATTEMPTS,
                    attempts,
                    rfc3339(&(now_utc + page_backoff(attempts)))
                ],
            )?;
        }
    }
    Ok(())
}

/// The article `a` has a kept page, in either table.
pub(super) const HAS_KEPT: &str = "(EXISTS (SELECT 1 FROM pages p WHERE p.article_id = a.id)
     OR EXISTS (SELECT 1 FROM responses r WHERE r.article_id = a.id))";

/// The kept pages of article ?1's current text from both tables, in page order, as
/// [`kept_page_row`] reads them. Each branch is looked up by its primary key, so no table
/// is scanned.
pub(super) const KEPT_PAGES: &str =
    "SELECT page_no, url, fetched, html_zstd, NULL, NULL, NULL, 0, NULL
     FROM pages WHERE article_id = ?1
     UNION ALL
     SELECT page_no, url, fetched, NULL, request_head, response_head, body_zstd, truncated, ip
     FROM responses WHERE article_id = ?1
         AND version = (SELECT max(version) FROM responses WHERE article_id = ?1)
     ORDER BY 1";

/// [`KEPT_PAGES`] with the exchanges of every version of the text, oldest first: what a
/// WARC export holds (each capture of the page, as a web archive keeps them).
pub(super) const EVERY_KEPT_PAGE: &str =
    "SELECT page_no, url, fetched, html_zstd, NULL, NULL, NULL, 0, NULL, 0
     FROM pages WHERE article_id = ?1
     UNION ALL
     SELECT page_no, url, fetched, NULL, request_head, response_head, body_zstd, truncated, ip,
            version
     FROM responses WHERE article_id = ?1
     ORDER BY 10, 1";

/// Page number, URL, fetch time and what is kept, from a row of [`KEPT_PAGES`].
pub(super) fn kept_page_row(
    r: &super::db::Row<'_>,
) -> super::db::Result<(i64, String, String, Kept)> {
    let html: Option<Vec<u8>> = r.get(3)?;
    let kept = match html {
        Some(html) => Kept::Html(html),
        None => Kept::Response(Box::new(KeptResponse {
            request_head: r.get(4)?,
            response_head: r.get(5)?,
            body_zstd: r.get(6)?,
            truncated: r.get(7)?,
            ip: r.get(8)?,
        })),
    };
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, kept))
}

/// An archived article's raw pages, for re-extraction.
#[derive(Debug, Clone)]
pub struct RawArticle {
    pub article_id: i64,
    pub feed: String,
    pub fetched: String,
    pub title: String,
    pub language: Option<String>,
    pub body: String,
    /// Each kept page, in order.
    pub pages: Vec<RawPage>,
}

/// New extraction results for an archived article.
#[derive(Debug, Clone)]
pub struct Reextracted {
    pub article_id: i64,
    pub body: String,
    pub body_html: Option<String>,
    pub fingerprint: String,
    pub signature: Option<Signature>,
    pub author: Option<String>,
    pub language: Option<String>,
    pub extractor_version: u32,
    pub stems: String,
    pub partial: Option<Partial>,
}

impl Store {
    /// Articles with kept pages and an id above `after`, in id order.
    pub fn raw_articles(
        &self,
        after: i64,
        limit: usize,
        feeds: &[String],
    ) -> Result<Vec<RawArticle>, StoreError> {
        let feeds_json = serde_json::to_string(feeds).unwrap_or_else(|_| "[]".into());
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "SELECT a.id, f.name, a.fetched, a.body, a.title, a.language
                 FROM articles a JOIN feeds f ON f.id = a.feed_id
                 WHERE a.id > ?1 AND {HAS_KEPT}
                   AND (?3 = '[]' OR f.name IN (SELECT value FROM json_each(?3)))
                 ORDER BY a.id LIMIT ?2"
            ))
            .map_err(|e| self.err(e))?;
        let mut articles: Vec<RawArticle> = stmt
            .query_map(params![after, limit as i64, feeds_json], |r| {
                Ok(RawArticle {
                    article_id: r.get(0)?,
                    feed: r.get(1)?,
                    fetched: r.get(2)?,
                    body: r.get(3)?,
                    title: r.get(4)?,
                    language: r.get(5)?,
                    pages: Vec::new(),
                })
            })
            .map_err(|e| self.err(e))?
            .collect::<Result<_, _>>()
            .map_err(|e| self.err(e))?;
        let mut pages = self
            .conn
            .prepare_cached(KEPT_PAGES)
            .map_err(|e| self.err(e))?;
        for a in &mut articles {
            a.pages = pages
                .query_map([a.article_id], |r| {
                    kept_page_row(r).map(|(_, url, _, kept)| RawPage { url, kept })
                })
                .map_err(|e| self.err(e))?
                .collect::<Result<_, _>>()
                .map_err(|e| self.err(e))?;
        }
        Ok(articles)
    }

    /// The kept pages of an article's current text, in page order: (URL, what is kept).
    pub fn kept_pages(&self, article: i64) -> Result<Vec<(String, Kept)>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(KEPT_PAGES)
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([article], |r| {
                kept_page_row(r).map(|(_, url, _, kept)| (url, kept))
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    pub fn count_raw_articles(&self, feeds: &[String]) -> Result<i64, StoreError> {
        let feeds_json = serde_json::to_string(feeds).unwrap_or_else(|_| "[]".into());
        self.conn
            .query_row(
                &format!(
                    "SELECT count(*) FROM articles a JOIN feeds f ON f.id = a.feed_id
                 WHERE {HAS_KEPT}
                   AND (?1 = '[]' OR f.name IN (SELECT value FROM json_each(?1)))"
                ),
                [feeds_json],
                |r| r.get(0),
            )
            .map_err(|e| self.err(e))
    }

    /// Writes a batch of re-extracted bodies in one transaction (the FTS triggers follow).
    pub fn update_extractions(&mut self, batch: &[Reextracted]) -> Result<(), StoreError> {
        let path = self.path.clone();
        let tx = self
            .conn
            .transaction()
            .map_err(|e| super::sql_err(&path, e))?;
        let mut words = Tally::default();
        for r in batch {
            bands::keep(&tx, r.article_id).map_err(|e| super::sql_err(&path, e))?;
            tx.execute(
                "UPDATE articles SET body = ?2, body_html = ?3, fingerprint = ?4,
                     author = coalesce(author, ?5), language = coalesce(language, ?6),
                     extractor_version = ?7, source = 'page', note = NULL, page_pending = 0,
                     minhash = ?8, shingles = ?9, stems = ?10, partial = ?11
                 WHERE id = ?1",
                params![
                    r.article_id,
                    r.body,
                    r.body_html,
                    r.fingerprint,
                    r.author,
                    r.language,
                    r.extractor_version,
                    r.signature.as_ref().map(Signature::to_bytes),
                    r.signature.as_ref().map(|s| s.shingles as i64),
                    r.stems,
                    r.partial.map(Partial::as_str),
                ],
            )
            .map_err(|e| super::sql_err(&path, e))?;
            if tx.is_pg() {
                super::pg_search::reindex(&tx, r.article_id)
                    .map_err(|e| super::sql_err(&path, e))?;
            }
            words.note(&[&r.body, &r.stems]);
            if let Some(sig) = &r.signature {
                add_bands(&tx, r.article_id, sig).map_err(|e| super::sql_err(&path, e))?;
            }
        }
        words.write(&tx).map_err(|e| super::sql_err(&path, e))?;
        tx.commit().map_err(|e| super::sql_err(&path, e))
    }
}
