//! Store specifications against a real SQLite file in a temporary folder, and those
//! written with [`on_both!`] against a real PostgreSQL database too (`pg_server.rs`).

use chrono::{DateTime, TimeZone, Utc};

use super::db::OptionalExtension;
use super::*;
use crate::config::Config;
use crate::fetch::Validators;

pub(super) fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 11, 20, 3, 0, 0).unwrap()
}

#[path = "../../tests/fixtures/pg_server.rs"]
#[allow(dead_code)]
pub(super) mod pg_server;

/// A new, empty archive for this test: a file under `dir`, or a database of its own on
/// the test server.
pub(super) fn fresh_store(dir: &std::path::Path) -> Store {
    match pg_server::backend() {
        pg_server::Backend::Sqlite => Store::open(&dir.join("sub/archive.db")).unwrap(),
        pg_server::Backend::Postgres => {
            let url = pg_server::fresh_url("store").expect("a PostgreSQL server");
            Store::open(std::path::Path::new(&url)).unwrap()
        }
    }
}

/// Tests that hold for either database, each run on both: `NAME::sqlite` and
/// `NAME::postgres`.
macro_rules! on_both {
    ($($(#[$meta:meta])* fn $name:ident() $body:block)*) => {$(
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            fn the_test() $body
            #[test]
            fn sqlite() {
                super::pg_server::run_on(
                    super::pg_server::Backend::Sqlite,
                    stringify!($name),
                    the_test,
                );
            }
            #[test]
            fn postgres() {
                super::pg_server::run_on(
                    super::pg_server::Backend::Postgres,
                    stringify!($name),
                    the_test,
                );
            }
        }
    )*};
}

pub(super) fn setup() -> (tempfile::TempDir, Store, Vec<i64>) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = fresh_store(dir.path());
    let ids = standard_feeds(&mut store);
    (dir, store, ids)
}

/// Feeds `a` (tagged, with a region) and `b` in `store`; their ids.
fn standard_feeds(store: &mut Store) -> Vec<i64> {
    let config = Config::parse(
        "[[feed]]\nname = \"a\"\nurl = \"https://a.example/rss\"\ntags = [\"kaltim\"]\nregion = \"Kalimantan Timur\"\n\
         [[feed]]\nname = \"b\"\nurl = \"https://b.example/rss\"\n",
        std::path::Path::new("feeds.toml"),
    )
    .unwrap();
    store.sync_feeds(&config.feeds).unwrap()
}

/// Two connections (two daemons) to a new PostgreSQL archive with the standard feeds;
/// None (said) when there is no server.
fn postgres_pair(test: &str) -> Option<(Store, Store, Vec<i64>)> {
    let url = pg_server::fresh_url(test)?;
    let path = std::path::Path::new(&url);
    let mut one = Store::open(path).unwrap();
    let ids = standard_feeds(&mut one);
    Some((one, Store::open(path).unwrap(), ids))
}

pub(super) fn content(url: &str, title: &str, body: &str) -> Content {
    Content {
        url: url.into(),
        title: title.into(),
        author: None,
        published: None,
        language: Some("id".into()),
        body: body.into(),
        body_html: None,
        fingerprint: crate::dedup::fingerprint(body),
        signature: crate::dedup::minhash::signature(body),
        source: Source::Page,
        note: None,
        page_pending: false,
        raw_pages: Vec::new(),
        page_state: None,
        extractor_version: Some(1),
        stems: crate::stem::index_stems_id(body),
        words: None,
        partial: None,
    }
}

pub(super) fn item(guid: &str, url: &str, c: Option<Content>) -> ItemWrite {
    ItemWrite {
        guid: guid.into(),
        link: url.into(),
        keys: vec![crate::dedup::url_key(&url::Url::parse(url).unwrap())],
        published: None,
        revision: None,
        content: c,
    }
}

pub(super) fn poll(feed_id: i64, items: Vec<ItemWrite>) -> PollWrite {
    PollWrite {
        feed_id,
        now: now(),
        validators: Some(Validators {
            etag: Some("\"v1\"".into()),
            last_modified: None,
        }),
        work: Work {
            items,
            ..Work::default()
        },
        timing: Timing {
            not_before: now(),
            next_poll: now(),
        },
        redirect: None,
        source_files: Vec::new(),
    }
}

const BODY: &str = "Bupati Kutai Timur meresmikan jembatan baru di Sangatta pada Rabu pagi. \
    Jembatan sepanjang dua ratus meter itu menghubungkan dua kecamatan yang selama ini terpisah sungai.";

#[test]
fn migrations_set_user_version_and_reopen() {
    let (dir, store, _) = setup();
    let path = store.path().to_path_buf();
    drop(store);
    let store = Store::open(&path).unwrap();
    assert_eq!(store.integrity_check().unwrap(), "ok");
    let v: i64 = store
        .conn
        .sqlite()
        .unwrap()
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(v, schema::MIGRATIONS.len() as i64);
    drop(dir);
}

on_both! {
fn same_url_in_two_feeds_is_one_article_with_one_copy_seen_by_both() {
    let (_d, mut store, ids) = setup();
    let out = store
        .apply_poll(&poll(
            ids[0],
            vec![item(
                "g1",
                "https://a.example/x",
                Some(content("https://a.example/x", "Jembatan", BODY)),
            )],
        ))
        .unwrap()
        .items;
    let ItemOutcome::New(id) = out[0] else {
        panic!("{out:?}")
    };
    let out = store
        .apply_poll(&poll(
            ids[1],
            vec![item("other", "https://a.example/x?utm_source=b", None)],
        ))
        .unwrap()
        .items;
    assert_eq!(out, vec![ItemOutcome::Duplicate(id)]);
    // One place (the URL), two feeds: one copy, listed once with both.
    let view = store.article(id.0).unwrap().unwrap();
    assert_eq!(view.copies, 1);
    assert!(view.other_copies.is_empty(), "{:?}", view.other_copies);
    assert_eq!(view.story_copies[0].feeds, ["a", "b"]);
    assert_eq!(store.stats(2, now()).unwrap().copies, 1);
    let rows = store.feed_rows().unwrap();
    assert!(rows.iter().all(|r| r.articles == 1), "{rows:?}");
}
}

on_both! {
fn same_body_under_another_url_is_one_article() {
    let (_d, mut store, ids) = setup();
    store
        .apply_poll(&poll(
            ids[0],
            vec![item(
                "g1",
                "https://a.example/x",
                Some(content("https://a.example/x", "Jembatan", BODY)),
            )],
        ))
        .unwrap();
    let reworded_punctuation = BODY.replace(',', "").replace('.', " .");
    let out = store
        .apply_poll(&poll(
            ids[1],
            vec![item(
                "g9",
                "https://b.example/y",
                Some(content(
                    "https://b.example/y",
                    "Jembatan baru",
                    &reworded_punctuation,
                )),
            )],
        ))
        .unwrap()
        .items;
    assert!(matches!(out[0], ItemOutcome::Duplicate(_)), "{out:?}");
    let s = store.stats(2, now()).unwrap();
    assert_eq!(
        (s.articles, s.copies, s.stories, s.duplicates),
        (1, 2, 1, 1)
    );
}
}

on_both! {
fn an_item_seen_again_in_its_feed_is_not_recorded_twice() {
    let (_d, mut store, ids) = setup();
    let w = poll(
        ids[0],
        vec![item(
            "g1",
            "https://a.example/x",
            Some(content("https://a.example/x", "Jembatan", BODY)),
        )],
    );
    store.apply_poll(&w).unwrap();
    assert!(store.item_revision(ids[0], "g1").unwrap().is_some());
    assert_eq!(store.apply_poll(&w).unwrap().items, vec![ItemOutcome::Seen]);
    assert_eq!(store.stats(2, now()).unwrap().copies, 1);
}
}

on_both! {
fn poll_records_validators_and_state() {
    let (_d, mut store, ids) = setup();
    store.apply_poll(&poll(ids[0], vec![])).unwrap();
    assert_eq!(
        store.feed_state(ids[0]).unwrap().validators.etag.as_deref(),
        Some("\"v1\"")
    );
    store
        .record_failure(
            ids[0],
            now(),
            "HTTP 500 from https://a.example/rss",
            false,
            Timing {
                not_before: now(),
                next_poll: now(),
            },
        )
        .unwrap();
    let rows = store.feed_rows().unwrap();
    let a = rows.iter().find(|r| r.name == "a").unwrap();
    assert_eq!(a.state, "failing");
    assert_eq!(a.consecutive_failures, 1);
    assert!(a.last_success.is_some());
    // A 304 keeps the stored validators.
    let mut not_modified = poll(ids[0], vec![]);
    not_modified.validators = None;
    store.apply_poll(&not_modified).unwrap();
    assert_eq!(
        store.feed_state(ids[0]).unwrap().validators.etag.as_deref(),
        Some("\"v1\"")
    );
}
}

on_both! {
fn search_finds_by_body_word_and_filters_by_place() {
    let (_d, mut store, ids) = setup();
    store
        .apply_poll(&poll(
            ids[0],
            vec![item(
                "g1",
                "https://a.example/x",
                Some(content("https://a.example/x", "Jembatan", BODY)),
            )],
        ))
        .unwrap();
    let req = |fts: &str, feeds: Vec<String>, tag: Option<&str>| SearchRequest {
        feeds,
        tags: tag.map(str::to_string).into_iter().collect(),
        ..request(fts)
    };
    let hits = store
        .search_plain(&req("\"sangatta\"", vec![], None))
        .unwrap();
    assert_eq!(hits.len(), 1);
    assert!(
        hits[0].snippet.contains("[Sangatta]"),
        "{}",
        hits[0].snippet
    );
    assert!(hits[0].score > 0.0);
    assert!(
        store
            .search_plain(&req("\"sangatta\"", vec!["b".into()], None))
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store
            .search_plain(&req("\"sangatta\"", vec![], Some("KALTIM")))
            .unwrap()
            .len(),
        1
    );
    assert!(
        store
            .search_plain(&req("\"samarinda\"", vec![], None))
            .unwrap()
            .is_empty()
    );
}
}

on_both! {
fn failed_pages_are_retried_then_given_up() {
    let (_d, mut store, ids) = setup();
    let mut c = content("https://a.example/x", "Jembatan", "teks pendek dari feed");
    c.source = Source::Feed;
    c.page_pending = true;
    c.fingerprint = "url:a.example/x".into();
    let out = store
        .apply_poll(&poll(
            ids[0],
            vec![item("g1", "https://a.example/x", Some(c))],
        ))
        .unwrap()
        .items;
    let ItemOutcome::New(id) = out[0] else {
        panic!()
    };
    for _ in 1..write::MAX_PAGE_ATTEMPTS {
        assert_eq!(
            store
                .pending_pages(ids[0], 10, now() + chrono::Duration::days(1))
                .unwrap()
                .len(),
            1
        );
        let mut w = poll(ids[0], vec![]);
        w.work.retries = vec![RetryWrite {
            article_id: id,
            result: Err("HTTP 503".into()),
        }];
        store.apply_poll(&w).unwrap();
    }
    assert!(
        store
            .pending_pages(ids[0], 10, now() + chrono::Duration::days(1))
            .unwrap()
            .is_empty()
    );
}
}

on_both! {
fn a_retry_that_succeeds_replaces_the_feed_text_and_reindexes() {
    let (_d, mut store, ids) = setup();
    let mut c = content("https://a.example/x", "Jembatan", "teks pendek dari feed");
    c.source = Source::Feed;
    c.page_pending = true;
    let out = store
        .apply_poll(&poll(
            ids[0],
            vec![item("g1", "https://a.example/x", Some(c))],
        ))
        .unwrap()
        .items;
    let ItemOutcome::New(id) = out[0] else {
        panic!()
    };
    let mut w = poll(ids[0], vec![]);
    w.work.retries = vec![RetryWrite {
        article_id: id,
        result: Ok((vec![], content("https://a.example/x", "Jembatan", BODY))),
    }];
    store.apply_poll(&w).unwrap();
    let view = store.article(id.0).unwrap().unwrap();
    assert_eq!(view.body, BODY);
    assert_eq!(view.source, "page");
    assert!(
        store
            .pending_pages(ids[0], 10, now() + chrono::Duration::days(1))
            .unwrap()
            .is_empty()
    );
    let hits = store
        .search_plain(&SearchRequest {
            sort: SortOrder::Newest,
            all: true,
            ..request("\"kecamatan\"")
        })
        .unwrap();
    assert_eq!(hits.len(), 1);
}
}

fn request(fts: &str) -> SearchRequest {
    SearchRequest {
        fts: Some(fts.into()),
        limit: 10,
        ..SearchRequest::default()
    }
}

/// A paragraph of 50 words that occur nowhere else.
pub(super) fn para(n: usize) -> String {
    (0..50)
        .map(|i| format!("p{n}w{i}"))
        .collect::<Vec<_>>()
        .join(" ")
}

pub(super) fn body(paras: &[usize]) -> String {
    paras
        .iter()
        .map(|&p| para(p))
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// Archives bodies as separate items of feed `a`, in the given order; returns the story of
/// each body (by body index).
fn ingest_in_order(bodies: &[String], order: &[usize]) -> Vec<i64> {
    let (_d, mut store, ids) = setup();
    let mut article_of = vec![0i64; bodies.len()];
    for &i in order {
        let url = format!("https://a.example/{i}");
        let out = store
            .apply_poll(&poll(
                ids[0],
                vec![item(
                    &format!("g{i}"),
                    &url,
                    Some(content(&url, "t", &bodies[i])),
                )],
            ))
            .unwrap()
            .items;
        let ItemOutcome::New(id) = out[0] else {
            panic!("{out:?}")
        };
        article_of[i] = id.0;
    }
    article_of
        .iter()
        .map(|&a| store.article(a).unwrap().unwrap().story)
        .collect()
}

/// Same partition: bodies i and j share a story in one run iff they do in the other.
fn same_partition(a: &[i64], b: &[i64]) -> bool {
    (0..a.len()).all(|i| (0..a.len()).all(|j| (a[i] == a[j]) == (b[i] == b[j])))
}

on_both! {
fn a_bridging_copy_merges_two_stories_whatever_the_order() {
    // A and C share nothing; B contains both, so all three are one story.
    let bodies = vec![
        body(&[1, 2, 3]),
        body(&[1, 2, 3, 4, 5, 6]),
        body(&[4, 5, 6]),
        body(&[7, 8, 9]),
    ];
    let reference = ingest_in_order(&bodies, &[0, 1, 2, 3]);
    assert_eq!(reference[0], reference[1]);
    assert_eq!(reference[1], reference[2]);
    assert_ne!(reference[0], reference[3]);
    for order in [[0, 2, 1, 3], [2, 1, 0, 3], [3, 2, 0, 1], [1, 3, 2, 0]] {
        let got = ingest_in_order(&bodies, &order);
        assert!(same_partition(&reference, &got), "order {order:?}: {got:?}");
    }
}
}

on_both! {
fn merges_are_recorded() {
    let (_d, mut store, ids) = setup();
    for (i, b) in [
        body(&[1, 2, 3]),
        body(&[4, 5, 6]),
        body(&[1, 2, 3, 4, 5, 6]),
    ]
    .iter()
    .enumerate()
    {
        let url = format!("https://a.example/{i}");
        store
            .apply_poll(&poll(
                ids[0],
                vec![item(&format!("g{i}"), &url, Some(content(&url, "t", b)))],
            ))
            .unwrap();
    }
    let merges: i64 = store
        .conn
        .query_row("SELECT count(*) FROM story_merges", [], |r| r.get(0))
        .unwrap();
    assert_eq!(merges, 1);
    assert_eq!(store.stats(2, now()).unwrap().stories, 1);
    let view = store.article(1).unwrap().unwrap();
    assert_eq!(view.copies, 3);
    let methods: Vec<&str> = view
        .story_copies
        .iter()
        .map(|c| c.method.as_str())
        .collect();
    assert_eq!(
        methods.iter().filter(|m| **m == "minhash").count(),
        1,
        "{methods:?}"
    );
}
}

on_both! {
fn the_newest_stories_without_words_or_filters_are_those_a_filtered_search_gives() {
    let (_d, mut store, ids) = setup();
    let add = |store: &mut Store, i: usize, b: &str, day: u32| {
        let url = format!("https://a.example/{i}");
        let mut c = content(&url, &format!("copy {i}"), b);
        c.published = Some(
            chrono::FixedOffset::east_opt(8 * 3600)
                .unwrap()
                .with_ymd_and_hms(2024, 11, day, 10, 0, 0)
                .unwrap(),
        );
        store
            .apply_poll(&poll(ids[0], vec![item(&format!("g{i}"), &url, Some(c))]))
            .unwrap();
    };
    // A story of two copies (the later one archived first), and three of one.
    add(&mut store, 0, &body(&[1, 2, 3, 4]), 21);
    add(&mut store, 1, &body(&[1, 2, 3, 4, 5]), 20);
    add(&mut store, 2, &body(&[10, 11, 12]), 22);
    add(&mut store, 3, &body(&[20, 21, 22]), 19);
    add(&mut store, 4, &body(&[30, 31, 32]), 23);
    for sort in [SortOrder::Newest, SortOrder::Oldest, SortOrder::Relevance] {
        for (limit, offset) in [(10, 0), (2, 1)] {
            let everything = SearchRequest {
                limit,
                offset,
                sort,
                ..SearchRequest::default()
            };
            // A filter every article passes takes the general way.
            let filtered = SearchRequest {
                ranges: vec![(Some(0), None)],
                ..everything.clone()
            };
            let rows = |req: &SearchRequest| -> Vec<(i64, i64, String)> {
                store
                    .search(req, &|_| String::new())
                    .unwrap()
                    .into_iter()
                    .map(|h| (h.id, h.copies, h.title))
                    .collect()
            };
            let fast = rows(&everything);
            assert_eq!(fast, rows(&filtered), "{sort:?} {limit} {offset}");
            if (sort, offset) == (SortOrder::Newest, 0) {
                let titles: Vec<&str> = fast.iter().map(|r| r.2.as_str()).collect();
                assert_eq!(titles, ["copy 4", "copy 2", "copy 1", "copy 3"]);
                assert_eq!(fast[2].1, 2);
            }
        }
    }
}
}

on_both! {
fn the_earliest_copy_represents_the_story_unless_another_is_much_more_complete() {
    let (_d, mut store, ids) = setup();
    let publish = |day: u32| {
        Some(
            chrono::FixedOffset::east_opt(8 * 3600)
                .unwrap()
                .with_ymd_and_hms(2024, 11, day, 10, 0, 0)
                .unwrap(),
        )
    };
    let add = |store: &mut Store, i: usize, b: &str, day: u32| {
        let url = format!("https://a.example/{i}");
        let mut c = content(&url, &format!("copy {i}"), b);
        c.published = publish(day);
        let out = store
            .apply_poll(&poll(ids[0], vec![item(&format!("g{i}"), &url, Some(c))]))
            .unwrap()
            .items;
        let ItemOutcome::New(id) = out[0] else {
            panic!()
        };
        id.0
    };
    let later = add(&mut store, 0, &body(&[1, 2, 3, 4]), 21);
    let earlier = add(&mut store, 1, &body(&[1, 2, 3, 4, 5]), 20);
    let hits = store.search_plain(&request("\"p1w1\"")).unwrap();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].id, earlier, "the earlier copy represents the story");
    assert_eq!(hits[0].copies, 2);
    let view = store.article(later).unwrap().unwrap();
    assert!(
        view.story_copies
            .iter()
            .any(|c| c.id == earlier && c.earliest)
    );
    // A much fuller copy, published last, takes over.
    let full = add(&mut store, 2, &body(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]), 22);
    let hits = store.search_plain(&request("\"p1w1\"")).unwrap();
    assert_eq!(hits[0].id, full);
}
}

on_both! {
fn a_revised_article_keeps_its_old_text_as_a_version_and_search_sees_the_new() {
    let (_d, mut store, ids) = setup();
    let url = "https://a.example/x";
    let out = store
        .apply_poll(&poll(
            ids[0],
            vec![item(
                "g1",
                url,
                Some(content(url, "Jembatan", &body(&[1, 2]))),
            )],
        ))
        .unwrap()
        .items;
    let ItemOutcome::New(id) = out[0] else {
        panic!()
    };
    let mut w = poll(ids[0], vec![]);
    w.work.revisions = vec![RevisionWrite {
        guid: "g1".into(),
        article_id: id,
        revision: None,
        content: Some((
            vec![],
            content(url, "Jembatan (diperbarui)", &body(&[1, 3])),
        )),
    }];
    store.apply_poll(&w).unwrap();
    let view = store.article(id.0).unwrap().unwrap();
    assert_eq!(view.version, 2);
    assert_eq!(view.title, "Jembatan (diperbarui)");
    let versions = store.versions(id.0).unwrap();
    assert_eq!(versions.len(), 1);
    assert_eq!(versions[0].body, body(&[1, 2]));
    assert!(
        store.search_plain(&request("\"p2w7\"")).unwrap().is_empty(),
        "old text is not searched"
    );
    assert_eq!(store.search_plain(&request("\"p3w7\"")).unwrap().len(), 1);
    // The same text again is not a new version.
    store.apply_poll(&w).unwrap();
    assert_eq!(store.versions(id.0).unwrap().len(), 1);
}
}

on_both! {
fn alerts_are_queued_with_their_article_once_a_story_and_again_on_revision_when_asked() {
    let (_d, mut store, ids) = setup();
    let watch = |name: &str, delivery: Delivery| {
        crate::search::compile_watch(
            name,
            "jembatan",
            &crate::search::Filters {
                limit: 1,
                ..crate::search::Filters::default()
            },
            &crate::search::aliases::Aliases::new(&[]),
            crate::search::ArchiveWords {
                prefix_words: &|_| Vec::new(),
                word_docs: &|_| 0,
            },
        )
        .unwrap()
        .with_delivery(delivery)
    };
    let hook = vec!["https://h.example/x".to_string()];
    store.set_watches(std::sync::Arc::new(WatchSet::new(vec![
        watch(
            "revisi",
            Delivery {
                targets: hook.clone(),
                digest: false,
                on_revision: true,
            },
        ),
        watch(
            "sekali",
            Delivery {
                targets: hook.clone(),
                digest: false,
                on_revision: false,
            },
        ),
        watch(
            "harian",
            Delivery {
                targets: hook.clone(),
                digest: true,
                on_revision: true,
            },
        ),
    ])));
    let (url, copy) = ("https://a.example/x", "https://b.example/y");
    let out = store
        .apply_poll(&poll(
            ids[0],
            vec![item(
                "g1",
                url,
                Some(content(url, "Jembatan", &body(&[1, 2]))),
            )],
        ))
        .unwrap()
        .items;
    let ItemOutcome::New(id) = out[0] else {
        panic!()
    };
    // The same story from another feed fires nothing more.
    store
        .apply_poll(&poll(
            ids[1],
            vec![item(
                "g2",
                copy,
                Some(content(copy, "Jembatan", &body(&[1, 2]))),
            )],
        ))
        .unwrap();
    let mut w = poll(ids[0], vec![]);
    w.work.revisions = vec![RevisionWrite {
        guid: "g1".into(),
        article_id: id,
        revision: None,
        content: Some((
            vec![],
            content(url, "Jembatan (diperbarui)", &body(&[1, 3])),
        )),
    }];
    store.apply_poll(&w).unwrap();
    store.apply_poll(&w).unwrap();
    let later = now() + chrono::Duration::hours(1);
    let due = store.due_alerts(later, 100).unwrap();
    let made: Vec<(&str, AlertKind, Option<i64>)> = due
        .iter()
        .map(|a| (a.watch.as_str(), a.kind, a.version))
        .collect();
    assert_eq!(
        made,
        vec![
            ("revisi", AlertKind::Story, None),
            ("sekali", AlertKind::Story, None),
            ("revisi", AlertKind::Revision, Some(2)),
        ]
    );
    assert!(due.iter().all(|a| a.key.len() == 32 && a.target == hook[0]));

    // The digest watch waits for its day to close: one alert, then none for the same day.
    let day = now() + chrono::Duration::hours(20);
    assert_eq!(
        store
            .close_digest("harian", &hook, day, day - chrono::Duration::days(1))
            .unwrap(),
        1
    );
    assert_eq!(
        store
            .close_digest("harian", &hook, day, day - chrono::Duration::days(1))
            .unwrap(),
        0
    );
    let (since, until) = (
        crate::model::rfc3339(&(day - chrono::Duration::days(1))),
        crate::model::rfc3339(&day),
    );
    let stories = store.digest_stories("harian", &since, &until).unwrap();
    assert_eq!(stories.len(), 1);
    assert_eq!(stories[0].article, id.0);
    // A day with nothing found is closed without an alert.
    let next = day + chrono::Duration::days(1);
    assert_eq!(store.close_digest("harian", &hook, next, day).unwrap(), 0);

    let summary = store.alert_summaries().unwrap();
    let waiting: Vec<(&str, i64)> = summary
        .iter()
        .map(|s| (s.watch.as_str(), s.waiting))
        .collect();
    assert_eq!(waiting, vec![("harian", 1), ("revisi", 2), ("sekali", 1)]);
    store.alert_sent(due[0].id, later).unwrap();
    store
        .alert_failed(
            due[1].id,
            later,
            "HTTP 503 from h.example",
            Some(later + chrono::Duration::minutes(1)),
        )
        .unwrap();
    store
        .alert_failed(due[2].id, later, "HTTP 404 from h.example", None)
        .unwrap();
    let s = store.alert_summaries().unwrap();
    let revisi = s.iter().find(|s| s.watch == "revisi").unwrap();
    assert_eq!((revisi.sent, revisi.waiting, revisi.failed), (1, 0, 1));
    let sekali = s.iter().find(|s| s.watch == "sekali").unwrap();
    assert_eq!((sekali.waiting, sekali.retrying), (1, 1));
    assert_eq!(
        sekali.last_error.as_deref(),
        Some("HTTP 503 from h.example")
    );
    assert!(
        store
            .due_alerts(later, 100)
            .unwrap()
            .iter()
            .all(|a| a.watch == "harian")
    );
}
}

impl Store {
    /// Search with snippets that are the whole body, for assertions.
    fn search_plain(&self, req: &SearchRequest) -> Result<Vec<SearchHit>, StoreError> {
        let words: Vec<String> = req
            .fts
            .as_deref()
            .unwrap_or("")
            .split('"')
            .skip(1)
            .step_by(2)
            .map(str::to_string)
            .collect();
        let h = crate::search::snippet::Highlighter::new(&words, &[]);
        self.search(req, &|b| h.snippet(b))
    }
}

on_both! {
fn broad_queries_rank_only_the_newest_matches() {
    let (_d, mut store, ids) = setup();
    let mut items = Vec::new();
    for i in 0..5 {
        let url = format!("https://a.example/{i}");
        items.push(item(
            &format!("g{i}"),
            &url,
            Some(content(&url, "t", &format!("{} umum", body(&[i + 1])))),
        ));
    }
    store.apply_poll(&poll(ids[0], items)).unwrap();
    let req = request("\"umum\"");
    // PostgreSQL ranks a share of the cap asked for.
    let k = store.rank_share();
    assert_eq!(store.ranking_cutoff(&req, 10 * k).unwrap(), None);
    assert_eq!(
        store.ranking_cutoff(&req, 5 * k).unwrap(),
        None,
        "exactly the cap"
    );
    let cutoff = store.ranking_cutoff(&req, 2 * k).unwrap().expect("capped");
    let capped = SearchRequest {
        min_rowid: Some(cutoff),
        ..req.clone()
    };
    let hits = store.search_plain(&capped).unwrap();
    let mut got: Vec<i64> = hits.iter().map(|h| h.id).collect();
    got.sort();
    assert_eq!(got, vec![4, 5], "the two newest matches");
    // Date sorts list everything.
    let newest = SearchRequest {
        sort: SortOrder::Newest,
        ..req
    };
    assert_eq!(store.ranking_cutoff(&newest, 2).unwrap(), None);
}
}

on_both! {
/// A word the newest articles lack: its newest matches lie far behind the newest ids (on
/// PostgreSQL the cutoff is looked for in widening stretches of ids, `newest_cutoff_pg`).
fn ranking_cutoff_finds_the_newest_matches_behind_many_newer_articles() {
    let (_d, mut store, ids) = setup();
    let mut items = Vec::new();
    for i in 0..80 {
        let url = format!("https://a.example/{i}");
        let word = if i < 12 { "lama" } else { "baru" };
        items.push(item(
            &format!("g{i}"),
            &url,
            Some(content(&url, "t", &format!("{} {word}", body(&[i + 1])))),
        ));
    }
    // Feed b carries the first four, so a feed filter leaves matches 1-4.
    let b_items: Vec<ItemWrite> = items[..4].to_vec();
    store.apply_poll(&poll(ids[0], items)).unwrap();
    store.apply_poll(&poll(ids[1], b_items)).unwrap();
    let k = store.rank_share();
    let req = request("\"lama\"");
    assert_eq!(store.ranking_cutoff(&req, 3 * k).unwrap(), Some(10), "matches 10-12");
    assert_eq!(store.ranking_cutoff(&req, 11 * k).unwrap(), Some(2));
    assert_eq!(store.ranking_cutoff(&req, 12 * k).unwrap(), None, "all twelve");
    let in_b = SearchRequest {
        feeds: vec!["b".into()],
        ..req.clone()
    };
    assert_eq!(store.ranking_cutoff(&in_b, 2 * k).unwrap(), Some(3), "matches 3-4 of b");
    assert_eq!(store.ranking_cutoff(&in_b, 4 * k).unwrap(), None);
    // Ranked: those newest three only, narrowed first (as `warta search`) or by the cap
    // the request carries (as `warta serve`).
    let ids_of = |hits: Vec<SearchHit>| {
        let mut ids: Vec<i64> = hits.iter().map(|h| h.id).collect();
        ids.sort();
        ids
    };
    let mut narrowed = req.clone();
    assert_eq!(store.narrow_to_newest(&mut narrowed, 3 * k).unwrap(), Some(3));
    assert_eq!(ids_of(store.search_plain(&narrowed).unwrap()), vec![10, 11, 12]);
    let carried = SearchRequest {
        rank_cap: Some(3 * k),
        ..req.clone()
    };
    assert_eq!(ids_of(store.search_plain(&carried).unwrap()), vec![10, 11, 12]);
    let mut in_b_narrowed = in_b.clone();
    assert_eq!(store.narrow_to_newest(&mut in_b_narrowed, 2 * k).unwrap(), Some(2));
    assert_eq!(ids_of(store.search_plain(&in_b_narrowed).unwrap()), vec![3, 4]);
    // Within a stretch of ids (as dates give), the feed's articles there.
    let in_b_within = SearchRequest {
        id_bounds: IdBounds::Within(2, 40),
        ..in_b.clone()
    };
    assert_eq!(ids_of(store.search_plain(&in_b_within).unwrap()), vec![2, 3, 4]);
    assert_eq!(store.count(&in_b_within).unwrap().stories, 3);
    let mut within_narrowed = in_b_within.clone();
    assert_eq!(store.narrow_to_newest(&mut within_narrowed, 2 * k).unwrap(), Some(2));
    assert_eq!(ids_of(store.search_plain(&within_narrowed).unwrap()), vec![3, 4]);
    // The facets count the newest matches the same way.
    let facets = store.facets(&req, 5).unwrap();
    assert_eq!(facets.capped, Some(5));
    assert_eq!(facets.feeds, vec![("a".to_string(), 5)], "matches 8-12, all in a");
    let all = store.facets(&req, 50).unwrap();
    assert_eq!(all.capped, None);
    assert_eq!(all.feeds, vec![("a".to_string(), 12), ("b".to_string(), 4)]);
}
}

on_both! {
/// `serve`'s readers (and every command that only reads) cannot change the archive.
fn a_store_opened_to_read_cannot_write() {
    let (_d, mut store, ids) = setup();
    let url = "https://a.example/1";
    store
        .apply_poll(&poll(ids[0], vec![item("g1", url, Some(content(url, "t", &body(&[1]))))]))
        .unwrap();
    let reader = Store::open_with(store.path(), OpenMode::Read).unwrap();
    assert_eq!(reader.search_plain(&request("\"p1w3\"")).unwrap().len(), 1);
    let wrote = reader
        .conn
        .execute("UPDATE articles SET title = 'changed'", []);
    assert!(wrote.is_err(), "a reader wrote");
    let title: String = store
        .conn
        .query_row("SELECT title FROM articles", [], |r| r.get(0))
        .unwrap();
    assert_eq!(title, "t");
}
}

/// `store`'s archive taken back to schema `version` and opened again (its migrations from
/// there run), as an archive from before them would be.
fn reopened_from(store: Store, version: usize) -> Store {
    store
        .conn
        .execute_batch(&super::schema::rewind_to(version))
        .unwrap();
    let path = store.path().to_path_buf();
    drop(store);
    Store::open(&path).unwrap()
}

/// The ids the index finds for an FTS5 expression.
fn fts_ids(store: &Store, expression: &str) -> Vec<i64> {
    store
        .conn
        .prepare("SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?1 ORDER BY rowid")
        .unwrap()
        .query_map([expression], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[test]
fn an_archive_keyed_under_another_name_table_is_rekeyed_on_open() {
    let (dir, mut store, ids) = setup();
    let spelled = "Seluruh Aparatur Sipil Negara di Kutai Timur wajib hadir pada apel pagi.";
    // Written the way an archive from before the keys holds it: roots only.
    let mut old = content("https://a.example/1", "Apel pagi", spelled);
    old.stems = crate::stem::index_stems_id(spelled);
    let mut fresh = content("https://a.example/2", "Jembatan", BODY);
    fresh.stems = crate::stem::article_stems(Some("id"), "Jembatan", BODY);
    store
        .apply_poll(&poll(
            ids[0],
            vec![
                item("1", "https://a.example/1", Some(old)),
                item("2", "https://a.example/2", Some(fresh)),
            ],
        ))
        .unwrap();
    assert!(fts_ids(&store, "\"asn\"").is_empty());
    assert_eq!(
        fts_ids(&store, "\"kutim\"").len(),
        1,
        "the fresh one is keyed"
    );
    // An older table that knew no ASN, and a key this build no longer has.
    store
        .conn
        .execute(
            "UPDATE meta SET value = 'kutim|kutai timur\nxyzzy|jembatan baru' WHERE key = 'name_keys'",
            [],
        )
        .unwrap();
    store
        .conn
        .execute(
            "UPDATE articles SET stems = stems || ' xyzzy' WHERE url = 'https://a.example/2'",
            [],
        )
        .unwrap();
    let path = store.path().to_path_buf();
    drop(store);
    let store = Store::open(&path).unwrap();
    let all = fts_ids(&store, "\"kutim\"");
    assert_eq!(all.len(), 2, "both name Kutai Timur");
    assert_eq!(
        fts_ids(&store, "\"asn\""),
        fts_ids(&store, "\"aparatur sipil negara\"")
    );
    assert!(
        fts_ids(&store, "\"xyzzy\"").is_empty(),
        "a dropped key is gone"
    );
    assert_eq!(store.integrity_check().unwrap(), "ok");
    // Opening again changes nothing.
    drop(store);
    let store = Store::open(&path).unwrap();
    assert_eq!(fts_ids(&store, "\"kutim\"").len(), 2);
    drop(dir);
}

#[test]
fn prefixes_expand_to_their_most_frequent_words() {
    let (dir, mut store, ids) = setup();
    let texts = [
        "Banjir melanda Samarinda, banjir surut sore.",
        "Banjir lagi di Banjarmasin.",
        "Warga Banjarbaru membantu korban.",
    ];
    let items: Vec<ItemWrite> = texts
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let url = format!("https://a.example/{i}");
            item(&format!("g{i}"), &url, Some(content(&url, "Berita", t)))
        })
        .collect();
    store.apply_poll(&poll(ids[0], items)).unwrap();
    let found = store.prefix_words("BANJ").unwrap();
    // Counted per article, not per occurrence; ties alphabetical.
    assert_eq!(found.words, ["banjir", "banjarbaru", "banjarmasin"]);
    assert!(!found.capped);
    assert!(store.prefix_words("zzz").unwrap().words.is_empty());
    assert!(
        store.prefix_words("covid-1").unwrap().words.is_empty(),
        "not one word"
    );

    // An archive from before the word counts gets them from its index on open.
    let store = reopened_from(store, 2);
    assert_eq!(
        store.prefix_words("banj").unwrap().words,
        ["banjir", "banjarbaru", "banjarmasin"]
    );
    drop(dir);
}

on_both! {
fn word_counts_add_up_over_a_batch_and_across_batches() {
    let (_dir, mut store, ids) = setup();
    let batch = |from: usize, texts: &[&str]| -> Vec<ItemWrite> {
        texts
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let url = format!("https://a.example/{}", from + i);
                item(
                    &format!("g{}", from + i),
                    &url,
                    Some(content(&url, "Berita", t)),
                )
            })
            .collect()
    };
    store
        .apply_poll(&poll(
            ids[0],
            batch(0, &["banjir banjir surut", "banjir lagi"]),
        ))
        .unwrap();
    store
        .apply_batch(
            ids[0],
            now(),
            &Work {
                items: batch(2, &["banjir dan longsor"]),
                ..Work::default()
            },
        )
        .unwrap();
    let docs = |term: &str| -> i64 {
        store
            .conn
            .query_row("SELECT docs FROM vocab WHERE term = ?1", [term], |r| {
                r.get(0)
            })
            .unwrap()
    };
    // Articles holding the word, not occurrences; the title counts once per article.
    assert_eq!(docs("banjir"), 3);
    assert_eq!(docs("surut"), 1);
    assert_eq!(docs("longsor"), 1);
    assert_eq!(docs("berita"), 3);
}
}

/// How many articles the vocabulary says hold `term` (None: not a word of the index).
fn vocab_docs(store: &Store, term: &str) -> Option<i64> {
    store
        .conn
        .query_row("SELECT docs FROM vocab WHERE term = ?1", [term], |r| {
            r.get(0)
        })
        .optional()
        .unwrap()
}

on_both! {
fn only_new_articles_count_their_words_when_polls_share_a_transaction() {
    let (_dir, mut store, ids) = setup();
    // Enough articles that their words are worked out beside the writer.
    let mut items: Vec<ItemWrite> = (0..12)
        .map(|i| {
            let url = format!("https://a.example/{i}");
            let body = format!("banjir kata{i:02} surut");
            item(&format!("g{i}"), &url, Some(content(&url, "Berita", &body)))
        })
        .collect();
    // The same URL under another guid: a duplicate, whose text is not indexed again.
    items.push(item(
        "again",
        "https://a.example/0",
        Some(content("https://a.example/0", "Lain", "longsor")),
    ));
    let second = vec![item(
        "g-b",
        "https://b.example/1",
        Some(content("https://b.example/1", "Berita", "banjir bandang")),
    )];
    let out = store
        .apply_polls(&[poll(ids[0], items), poll(ids[1], second)])
        .unwrap();
    assert_eq!(out.len(), 2);
    assert!(matches!(out[0].items[12], ItemOutcome::Duplicate(_)));
    assert!(matches!(out[1].items[0], ItemOutcome::New(_)));
    let docs = |term: &str| vocab_docs(&store, term);
    assert_eq!(docs("banjir"), Some(13));
    assert_eq!(docs("berita"), Some(13));
    assert_eq!(docs("kata07"), Some(1));
    assert_eq!(docs("bandang"), Some(1));
    assert_eq!(docs("longsor"), None);
    assert_eq!(docs("lain"), None);
}
}

on_both! {
fn words_worked_out_before_the_write_are_those_of_the_final_text() {
    let (_dir, mut store, ids) = setup();
    let ready = content("https://a.example/1", "Banjir", "banjir surut").with_words();
    // Title and body changed after the words were worked out (as a feed's headline
    // replaces the page's): the writer counts the text it stores, not the stale words.
    let mut changed = content("https://a.example/2", "Lama", "kata lama").with_words();
    changed.title = "Baru".into();
    changed.body = "longsor".into();
    changed.stems = String::new();
    store
        .apply_poll(&poll(
            ids[0],
            vec![
                item("g1", "https://a.example/1", Some(ready)),
                item("g2", "https://a.example/2", Some(changed)),
            ],
        ))
        .unwrap();
    let docs = |term: &str| vocab_docs(&store, term);
    assert_eq!(docs("banjir"), Some(1));
    assert_eq!(docs("surut"), Some(1));
    assert_eq!(docs("baru"), Some(1));
    assert_eq!(docs("longsor"), Some(1));
    assert_eq!(docs("lama"), None);
}
}

on_both! {
fn a_prefix_of_many_words_is_capped_at_the_most_frequent() {
    let (_dir, mut store, ids) = setup();
    let mut items = Vec::new();
    for i in 0..(MAX_PREFIX_WORDS + 8) {
        // Word `kata{i}` in i+1 articles' worth of counting: article i holds kata0..=katai.
        let body: Vec<String> = (0..=i).map(|j| format!("kata{j:03}")).collect();
        let url = format!("https://a.example/{i}");
        items.push(item(
            &format!("g{i}"),
            &url,
            Some(content(&url, "t", &body.join(" "))),
        ));
    }
    store.apply_poll(&poll(ids[0], items)).unwrap();
    let found = store.prefix_words("kata").unwrap();
    assert!(found.capped);
    assert_eq!(found.words.len(), MAX_PREFIX_WORDS);
    assert_eq!(found.words.first().map(String::as_str), Some("kata000"));
    assert!(
        !found
            .words
            .contains(&format!("kata{:03}", MAX_PREFIX_WORDS + 7))
    );
}
}

on_both! {
fn many_alternatives_rank_fewer_matches() {
    assert_eq!(rank_cap_for("\"hari\""), RANK_CAP);
    assert_eq!(
        rank_cap_for("(\"kutim\" OR \"kutai timur\") AND \"banjir\""),
        RANK_CAP
    );
    let words: Vec<String> = (0..32).map(|i| format!("\"kata{i}\"")).collect();
    assert_eq!(rank_cap_for(&words.join(" OR ")), RANK_CAP / 8);
    let many: Vec<String> = (0..500).map(|i| format!("\"kata{i}\"")).collect();
    assert_eq!(rank_cap_for(&many.join(" OR ")), RANK_CAP / 20, "a floor");
}
}

on_both! {
/// Kept pages read back whichever way they were compressed: as earlier versions did (a
/// streaming frame from `zstd::encode_all`) or through a pooled, reused context, at
/// every level, small and large, one after another.
fn kept_pages_compressed_before_and_now_read_back() {
    let page = |n: usize| {
        format!(
            "<html><body>{}</body></html>",
            "<p>Bupati Kutai Timur menyalurkan bantuan. </p>".repeat(n)
        )
        .into_bytes()
    };
    let pages = [page(1), page(3000), page(40_000), Vec::new(), page(7)];
    for html in &pages {
        let before = zstd::encode_all(html.as_slice(), 3).unwrap();
        assert_eq!(zstd::decode_all(before.as_slice()).unwrap(), *html);
        assert_eq!(crate::store::raw_html(&before, 1 << 22).unwrap(), *html);
        for level in [RAW_ZSTD_LEVEL, 1, 2, 3, RAW_ZSTD_LEVEL] {
            let now = crate::store::compress_raw_at(html, level).unwrap();
            assert_eq!(zstd::decode_all(now.as_slice()).unwrap(), *html);
            assert_eq!(crate::store::raw_html(&now, 1 << 22).unwrap(), *html);
            assert_eq!(now.capacity(), now.len());
        }
        assert_eq!(
            crate::store::compress_raw(html).unwrap(),
            crate::store::compress_raw_at(html, RAW_ZSTD_LEVEL).unwrap()
        );
    }
}
}

on_both! {
/// A page kept as the gzip body it came in reads back as a zstd-kept one does; anything
/// that is neither, is damaged, or inflates past the cap is an error, never a panic or an
/// unbounded allocation.
fn kept_pages_read_back_from_zstd_or_gzip_within_a_cap() {
    use std::io::Write;
    let html = "<html><body><p>Banjir di Sangatta, Köln.</p></body></html>".repeat(50);
    let html = html.as_bytes();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(6));
    gz.write_all(html).unwrap();
    let gz = gz.finish().unwrap();
    let zst = crate::store::compress_raw(html).unwrap();
    for kept in [&gz, &zst] {
        assert_eq!(
            crate::store::raw_html(kept, html.len() as u64).unwrap(),
            html
        );
        let e = crate::store::raw_html(kept, html.len() as u64 - 1).unwrap_err();
        assert!(e.contains("larger than fetch.max_body"), "{e}");
        let short = &kept[..kept.len() - 9];
        let e = crate::store::raw_html(short, 1 << 20).unwrap_err();
        assert!(e.contains("does not decompress"), "{e}");
    }
    // Two gzip members are one page, as when it was fetched.
    let mut two = gz.clone();
    two.extend_from_slice(&gz);
    assert_eq!(
        crate::store::raw_html(&two, 1 << 20).unwrap(),
        [html, html].concat()
    );
    let e = crate::store::raw_html(b"<html>plain</html>", 1 << 20).unwrap_err();
    assert!(e.contains("neither zstd nor gzip"), "{e}");
    assert!(crate::store::raw_html(b"", 1 << 20).is_err());
    assert!(crate::store::raw_html(b"\x1f\x8b", 1 << 20).is_err());
    assert!(crate::store::raw_html(b"\x28\xb5\x2f\xfd\x00", 1 << 20).is_err());
}
}

on_both! {
fn batches_of_several_polls_in_one_transaction_are_written_as_one_after_another() {
    let (_dir, mut store, ids) = setup();
    let first = Work {
        items: vec![item(
            "a1",
            "https://a.example/1",
            Some(content(
                "https://a.example/1",
                "Banjir",
                "banjir di Sangatta surut",
            )),
        )],
        ..Work::default()
    };
    // The other feed's copy of the same page, written later in the same transaction.
    let second = Work {
        items: vec![
            item(
                "b1",
                "https://a.example/1",
                Some(content(
                    "https://a.example/1",
                    "Banjir",
                    "banjir di Sangatta surut",
                )),
            ),
            item(
                "b2",
                "https://b.example/2",
                Some(content(
                    "https://b.example/2",
                    "Longsor",
                    "longsor di Samarinda",
                )),
            ),
        ],
        ..Work::default()
    };
    let out = store
        .apply_batches(&[(ids[0], now(), &first), (ids[1], now(), &second)])
        .unwrap();
    assert_eq!(out.len(), 2);
    assert!(matches!(out[0][..], [ItemOutcome::New(_)]));
    assert!(matches!(
        out[1][..],
        [ItemOutcome::Duplicate(_), ItemOutcome::New(_)]
    ));
    assert_eq!(vocab_docs(&store, "banjir"), Some(1));
    assert_eq!(vocab_docs(&store, "longsor"), Some(1));
}
}

#[test]
fn a_filtered_search_ranks_the_newest_matches_that_pass_its_filters() {
    let (_d, mut store, ids) = setup();
    let mut items = Vec::new();
    // Two older articles (2022) under three newer ones (2024), all with the word.
    for (i, year) in [2022, 2022, 2024, 2024, 2024].into_iter().enumerate() {
        let url = format!("https://a.example/{i}");
        let mut c = content(&url, "t", &format!("{} umum", body(&[i + 1])));
        c.published =
            chrono::DateTime::parse_from_rfc3339(&format!("{year}-03-0{}T10:00:00+08:00", i + 1))
                .ok();
        items.push(item(&format!("g{i}"), &url, Some(c)));
    }
    store.apply_poll(&poll(ids[0], items)).unwrap();
    let ts = |s: &str| chrono::DateTime::parse_from_rfc3339(s).unwrap().timestamp();
    let mut old = SearchRequest {
        ranges: vec![(
            Some(ts("2022-01-01T00:00:00Z")),
            Some(ts("2022-12-31T23:59:59Z")),
        )],
        rank_cap: Some(2),
        ..request("\"umum\"")
    };
    store.bound_dates(&mut old).unwrap();
    assert_eq!(
        old.id_bounds,
        IdBounds::Within(1, 2),
        "the 2022 articles' ids"
    );
    // The newest two matches of the word are from 2024; those of the request are 1 and 2.
    let mut got: Vec<i64> = store
        .search_plain(&old)
        .unwrap()
        .iter()
        .map(|h| h.id)
        .collect();
    got.sort();
    assert_eq!(
        got,
        vec![1, 2],
        "the 2022 matches found, not cut off by newer ones"
    );
    assert_eq!(store.count(&old).unwrap().stories, 2);
    let facets = store.facets(&old, 10).unwrap();
    assert_eq!(facets.months, vec![("2022-03".to_string(), 2)]);
    // Capped below the filtered matches: the newest of *them*.
    let one = SearchRequest {
        rank_cap: Some(1),
        ..old.clone()
    };
    assert_eq!(store.ranking_cutoff(&one, 1).unwrap(), Some(2));
    let got: Vec<i64> = store
        .search_plain(&one)
        .unwrap()
        .iter()
        .map(|h| h.id)
        .collect();
    assert_eq!(got, vec![2]);
    // A year with no article: bounds that hold nothing, and no match.
    let mut empty = SearchRequest {
        ranges: vec![(
            Some(ts("2023-01-01T00:00:00Z")),
            Some(ts("2023-12-31T23:59:59Z")),
        )],
        ..request("\"umum\"")
    };
    store.bound_dates(&mut empty).unwrap();
    assert!(matches!(empty.id_bounds, IdBounds::Within(f, l) if f > l));
    assert!(store.search_plain(&empty).unwrap().is_empty());
    // Filters without words, bounded the same way.
    let dated = SearchRequest {
        fts: None,
        ranges: vec![(Some(ts("2024-01-01T00:00:00Z")), None)],
        ..request("")
    };
    let got: Vec<i64> = store
        .search_plain(&dated)
        .unwrap()
        .iter()
        .map(|h| h.id)
        .collect();
    assert_eq!(got, vec![5, 4, 3]);

    // An archive from before the months' stretches gets them from its articles on open.
    let store = reopened_from(store, 10);
    let mut again = SearchRequest {
        id_bounds: IdBounds::Unknown,
        ..old.clone()
    };
    store.bound_dates(&mut again).unwrap();
    assert_eq!(again.id_bounds, IdBounds::Within(1, 2));
    // A revision that moves an article to another month widens that month's stretch.
    store
        .conn
        .execute(
            "UPDATE articles SET published_ts = ?1 WHERE id = 5",
            [ts("2022-03-15T00:00:00Z")],
        )
        .unwrap();
    let mut moved = SearchRequest {
        id_bounds: IdBounds::Unknown,
        rank_cap: None,
        ..old.clone()
    };
    store.bound_dates(&mut moved).unwrap();
    assert_eq!(moved.id_bounds, IdBounds::Within(1, 5));
    let mut got: Vec<i64> = store
        .search_plain(&moved)
        .unwrap()
        .iter()
        .map(|h| h.id)
        .collect();
    got.sort();
    assert_eq!(got, vec![1, 2, 5]);
}

/// Two writers on one PostgreSQL archive (two daemons) taking in copies of the same
/// releases at the same instant, each through its own connection: every exact copy is
/// one article, every rewrite joins its release's story. Without the writers' lock both
/// would find nothing archived yet and write the release twice.
#[test]
fn concurrent_writers_on_postgres_keep_one_article_per_release_and_one_story() {
    let Some((first, second, ids)) = postgres_pair("concurrent_writers") else {
        return;
    };
    const RELEASES: usize = 40;
    let barrier = std::sync::Barrier::new(2);
    let write = |mut store: Store, feed: i64, site: &str, rewrite: bool| {
        let mut outcomes = Vec::new();
        for n in 0..RELEASES {
            // Odd releases reach the second site rewritten: a paragraph of its own added.
            let text = if rewrite && n % 2 == 1 {
                body(&[n * 10, n * 10 + 1, n * 10 + 2, n * 10 + 3, 9000 + n])
            } else {
                body(&[n * 10, n * 10 + 1, n * 10 + 2, n * 10 + 3])
            };
            let link = format!("https://{site}.example/rilis/{n}");
            let it = item(
                &format!("{site}-{n}"),
                &link,
                Some(content(&link, "Rilis", &text)),
            );
            barrier.wait();
            outcomes.push(store.apply_poll(&poll(feed, vec![it])).unwrap().items[0]);
        }
        (store, outcomes)
    };
    let ((store, a), (_, b)) = std::thread::scope(|s| {
        let one = s.spawn(|| write(first, ids[0], "a", false));
        let two = s.spawn(|| write(second, ids[1], "b", true));
        (one.join().unwrap(), two.join().unwrap())
    });
    let new = |o: &[ItemOutcome]| {
        o.iter()
            .filter(|x| matches!(x, ItemOutcome::New(_)))
            .count()
    };
    // Each exact copy is one article (one of the two writers wrote it, the other found it);
    // each rewrite is an article of its own.
    assert_eq!(new(&a) + new(&b), RELEASES + RELEASES / 2, "{a:?}\n{b:?}");
    let stats = store.stats(2, now()).unwrap();
    assert_eq!(stats.articles, (RELEASES + RELEASES / 2) as i64);
    assert_eq!(
        stats.stories, RELEASES as i64,
        "a release split into two stories"
    );
    assert_eq!(stats.copies, 2 * RELEASES as i64);
}

/// Each article's stretch of ids in its index entry (schema 13), through every path that
/// writes the entry, and added when an older archive is opened.
#[test]
fn postgres_index_marks_each_articles_stretch_of_ids_through_every_write() {
    let Some((mut store, _, ids)) = postgres_pair("stretches") else {
        return;
    };
    let in_stretch = |store: &Store, lexeme: &str| -> i64 {
        store
            .conn
            .query_row(
                "SELECT count(*) FROM articles WHERE fts @@ ?1::text::tsquery",
                [format!("'{lexeme}'")],
                |r| r.get(0),
            )
            .unwrap()
    };
    let url = |i: usize| format!("https://a.example/{i}");
    let items = (0..3)
        .map(|i| {
            item(
                &format!("g{i}"),
                &url(i),
                Some(content(&url(i), "t", &body(&[i + 1]))),
            )
        })
        .collect();
    store.apply_poll(&poll(ids[0], items)).unwrap();
    assert_eq!(in_stretch(&store, "#0"), 3);
    // An article far along the ids (as after years of archiving) is in its own block.
    store
        .conn
        .execute(
            "ALTER TABLE articles ALTER COLUMN id RESTART WITH 10000",
            [],
        )
        .unwrap();
    let far = item("g9", &url(9), Some(content(&url(9), "t", &body(&[9]))));
    store.apply_poll(&poll(ids[0], vec![far])).unwrap();
    assert_eq!(in_stretch(&store, "#2"), 1, "10000 >> 12");
    assert_eq!(in_stretch(&store, "#0"), 3);
    // Rewritten entries (a regional name's keys, a re-extraction) keep it.
    super::pg_search::reindex(&store.conn, 1).unwrap();
    assert_eq!(in_stretch(&store, "#0"), 3);
    // The words and the stretch together, as the newest matches are asked for.
    let req = request("\"p9w1\"");
    let mut narrowed = req.clone();
    assert_eq!(store.narrow_to_newest(&mut narrowed, 1).unwrap(), None);
    assert_eq!(store.search_plain(&req).unwrap().len(), 1);
    // An archive from before schema 13 gets them when opened.
    store
        .conn
        .execute_batch(&super::pg_schema::rewind_to(12))
        .unwrap();
    assert_eq!(in_stretch(&store, "#0"), 0);
    let path = store.path().to_path_buf();
    drop(store);
    let store = Store::open(&path).unwrap();
    assert_eq!((in_stretch(&store, "#0"), in_stretch(&store, "#2")), (3, 1));
}

/// Phrases on PostgreSQL are asked of the index of neighbouring words too (schema 14): its
/// pairs are words side by side within one column, never across title and body; a phrase
/// finds what it found without the index; an archive from before it gets it when opened.
#[test]
fn postgres_phrases_are_asked_of_the_index_of_neighbouring_words() {
    let Some((mut store, _, ids)) = postgres_pair("pairs") else {
        return;
    };
    let docs = [
        ("Banjir di Sangatta", "Air pasang naik di pesisir."),
        ("Pesisir", "Pasang air di Sangatta, banjir."),
        ("Sangatta", "Air surut. Pasang lagi."),
    ];
    let url = |i: usize| format!("https://a.example/{i}");
    let items = docs
        .iter()
        .enumerate()
        .map(|(i, (title, text))| {
            // A paragraph of its own, so that the three are not one story.
            let text = format!("{text}\n\n{}", para(i + 1));
            item(
                &format!("g{i}"),
                &url(i),
                Some(content(&url(i), title, &text)),
            )
        })
        .collect();
    store.apply_poll(&poll(ids[0], items)).unwrap();
    let holding = |store: &Store, pair: &str| -> i64 {
        store
            .conn
            .query_row(
                "SELECT count(*) FROM articles WHERE pairs @> ARRAY[warta_pair(?1)]",
                [pair],
                |r| r.get(0),
            )
            .unwrap()
    };
    assert_eq!(holding(&store, "air pasang"), 1);
    assert_eq!(holding(&store, "pasang air"), 1);
    assert_eq!(holding(&store, "banjir di"), 1, "in a title");
    assert_eq!(
        holding(&store, "sangatta air"),
        0,
        "not across the third's title and body"
    );
    assert_eq!(
        holding(&store, "surut pasang"),
        1,
        "across a full stop, as FTS5 reads it"
    );
    let found = |store: &Store, q: &str| -> Vec<String> {
        let mut urls: Vec<String> = store
            .search_plain(&request(q))
            .unwrap()
            .into_iter()
            .map(|h| h.url)
            .collect();
        urls.sort();
        urls
    };
    let phrases = [
        ("\"air pasang\"", vec![url(0)]),
        ("\"air pasang\" OR \"pasang air\"", vec![url(0), url(1)]),
        ("\"sangatta air\"", vec![]),
        ("\"di sangatta\" NOT \"air pasang\"", vec![url(1)]),
        ("\"air pasang naik\" \"di pesisir\"", vec![url(0)]),
        ("\"pasang a\"*", vec![url(1)]),
        ("title : \"banjir di\"", vec![url(0)]),
    ];
    for (q, want) in &phrases {
        assert_eq!(&found(&store, q), want, "{q}");
    }
    // An archive from before the index gets it when opened, and finds the same.
    store
        .conn
        .execute_batch(&super::pg_schema::rewind_to(13))
        .unwrap();
    let has_index = |store: &Store| -> bool {
        store
            .conn
            .query_row(
                "SELECT to_regclass('articles_pairs') IS NOT NULL",
                [],
                |r| r.get(0),
            )
            .unwrap()
    };
    assert!(!has_index(&store));
    let path = store.path().to_path_buf();
    drop(store);
    let store = Store::open(&path).unwrap();
    assert!(has_index(&store));
    for (q, want) in &phrases {
        assert_eq!(&found(&store, q), want, "{q} after the upgrade");
    }
}

#[test]
fn postgres_over_tls_checks_the_servers_certificate() {
    let Some((base, ca)) = pg_server::tls_server("tls") else {
        return;
    };
    let verified = format!("{base}?sslmode=verify-full&sslrootcert={}", ca.display());
    let mut store = Store::open(std::path::Path::new(&verified)).unwrap();
    let ids = standard_feeds(&mut store);
    let url = "https://a.example/1";
    store
        .apply_poll(&poll(
            ids[0],
            vec![item("g1", url, Some(content(url, "t", &body(&[1]))))],
        ))
        .unwrap();
    assert_eq!(store.search_plain(&request("\"p1w2\"")).unwrap().len(), 1);
    // Each refused, the message saying why.
    let refused = |url: &str, why: &str| {
        let e = Store::open(std::path::Path::new(url))
            .err()
            .unwrap_or_else(|| panic!("{url} was not refused"));
        assert!(e.to_string().contains(why), "{e}");
    };
    // The server takes TLS only: without it, no connection.
    refused(&base, "encryption");
    // TLS with a certificate nobody here trusts (no sslrootcert, not in the system's store).
    refused(&format!("{base}?sslmode=require"), "sslrootcert=");
    // Checked against the name: the certificate is for 127.0.0.1, not for localhost.
    refused(&verified.replace("127.0.0.1", "localhost"), "certificate");
    refused(
        &format!("{base}?sslmode=verify-full&sslrootcert=/nonexistent/ca.pem"),
        "/nonexistent/ca.pem",
    );
}

#[test]
fn a_renewed_lease_outlasts_its_term_and_an_unrenewed_one_does_not() {
    let Some((one, two, ids)) = postgres_pair("renewals") else {
        return;
    };
    let later = now() + chrono::Duration::days(365 * 10);
    let lease = std::time::Duration::from_secs(3);
    let (renewed, left) = (ids[0], ids[1]);
    assert!(one.claim_feed(renewed, "one", lease, later).unwrap());
    assert!(two.claim_feed(left, "two", lease, later).unwrap());
    // The lease counts whole seconds: the term ends 3-4 s after the claim.
    std::thread::sleep(std::time::Duration::from_millis(2000));
    assert_eq!(
        one.renew_leases("one", lease).unwrap(),
        1,
        "only its own lease"
    );
    std::thread::sleep(std::time::Duration::from_millis(2300));
    assert!(
        !two.claim_feed(renewed, "two", lease, later).unwrap(),
        "taken over though renewed"
    );
    // "two" renewed nothing (killed): its feed is free a term after its claim.
    assert!(
        one.claim_feed(left, "one", lease, later).unwrap(),
        "not run out"
    );
}

/// Feed leases and host turns between two daemons' connections: a held lease keeps the
/// other out until it is released or runs out; a feed polled after `polled_before` is not
/// claimed again; a host's turn is one at a time, and the next waits for the gap.
#[test]
fn leases_and_host_turns_on_postgres_admit_one_daemon_at_a_time() {
    let Some((mut one, two, ids)) = postgres_pair("leases") else {
        return;
    };
    let feed = ids[0];
    let later = now() + chrono::Duration::days(365 * 10);
    let lease = std::time::Duration::from_secs(2);

    assert!(one.claim_feed(feed, "one", lease, later).unwrap());
    assert!(!two.claim_feed(feed, "two", lease, later).unwrap(), "held");
    one.release_feed(feed, "one").unwrap();
    assert!(
        two.claim_feed(feed, "two", lease, later).unwrap(),
        "released"
    );
    // "two" is killed holding it: "one" gets it once the lease has run out.
    assert!(!one.claim_feed(feed, "one", lease, later).unwrap());
    std::thread::sleep(std::time::Duration::from_millis(3100));
    assert!(
        one.claim_feed(feed, "one", lease, later).unwrap(),
        "run out"
    );
    one.release_feed(feed, "one").unwrap();
    // Polled (by whichever daemon) after the moment given: not claimed for that tick.
    one.apply_poll(&poll(feed, Vec::new())).unwrap();
    assert!(
        !two.claim_feed(feed, "two", lease, now() - chrono::Duration::minutes(1))
            .unwrap()
    );
    assert!(two.claim_feed(feed, "two", lease, now()).unwrap());

    let busy = std::time::Duration::from_secs(30);
    assert_eq!(
        one.claim_host("h.example", "one", busy).unwrap(),
        HostClaim::Claimed
    );
    let HostClaim::Wait(wait) = two.claim_host("h.example", "two", busy).unwrap() else {
        panic!("two requests to one host at once");
    };
    assert!(wait > std::time::Duration::from_secs(20), "{wait:?}");
    assert_eq!(
        two.claim_host("other.example", "two", busy).unwrap(),
        HostClaim::Claimed
    );
    one.release_host("h.example", "one", std::time::Duration::from_millis(400))
        .unwrap();
    let HostClaim::Wait(gap) = two.claim_host("h.example", "two", busy).unwrap() else {
        panic!("the gap was not kept");
    };
    assert!(gap <= std::time::Duration::from_millis(400), "{gap:?}");
    std::thread::sleep(gap + std::time::Duration::from_millis(50));
    assert_eq!(
        two.claim_host("h.example", "two", busy).unwrap(),
        HostClaim::Claimed
    );
}

/// `warta migrate` both ways: SQLite → PostgreSQL, stopped part-way and run again (it goes
/// on where it stopped), then PostgreSQL → a new SQLite file; every table's checksum agrees
/// (the copy checks it), and searches, articles and stories read the same on all three.
#[test]
fn an_archive_migrates_to_postgres_and_back_resuming_after_a_stop() {
    let Some(url) = pg_server::fresh_url("migrate") else {
        return;
    };
    let (dir, mut source, ids) = setup();
    // More articles than a chunk holds, with stories of several places and a revision.
    for n in 0..450 {
        let text = body(&[n * 3, n * 3 + 1, n * 3 + 2, 7]);
        let link = format!("https://a.example/{n}");
        let mut items = vec![item(
            &format!("a{n}"),
            &link,
            Some(content(&link, &format!("Judul {n}"), &text)),
        )];
        if n % 10 == 0 {
            let again = format!("https://b.example/{n}");
            items.push(item(
                &format!("b{n}"),
                &again,
                Some(content(&again, "Salinan", &text)),
            ));
        }
        source
            .apply_poll(&poll(ids[if n % 2 == 0 { 0 } else { 1 }], items))
            .unwrap();
    }
    let pg_path = std::path::Path::new(&url);
    let mut dest = Store::open(pg_path).unwrap();
    let stopped = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut progress = |table: &str, done: u64, _: u64| {
            assert!(!(table == "articles" && done > 200), "stopped");
        };
        copy_archive(&source, &mut dest, &mut progress)
    }));
    assert!(stopped.is_err(), "the copy was to stop part-way");
    drop(dest);
    let mut dest = Store::open(pg_path).unwrap();
    // The search indexes are built once at the end, not kept up row by row.
    let search_indexes = |s: &Store| -> i64 {
        s.conn
            .query_row(
                "SELECT count(*) FROM pg_indexes WHERE indexname IN ('articles_fts', 'articles_pairs')",
                [],
                |r| r.get(0),
            )
            .unwrap()
    };
    assert_eq!(
        search_indexes(&dest),
        0,
        "left out while the articles go in"
    );
    let report = copy_archive(&source, &mut dest, &mut |_, _, _| {}).unwrap();
    assert_eq!(search_indexes(&dest), 2, "built at the end");
    let articles = report.iter().find(|t| t.table == "articles").unwrap();
    assert_eq!(articles.rows, 450);
    assert!(
        articles.copied > 0 && articles.copied < 450,
        "the second run went on where the first stopped: {articles:?}"
    );
    let back_path = dir.path().join("back.db");
    let mut back = Store::open(&back_path).unwrap();
    let report_back = copy_archive(&dest, &mut back, &mut |_, _, _| {}).unwrap();
    for (a, b) in report.iter().zip(&report_back) {
        assert_eq!(
            (a.table, a.rows, &a.checksum),
            (b.table, b.rows, &b.checksum)
        );
    }
    let search = |s: &Store, q: &str| -> Vec<(i64, i64)> {
        let mut hits: Vec<(i64, i64)> = s
            .search_plain(&SearchRequest {
                limit: 1000,
                ..request(q)
            })
            .unwrap()
            .iter()
            .map(|h| (h.id, h.copies))
            .collect();
        hits.sort();
        hits
    };
    for q in ["\"p30w7\"", "\"p7w1\"", "\"judul\" AND \"p300w2\""] {
        let want = search(&source, q);
        assert!(!want.is_empty(), "{q}");
        assert_eq!(search(&dest, q), want, "{q} on PostgreSQL");
        assert_eq!(search(&back, q), want, "{q} back on SQLite");
    }
    for s in [&dest, &back] {
        let a = s.article(1).unwrap().unwrap();
        let b = source.article(1).unwrap().unwrap();
        assert_eq!(
            (a.title, a.body, a.story_copies.len()),
            (b.title, b.body, b.story_copies.len())
        );
        let stats = s.stats(2, now()).unwrap();
        let want = source.stats(2, now()).unwrap();
        assert_eq!(
            (stats.articles, stats.stories, stats.copies),
            (want.articles, want.stories, want.copies)
        );
    }
    // After the migration: a copy of an archived article is found as one, and a new
    // article takes the next id (PostgreSQL's sequences were moved past the copied ids).
    let link = "https://b.example/again";
    let text = body(&[0, 1, 2, 7]);
    let fresh = "https://b.example/new";
    for s in [&mut dest, &mut back] {
        let out = s
            .apply_poll(&poll(
                ids[1],
                vec![
                    item("again", link, Some(content(link, "Lagi", &text))),
                    item(
                        "new",
                        fresh,
                        Some(content(fresh, "Baru", &body(&[99990, 99991, 99992]))),
                    ),
                ],
            ))
            .unwrap();
        assert_eq!(
            out.items,
            vec![
                ItemOutcome::Duplicate(crate::model::ArticleId(1)),
                ItemOutcome::New(crate::model::ArticleId(451))
            ]
        );
    }
}
