//! Watches at scale (issue 16, point 2): what checking each new article against 1,000
//! watches costs in the write that stores it.
//!
//! Builds an archive of `--base` synthetic articles through the store's write path
//! (`Store::apply_batch`, as `fetch` and the daemon write); their words are the vocabulary
//! that picks each watch's anchors. Compiles `--watches` watches the way `fetch` and the
//! daemon do (`search::compile_watch` against the archive's words), then writes
//! `--articles` new articles, four to a batch, into two copies of that archive: one with the
//! watches in force, one without. Prints the cost the write path itself measured per article
//! (`Store::watch_cost`), the watches confirmed by a query per article, the hits, and the
//! write time with and without.
//!
//! Words are Indonesian roots (`src/stem/roots-id.txt`) drawn with a Zipf-like skew, 300 to
//! an article. Watches, as people write them: 900 pair a common word with a less common one
//! (`anggaran sawit`), 90 are phrases of two less common words, 10 are two common words
//! (broad: they match most articles). Each sends to a webhook, so that a hit also queues
//! its alert in the outbox, as in use.
//!
//! Usage: `cargo run --release --example watch_scale -- [--base 20000] [--articles 10000]
//! [--watches 1000] [--dir DIR]`.

use std::path::{Path, PathBuf};
use std::time::Instant;

use chrono::{TimeZone, Utc};
use warta::config::Config;
use warta::store::{Content, ItemWrite, Source, Store, WatchSet, Work};

const ROOTS: &str = include_str!("../src/stem/roots-id.txt");
const WORDS_PER_ARTICLE: usize = 300;
/// Roots drawn from: the first of them the most often.
const VOCABULARY: usize = 6_000;

fn main() {
    if let Err(e) = run() {
        eprintln!("watch_scale: {e}");
        std::process::exit(1);
    }
}

struct Args {
    base: usize,
    articles: usize,
    watches: usize,
    dir: PathBuf,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        base: 20_000,
        articles: 10_000,
        watches: 1_000,
        dir: std::env::temp_dir(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut num = |name: &str| -> Result<usize, String> {
            it.next()
                .ok_or(format!("{name} needs a value"))?
                .parse::<usize>()
                .map_err(|e| format!("{name}: {e}"))
        };
        match arg.as_str() {
            "--base" => a.base = num("--base")?,
            "--articles" => a.articles = num("--articles")?,
            "--watches" => a.watches = num("--watches")?,
            "--dir" => a.dir = PathBuf::from(it.next().ok_or("--dir needs a folder")?),
            _ => return Err(format!("unexpected argument {arg:?}")),
        }
    }
    Ok(a)
}

/// A small xorshift generator: the same articles and watches every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A rank from 0 to `n`, small ones far more often (about Zipf's law for words).
    fn skewed(&mut self, n: usize) -> usize {
        let u = (self.next() % 1_000_000) as f64 / 1_000_000.0;
        ((n as f64).powf(u) as usize).saturating_sub(1).min(n - 1)
    }
}

fn run() -> Result<(), String> {
    let args = parse_args()?;
    let roots: Vec<&str> = ROOTS
        .lines()
        .filter(|l| !l.starts_with('#') && l.len() >= 4)
        .collect();
    if roots.len() < VOCABULARY {
        return Err("too few roots".into());
    }
    // Shuffled once, so that the common words are not all from the start of the alphabet.
    let mut rng = Rng(0x5EED_CAFE);
    let mut vocab: Vec<&str> = roots[..VOCABULARY].to_vec();
    for i in (1..vocab.len()).rev() {
        let j = (rng.next() % (i as u64 + 1)) as usize;
        vocab.swap(i, j);
    }

    let base_db = args.dir.join(format!("watch-scale-{}.db", args.base));
    let config_text = "[[feed]]\nname = \"kabar\"\nurl = \"https://kabar.example/rss\"\n";
    let config = Config::parse(config_text, Path::new("feeds.toml")).map_err(|e| e.0)?;
    if !base_db.exists() {
        let began = Instant::now();
        let mut store = Store::open(&base_db).map_err(|e| e.to_string())?;
        let ids = store.sync_feeds(&config.feeds).map_err(|e| e.to_string())?;
        write_articles(&mut store, ids[0], &vocab, 0..args.base)?;
        println!(
            "base archive: {} articles in {:.0} s",
            args.base,
            began.elapsed().as_secs_f64()
        );
    }

    let mut results = Vec::new();
    for with in [false, true] {
        let db = args
            .dir
            .join(format!("watch-scale-run-{}.db", std::process::id()));
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
        }
        std::fs::copy(&base_db, &db).map_err(|e| e.to_string())?;
        let mut store = Store::open(&db).map_err(|e| e.to_string())?;
        let ids = store.sync_feeds(&config.feeds).map_err(|e| e.to_string())?;
        if with {
            let set = compile(&store, &vocab, args.watches)?;
            store.set_watches(std::sync::Arc::new(set));
        }
        let began = Instant::now();
        let first = args.base;
        write_articles(&mut store, ids[0], &vocab, first..first + args.articles)?;
        let wall = began.elapsed().as_secs_f64();
        let cost = store.watch_cost();
        let hits = store.watch_hit_count().map_err(|e| e.to_string())?;
        drop(store);
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
        }
        results.push((with, wall, cost, hits));
    }

    println!(
        "{} new articles onto {}, {} watches",
        args.articles, args.base, args.watches
    );
    for (with, wall, cost, hits) in &results {
        let per_article_ms = wall * 1000.0 / args.articles as f64;
        match cost {
            Some(c) if *with => println!(
                "with watches:    write {wall:.1} s ({per_article_ms:.3} ms an article); checking {:.1} µs an article (measured in the write), {:.2} watches evaluated an article, {hits} hits",
                c.nanos as f64 / 1000.0 / c.articles.max(1) as f64,
                c.confirmed as f64 / c.articles.max(1) as f64,
            ),
            _ => println!("without watches: write {wall:.1} s ({per_article_ms:.3} ms an article)"),
        }
    }
    Ok(())
}

/// Watches as `fetch` compiles them, against this archive's words.
fn compile(store: &Store, vocab: &[&str], n: usize) -> Result<WatchSet, String> {
    let aliases = warta::search::aliases::Aliases::new(&[]);
    let prefix_words = |p: &str| store.prefix_words(p).map(|f| f.words).unwrap_or_default();
    let word_docs = |w: &str| store.word_docs(w).unwrap_or(0);
    let mut rng = Rng(0xBEEF_F00D);
    let common = |rng: &mut Rng| vocab[(rng.next() % 100) as usize];
    let less = |rng: &mut Rng| vocab[500 + (rng.next() % 4_000) as usize];
    let mut compiled = Vec::with_capacity(n);
    for i in 0..n {
        let query = match i % 100 {
            0 => format!("{} {}", common(&mut rng), common(&mut rng)),
            1..=9 => format!("\"{} {}\"", less(&mut rng), less(&mut rng)),
            _ => format!("{} {}", common(&mut rng), less(&mut rng)),
        };
        let filters = warta::search::Filters {
            limit: 1,
            ..warta::search::Filters::default()
        };
        compiled.push(
            warta::search::compile_watch(
                &format!("w{i}"),
                &query,
                &filters,
                &aliases,
                warta::search::ArchiveWords {
                    prefix_words: &prefix_words,
                    word_docs: &word_docs,
                },
            )?
            // Each watch sends to a webhook: every hit also queues its alert in the outbox.
            .with_delivery(warta::store::Delivery {
                targets: vec![format!("https://hooks.example.org/w{i}")],
                digest: false,
                on_revision: false,
            }),
        );
    }
    Ok(WatchSet::new(compiled))
}

/// Writes articles `range` in batches of four, as a poll's pages come in.
fn write_articles(
    store: &mut Store,
    feed: i64,
    vocab: &[&str],
    range: std::ops::Range<usize>,
) -> Result<(), String> {
    let now = Utc
        .with_ymd_and_hms(2024, 11, 20, 2, 15, 0)
        .single()
        .ok_or("date")?;
    let ks: Vec<usize> = range.collect();
    for chunk in ks.chunks(4) {
        let work = Work {
            items: chunk.iter().map(|&k| article(k, vocab)).collect(),
            ..Work::default()
        };
        store
            .apply_batch(feed, now, &work)
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

fn article(k: usize, vocab: &[&str]) -> ItemWrite {
    let mut rng = Rng((k as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let mut body = String::new();
    for w in 0..WORDS_PER_ARTICLE {
        if w > 0 {
            body.push(if w % 50 == 0 { '\n' } else { ' ' });
        }
        body.push_str(vocab[rng.skewed(vocab.len())]);
    }
    let title = (0..6)
        .map(|_| vocab[rng.skewed(vocab.len())])
        .collect::<Vec<_>>()
        .join(" ");
    let link = format!("https://kabar.example/berita/{k}");
    let keys = url::Url::parse(&link)
        .map(|u| vec![warta::dedup::url_key(&u)])
        .unwrap_or_default();
    let content = Content {
        url: link.clone(),
        title,
        author: None,
        published: None,
        language: Some("id".into()),
        fingerprint: warta::dedup::fingerprint(&body),
        signature: warta::dedup::minhash::signature(&body),
        body,
        body_html: None,
        source: Source::Page,
        note: None,
        page_pending: false,
        raw_pages: Vec::new(),
        extractor_version: Some(1),
        stems: String::new(),
        words: None,
        partial: None,
        page_state: None,
    }
    .with_words();
    ItemWrite {
        guid: format!("g-{k}"),
        keys,
        link,
        published: None,
        revision: None,
        content: Some(content),
    }
}
