//! Migrations: an append-only list, applied in order, keyed on `PRAGMA user_version`.
//! Never edit a migration that has shipped; add a new one.

pub const MIGRATIONS: &[&str] = &[
    // 1: the archive.
    //
    // `articles` holds one row per distinct body; `copies` every place (feed + URL) an
    // article was seen, with when (provenance); `url_keys` the folded URLs that identify an
    // article before its page is fetched; `items` each feed's item identities (GUIDs), so
    // an item seen again is not fetched again. `stories` group articles that tell the
    // same story. `pages` keeps the raw HTML apart so that scans of `articles` stay small.
    // Despite its name, `pages.html_zstd` holds either a zstd frame of the HTML as decoded to
    // UTF-8 or, for a UTF-8 page that came gzip-encoded, the gzip body exactly as received;
    // `store::raw_html` tells them apart by their magic bytes and reads both. The FTS5 index is an external-content table kept in sync by triggers,
    // so it can never disagree with the rows inside a committed transaction.
    r#"
    CREATE TABLE feeds (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        url TEXT NOT NULL,
        title TEXT,
        region TEXT,
        tags TEXT NOT NULL DEFAULT '[]',
        etag TEXT,
        last_modified TEXT,
        last_poll TEXT,
        last_success TEXT,
        last_error TEXT,
        consecutive_failures INTEGER NOT NULL DEFAULT 0,
        state TEXT NOT NULL DEFAULT 'new',
        -- The earliest next poll (publisher's ask, failure backoff) and the expected one.
        not_before TEXT,
        next_poll TEXT,
        -- Permanent redirects: the target seen on the last polls in a row, how many, and
        -- where the feed is followed once that repeated.
        redirect_target TEXT,
        redirect_count INTEGER NOT NULL DEFAULT 0,
        moved_to TEXT
    );
    -- Hosts that asked (HTTP 429/503 Retry-After) not to be contacted before a time.
    CREATE TABLE hosts (
        host TEXT PRIMARY KEY,
        until TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE stories (
        id INTEGER PRIMARY KEY,
        created TEXT NOT NULL,
        -- The article shown for the story in search results.
        representative INTEGER,
        -- Set when a bridging article showed this story to be part of another.
        merged_into INTEGER
    );
    CREATE TABLE story_merges (
        id INTEGER PRIMARY KEY,
        from_story INTEGER NOT NULL,
        into_story INTEGER NOT NULL,
        at TEXT NOT NULL,
        bridge TEXT NOT NULL,
        similarity REAL
    );
    CREATE TABLE articles (
        id INTEGER PRIMARY KEY,
        story_id INTEGER NOT NULL REFERENCES stories(id),
        feed_id INTEGER NOT NULL REFERENCES feeds(id),
        guid TEXT NOT NULL,
        url TEXT NOT NULL,
        title TEXT NOT NULL DEFAULT '',
        author TEXT,
        published TEXT,
        published_ts INTEGER,
        fetched TEXT NOT NULL,
        fetched_ts INTEGER NOT NULL,
        language TEXT,
        body TEXT NOT NULL,
        body_html TEXT,
        fingerprint TEXT NOT NULL,
        source TEXT NOT NULL CHECK (source IN ('page', 'feed')),
        note TEXT,
        page_pending INTEGER NOT NULL DEFAULT 0,
        page_attempts INTEGER NOT NULL DEFAULT 0,
        -- When a pending page may be tried again (backoff between attempts).
        page_next_try TEXT,
        extractor_version INTEGER,
        minhash BLOB,
        shingles INTEGER,
        story_method TEXT,
        story_similarity REAL,
        -- Bumped when the publisher revises the text; earlier texts in article_versions.
        version INTEGER NOT NULL DEFAULT 1,
        -- Roots of the inflected words of an Indonesian text (stem::index_stems_id), for
        -- the FTS column that lets `layanan` find "pelayanan".
        stems TEXT NOT NULL DEFAULT ''
    );
    CREATE TABLE article_versions (
        article_id INTEGER NOT NULL REFERENCES articles(id),
        version INTEGER NOT NULL,
        title TEXT NOT NULL,
        body TEXT NOT NULL,
        body_html TEXT,
        fetched TEXT NOT NULL,
        PRIMARY KEY (article_id, version)
    );
    CREATE INDEX articles_story ON articles(story_id);
    CREATE INDEX articles_fingerprint ON articles(fingerprint);
    CREATE INDEX articles_time ON articles(coalesce(published_ts, fetched_ts));
    CREATE INDEX articles_pending ON articles(feed_id) WHERE page_pending = 1;
    -- LSH bands of each article's MinHash signature: the index that finds an article's
    -- near-duplicates (its story) without a scan.
    CREATE TABLE story_bands (
        band INTEGER NOT NULL,
        article_id INTEGER NOT NULL REFERENCES articles(id),
        PRIMARY KEY (band, article_id)
    ) WITHOUT ROWID;
    CREATE TABLE pages (
        article_id INTEGER NOT NULL REFERENCES articles(id),
        page_no INTEGER NOT NULL,
        url TEXT NOT NULL,
        fetched TEXT NOT NULL,
        html_zstd BLOB NOT NULL,
        PRIMARY KEY (article_id, page_no)
    );
    CREATE TABLE url_keys (
        key TEXT PRIMARY KEY,
        article_id INTEGER NOT NULL REFERENCES articles(id)
    ) WITHOUT ROWID;
    CREATE TABLE items (
        feed_id INTEGER NOT NULL REFERENCES feeds(id),
        guid TEXT NOT NULL,
        article_id INTEGER NOT NULL REFERENCES articles(id),
        first_seen TEXT NOT NULL,
        -- The item's updated (else published) time when last seen.
        revision TEXT,
        PRIMARY KEY (feed_id, guid)
    ) WITHOUT ROWID;
    CREATE TABLE copies (
        id INTEGER PRIMARY KEY,
        article_id INTEGER NOT NULL REFERENCES articles(id),
        feed_id INTEGER NOT NULL REFERENCES feeds(id),
        url TEXT NOT NULL,
        published TEXT,
        first_seen TEXT NOT NULL,
        last_seen TEXT NOT NULL,
        -- Why this place counts as this article: new, minhash (a near duplicate joined to
        -- its story), same-url, same-body; with the similarity that decided it.
        method TEXT NOT NULL DEFAULT 'new',
        similarity REAL,
        UNIQUE (article_id, feed_id, url)
    );
    CREATE INDEX copies_feed ON copies(feed_id);
    CREATE VIRTUAL TABLE articles_fts USING fts5(
        title, body, stems,
        content = 'articles', content_rowid = 'id',
        tokenize = 'unicode61 remove_diacritics 2'
    );
    CREATE TRIGGER articles_fts_insert AFTER INSERT ON articles BEGIN
        INSERT INTO articles_fts(rowid, title, body, stems)
        VALUES (new.id, new.title, new.body, new.stems);
    END;
    CREATE TRIGGER articles_fts_delete AFTER DELETE ON articles BEGIN
        INSERT INTO articles_fts(articles_fts, rowid, title, body, stems)
        VALUES ('delete', old.id, old.title, old.body, old.stems);
    END;
    CREATE TRIGGER articles_fts_update AFTER UPDATE OF title, body, stems ON articles BEGIN
        INSERT INTO articles_fts(articles_fts, rowid, title, body, stems)
        VALUES ('delete', old.id, old.title, old.body, old.stems);
        INSERT INTO articles_fts(rowid, title, body, stems)
        VALUES (new.id, new.title, new.body, new.stems);
    END;
    "#,
    // 2: facts about the archive as a whole, such as which table of regional names its
    // index was keyed with (`names.rs`).
    r#"
    CREATE TABLE meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    ) WITHOUT ROWID;
    "#,
    // 3: the index's words with how many articles hold each, so that a prefix query can
    // be answered as an OR of its most frequent words (`vocab.rs`). Filled from the index
    // itself for an archive that predates it.
    r#"
    CREATE TABLE vocab (
        term TEXT PRIMARY KEY,
        docs INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE VIRTUAL TABLE temp.articles_fts_rows USING fts5vocab(main, articles_fts, row);
    INSERT INTO vocab (term, docs) SELECT term, doc FROM temp.articles_fts_rows;
    DROP TABLE temp.articles_fts_rows;
    "#,
    // 4: `story_bands` holds the bands of the articles up to `upto`; those of later
    // articles are derived from their `minhash` by the writer and merged in key order in
    // large steps (`bands.rs`), so that writing the index stays sequential. An archive
    // that predates it has every band in `story_bands` already.
    r#"
    CREATE TABLE story_bands_merged (
        id INTEGER PRIMARY KEY CHECK (id = 0),
        upto INTEGER NOT NULL
    );
    INSERT INTO story_bands_merged (id, upto) SELECT 0, coalesce(max(id), 0) FROM articles;
    "#,
    // 5: sources that are sites, not feeds (issue 13): the validators of each sitemap
    // file read (so an unchanged one is neither downloaded nor read again), the URLs a site
    // listed that are not articles (so they are not fetched again every poll), and what was
    // learned about the site (how it is best read, its article URL shape).
    r#"
    CREATE TABLE source_files (
        feed_id INTEGER NOT NULL REFERENCES feeds(id),
        url TEXT NOT NULL,
        etag TEXT,
        last_modified TEXT,
        -- The <lastmod> its parent index gave it when it was last read.
        lastmod TEXT,
        read_at TEXT NOT NULL,
        PRIMARY KEY (feed_id, url)
    ) WITHOUT ROWID;
    CREATE TABLE site_urls (
        feed_id INTEGER NOT NULL REFERENCES feeds(id),
        key TEXT NOT NULL,
        -- Why it is not archived: not-article, failed, refused.
        verdict TEXT NOT NULL,
        seen TEXT NOT NULL,
        PRIMARY KEY (feed_id, key)
    ) WITHOUT ROWID;
    CREATE TABLE site_memory (
        feed_id INTEGER PRIMARY KEY REFERENCES feeds(id),
        -- wordpress-api, news-sitemap, sitemap, listing
        method TEXT NOT NULL,
        -- JSON: the addresses found (sitemaps, API base, listing pages).
        detail TEXT NOT NULL DEFAULT '{}',
        -- The article URL pattern learned from links that led to articles.
        pattern TEXT,
        updated TEXT NOT NULL
    );
    "#,
    // 6: why only part of an article was on its page (`paywall`), NULL when it was whole.
    "ALTER TABLE articles ADD COLUMN partial TEXT;",
    // 7: revisits (`revisit.rs`). `page_checks` holds what a later fetch of an article's
    // page is compared with: the validators its first page came with (for a conditional
    // GET) and a hash of that page's HTML (a page that comes back the same byte for byte is
    // not extracted again); and when the page is due again: at each age of `[revisit]
    // after` counted from `since`, its first fetch; NULL once no age is left. An archive
    // from before has every page article due now, counted from when it was fetched (those
    // older than the last age are passed over without a request). `articles.removed` is
    // when the publisher was seen to have taken the page down (404, 410, a redirect to the
    // home page); NULL while it is up. `items_seen` lets a poll count a feed's items of
    // the last day (its pace, `schedule::adapted`) without reading all of them.
    r#"
    ALTER TABLE articles ADD COLUMN removed TEXT;
    CREATE INDEX items_seen ON items(feed_id, first_seen);
    CREATE TABLE page_checks (
        article_id INTEGER PRIMARY KEY REFERENCES articles(id),
        feed_id INTEGER NOT NULL REFERENCES feeds(id),
        since INTEGER NOT NULL,
        due INTEGER,
        etag TEXT,
        last_modified TEXT,
        hash TEXT,
        checked TEXT
    );
    CREATE INDEX page_checks_due ON page_checks(feed_id, due) WHERE due IS NOT NULL;
    INSERT INTO page_checks (article_id, feed_id, since, due)
        SELECT id, feed_id, fetched_ts, fetched_ts FROM articles WHERE source = 'page';
    "#,
    // 8: pages kept as the HTTP exchange that brought them (`[archive] keep_raw =
    // "response"`, issue 15): the request head as sent (credentials redacted), the response
    // head as received and the body bytes as they came over the wire, before any decoding
    // (still gzip when the site sent gzip), in one zstd frame. Keyed like `pages`, and a page
    // is in exactly one of the two tables: its HTML is decoded from these bytes when it is
    // needed (re-extraction, export), so there is one source of truth for a page and no
    // second copy of it. `truncated`: the body was cut at `fetch.max_body`. Every version
    // of the text keeps the exchanges that brought it (`version`, as in `articles`): a
    // revision is evidence too, and the current text is read from the newest.
    r#"
    CREATE TABLE responses (
        article_id INTEGER NOT NULL REFERENCES articles(id),
        version INTEGER NOT NULL DEFAULT 1,
        page_no INTEGER NOT NULL,
        url TEXT NOT NULL,
        fetched TEXT NOT NULL,
        ip TEXT,
        request_head BLOB NOT NULL,
        response_head BLOB NOT NULL,
        body_zstd BLOB NOT NULL,
        truncated INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (article_id, version, page_no)
    );
    "#,
    // 9: watches (issue 16): each watch's hits, one per story (the first article of the
    // story that matched), written with the article that made them.
    r#"
    CREATE TABLE watch_hits (
        watch TEXT NOT NULL,
        story_id INTEGER NOT NULL,
        article_id INTEGER NOT NULL REFERENCES articles(id),
        at TEXT NOT NULL,
        PRIMARY KEY (watch, story_id)
    ) WITHOUT ROWID;
    CREATE INDEX watch_hits_at ON watch_hits(watch, at);
    "#,
    // 10: the watches' outbox (issue 16): every alert, one row per target, written in the
    // transaction that stored the article (or closed the digest's day) and kept until the
    // target took it. `key` is the same over every retry (sent as Idempotency-Key), and
    // unique, so an alert made twice is one row. `due` is when it is next tried (unix
    // seconds). `digest_marks` remembers up to when each digest watch has been summed up.
    r#"
    CREATE TABLE outbox (
        id INTEGER PRIMARY KEY,
        key TEXT NOT NULL UNIQUE,
        watch TEXT NOT NULL,
        target TEXT NOT NULL,
        kind TEXT NOT NULL,
        story_id INTEGER,
        article_id INTEGER,
        version INTEGER,
        since TEXT,
        until TEXT,
        created TEXT NOT NULL,
        due INTEGER NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        error TEXT,
        delivered TEXT,
        gave_up TEXT
    );
    CREATE INDEX outbox_waiting ON outbox(due) WHERE delivered IS NULL AND gave_up IS NULL;
    CREATE INDEX outbox_watch ON outbox(watch, created);
    CREATE TABLE digest_marks (
        watch TEXT PRIMARY KEY,
        until TEXT NOT NULL
    ) WITHOUT ROWID;
    "#,
    // 11: where each month's articles lie among ids (issue 17): the first and last id of the
    // articles dated (published, else fetched; UTC) in each month. Ids grow as articles
    // arrive, so a month is a short stretch of them, and a search within dates reads the
    // index there only (`Store::bound_dates`). Kept by triggers on every path that writes
    // an article; only ever widened (a deleted article leaves its month's stretch as it
    // was, which is still a true bound).
    r#"
    CREATE TABLE id_months (
        month TEXT PRIMARY KEY,
        first_id INTEGER NOT NULL,
        last_id INTEGER NOT NULL
    ) WITHOUT ROWID;
    INSERT INTO id_months (month, first_id, last_id)
        SELECT coalesce(strftime('%Y-%m', t, 'unixepoch'), CASE WHEN t < 0 THEN '0000-00' ELSE '9999-99' END),
               min(id), max(id)
        FROM (SELECT id, coalesce(published_ts, fetched_ts) AS t FROM articles)
        GROUP BY 1;
    CREATE TRIGGER id_months_insert AFTER INSERT ON articles BEGIN
        INSERT INTO id_months (month, first_id, last_id)
        VALUES (coalesce(strftime('%Y-%m', coalesce(new.published_ts, new.fetched_ts), 'unixepoch'),
                         CASE WHEN coalesce(new.published_ts, new.fetched_ts) < 0 THEN '0000-00' ELSE '9999-99' END),
                new.id, new.id)
        ON CONFLICT (month) DO UPDATE SET first_id = min(first_id, excluded.first_id),
                                          last_id = max(last_id, excluded.last_id);
    END;
    CREATE TRIGGER id_months_update AFTER UPDATE OF published_ts, fetched_ts ON articles BEGIN
        INSERT INTO id_months (month, first_id, last_id)
        VALUES (coalesce(strftime('%Y-%m', coalesce(new.published_ts, new.fetched_ts), 'unixepoch'),
                         CASE WHEN coalesce(new.published_ts, new.fetched_ts) < 0 THEN '0000-00' ELSE '9999-99' END),
                new.id, new.id)
        ON CONFLICT (month) DO UPDATE SET first_id = min(first_id, excluded.first_id),
                                          last_id = max(last_id, excluded.last_id);
    END;
    "#,
    // 12: several daemons sharing one archive (issue 18; PostgreSQL only, but the same
    // schema on both so that `warta migrate` copies between equal versions). A feed is
    // polled by whoever holds its lease (`lease_owner` until `lease_until`, Unix seconds);
    // a host takes one request at a time over every daemon (`host_slots`: busy until, and
    // not again before, in milliseconds of the database's clock).
    r#"
    ALTER TABLE feeds ADD COLUMN lease_owner TEXT;
    ALTER TABLE feeds ADD COLUMN lease_until INTEGER;
    CREATE TABLE host_slots (
        host TEXT PRIMARY KEY,
        owner TEXT NOT NULL,
        busy_until INTEGER NOT NULL,
        next_at INTEGER NOT NULL
    ) WITHOUT ROWID;
    "#,
    // 13: PostgreSQL's search index marks each article's stretch of ids (`pg_schema.rs`);
    // nothing changes in an SQLite file, whose index reads its newest matches first anyway.
    "",
    // 14: PostgreSQL's index of neighbouring words, for phrases (`pg_schema.rs`); FTS5
    // keeps positions in its own index.
    "",
];

/// What undoes each migration (index i undoes migration i + 1), for tests that make an
/// archive from before one.
#[cfg(test)]
const UNDO: &[&str] = &[
    "",
    "DROP TABLE meta;",
    "DELETE FROM vocab; DROP TABLE vocab;",
    "DROP TABLE story_bands_merged;",
    "DROP TABLE source_files; DROP TABLE site_urls; DROP TABLE site_memory;",
    "ALTER TABLE articles DROP COLUMN partial;",
    "DROP TABLE page_checks; DROP INDEX items_seen; ALTER TABLE articles DROP COLUMN removed;",
    "DROP TABLE responses;",
    "DROP TABLE watch_hits;",
    "DROP TABLE outbox; DROP TABLE digest_marks;",
    "DROP TRIGGER id_months_insert; DROP TRIGGER id_months_update; DROP TABLE id_months;",
    "DROP TABLE host_slots; ALTER TABLE feeds DROP COLUMN lease_until; ALTER TABLE feeds DROP COLUMN lease_owner;",
    "",
    "",
];

/// SQL that takes a current archive back to schema `version`, newest migration first.
#[cfg(test)]
pub fn rewind_to(version: usize) -> String {
    assert_eq!(UNDO.len(), MIGRATIONS.len(), "every migration has its undo");
    let mut sql: Vec<&str> = UNDO[version..].to_vec();
    sql.reverse();
    format!("{} PRAGMA user_version = {version};", sql.join(" "))
}
