//! Streaming reads for `warta export`: every archived article (or every kept raw page)
//! that a filter selects, handed to a callback one at a time.
//!
//! Memory stays flat however large the archive is: one prepared statement walks the
//! articles in id order (the primary key, so SQLite sorts nothing) and each row is handed
//! on before the next is read; nothing is collected. The whole walk runs inside one read
//! transaction, so the export is a consistent snapshot of one moment while, in WAL mode, a
//! running daemon keeps committing (its commits are simply not seen). The price of a long
//! export is that the WAL cannot be checkpointed past that snapshot until it ends.

use super::db::{OptionalExtension, Row, params};
use serde::Serialize;

use super::salvage::{self, Lost, Seek};
use super::write::{EVERY_KEPT_PAGE, kept_page_row};
use super::{ArticleView, Kept, Store, StoreError};

/// Which articles an export takes. The same selection for every format.
#[derive(Debug, Clone, Default)]
pub struct ExportFilter {
    /// Unix seconds; compared with the article's publication time, else its fetch time,
    /// as `warta search --since` does. Both bounds inclusive.
    pub since: Option<i64>,
    pub until: Option<i64>,
    /// Articles seen in any of these feeds (any copy, as `warta search --feed`); all
    /// feeds when empty.
    pub feeds: Vec<String>,
    /// The archive is damaged: skip the articles that cannot be read (`salvage.rs`) and
    /// count them, instead of stopping at the first.
    pub salvage: bool,
}

/// One place an article was seen.
#[derive(Debug, Clone, Serialize)]
pub struct Place {
    pub feed: String,
    pub url: String,
    pub first_seen: String,
    pub published: Option<String>,
}

/// How the article's body was obtained.
#[derive(Debug, Clone, Serialize)]
pub struct Extraction {
    /// `page` (extracted from the article's page) or `feed` (the feed's own text).
    pub source: String,
    /// The extractor version that produced the body; null for feed text.
    pub extractor_version: Option<i64>,
    /// The page is still to be tried again (the body is the feed's text meanwhile).
    pub page_pending: bool,
    /// Raw pages kept for the article (`[archive] keep_raw`, as HTML or as the response):
    /// what a WARC export has.
    pub raw_pages: i64,
}

/// One archived article as exported: what `warta show ID --format json` prints, plus the
/// article's own places and how its body was extracted.
#[derive(Debug, Clone, Serialize)]
pub struct ExportArticle {
    #[serde(flatten)]
    pub article: ArticleView,
    /// Every place this article (not the whole story) was seen, in publication order.
    pub places: Vec<Place>,
    pub extraction: Extraction,
}

/// One raw page as the archive keeps it.
#[derive(Debug, Clone)]
pub struct ExportPage {
    pub article_id: i64,
    /// 1 for the article's page, 2… for the further pages of a paginated article.
    pub page_no: i64,
    pub url: String,
    /// RFC 3339: when the page was fetched.
    pub fetched: String,
    /// The page's HTML as decoded at fetch time, or the exchange that brought it.
    pub kept: Kept,
}

/// What an export walked over.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExportCounts {
    /// Articles the filter selected.
    pub articles: u64,
    /// Raw pages handed on (page exports only).
    pub pages: u64,
    /// Selected articles that have no raw page kept (page exports only).
    pub without_pages: u64,
    /// Articles a salvage could not read.
    pub lost: Lost,
}

/// The columns of an article an export needs beside the article itself, over `articles a`.
const EXTRACTION: &str = "SELECT a.id, a.extractor_version, a.page_pending,
            (SELECT count(*) FROM pages p WHERE p.article_id = a.id)
              + (SELECT count(*) FROM responses r WHERE r.article_id = a.id)
     FROM articles a";

/// The filter as SQL over `articles a`, with parameters ?1 (since), ?2 (until) and ?3 (a
/// JSON array of feed names). Built once, bound with values only. The casts type the
/// parameters for PostgreSQL, which cannot tell the type of a lone `?1 IS NULL`.
const SELECTED: &str =
    "(CAST(?1 AS BIGINT) IS NULL OR coalesce(a.published_ts, a.fetched_ts) >= ?1)
     AND (CAST(?2 AS BIGINT) IS NULL OR coalesce(a.published_ts, a.fetched_ts) <= ?2)
     AND (?3 = '[]' OR EXISTS (SELECT 1 FROM copies c JOIN feeds f ON f.id = c.feed_id
                               WHERE c.article_id = a.id
                                 AND f.name IN (SELECT value FROM json_each(?3))))";

impl Store {
    /// Hands every selected article to `f`, in id order. Stops at the first error `f`
    /// returns and passes it on.
    pub fn export_articles<E: From<StoreError>>(
        &self,
        filter: &ExportFilter,
        mut f: impl FnMut(ExportArticle) -> Result<(), E>,
    ) -> Result<ExportCounts, E> {
        let feeds = feeds_json(filter);
        let tx = self.snapshot()?;
        let mut counts = ExportCounts::default();
        if filter.salvage {
            let next = format!("{EXTRACTION} WHERE a.id > ?4 AND {SELECTED} ORDER BY a.id LIMIT 1");
            let at = format!("{EXTRACTION} WHERE a.id = ?4 AND {SELECTED}");
            let last: Option<i64> = tx
                .query_row("SELECT max(id) FROM articles", [], |r| r.get(0))
                .ok()
                .flatten();
            let lost = salvage::walk(last, |seek| -> Result<_, E> {
                let (sql, id) = match seek {
                    Seek::After(after) => (&next, after),
                    Seek::At(id) => (&at, id),
                };
                let row = tx.prepare_cached(sql).and_then(|mut s| {
                    s.query_row(
                        params![filter.since, filter.until, feeds, id],
                        extraction_row,
                    )
                    .optional()
                });
                Ok(match row {
                    Ok(Some(row)) => {
                        let id = row.0;
                        self.export_one(row, true, &mut counts, &mut f)?;
                        Ok(Some(id))
                    }
                    other => other.map(|_| None).map_err(rusqlite::Error::from),
                })
            })?;
            counts.lost.rows += lost.rows;
            counts.lost.more |= lost.more;
            return Ok(counts);
        }
        let mut stmt = tx
            .prepare(&format!("{EXTRACTION} WHERE {SELECTED} ORDER BY a.id"))
            .map_err(|e| self.err(e))?;
        let mut rows = stmt
            .query(params![filter.since, filter.until, feeds])
            .map_err(|e| self.err(e))?;
        while let Some(row) = rows.next().map_err(|e| self.err(e))? {
            let row = extraction_row(&row).map_err(|e| self.err(e))?;
            self.export_one(row, false, &mut counts, &mut f)?;
        }
        Ok(counts)
    }

    /// Reads one selected article (with its extraction columns) and hands it to `f`. In a
    /// salvage an article that cannot be read is counted, not an error.
    fn export_one<E: From<StoreError>>(
        &self,
        (id, extractor_version, page_pending, raw_pages): (i64, Option<i64>, bool, i64),
        salvage: bool,
        counts: &mut ExportCounts,
        f: &mut impl FnMut(ExportArticle) -> Result<(), E>,
    ) -> Result<(), E> {
        // Read inside the export's transaction, so it is the same snapshot. An article
        // that vanished cannot happen within one snapshot; skip rather than fail.
        let article = match self.article(id) {
            Ok(Some(article)) => article,
            Ok(None) => return Ok(()),
            Err(e) if salvage => {
                tracing::debug!(article = id, "left out: {e}");
                counts.lost.rows += 1;
                return Ok(());
            }
            Err(e) => return Err(e.into()),
        };
        let places = match self.places(id) {
            Ok(places) => places,
            Err(e) if salvage => {
                tracing::debug!(article = id, "left out: {e}");
                counts.lost.rows += 1;
                return Ok(());
            }
            Err(e) => return Err(e.into()),
        };
        let extraction = Extraction {
            source: article.source.clone(),
            extractor_version,
            page_pending,
            raw_pages,
        };
        counts.articles += 1;
        f(ExportArticle {
            article,
            places,
            extraction,
        })
    }

    /// Hands every kept raw page of the selected articles to `f`, in article then page
    /// order, and counts the selected articles that have none.
    pub fn export_pages<E: From<StoreError>>(
        &self,
        filter: &ExportFilter,
        mut f: impl FnMut(ExportPage) -> Result<(), E>,
    ) -> Result<ExportCounts, E> {
        let feeds = feeds_json(filter);
        let tx = self.snapshot()?;
        let mut stmt = tx
            .prepare(&format!(
                "SELECT a.id FROM articles a WHERE {SELECTED} ORDER BY a.id"
            ))
            .map_err(|e| self.err(e))?;
        let mut rows = stmt
            .query(params![filter.since, filter.until, feeds])
            .map_err(|e| self.err(e))?;
        // The pages of each article are read by their keys from both tables, one article at
        // a time, so no more than one article's pages are held.
        let mut pages = tx.prepare(EVERY_KEPT_PAGE).map_err(|e| self.err(e))?;
        let mut counts = ExportCounts::default();
        while let Some(row) = rows.next().map_err(|e| self.err(e))? {
            let article_id: i64 = row.get(0).map_err(|e| self.err(e))?;
            counts.articles += 1;
            let mut kept = pages.query([article_id]).map_err(|e| self.err(e))?;
            let mut any = false;
            while let Some(r) = kept.next().map_err(|e| self.err(e))? {
                let (page_no, url, fetched, kept) = kept_page_row(&r).map_err(|e| self.err(e))?;
                any = true;
                counts.pages += 1;
                f(ExportPage {
                    article_id,
                    page_no,
                    url,
                    fetched,
                    kept,
                })?;
            }
            if !any {
                counts.without_pages += 1;
            }
        }
        Ok(counts)
    }

    /// Every feed and URL the article was seen at: provenance keeps each sighting, where
    /// `copies` counts places.
    fn places(&self, id: i64) -> Result<Vec<Place>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT f.name, c.url, c.first_seen, c.published
                 FROM copies c JOIN feeds f ON f.id = c.feed_id
                 WHERE c.article_id = ?1 ORDER BY c.first_seen, c.id",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([id], |r| {
                Ok(Place {
                    feed: r.get(0)?,
                    url: r.get(1)?,
                    first_seen: r.get(2)?,
                    published: r.get(3)?,
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    /// How many articles the filter selects (for a progress bar: counted in its own
    /// snapshot, so an export running alongside new writes may see a few more).
    pub fn export_count(&self, filter: &ExportFilter) -> Result<u64, StoreError> {
        self.conn
            .query_row(
                &format!("SELECT count(*) FROM articles a WHERE {SELECTED}"),
                params![filter.since, filter.until, feeds_json(filter)],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| u64::try_from(n).unwrap_or(0))
            .map_err(|e| self.err(e))
    }

    /// A read transaction over the connection: every read until it is dropped sees one
    /// snapshot. DEFERRED takes no write lock, so a daemon's writes go on meanwhile.
    fn snapshot(&self) -> Result<super::db::Transaction<'_>, StoreError> {
        self.conn.unchecked_transaction().map_err(|e| self.err(e))
    }
}

fn feeds_json(filter: &ExportFilter) -> String {
    serde_json::to_string(&filter.feeds).unwrap_or_else(|_| "[]".into())
}

fn extraction_row(r: &Row<'_>) -> super::db::Result<(i64, Option<i64>, bool, i64)> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, FixedOffset, TimeZone};

    use super::*;
    use crate::store::ItemWrite;
    use crate::store::tests::{content, poll, setup};

    fn day(d: u32) -> DateTime<FixedOffset> {
        FixedOffset::east_opt(8 * 3600)
            .unwrap()
            .with_ymd_and_hms(2024, 11, d, 9, 0, 0)
            .unwrap()
    }

    /// An article at `url` published on day `d`, with `pages` raw pages kept.
    fn item(url: &str, d: u32, body: &str, pages: usize) -> ItemWrite {
        let html = |n: usize| zstd::encode_all(format!("<p>{body} {n}</p>").as_bytes(), 3).unwrap();
        let mut c = content(url, &format!("title of {url}"), body);
        c.published = Some(day(d));
        c.raw_pages = (1..=pages)
            .map(|n| crate::store::RawPage {
                url: format!("{url}?page={n}"),
                kept: Kept::Html(html(n)),
            })
            .collect();
        ItemWrite {
            published: Some(day(d)),
            ..crate::store::tests::item(url, url, Some(c))
        }
    }

    /// The same URL seen again, from another feed (a duplicate place).
    fn seen_again(url: &str) -> ItemWrite {
        ItemWrite {
            guid: format!("{url}#again"),
            ..crate::store::tests::item(url, url, None)
        }
    }

    fn ids(store: &Store, filter: &ExportFilter) -> Vec<i64> {
        let mut out = Vec::new();
        store
            .export_articles(filter, |a| -> Result<(), StoreError> {
                out.push(a.article.id);
                Ok(())
            })
            .unwrap();
        out
    }

    const BODIES: [&str; 3] = [
        "Banjir merendam tiga kecamatan di Samarinda setelah hujan deras semalam suntuk.",
        "Harga cabai rawit di pasar Segiri naik dua kali lipat menjelang akhir pekan ini.",
        "Jembatan baru di Sangatta diresmikan bupati dan langsung dipadati warga sekitar.",
    ];

    /// Feed a has articles on days 1 and 10; feed b one on day 20 and a copy of the first.
    fn three_articles() -> (tempfile::TempDir, Store) {
        let (dir, mut store, feeds) = setup();
        store
            .apply_poll(&poll(
                feeds[0],
                vec![
                    item("https://a.example/1", 1, BODIES[0], 2),
                    item("https://a.example/2", 10, BODIES[1], 0),
                ],
            ))
            .unwrap();
        store
            .apply_poll(&poll(
                feeds[1],
                vec![
                    item("https://b.example/3", 20, BODIES[2], 1),
                    seen_again("https://a.example/1"),
                ],
            ))
            .unwrap();
        (dir, store)
    }

    #[test]
    fn every_article_in_id_order_with_places_and_extraction() {
        let (_d, store) = three_articles();
        let mut got = Vec::new();
        let counts = store
            .export_articles(&ExportFilter::default(), |a| -> Result<(), StoreError> {
                got.push(a);
                Ok(())
            })
            .unwrap();
        assert_eq!(counts.articles, 3);
        assert_eq!(
            got.iter().map(|a| a.article.id).collect::<Vec<_>>(),
            [1, 2, 3]
        );
        let first = &got[0];
        assert_eq!(first.article.body, BODIES[0]);
        let places: Vec<&str> = first.places.iter().map(|p| p.feed.as_str()).collect();
        assert_eq!(places, ["a", "b"]);
        assert_eq!(first.extraction.raw_pages, 2);
        assert_eq!(first.extraction.extractor_version, Some(1));
        assert_eq!(got[1].extraction.raw_pages, 0);
    }

    #[test]
    fn feed_filter_takes_articles_seen_in_the_feed_by_any_copy() {
        let (_d, store) = three_articles();
        let only = |names: &[&str]| ExportFilter {
            feeds: names.iter().map(|s| s.to_string()).collect(),
            ..ExportFilter::default()
        };
        assert_eq!(ids(&store, &only(&["a"])), [1, 2]);
        assert_eq!(ids(&store, &only(&["b"])), [1, 3]);
        assert_eq!(ids(&store, &only(&["a", "b"])), [1, 2, 3]);
    }

    #[test]
    fn time_bounds_are_inclusive_on_publication_time() {
        let (_d, store) = three_articles();
        let range = |since: Option<u32>, until: Option<u32>| ExportFilter {
            since: since.map(|d| day(d).timestamp()),
            until: until.map(|d| day(d).timestamp()),
            feeds: Vec::new(),
            salvage: false,
        };
        assert_eq!(ids(&store, &range(Some(10), None)), [2, 3]);
        assert_eq!(ids(&store, &range(None, Some(10))), [1, 2]);
        assert_eq!(ids(&store, &range(Some(10), Some(10))), [2]);
        assert!(ids(&store, &range(Some(21), None)).is_empty());
    }

    #[test]
    fn pages_in_order_and_articles_without_pages_counted() {
        let (_d, store) = three_articles();
        let mut pages = Vec::new();
        let counts = store
            .export_pages(&ExportFilter::default(), |p| -> Result<(), StoreError> {
                pages.push((p.article_id, p.page_no, p.url));
                Ok(())
            })
            .unwrap();
        assert_eq!(
            pages,
            [
                (1, 1, "https://a.example/1?page=1".to_string()),
                (1, 2, "https://a.example/1?page=2".to_string()),
                (3, 1, "https://b.example/3?page=1".to_string()),
            ]
        );
        assert_eq!(
            counts,
            ExportCounts {
                articles: 3,
                pages: 3,
                without_pages: 1,
                lost: Lost::default(),
            }
        );
    }

    #[test]
    fn an_export_is_a_snapshot_and_does_not_block_a_writer() {
        let (_dir, store) = three_articles();
        let mut writer = Store::open(store.path()).unwrap();
        let feed_b: i64 = writer
            .conn
            .query_row("SELECT id FROM feeds WHERE name = 'b'", [], |r| r.get(0))
            .unwrap();
        let mut seen = Vec::new();
        store
            .export_articles(&ExportFilter::default(), |a| -> Result<(), StoreError> {
                if a.article.id == 1 {
                    // A daemon commits while the export is half way: it must not wait for
                    // the export, and the export must not see its article.
                    let body =
                        "Kapal tongkang menabrak fender jembatan Mahakam pada dini hari tadi.";
                    writer.apply_poll(&poll(
                        feed_b,
                        vec![item("https://b.example/4", 21, body, 0)],
                    ))?;
                }
                seen.push(a.article.id);
                Ok(())
            })
            .unwrap();
        assert_eq!(seen, [1, 2, 3]);
        assert_eq!(ids(&store, &ExportFilter::default()), [1, 2, 3, 4]);
    }

    #[test]
    fn an_error_from_the_callback_stops_the_walk() {
        let (_d, store) = three_articles();
        let mut calls = 0;
        let result = store.export_articles(&ExportFilter::default(), |_| {
            calls += 1;
            Err(StoreError::Task("stop".into()))
        });
        assert!(matches!(result, Err(StoreError::Task(m)) if m == "stop"));
        assert_eq!(calls, 1);
    }
}
