//! Writes a JSONL file of N synthetic articles in the format of `warta export --format
//! jsonl`, for measuring `warta import` at scale (issue 12, point 3).
//!
//! Bodies are 250 to 700 words drawn with a Zipf-like skew from a vocabulary of common
//! Indonesian words and made-up syllable words (so the search vocabulary keeps growing, as
//! a real archive's does); 1 article in 10 has a second place in another feed. Articles are
//! distinct: none is a near duplicate of another, so every one becomes a new article and a
//! new story, the costliest path.
//!
//! Usage: `cargo run --release --example import_scale -- [--articles 100000] [--out FILE]`
//! (default FILE: import-scale-N.jsonl in the system's temporary folder), then
//! `/usr/bin/time -v warta --db NEW.db import FILE`.
//!
//! Measured (100,000 articles, 417 MB, release build, 2 cores shared with other builds,
//! load average 4–12): 190–199 s wall, 526 articles/s at best; 133 CPU-seconds with the
//! 64 MiB import cache (148 without; system time 41 s → 18 s); peak RSS 89 MiB (22 MiB
//! without the cache). perf: about 60 % of the CPU is the store's write (SQLite B-tree and
//! FTS5 work, the vocabulary, page I/O), about 30 % preparing records (MinHash, stems,
//! allocation), which runs on its own thread; the writer is the bound.

use std::io::{BufWriter, Write};
use std::path::PathBuf;

use serde_json::json;

const COMMON: &[&str] = &[
    "yang",
    "dan",
    "di",
    "ke",
    "dari",
    "untuk",
    "dengan",
    "pada",
    "warga",
    "kota",
    "banjir",
    "jalan",
    "jembatan",
    "bupati",
    "gubernur",
    "pasar",
    "harga",
    "sungai",
    "desa",
    "kecamatan",
    "pembangunan",
    "pemerintah",
    "daerah",
    "kabupaten",
    "samarinda",
    "balikpapan",
    "sangatta",
    "kutai",
    "timur",
    "mahakam",
    "tambang",
    "sawit",
    "sekolah",
    "siswa",
    "guru",
    "rumah",
    "sakit",
    "pelabuhan",
    "kapal",
    "bandara",
    "dinas",
    "anggaran",
    "rapat",
    "dewan",
    "polisi",
    "menyampaikan",
    "mengatakan",
    "meresmikan",
    "pembangunan",
    "kegiatan",
    "masyarakat",
];

const SYLLABLES: &[&str] = &[
    "ba", "ka", "ma", "ta", "sa", "ra", "la", "pa", "na", "ga", "ri", "ti", "ni", "si", "ku", "tu",
    "mu", "ru", "lo", "ko", "an", "ang", "ung", "ing", "er", "en",
];

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

fn word(rng: &mut Rng) -> String {
    // Half the tokens from the common words, the rest from a long made-up tail whose rank
    // is skewed toward the front (Zipf-like: the minimum of two uniform draws, squared).
    if rng.below(2) == 0 {
        return COMMON[rng.below(COMMON.len() as u64) as usize].to_string();
    }
    let rank = rng.below(200_000).min(rng.below(200_000));
    let mut r = Rng(rank.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
    let syllables = 2 + r.below(3);
    (0..syllables)
        .map(|_| SYLLABLES[r.below(SYLLABLES.len() as u64) as usize])
        .collect()
}

fn main() {
    let mut n = 100_000usize;
    let mut out: Option<PathBuf> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--articles" => n = args.next().and_then(|v| v.parse().ok()).unwrap_or(n),
            "--out" => out = args.next().map(PathBuf::from),
            other => {
                eprintln!("unknown argument {other}; usage: --articles N --out FILE");
                std::process::exit(2);
            }
        }
    }
    let out = out.unwrap_or_else(|| std::env::temp_dir().join(format!("import-scale-{n}.jsonl")));
    let file = match std::fs::File::create(&out) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("cannot create {}: {e}", out.display());
            std::process::exit(1);
        }
    };
    let mut w = BufWriter::new(file);
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let start =
        chrono::DateTime::parse_from_rfc3339("2022-01-01T00:00:00+08:00").unwrap_or_default();
    for i in 0..n {
        let feed = format!("feed-{}", rng.below(200));
        let url = format!("https://{feed}.example/berita/{i}");
        let words = 250 + rng.below(450);
        let mut body = String::new();
        for k in 0..words {
            if k > 0 {
                body.push_str(if k % 60 == 0 { ".\n\n" } else { " " });
            }
            body.push_str(&word(&mut rng));
        }
        let title: Vec<String> = (0..8).map(|_| word(&mut rng)).collect();
        let published = start + chrono::Duration::minutes(i as i64 * 3);
        let fetched = published + chrono::Duration::minutes(5);
        let mut places = vec![json!({
            "feed": feed, "url": url, "first_seen": fetched.to_rfc3339(),
            "published": published.to_rfc3339(),
        })];
        if i % 10 == 0 {
            places.push(json!({
                "feed": "agregator", "url": url, "first_seen": (fetched + chrono::Duration::hours(1)).to_rfc3339(),
                "published": published.to_rfc3339(),
            }));
        }
        let line = json!({
            "id": i + 1, "title": title.join(" "), "url": url, "feed": feed,
            "published": published.to_rfc3339(), "fetched": fetched.to_rfc3339(),
            "language": "id", "story": i + 1, "copies": places.len(), "author": null,
            "body": body, "source": "page", "note": null, "version": 1,
            "story_copies": [], "other_copies": [], "places": places,
            "extraction": {"source": "page", "extractor_version": 1, "page_pending": false, "raw_pages": 0},
        });
        if serde_json::to_writer(&mut w, &line).is_err() || w.write_all(b"\n").is_err() {
            eprintln!("cannot write {}", out.display());
            std::process::exit(1);
        }
    }
    if w.flush().is_err() {
        eprintln!("cannot write {}", out.display());
        std::process::exit(1);
    }
    println!("{}", out.display());
}
