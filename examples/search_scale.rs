//! Measures search at archive scale (issue 6, point 5): builds an archive of N synthetic
//! articles through the store's real write path and times the queries `warta search` runs.
//!
//! **The archive.** Articles are generated from a fixed seed, each from its own index, so
//! any article can be generated again to pick query terms from it. 60 % are Indonesian and
//! 40 % English; bodies are sentences of words drawn from a Zipf–Mandelbrot distribution
//! (exponent 1, offset 2.7) over a vocabulary per language ranked by real frequency: the
//! words of the Indonesian fixture texts (tests/fixtures/stories, tests/fixtures/sites) and
//! of the benchmark's ground truth (English articles), then a tail of the stemmer's root
//! list with affixed forms (meN-, peN-, ber-, di-, ke-…-an, -kan, -an, -nya) so that
//! `stem::index_stems_id` has inflected words to reduce, and the regional names of the
//! alias table ("Kutai Timur", "Kutim", …). About 2 % of tokens are numbers. Body lengths
//! are log-normal (median 450 words, σ 0.65, 40 to 3,000), titles 6 to 14 words. Several
//! hundred feeds (`Config::parse` of a generated feeds.toml, `Store::sync_feeds`) publish
//! with Zipf-like activity over three years (2022–2024); article ids follow publication
//! time within a window of 20,000 articles (about three weeks at 1,000,000), written as
//! one `PollWrite` per feed per window, as a daemon catching up on a backlog would.
//!
//! Each article goes in with what the ingest stage computes: `stem::index_stems_id` for
//! Indonesian texts, `dedup::minhash::signature`, `dedup::fingerprint`, the URL key. A
//! generator thread prepares the next window while the main thread writes, so the ingest
//! rate is reported both over the writes alone and over the whole build.
//!
//! **The queries**, each class run over 50 different queries after a warm-up pass, timed
//! from `search::build_request` to the snippets (`Store::search`), exactly as
//! `warta search` does (default options: relevance, limit 20, one row per story):
//! a common word; two rare words from one article; a phrase from an article; a prefix;
//! a word with `feed:` and `date:` (a month); a word with about 1,000 matches sorted
//! newest first; an inflected Indonesian word (stemmed expansion); a regional alias; a
//! common word with one of the busiest feeds; a common word within a year.
//! A class stops early after 60 s and says how many queries it ran.
//!
//! With `--serve PATH-TO-WARTA`, the same classes are then timed through `warta serve`
//! over loopback: the search page (snippets, facets, the whole HTML) and `/api/search`.
//!
//! Usage: `cargo run --release --example search_scale -- [--articles 1000000]
//! [--dir DIR] [--seed 6] [--step K] [--serve target/release/warta] [--postgres URL [--postgres-only]]`. The archive is DIR/search-scale-N.db (default DIR:
//! the system's temporary folder); an existing one is reused, queries only. `--step K`
//! writes at most K more articles (whole windows) and stops, so that a long build can run
//! in parts between other work on a shared machine; each run goes on from where the last
//! stopped (`search-scale-N.progress` beside the archive) and the last runs the queries.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Datelike, TimeZone, Utc};
use warta::config::Config;
use warta::search::{self, Filters, aliases::Aliases};
use warta::store::{Content, ItemWrite, PollWrite, SortOrder, Source, Store, Timing, Work};

#[path = "../tests/fixtures/bench_dir.rs"]
mod bench_dir;

const WINDOW: usize = 20_000;
const FEEDS_ID: usize = 180;
const FEEDS_EN: usize = 120;
const RUNS: usize = 50;
const CLASS_BUDGET: Duration = Duration::from_secs(60);

/// Regional names and abbreviations from the built-in alias table, placed in the
/// Indonesian vocabulary at ranks where a regional archive would have them.
const REGIONAL: &[&str] = &[
    "aparatur sipil negara",
    "asn",
    "bpbd",
    "dprd",
    "kalimantan timur",
    "kaltim",
    "kukar",
    "kutai kartanegara",
    "kutai timur",
    "kutim",
    "pemerintah kabupaten",
    "pemkab",
    "rsud",
    "skpd",
    "umkm",
];

const ALIAS_QUERIES: &[&str] = &[
    "asn", "bpbd", "dprd", "kaltim", "kukar", "kutim", "pemkab", "rsud", "skpd", "umkm",
];

fn main() {
    if let Err(e) = run() {
        eprintln!("search_scale: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let mut n = 1_000_000usize;
    let mut dir = std::env::temp_dir();
    let mut seed = 6u64;
    let mut step: Option<usize> = None;
    let mut fts: Vec<(String, i64)> = Vec::new();
    let mut per_tx = 1usize;
    let mut serve: Option<PathBuf> = None;
    let mut postgres: Option<String> = None;
    // Time the PostgreSQL copy alone (the SQLite archive still gives the queries' words).
    let mut postgres_only = false;
    while let Some(a) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match a.as_str() {
            "--articles" => {
                n = value("--articles")?
                    .parse()
                    .map_err(|e| format!("--articles: {e}"))?
            }
            "--dir" => dir = PathBuf::from(value("--dir")?),
            "--step" => {
                step = Some(
                    value("--step")?
                        .parse()
                        .map_err(|e| format!("--step: {e}"))?,
                )
            }
            "--polls-per-tx" => {
                per_tx = value("--polls-per-tx")?
                    .parse()
                    .map_err(|e| format!("--polls-per-tx: {e}"))?
            }
            "--fts" => {
                let v = value("--fts")?;
                let (k, n) = v.split_once('=').ok_or("--fts: NAME=NUMBER")?;
                fts.push((k.to_string(), n.parse().map_err(|e| format!("--fts: {e}"))?));
            }
            "--serve" => serve = Some(PathBuf::from(value("--serve")?)),
            "--postgres" => postgres = Some(value("--postgres")?),
            "--postgres-only" => postgres_only = true,
            "--seed" => {
                seed = value("--seed")?
                    .parse()
                    .map_err(|e| format!("--seed: {e}"))?
            }
            _ => return Err(format!("unexpected argument {a:?}")),
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let gen_ = std::sync::Arc::new(Generator::new(root, n, seed)?);
    println!(
        "vocabulary: {} Indonesian entries ({} real words), {} English ({} real words)",
        gen_.id.words.len(),
        gen_.id.real,
        gen_.en.words.len(),
        gen_.en.real
    );
    let db = dir.join(format!("search-scale-{n}.db"));
    let config = Config::parse(&feeds_toml(), &dir.join("feeds.toml")).map_err(|e| e.0)?;
    let progress = dir.join(format!("search-scale-{n}.progress"));
    let built: Option<usize> = if db.exists() {
        std::fs::read_to_string(&progress)
            .ok()
            .and_then(|s| s.trim().parse().ok())
    } else {
        Some(0)
    };
    let mut store = Store::open(&db).map_err(|e| e.to_string())?;
    let ids = store.sync_feeds(&config.feeds).map_err(|e| e.to_string())?;
    if !fts.is_empty() {
        // An FTS5 setting to try (stored in the archive, so later parts keep it).
        let conn = rusqlite::Connection::open(&db).map_err(|e| e.to_string())?;
        for (k, n) in &fts {
            conn.execute(
                "INSERT INTO articles_fts (articles_fts, rank) VALUES (?1, ?2)",
                rusqlite::params![k, n],
            )
            .map_err(|e| format!("--fts {k}: {e}"))?;
        }
    }
    if let Some(from) = built {
        let step = step.map_or(n, |s| s.div_ceil(WINDOW).max(1) * WINDOW);
        let upto = (from + step).min(n);
        std::fs::write(&progress, from.to_string()).map_err(|e| e.to_string())?;
        build(&mut store, &gen_, &ids, from, upto, per_tx.max(1))?;
        if upto < n {
            std::fs::write(&progress, upto.to_string()).map_err(|e| e.to_string())?;
            println!("built {upto} of {n} articles: run again to go on");
            return Ok(());
        }
        std::fs::remove_file(&progress).map_err(|e| e.to_string())?;
    } else {
        println!(
            "{} exists: reusing it (delete it to build again)",
            db.display()
        );
    }
    drop(store);
    sizes(&db, n)?;
    if !(postgres_only && postgres.is_some()) {
        let store = Store::open(&db).map_err(|e| e.to_string())?;
        let classes = queries(&store, &gen_, &config, n)?;
        drop(store);
        let archive_line = format!("path = {:?}", db.display().to_string());
        if let Some(bin) = &serve {
            serve_latency(bin, &db, &archive_line, &classes)?;
        }
    }
    // The same classes on a PostgreSQL copy of the archive (`warta migrate`).
    if let Some(url) = postgres {
        println!("\nOn PostgreSQL ({url}):\n");
        // As `warta search` and `warta serve` read it.
        let pg = Store::open_with(Path::new(&url), warta::store::OpenMode::Read)
            .map_err(|e| e.to_string())?;
        let classes = queries(&pg, &gen_, &config, n)?;
        drop(pg);
        if let Some(bin) = &serve {
            serve_latency(bin, &db, &format!("url = {url:?}"), &classes)?;
        }
    }
    Ok(())
}

/// The same query classes through `warta serve` (the real binary, over loopback HTTP):
/// the search page as a browser gets it (snippets, facets, the whole HTML) and
/// `/api/search`, each timed from the request to the last byte.
fn serve_latency(
    bin: &Path,
    db: &Path,
    archive_line: &str,
    classes: &[Class],
) -> Result<(), String> {
    use std::io::BufRead;
    let config = db.with_extension("serve.toml");
    std::fs::write(
        &config,
        format!(
            "[archive]\n{archive_line}\n\n[[feed]]\nname = \"id-000\"\nurl = \"https://example.org/rss\"\n"
        ),
    )
    .map_err(|e| e.to_string())?;
    let mut child = std::process::Command::new(bin)
        .args(["--config"])
        .arg(&config)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| format!("{}: {e}", bin.display()))?;
    let stderr = child.stderr.take().ok_or("no stderr")?;
    let mut addr = None;
    for line in std::io::BufReader::new(stderr).lines() {
        let line = line.map_err(|e| e.to_string())?;
        if let Some(rest) = line.split("http://").nth(1) {
            addr = rest.split('/').next().map(str::to_string);
            break;
        }
    }
    let addr = addr.ok_or("warta serve did not say where it listens")?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let client = reqwest::Client::new();
    let get = |url: String| {
        let client = client.clone();
        async move {
            let t = Instant::now();
            let r = client.get(&url).send().await.map_err(|e| e.to_string())?;
            let status = r.status();
            let body = r.bytes().await.map_err(|e| e.to_string())?;
            if !status.is_success() {
                return Err(format!(
                    "{url}: HTTP {status}: {}",
                    String::from_utf8_lossy(&body)
                ));
            }
            Ok::<f64, String>(t.elapsed().as_secs_f64() * 1e3)
        }
    };
    println!("\nThrough `warta serve` (HTTP over loopback, whole response):\n");
    println!("| query class | page p50 ms | page p95 ms | API p50 ms | API p95 ms |");
    println!("|---|---:|---:|---:|---:|");
    let result = rt.block_on(async {
        for (name, sort, qs) in classes {
            let sort = match sort {
                SortOrder::Newest => "newest",
                _ => "relevance",
            };
            let mut row = Vec::new();
            for path in ["/search", "/api/search"] {
                let url = |q: &str| {
                    let q: String = url::form_urlencoded::byte_serialize(q.as_bytes()).collect();
                    format!("http://{addr}{path}?q={q}&sort={sort}")
                };
                for q in qs.iter().take(5) {
                    get(url(q)).await?;
                }
                let mut times = Vec::new();
                let started = Instant::now();
                for q in qs {
                    times.push(get(url(q)).await?);
                    if started.elapsed() > CLASS_BUDGET {
                        break;
                    }
                }
                times.sort_by(f64::total_cmp);
                let pct = |p: f64| times[((times.len() - 1) as f64 * p).round() as usize];
                row.push(format!("{:.1} | {:.1}", pct(0.5), pct(0.95)));
            }
            println!("| {name} | {} |", row.join(" | "));
        }
        Ok::<(), String>(())
    });
    let _ = child.kill();
    let _ = child.wait();
    result
}

/// A query class: its name, its order, its queries.
type Class = (&'static str, SortOrder, Vec<String>);

/// Writes the archive and prints the ingest rates.
fn build(
    store: &mut Store,
    g: &std::sync::Arc<Generator>,
    feed_ids: &[i64],
    from: usize,
    upto: usize,
    per_tx: usize,
) -> Result<(), String> {
    let (tx, rx) = mpsc::sync_channel::<(Vec<PollWrite>, usize, usize)>(1);
    let producer = {
        let g = std::sync::Arc::clone(g);
        let feed_ids = feed_ids.to_vec();
        std::thread::spawn(move || {
            let mut start = from;
            while start < upto {
                let end = (start + WINDOW).min(upto);
                let mut text_bytes = 0;
                let polls = g.window(start, end, &feed_ids, &mut text_bytes);
                if tx.send((polls, end - start, text_bytes)).is_err() {
                    return;
                }
                start = end;
            }
        })
    };
    let began = Instant::now();
    let mut writing = Duration::ZERO;
    let mut writing_cpu = Duration::ZERO;
    let (mut done, mut text_bytes, mut polls_written) = (0usize, 0usize, 0usize);
    let mut last_report = Instant::now();
    for (polls, count, bytes) in rx {
        let (t, cpu) = (Instant::now(), thread_cpu());
        for p in polls.chunks(per_tx) {
            store.apply_polls(p).map_err(|e| e.to_string())?;
        }
        writing += t.elapsed();
        writing_cpu += thread_cpu().saturating_sub(cpu);
        done += count;
        text_bytes += bytes;
        polls_written += polls.len();
        if last_report.elapsed() > Duration::from_secs(30) || from + done == upto {
            last_report = Instant::now();
            println!(
                "  {:>9} articles, {:>6.0} s, {:>5.0} articles/s writing, {:>5.0} overall",
                from + done,
                began.elapsed().as_secs_f64(),
                done as f64 / writing.as_secs_f64(),
                done as f64 / began.elapsed().as_secs_f64()
            );
        }
    }
    producer
        .join()
        .map_err(|_| "the generator thread panicked".to_string())?;
    let wall = began.elapsed();
    println!(
        "built {done} articles in {polls_written} polls: {:.0} s wall ({:.0} articles/s), {:.0} s in apply_poll ({:.0} articles/s); title+body+stems text {:.2} GB",
        wall.as_secs_f64(),
        done as f64 / wall.as_secs_f64(),
        writing.as_secs_f64(),
        done as f64 / writing.as_secs_f64(),
        text_bytes as f64 / 1e9
    );
    // The writer's own CPU time is what bounds the rate on an idle machine; on a shared
    // one it moves far less with the load than the wall time does.
    println!(
        "writer thread CPU in apply_poll: {:.0} s ({:.0} articles per CPU-second)",
        writing_cpu.as_secs_f64(),
        done as f64 / writing_cpu.as_secs_f64()
    );
    Ok(())
}

/// CPU time of the calling thread (user + system).
fn thread_cpu() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid timespec for the call to fill.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    if rc != 0 {
        return Duration::ZERO;
    }
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// Prints the file's size per article and the FTS index against the text it indexes.
fn sizes(db: &Path, n: usize) -> Result<(), String> {
    let conn = rusqlite::Connection::open(db).map_err(|e| e.to_string())?;
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        .map_err(|e| e.to_string())?;
    let file = std::fs::metadata(db).map_err(|e| e.to_string())?.len();
    let t = Instant::now();
    let mut stmt = conn
        .prepare("SELECT name, sum(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC")
        .map_err(|e| e.to_string())?;
    let tables: Vec<(String, i64)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .map_err(|e| e.to_string())?
        .collect::<Result<_, _>>()
        .map_err(|e| e.to_string())?;
    let text: i64 = conn
        .query_row(
            "SELECT sum(octet_length(title) + octet_length(body) + octet_length(stems)) FROM articles",
            [],
            |r| r.get(0),
        )
        .map_err(|e| e.to_string())?;
    let fts: i64 = tables
        .iter()
        .filter(|(name, _)| name.starts_with("articles_fts"))
        .map(|(_, b)| b)
        .sum();
    println!(
        "\nfile {:.2} GB, {:.0} bytes per article (dbstat took {:.0} s)",
        file as f64 / 1e9,
        file as f64 / n as f64,
        t.elapsed().as_secs_f64()
    );
    for (name, bytes) in tables.iter().take(14) {
        println!(
            "  {name:<28} {:>8.1} MB {:>7.0} B/article",
            *bytes as f64 / 1e6,
            *bytes as f64 / n as f64
        );
    }
    println!(
        "FTS index {:.2} GB for {:.2} GB of title+body+stems text: {:.2}× the text",
        fts as f64 / 1e9,
        text as f64 / 1e9,
        fts as f64 / text as f64
    );
    Ok(())
}

/// Runs every query class and prints p50/p95.
fn queries(store: &Store, g: &Generator, config: &Config, n: usize) -> Result<Vec<Class>, String> {
    let aliases = Aliases::new(&config.aliases);
    let now = g.start + chrono::Duration::days(3 * 365);
    let mut rng = Rng::new(g.seed ^ 0x9e37);
    let mut classes: Vec<Class> = Vec::new();
    let pick = |rng: &mut Rng, v: &Vocab, lo: usize, hi: usize| -> String {
        loop {
            let r = lo + rng.below(hi.min(v.words.len()) - lo);
            let w = &v.words[r];
            if w.len() >= 4 && !w.contains(' ') && !w.bytes().any(|b| b.is_ascii_digit()) {
                return w.clone();
            }
        }
    };
    let lang = |i: usize| if i % 5 < 3 { &g.id } else { &g.en };
    classes.push((
        "common word",
        SortOrder::Relevance,
        (0..RUNS).map(|i| pick(&mut rng, lang(i), 10, 60)).collect(),
    ));
    let mut rare = Vec::new();
    let mut phrase = Vec::new();
    while rare.len() < RUNS || phrase.len() < RUNS {
        let a = g.article(rng.below(n));
        let v = if a.indonesian { &g.id } else { &g.en };
        let usable = |r: usize| {
            v.words
                .get(r)
                .is_some_and(|w| w.len() >= 3 && !w.contains(' '))
        };
        let rares: Vec<usize> = a
            .ranks
            .iter()
            .copied()
            .filter(|&r| r != NUMBER && r >= 5_000 && usable(r))
            .collect();
        if rare.len() < RUNS && rares.len() >= 2 {
            let (x, y) = (rares[0], rares[rares.len() - 1]);
            if x != y {
                rare.push(format!("{} {}", v.words[x], v.words[y]));
            }
        }
        if phrase.len() < RUNS {
            // Two neighbours of middling frequency, as a reader would quote them.
            let pair = a.ranks.windows(2).find(|w| {
                w[0] != NUMBER
                    && w[1] != NUMBER
                    && w[0] >= 50
                    && w[1] >= 50
                    && usable(w[0])
                    && usable(w[1])
            });
            if let Some(w) = pair {
                phrase.push(format!("\"{} {}\"", v.words[w[0]], v.words[w[1]]));
            }
        }
    }
    classes.push(("two rare words", SortOrder::Relevance, rare));
    classes.push(("phrase", SortOrder::Relevance, phrase));
    classes.push((
        "prefix",
        SortOrder::Relevance,
        (0..RUNS)
            .map(|i| {
                // The start of a frequent word, 3 to 6 letters: from the broadest
                // (`men*`, thousands of Indonesian words) to what people type (`banj*`).
                let keep = 3 + i % 4;
                let w = loop {
                    let w = pick(&mut rng, lang(i), 20, 300);
                    if w.chars().count() > keep {
                        break w;
                    }
                };
                format!("{}*", w.chars().take(keep).collect::<String>())
            })
            .collect(),
    ));
    classes.push((
        "word feed: date:",
        SortOrder::Relevance,
        (0..RUNS)
            .map(|i| {
                let indonesian = i % 5 < 3;
                let w = pick(&mut rng, lang(i), 50, 500);
                // The busier feeds: a filter on a feed that published nothing says little.
                let f = rng.below(10);
                let feed = if indonesian {
                    format!("id-{f:03}")
                } else {
                    format!("en-{f:03}")
                };
                let month = g.start + chrono::Duration::days(rng.below(3 * 365) as i64);
                format!("{w} feed:{feed} date:{}-{:02}", month.year(), month.month())
            })
            .collect(),
    ));
    classes.push((
        "~1,000 hits, newest",
        SortOrder::Newest,
        thousand_hit_words(store, g, &aliases, now, n, &mut rng)?,
    ));
    let stemmed: Vec<String> = std::iter::once("pelayanan".to_string())
        .chain(
            g.id.words
                .iter()
                .enumerate()
                .skip(300)
                .filter(|(r, w)| {
                    r % 97 == 0
                        && !w.contains(' ')
                        && warta::stem::stem_id(w).as_ref() != w.as_str()
                })
                .map(|(_, w)| w.clone()),
        )
        .take(RUNS)
        .collect();
    classes.push(("Indonesian inflected", SortOrder::Relevance, stemmed));
    classes.push((
        "alias",
        SortOrder::Relevance,
        (0..RUNS)
            .map(|i| ALIAS_QUERIES[i % ALIAS_QUERIES.len()].to_string())
            .collect(),
    ));
    // A common word within one of the busiest feeds, and within a year: the filters are the
    // narrow side, so many matches are read to find those that pass. (Last, so that the
    // classes above draw the same queries as before these were added.)
    classes.push((
        "common word feed:",
        SortOrder::Relevance,
        (0..RUNS)
            .map(|i| {
                let w = pick(&mut rng, lang(i), 10, 60);
                let f = rng.below(3);
                let feed = if i % 5 < 3 {
                    format!("id-{f:03}")
                } else {
                    format!("en-{f:03}")
                };
                format!("{w} feed:{feed}")
            })
            .collect(),
    ));
    classes.push((
        "common word date: (a year)",
        SortOrder::Relevance,
        (0..RUNS)
            .map(|i| {
                let w = pick(&mut rng, lang(i), 10, 60);
                let year = g.start.year() + rng.below(3) as i32;
                format!("{w} date:{year}")
            })
            .collect(),
    ));

    println!("\n| query class | example | runs | median matches | p50 ms | p95 ms | max ms |");
    println!("|---|---|---:|---:|---:|---:|---:|");
    for (name, sort, qs) in &classes {
        let filters = Filters {
            feeds: Vec::new(),
            region: None,
            tags: Vec::new(),
            language: None,
            since: None,
            until: None,
            limit: 20,
            offset: 0,
            sort: *sort,
            all: false,
            removed: false,
            revised: false,
        };
        let words = |p: &str| store.prefix_words(p).map(|w| w.words).unwrap_or_default();
        let one = |q: &str| -> Result<usize, String> {
            let (req, hl) = search::build_request(q, &filters, &aliases, &words, now)?;
            let hits = store
                .search(&req, &|b| hl.snippet(b))
                .map_err(|e| e.to_string())?;
            Ok(hits.len())
        };
        // Warm-up: the first queries of the class, untimed.
        for q in qs.iter().take(5) {
            one(q)?;
        }
        let mut times = Vec::new();
        let class_start = Instant::now();
        for q in qs {
            let t = Instant::now();
            one(q)?;
            let ms = t.elapsed().as_secs_f64() * 1e3;
            if ms > 50.0 {
                eprintln!("slow: {name}: `{q}` {ms:.1} ms");
            }
            times.push(ms);
            if class_start.elapsed() > CLASS_BUDGET {
                break;
            }
        }
        let mut matches = Vec::new();
        for q in qs.iter().take(5) {
            let (req, _) = search::build_request(q, &filters, &aliases, &words, now)?;
            matches.push(store.count(&req).map_err(|e| e.to_string())?.copies);
        }
        matches.sort_unstable();
        times.sort_by(f64::total_cmp);
        let pct = |p: f64| times[((times.len() - 1) as f64 * p).round() as usize];
        println!(
            "| {name} | `{}` | {} | {} | {:.1} | {:.1} | {:.1} |",
            qs[0],
            times.len(),
            matches[matches.len() / 2],
            pct(0.5),
            pct(0.95),
            times[times.len() - 1]
        );
    }
    Ok(classes)
}

/// Words whose expected number of articles is near 1,000 (from their Zipf probability),
/// kept when the archive's count confirms 500 to 2,000.
fn thousand_hit_words(
    store: &Store,
    g: &Generator,
    aliases: &Aliases,
    now: DateTime<Utc>,
    n: usize,
    rng: &mut Rng,
) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let filters = Filters {
        feeds: Vec::new(),
        region: None,
        tags: Vec::new(),
        language: None,
        since: None,
        until: None,
        limit: 20,
        offset: 0,
        sort: SortOrder::Newest,
        all: false,
        removed: false,
        revised: false,
    };
    let mean_len = 553.0;
    for (v, share) in [(&g.id, 0.6), (&g.en, 0.4)] {
        let articles = n as f64 * share;
        let candidates: Vec<&String> = v
            .words
            .iter()
            .enumerate()
            .filter(|(r, w)| {
                let p = v.probability(*r);
                let df = articles * (1.0 - (-p * mean_len).exp());
                (800.0..1_250.0).contains(&df)
                    && w.len() >= 4
                    && !w.contains(' ')
                    && !w.bytes().any(|b| b.is_ascii_digit())
            })
            .map(|(_, w)| w)
            .collect();
        let want = if share > 0.5 { 30 } else { 20 };
        let mut tries = 0;
        let mut got = 0;
        while got < want && tries < 200 && !candidates.is_empty() {
            tries += 1;
            let w = candidates[rng.below(candidates.len())];
            let (req, _) = search::build_request(w, &filters, aliases, &|_| Vec::new(), now)?;
            let c = store.count(&req).map_err(|e| e.to_string())?.copies;
            if (500..=2_000).contains(&c) && !out.contains(w) {
                out.push(w.clone());
                got += 1;
            }
        }
    }
    if out.is_empty() {
        return Err("no word with about 1,000 matches".into());
    }
    Ok(out)
}

fn feeds_toml() -> String {
    const REGIONS: &[&str] = &[
        "Kalimantan Barat",
        "Kalimantan Selatan",
        "Kalimantan Tengah",
        "Kalimantan Timur",
        "Kalimantan Utara",
    ];
    let mut s = String::new();
    for i in 0..FEEDS_ID {
        s.push_str(&format!(
            "[[feed]]\nname = \"id-{i:03}\"\nurl = \"https://id{i}.example/feed\"\nlanguage = \"id\"\nregion = \"{}\"\ntags = [\"{}\"]\n",
            REGIONS[i % REGIONS.len()],
            if i % 3 == 0 { "pemerintah" } else { "berita" }
        ));
    }
    for i in 0..FEEDS_EN {
        s.push_str(&format!(
            "[[feed]]\nname = \"en-{i:03}\"\nurl = \"https://en{i}.example/feed\"\nlanguage = \"en\"\n"
        ));
    }
    s
}

/// Marks a number token in an article's list of ranks.
const NUMBER: usize = usize::MAX;

struct Article {
    indonesian: bool,
    feed: usize,
    published: DateTime<Utc>,
    title: String,
    body: String,
    /// The vocabulary rank of each body token, in order (`NUMBER` for numbers).
    ranks: Vec<usize>,
}

struct Generator {
    n: usize,
    seed: u64,
    start: DateTime<Utc>,
    id: Vocab,
    en: Vocab,
    /// Cumulative activity of the feeds of each language.
    feeds_id: Vec<f64>,
    feeds_en: Vec<f64>,
}

impl Generator {
    fn new(root: &Path, n: usize, seed: u64) -> Result<Generator, String> {
        let (id_text, en_text) = real_text(root)?;
        let roots = std::fs::read_to_string(root.join("src/stem/roots-id.txt"))
            .map_err(|e| format!("roots-id.txt: {e}"))?;
        let mut rng = Rng::new(seed);
        let mut id_words = ranked(&id_text);
        let id_real = id_words.len();
        let mut tail: Vec<String> = Vec::new();
        for r in roots.lines().map(str::trim) {
            if r.len() < 3 || !r.bytes().all(|b| b.is_ascii_lowercase()) {
                continue;
            }
            tail.push(r.to_string());
            let forms = affixed(r);
            for _ in 0..2 {
                tail.push(forms[rng.below(forms.len())].clone());
            }
        }
        rng.shuffle(&mut tail);
        id_words.extend(tail);
        id_words.retain(|w| !REGIONAL.contains(&w.as_str()));
        for (k, name) in REGIONAL.iter().enumerate() {
            id_words.insert((150 + 53 * k).min(id_words.len()), name.to_string());
        }
        dedup_keep_first(&mut id_words);
        let mut en_words = ranked(&en_text);
        let en_real = en_words.len();
        let mut en_tail = Vec::new();
        for w in &en_words {
            let inflected = w.ends_with('s') || w.ends_with("ed") || w.ends_with("ing");
            if w.len() >= 4 && !inflected {
                for s in ["s", "ed", "ing"] {
                    en_tail.push(format!("{w}{s}"));
                }
            }
        }
        rng.shuffle(&mut en_tail);
        en_words.extend(en_tail);
        dedup_keep_first(&mut en_words);
        en_words.truncate(60_000);
        let activity = |count: usize| {
            let mut acc = 0.0;
            (0..count)
                .map(|i| {
                    acc += 1.0 / (i as f64 + 5.0).powf(0.8);
                    acc
                })
                .collect::<Vec<f64>>()
        };
        Ok(Generator {
            n,
            seed,
            start: Utc
                .with_ymd_and_hms(2022, 1, 1, 0, 0, 0)
                .single()
                .ok_or("bad start date")?,
            id: Vocab::new(id_words, id_real),
            en: Vocab::new(en_words, en_real),
            feeds_id: activity(FEEDS_ID),
            feeds_en: activity(FEEDS_EN),
        })
    }

    /// Article `i`, the same every time.
    fn article(&self, i: usize) -> Article {
        let mut rng = Rng::new(self.seed.wrapping_mul(0x1000_0000_01b3) ^ (i as u64 + 1));
        let indonesian = rng.below(10) < 6;
        let (v, feeds) = if indonesian {
            (&self.id, &self.feeds_id)
        } else {
            (&self.en, &self.feeds_en)
        };
        let feed = pick_cumulative(feeds, rng.unit());
        let span = 3.0 * 365.0 * 86_400.0;
        let secs = (i as f64 + rng.unit()) / self.n as f64 * span;
        let published = self.start + chrono::Duration::seconds(secs as i64);
        let words = (450.0 * (0.65 * rng.normal()).exp()).clamp(40.0, 3_000.0) as usize;
        let mut ranks = Vec::with_capacity(words);
        let mut body = String::with_capacity(words * 8);
        let mut sentence_left = 0;
        let mut paragraph_left = 4;
        while ranks.len() < words {
            if sentence_left == 0 {
                if !body.is_empty() {
                    body.push('.');
                    paragraph_left -= 1;
                    if paragraph_left == 0 {
                        body.push_str("\n\n");
                        paragraph_left = 3 + rng.below(3);
                    } else {
                        body.push(' ');
                    }
                }
                sentence_left = 8 + rng.below(18);
            } else if rng.below(12) == 0 {
                body.push_str(", ");
            } else {
                body.push(' ');
            }
            let start_of_sentence = body.is_empty() || body.ends_with(". ") || body.ends_with('\n');
            if rng.below(50) == 0 {
                let x = if rng.below(3) == 0 {
                    2_000 + rng.below(30)
                } else {
                    (10f64.powf(rng.unit() * 6.0)) as usize
                };
                body.push_str(&x.to_string());
                ranks.push(NUMBER);
            } else {
                let r = v.sample(&mut rng);
                push_word(&mut body, &v.words[r], start_of_sentence);
                ranks.push(r);
            }
            sentence_left -= 1;
        }
        body.push('.');
        let title_words = 6 + rng.below(9);
        let mut title = String::new();
        for k in 0..title_words {
            // Headlines are made of content words, not "yang" and "the".
            let mut r = v.sample(&mut rng);
            while r < 30 {
                r = v.sample(&mut rng);
            }
            if k > 0 {
                title.push(' ');
            }
            push_word(&mut title, &v.words[r], true);
        }
        Article {
            indonesian,
            feed,
            published,
            title,
            body,
            ranks,
        }
    }

    /// Articles `start..end` as one poll per feed, each with what ingest computes.
    fn window(
        &self,
        start: usize,
        end: usize,
        feed_ids: &[i64],
        text_bytes: &mut usize,
    ) -> Vec<PollWrite> {
        let mut by_feed: HashMap<i64, Vec<ItemWrite>> = HashMap::new();
        let mut last = self.start;
        for i in start..end {
            let a = self.article(i);
            last = a.published;
            let feed_index = if a.indonesian {
                a.feed
            } else {
                FEEDS_ID + a.feed
            };
            let Some(&feed_id) = feed_ids.get(feed_index) else {
                continue;
            };
            let host = if a.indonesian {
                format!("id{}.example", a.feed)
            } else {
                format!("en{}.example", a.feed)
            };
            let link = format!(
                "https://{host}/{}/{:02}/{:02}/berita-{i}",
                a.published.year(),
                a.published.month(),
                a.published.day()
            );
            let keys = url::Url::parse(&link)
                .map(|u| vec![warta::dedup::url_key(&u)])
                .unwrap_or_default();
            let language = if a.indonesian { "id" } else { "en" };
            let stems = warta::stem::article_stems(Some(language), &a.title, &a.body);
            *text_bytes += a.title.len() + a.body.len() + stems.len();
            let published = Some(a.published.fixed_offset());
            let content = Content {
                url: link.clone(),
                title: a.title,
                author: (i % 10 < 7).then(|| format!("Penulis {}", i % 997)),
                published,
                language: Some(language.to_string()),
                fingerprint: warta::dedup::fingerprint(&a.body),
                signature: warta::dedup::minhash::signature(&a.body),
                body: a.body,
                body_html: None,
                source: Source::Page,
                note: None,
                page_pending: false,
                raw_pages: Vec::new(),
                page_state: None,
                extractor_version: Some(1),
                stems,
                words: None,
                partial: None,
            }
            .with_words();
            by_feed.entry(feed_id).or_default().push(ItemWrite {
                guid: link.clone(),
                link,
                keys,
                published,
                revision: published,
                content: Some(content),
            });
        }
        let mut feeds: Vec<(i64, Vec<ItemWrite>)> = by_feed.into_iter().collect();
        feeds.sort_by_key(|(id, _)| *id);
        feeds
            .into_iter()
            .map(|(feed_id, items)| PollWrite {
                feed_id,
                now: last,
                validators: None,
                work: Work {
                    items,
                    ..Work::default()
                },
                timing: Timing {
                    not_before: last,
                    next_poll: last,
                },
                redirect: None,
                source_files: Vec::new(),
            })
            .collect()
    }
}

fn push_word(out: &mut String, word: &str, capital: bool) {
    let mut chars = word.chars();
    match chars.next() {
        Some(c) if capital => {
            out.extend(c.to_uppercase());
            out.push_str(chars.as_str());
        }
        _ => out.push_str(word),
    }
}

/// The Indonesian fixture texts and the English ground-truth bodies.
fn real_text(root: &Path) -> Result<(String, String), String> {
    let mut id = String::new();
    for folder in ["tests/fixtures/stories/texts", "tests/fixtures/sites"] {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(root.join(folder))
            .map_err(|e| format!("{folder}: {e}"))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "txt"))
            .collect();
        paths.sort();
        for p in paths {
            id.push_str(&std::fs::read_to_string(&p).map_err(|e| format!("{}: {e}", p.display()))?);
            id.push('\n');
        }
    }
    for f in [
        "tests/fixtures/stories/quotes.txt",
        "tests/fixtures/stories/leads.tsv",
    ] {
        if let Ok(t) = std::fs::read_to_string(root.join(f)) {
            id.push_str(&t);
        }
    }
    let bench = bench_dir::folder("article-extraction", "search_scale")
        .ok_or("search_scale takes its English vocabulary from the benchmark's ground truth")?;
    let truth = bench.join("ground-truth.json");
    let json: serde_json::Value = std::fs::read_to_string(&truth)
        .map_err(|e| format!("{}: {e}", truth.display()))
        .and_then(|t| serde_json::from_str(&t).map_err(|e| e.to_string()))?;
    let mut en = String::new();
    if let Some(map) = json.as_object() {
        let mut keys: Vec<&String> = map.keys().collect();
        keys.sort();
        for k in keys {
            let body = map[k]["articleBody"].as_str().unwrap_or_default();
            match whatlang::detect_lang(body) {
                Some(whatlang::Lang::Eng) => en.push_str(body),
                Some(whatlang::Lang::Ind) => id.push_str(body),
                _ => {}
            }
            en.push('\n');
        }
    }
    Ok((id, en))
}

/// Lower-case words of letters (ASCII or not), most frequent first, ties alphabetical.
fn ranked(text: &str) -> Vec<String> {
    let mut counts: HashMap<String, usize> = HashMap::new();
    for w in text
        .split(|c: char| !c.is_alphabetic())
        .filter(|w| !w.is_empty())
    {
        *counts.entry(w.to_lowercase()).or_default() += 1;
    }
    let mut v: Vec<(String, usize)> = counts.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    v.into_iter().map(|(w, _)| w).collect()
}

fn dedup_keep_first(words: &mut Vec<String>) {
    let mut seen = std::collections::HashSet::new();
    words.retain(|w| seen.insert(w.clone()));
}

/// Inflected forms of an Indonesian root, with the nasal of meN-/peN- assimilated as
/// the language does (tulis → menulis, pukul → memukul, sapu → menyapu, kirim → mengirim).
fn affixed(root: &str) -> Vec<String> {
    let nasal = |p: &str| -> String {
        let first = root.as_bytes().first().copied().unwrap_or(b'a');
        let rest = root.get(1..).unwrap_or_default();
        match first {
            b'a' | b'e' | b'i' | b'o' | b'u' | b'g' | b'h' => format!("{p}ng{root}"),
            b'k' => format!("{p}ng{rest}"),
            b'b' | b'f' | b'v' => format!("{p}m{root}"),
            b'p' => format!("{p}m{rest}"),
            b't' => format!("{p}n{rest}"),
            b's' => format!("{p}ny{rest}"),
            b'c' | b'd' | b'j' | b'z' => format!("{p}n{root}"),
            _ => format!("{p}{root}"),
        }
    };
    let ber = if root.starts_with('r') { "be" } else { "ber" };
    vec![
        nasal("me"),
        format!("{}kan", nasal("me")),
        format!("{}an", nasal("pe")),
        format!("{ber}{root}"),
        format!("di{root}"),
        format!("di{root}kan"),
        format!("{root}an"),
        format!("{root}nya"),
        format!("ke{root}an"),
        format!("pe{root}"),
    ]
}

/// A vocabulary ranked by frequency, sampled by a Zipf–Mandelbrot law.
struct Vocab {
    words: Vec<String>,
    /// How many of the first words come from real text.
    real: usize,
    cumulative: Vec<f64>,
}

impl Vocab {
    fn new(words: Vec<String>, real: usize) -> Vocab {
        let mut acc = 0.0;
        let cumulative = (0..words.len())
            .map(|r| {
                acc += weight(r);
                acc
            })
            .collect();
        Vocab {
            words,
            real,
            cumulative,
        }
    }

    fn sample(&self, rng: &mut Rng) -> usize {
        pick_cumulative(&self.cumulative, rng.unit())
    }

    fn probability(&self, r: usize) -> f64 {
        weight(r) / self.cumulative.last().copied().unwrap_or(1.0)
    }
}

fn weight(rank: usize) -> f64 {
    1.0 / (rank as f64 + 2.7)
}

fn pick_cumulative(cumulative: &[f64], u: f64) -> usize {
    let total = cumulative.last().copied().unwrap_or(0.0);
    cumulative
        .partition_point(|&c| c < u * total)
        .min(cumulative.len().saturating_sub(1))
}

/// SplitMix64: small, fast, and the same on every machine.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        let mut r = Rng(seed);
        r.next();
        r
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        (self.next() % n as u64) as usize
    }

    fn normal(&mut self) -> f64 {
        let u1 = self.unit().max(1e-12);
        let u2 = self.unit();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }

    fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = self.below(i + 1);
            v.swap(i, j);
        }
    }
}
