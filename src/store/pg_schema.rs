//! The archive's tables in PostgreSQL.
//!
//! Versions are numbered as SQLite's (`schema.rs`): a PostgreSQL archive at version N holds
//! what an SQLite one at version N holds, so `warta migrate` copies between equal versions
//! and a later migration is added to both lists under one number. PostgreSQL archives
//! start at schema 11, created whole: there are none from before it.
//!
//! Types follow SQLite's as stored, so that rows copy across unchanged and the store's
//! statements read the same values from both: times are RFC 3339 TEXT (with the `_ts`
//! columns in Unix seconds beside them, as in SQLite), flags are BIGINT 0/1, ids are
//! BIGINT identities (BY DEFAULT, so that a migration keeps the ids it copies).
//!
//! The search index is `articles.fts`, a `tsvector` the writer builds from the same
//! tokens FTS5 indexes (`pg_search.rs`): title at weight A, body B, stems C.

/// (version, SQL) in order; the first creates everything up to its version.
pub const MIGRATIONS: &[(i64, &str)] = &[
    (11, SCHEMA_11),
    (12, SCHEMA_12),
    (13, SCHEMA_13),
    (14, SCHEMA_14),
];

/// What undoes each migration after the first (index i undoes migration 12 + i), for
/// tests that make an archive from before one.
#[cfg(test)]
const UNDO: &[&str] = &[
    "DROP TABLE host_slots; ALTER TABLE feeds DROP COLUMN lease_until, DROP COLUMN lease_owner;",
    "DROP TRIGGER articles_fts_stretch ON articles; DROP FUNCTION warta_fts_stretch();
     UPDATE articles SET fts = ts_delete(fts,
         ARRAY(SELECT lexeme FROM unnest(fts) WHERE lexeme LIKE '#%'));",
    "DROP TRIGGER articles_fts_pairs ON articles; DROP FUNCTION warta_fts_pairs();
     ALTER TABLE articles DROP COLUMN pairs;
     DROP FUNCTION warta_pairs(tsvector); DROP FUNCTION warta_pair(text);
     CREATE INDEX copies_feed ON copies(feed_id); DROP INDEX copies_feed_article;",
];

/// SQL that takes a current archive back to schema `version` (11 or later), newest
/// migration first.
#[cfg(test)]
pub fn rewind_to(version: i64) -> String {
    assert_eq!(
        UNDO.len() + 1,
        MIGRATIONS.len(),
        "every migration has its undo"
    );
    let mut sql: Vec<&str> = UNDO[(version - 11) as usize..].to_vec();
    sql.reverse();
    format!(
        "{} DELETE FROM warta_schema WHERE version > {version};",
        sql.join(" ")
    )
}

/// The search's two indexes, by name and as built. `warta migrate` drops them before it
/// copies the articles and builds them after: GIN built once over every row is many times
/// faster than kept up to date row by row (at 1,000,000 articles the copy ran at 100
/// articles a second with them, 560 without).
pub const SEARCH_INDEXES: &[(&str, &str)] = &[
    (
        "articles_fts",
        "CREATE INDEX IF NOT EXISTS articles_fts ON articles USING gin (fts)",
    ),
    (
        "articles_pairs",
        "CREATE INDEX IF NOT EXISTS articles_pairs ON articles USING gin (pairs)",
    ),
];

/// Ids in one stretch of the search index, as a shift (see [`SCHEMA_13`]): 4,096.
const STRETCH_SHIFT: i64 = 12;
pub const STRETCH_IDS: i64 = 1 << STRETCH_SHIFT;

/// Stretches asked for in one query at most; a wider span is read without them.
const MAX_STRETCHES: i64 = 64;

/// A `tsquery` that holds for the articles of the stretches covering ids `from` to `to`
/// (`'#24' | '#23'`); None when that is more than [`MAX_STRETCHES`].
pub fn stretches_tsquery(from: i64, to: i64) -> Option<String> {
    let (first, last) = (from.max(0) >> STRETCH_SHIFT, to.max(0) >> STRETCH_SHIFT);
    if to < from || last - first >= MAX_STRETCHES {
        return None;
    }
    let terms: Vec<String> = (first..=last).rev().map(|b| format!("'#{b}'")).collect();
    Some(terms.join(" | "))
}

/// An index of each article's pairs of neighbouring words, for phrases. GIN knows which
/// articles hold a word, not where: for a phrase of two common words (`"anak menurut"`)
/// PostgreSQL read the whole `tsvector` of every article holding both, a third of the
/// archive, to find the few where they stand side by side (5 s at 1,000,000 articles).
/// Asked for the phrase's pairs too, the index leaves those few, and the articles whose
/// pairs share a hash bucket with them (2^20 buckets for an article's 500-800 pairs: one
/// in 1,500 of the articles holding both words).
///
/// The pairs are taken from the positions the `tsvector` keeps, so they are exactly the
/// neighbours a phrase there can match (none across title and body, whose positions have
/// a gap), by a trigger, so that every path that writes `fts` keeps them; the query's
/// pairs are hashed by the same server function (`warta_pair`,
/// `pg_search::pairs_condition`). They are a column, not an index on an expression of
/// `fts`: a phrase's matches are checked again on their rows, and that would work the
/// pairs out anew each time (0.8 ms an article: 750 ms for a phrase with 600 matches).
/// Existing articles get theirs as schema 13 got its blocks: the index dropped, the rows
/// written, the indexes built. The planner's figures are gathered at once (`ANALYZE`):
/// how many articles a phrase's pairs leave sizes the stretches its newest matches are
/// looked for in (`Store::newest_pg`).
///
/// Also: the copies' index by feed holds the article's id too, so that a feed's articles
/// within some dates are read from the index alone (`search.rs`, the place filters).
const SCHEMA_14: &str = r#"
CREATE FUNCTION warta_pair(text) RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT hashtext($1) & 1048575 $$;
CREATE FUNCTION warta_pairs(v tsvector) RETURNS integer[] LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
    WITH t AS (SELECT u.lexeme, p FROM unnest(v) u, unnest(u.positions) p)
    SELECT coalesce(array_agg(DISTINCT hashtext(a.lexeme || ' ' || b.lexeme) & 1048575), '{}')
    FROM t a JOIN t b ON b.p = a.p + 1
    $$;
CREATE FUNCTION warta_fts_pairs() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.pairs := warta_pairs(NEW.fts);
    RETURN NEW;
END $$;
ALTER TABLE articles ADD COLUMN pairs integer[] NOT NULL DEFAULT '{}';
CREATE TRIGGER articles_fts_pairs BEFORE INSERT OR UPDATE OF fts ON articles
    FOR EACH ROW EXECUTE FUNCTION warta_fts_pairs();
DROP INDEX articles_fts;
UPDATE articles SET pairs = warta_pairs(fts);
SET LOCAL maintenance_work_mem = '256MB';
CREATE INDEX articles_fts ON articles USING gin (fts);
CREATE INDEX articles_pairs ON articles USING gin (pairs);
CREATE INDEX copies_feed_article ON copies(feed_id, article_id);
DROP INDEX copies_feed;
ANALYZE articles;
"#;

/// Each article's `tsvector` also holds the stretch of ids it lies in, as a lexeme no word
/// can be (`#` and the id's 4,096-block): the newest matches of a common word are then
/// asked of the index as the word and the newest stretches, and the index reads its long
/// list of the word only where the short lists of the stretches point, instead of handing
/// over every match to be sorted by id (a word in a third of 1,000,000 articles: every
/// one of 330,000 matches, against the 4,096-id blocks' few thousand). Written by a
/// trigger, so that every path that writes the index (new articles, re-extraction,
/// regional names, `warta migrate`) adds it; existing articles are rewritten once, the
/// index built again after rather than updated row by row.
const SCHEMA_13: &str = r#"
CREATE FUNCTION warta_fts_stretch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.fts := NEW.fts || array_to_tsvector(ARRAY['#' || (NEW.id >> 12)::text]);
    RETURN NEW;
END $$;
CREATE TRIGGER articles_fts_stretch BEFORE INSERT OR UPDATE OF fts ON articles
    FOR EACH ROW EXECUTE FUNCTION warta_fts_stretch();
DROP INDEX articles_fts;
UPDATE articles SET fts = fts;
SET LOCAL maintenance_work_mem = '256MB';
CREATE INDEX articles_fts ON articles USING gin (fts);
"#;

/// Leases and host slots for several daemons (as SQLite's migration 12).
const SCHEMA_12: &str = r#"
ALTER TABLE feeds ADD COLUMN lease_owner TEXT;
ALTER TABLE feeds ADD COLUMN lease_until BIGINT;
CREATE TABLE host_slots (
    host TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    busy_until BIGINT NOT NULL,
    next_at BIGINT NOT NULL
);
"#;

const SCHEMA_11: &str = r#"
CREATE TABLE feeds (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
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
    consecutive_failures BIGINT NOT NULL DEFAULT 0,
    state TEXT NOT NULL DEFAULT 'new',
    not_before TEXT,
    next_poll TEXT,
    redirect_target TEXT,
    redirect_count BIGINT NOT NULL DEFAULT 0,
    moved_to TEXT
);
CREATE TABLE hosts (
    host TEXT PRIMARY KEY,
    until TEXT NOT NULL
);
CREATE TABLE stories (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    created TEXT NOT NULL,
    representative BIGINT,
    merged_into BIGINT
);
CREATE TABLE story_merges (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    from_story BIGINT NOT NULL,
    into_story BIGINT NOT NULL,
    at TEXT NOT NULL,
    bridge TEXT NOT NULL,
    similarity DOUBLE PRECISION
);
CREATE TABLE articles (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    story_id BIGINT NOT NULL REFERENCES stories(id),
    feed_id BIGINT NOT NULL REFERENCES feeds(id),
    guid TEXT NOT NULL,
    url TEXT NOT NULL,
    title TEXT NOT NULL DEFAULT '',
    author TEXT,
    published TEXT,
    published_ts BIGINT,
    fetched TEXT NOT NULL,
    fetched_ts BIGINT NOT NULL,
    language TEXT,
    body TEXT NOT NULL,
    body_html TEXT,
    fingerprint TEXT NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('page', 'feed')),
    note TEXT,
    page_pending BIGINT NOT NULL DEFAULT 0,
    page_attempts BIGINT NOT NULL DEFAULT 0,
    page_next_try TEXT,
    extractor_version BIGINT,
    minhash BYTEA,
    shingles BIGINT,
    story_method TEXT,
    story_similarity DOUBLE PRECISION,
    version BIGINT NOT NULL DEFAULT 1,
    stems TEXT NOT NULL DEFAULT '',
    partial TEXT,
    removed TEXT,
    fts TSVECTOR NOT NULL DEFAULT ''
);
CREATE TABLE article_versions (
    article_id BIGINT NOT NULL REFERENCES articles(id),
    version BIGINT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    body_html TEXT,
    fetched TEXT NOT NULL,
    PRIMARY KEY (article_id, version)
);
CREATE INDEX articles_story ON articles(story_id);
CREATE INDEX articles_fingerprint ON articles(fingerprint);
CREATE INDEX articles_time ON articles((coalesce(published_ts, fetched_ts)));
CREATE INDEX articles_pending ON articles(feed_id) WHERE page_pending = 1;
CREATE INDEX articles_fts ON articles USING GIN (fts);
CREATE TABLE story_bands (
    band BIGINT NOT NULL,
    article_id BIGINT NOT NULL REFERENCES articles(id),
    PRIMARY KEY (band, article_id)
);
CREATE TABLE pages (
    article_id BIGINT NOT NULL REFERENCES articles(id),
    page_no BIGINT NOT NULL,
    url TEXT NOT NULL,
    fetched TEXT NOT NULL,
    html_zstd BYTEA NOT NULL,
    PRIMARY KEY (article_id, page_no)
);
CREATE TABLE url_keys (
    key TEXT PRIMARY KEY,
    article_id BIGINT NOT NULL REFERENCES articles(id)
);
CREATE TABLE items (
    feed_id BIGINT NOT NULL REFERENCES feeds(id),
    guid TEXT NOT NULL,
    article_id BIGINT NOT NULL REFERENCES articles(id),
    first_seen TEXT NOT NULL,
    revision TEXT,
    PRIMARY KEY (feed_id, guid)
);
CREATE INDEX items_seen ON items(feed_id, first_seen);
CREATE TABLE copies (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    article_id BIGINT NOT NULL REFERENCES articles(id),
    feed_id BIGINT NOT NULL REFERENCES feeds(id),
    url TEXT NOT NULL,
    published TEXT,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    method TEXT NOT NULL DEFAULT 'new',
    similarity DOUBLE PRECISION,
    UNIQUE (article_id, feed_id, url)
);
CREATE INDEX copies_feed ON copies(feed_id);
CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE vocab (
    term TEXT COLLATE "C" PRIMARY KEY,
    docs BIGINT NOT NULL
);
CREATE TABLE story_bands_merged (
    id BIGINT PRIMARY KEY CHECK (id = 0),
    upto BIGINT NOT NULL
);
INSERT INTO story_bands_merged (id, upto) VALUES (0, 0);
CREATE TABLE source_files (
    feed_id BIGINT NOT NULL REFERENCES feeds(id),
    url TEXT NOT NULL,
    etag TEXT,
    last_modified TEXT,
    lastmod TEXT,
    read_at TEXT NOT NULL,
    PRIMARY KEY (feed_id, url)
);
CREATE TABLE site_urls (
    feed_id BIGINT NOT NULL REFERENCES feeds(id),
    key TEXT NOT NULL,
    verdict TEXT NOT NULL,
    seen TEXT NOT NULL,
    PRIMARY KEY (feed_id, key)
);
CREATE TABLE site_memory (
    feed_id BIGINT PRIMARY KEY REFERENCES feeds(id),
    method TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '{}',
    pattern TEXT,
    updated TEXT NOT NULL
);
CREATE TABLE page_checks (
    article_id BIGINT PRIMARY KEY REFERENCES articles(id),
    feed_id BIGINT NOT NULL REFERENCES feeds(id),
    since BIGINT NOT NULL,
    due BIGINT,
    etag TEXT,
    last_modified TEXT,
    hash TEXT,
    checked TEXT
);
CREATE INDEX page_checks_due ON page_checks(feed_id, due) WHERE due IS NOT NULL;
CREATE TABLE responses (
    article_id BIGINT NOT NULL REFERENCES articles(id),
    version BIGINT NOT NULL DEFAULT 1,
    page_no BIGINT NOT NULL,
    url TEXT NOT NULL,
    fetched TEXT NOT NULL,
    ip TEXT,
    request_head BYTEA NOT NULL,
    response_head BYTEA NOT NULL,
    body_zstd BYTEA NOT NULL,
    truncated BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (article_id, version, page_no)
);
CREATE TABLE watch_hits (
    watch TEXT NOT NULL,
    story_id BIGINT NOT NULL,
    article_id BIGINT NOT NULL REFERENCES articles(id),
    at TEXT NOT NULL,
    PRIMARY KEY (watch, story_id)
);
CREATE INDEX watch_hits_at ON watch_hits(watch, at);
CREATE TABLE outbox (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    watch TEXT NOT NULL,
    target TEXT NOT NULL,
    kind TEXT NOT NULL,
    story_id BIGINT,
    article_id BIGINT,
    version BIGINT,
    since TEXT,
    until TEXT,
    created TEXT NOT NULL,
    due BIGINT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    error TEXT,
    delivered TEXT,
    gave_up TEXT
);
CREATE INDEX outbox_waiting ON outbox(due) WHERE delivered IS NULL AND gave_up IS NULL;
CREATE INDEX outbox_watch ON outbox(watch, created);
CREATE TABLE digest_marks (
    watch TEXT PRIMARY KEY,
    until TEXT NOT NULL
);
CREATE TABLE id_months (
    month TEXT PRIMARY KEY,
    first_id BIGINT NOT NULL,
    last_id BIGINT NOT NULL
);
CREATE FUNCTION warta_id_month() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    t BIGINT := coalesce(NEW.published_ts, NEW.fetched_ts);
    m TEXT := CASE
        WHEN t < -62167219200 THEN '0000-00'
        WHEN t >= 253402300800 THEN '9999-99'
        ELSE to_char(to_timestamp(t) AT TIME ZONE 'UTC', 'YYYY-MM') END;
BEGIN
    INSERT INTO id_months (month, first_id, last_id) VALUES (m, NEW.id, NEW.id)
    ON CONFLICT (month) DO UPDATE SET first_id = least(id_months.first_id, excluded.first_id),
                                      last_id = greatest(id_months.last_id, excluded.last_id);
    RETURN NULL;
END $$;
CREATE TRIGGER id_months_insert AFTER INSERT ON articles
    FOR EACH ROW EXECUTE FUNCTION warta_id_month();
CREATE TRIGGER id_months_update AFTER UPDATE OF published_ts, fetched_ts ON articles
    FOR EACH ROW EXECUTE FUNCTION warta_id_month();
"#;
