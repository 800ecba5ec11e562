//! What `[archive] keep_raw` costs in archive bytes per article (issue 15, BENCHMARKS.md
//! "Original responses kept"): the benchmark's pages are served gzip-encoded on loopback
//! behind one feed, and the real `warta fetch` archives them once per setting ("none",
//! "html", "response") into a fresh archive each time.
//!
//! ```text
//! cargo build && cargo run --example raw_cost -- target/debug/warta [plain]
//! ```
//!
//! `plain`: the pages are served without a content coding instead.
//!
//! The pages come from `$WARTA_BENCH_DIR/article-extraction` (default: `shared/bench` beside
//! the checkout), read where they are. Sizes do not depend on the build profile.

#[path = "common/bench_pages.rs"]
mod bench_pages;
#[path = "../tests/fixtures/bench_dir.rs"]
mod bench_dir;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;

fn main() {
    if let Err(e) = run() {
        eprintln!("raw_cost: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let warta = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .ok_or("usage: raw_cost PATH-TO-WARTA")?;
    let plain = std::env::args().nth(2).as_deref() == Some("plain");
    let Some(bench) = bench_dir::folder("article-extraction", "raw_cost") else {
        return Ok(());
    };
    let mut routes: HashMap<String, Vec<u8>> = HashMap::new();
    let mut items = String::new();
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    let base = format!(
        "http://{}",
        listener.local_addr().map_err(|e| e.to_string())?
    );
    let mut wire = 0usize;
    bench_pages::each_page(&bench, |id, _, bytes| {
        let gz = if plain {
            bytes
        } else {
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(6));
            gz.write_all(&bytes).map_err(|e| e.to_string())?;
            gz.finish().map_err(|e| e.to_string())?
        };
        wire += gz.len();
        items.push_str(&format!(
            "<item><title>{id}</title><link>{base}/p/{id}</link><guid>{id}</guid></item>\n"
        ));
        routes.insert(format!("/p/{id}"), gz);
        Ok(())
    })?;
    let pages = routes.len();
    let feed = format!(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>bench</title><link>{base}/</link>\n{items}</channel></rss>"
    );
    let routes = Arc::new((routes, feed.into_bytes(), plain));
    std::thread::spawn(move || {
        for conn in listener.incoming().flatten() {
            let routes = routes.clone();
            std::thread::spawn(move || serve(conn, &routes));
        }
    });
    println!(
        "{pages} pages, {} KiB {} on the wire (mean page {} bytes)",
        wire / 1024,
        if plain { "plain" } else { "gzip" },
        wire / pages.max(1)
    );
    println!("keep_raw   articles  file bytes/article  kept bytes/article (median)");
    for keep in ["none", "html", "response"] {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let (articles, file, median) = archive(&warta, dir.path(), &base, keep)?;
        println!(
            "{keep:<10} {articles:>8}  {:>18}  {median:>27}",
            file / articles.max(1)
        );
    }
    Ok(())
}

/// Fetches the feed into a fresh archive kept as `keep`: articles, the compacted file's
/// size, and the median of the bytes kept per article beside its text.
fn archive(warta: &Path, dir: &Path, base: &str, keep: &str) -> Result<(u64, u64, u64), String> {
    let config = format!(
        "[archive]\npath = \"archive.db\"\nkeep_raw = \"{keep}\"\n\n[fetch]\nallow_private_addresses = true\nper_host_delay = \"0s\"\n\n[[feed]]\nname = \"bench\"\nurl = \"{base}/feed.xml\"\n"
    );
    std::fs::write(dir.join("feeds.toml"), config).map_err(|e| e.to_string())?;
    let out = std::process::Command::new(warta)
        .arg("--config")
        .arg(dir.join("feeds.toml"))
        .args(["--quiet", "fetch"])
        .output()
        .map_err(|e| format!("{}: {e}", warta.display()))?;
    if !out.status.success() {
        return Err(format!(
            "warta fetch failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let db_path = dir.join("archive.db");
    let db = rusqlite::Connection::open(&db_path).map_err(|e| e.to_string())?;
    // The file as it would stay: the log folded in, free pages dropped.
    db.execute_batch("PRAGMA wal_checkpoint(TRUNCATE); VACUUM;")
        .map_err(|e| e.to_string())?;
    let articles: i64 = db
        .query_row("SELECT count(*) FROM articles", [], |r| r.get(0))
        .map_err(|e| e.to_string())?;
    let mut kept: Vec<i64> = db
        .prepare(
            "SELECT coalesce((SELECT sum(length(html_zstd)) FROM pages p WHERE p.article_id = a.id), 0)
                  + coalesce((SELECT sum(length(request_head) + length(response_head) + length(body_zstd))
                              FROM responses r WHERE r.article_id = a.id), 0)
             FROM articles a",
        )
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .map_err(|e| e.to_string())?;
    drop(db);
    kept.sort_unstable();
    let median = kept.get(kept.len() / 2).copied().unwrap_or(0);
    let file = std::fs::metadata(&db_path)
        .map_err(|e| e.to_string())?
        .len();
    Ok((
        u64::try_from(articles).unwrap_or(0),
        file,
        u64::try_from(median).unwrap_or(0),
    ))
}

/// One request: the feed, a page (gzip-encoded, as most news sites send it, unless
/// `plain`), or 404.
fn serve(mut conn: TcpStream, routes: &(HashMap<String, Vec<u8>>, Vec<u8>, bool)) {
    let mut line = String::new();
    let mut reader = BufReader::new(match conn.try_clone() {
        Ok(c) => c,
        Err(_) => return,
    });
    if reader.read_line(&mut line).is_err() {
        return;
    }
    loop {
        let mut h = String::new();
        match reader.read_line(&mut h) {
            Ok(0) | Err(_) => break,
            Ok(_) if h.trim().is_empty() => break,
            Ok(_) => {}
        }
    }
    let path = line.split(' ').nth(1).unwrap_or("/");
    let (head, body): (&str, &[u8]) = if path == "/feed.xml" {
        ("Content-Type: application/rss+xml", &routes.1)
    } else if let Some(page) = routes.0.get(path) {
        let head = if routes.2 {
            "Content-Type: text/html; charset=utf-8"
        } else {
            "Content-Type: text/html; charset=utf-8\r\nContent-Encoding: gzip"
        };
        (head, page)
    } else {
        let _ = conn
            .write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        return;
    };
    let _ = write!(
        conn,
        "HTTP/1.1 200 OK\r\n{head}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = conn.write_all(body);
}
