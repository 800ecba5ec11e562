//! Peak memory and speed of the streaming sitemap reader (issue 13, point 2) on a
//! protocol-sized file: 50,000 Google News entries, about 50 MB, plain and gzipped.
//!
//! The files are written to a temporary folder first (streamed, so writing them costs no
//! memory), then each is read from disk `--runs` times through `source::sitemap::read`.
//! Peak memory is the growth of `VmHWM` (/proc/self/status, Linux) over the reading, and
//! the reader's own `largest_buffer`; time is the fastest run.
//!
//! Usage: `cargo run --release --example sitemap_memory -- [--runs 3] [--urls 50000]`.

#[path = "common/peak.rs"]
mod peak;

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Write};
use std::ops::ControlFlow;
use std::path::Path;
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use url::Url;
use warta::source::sitemap::{self, Entry, Limits, Scope};

fn main() {
    if let Err(e) = run() {
        eprintln!("sitemap_memory: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let (mut runs, mut urls) = (3, 50_000);
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut num = |name: &str| -> Result<usize, String> {
            it.next()
                .ok_or(format!("{name} needs a value"))?
                .parse()
                .map_err(|e| format!("{name}: {e}"))
        };
        match arg.as_str() {
            "--runs" => runs = num("--runs")?.max(1),
            "--urls" => urls = num("--urls")?.max(1),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let plain = dir.path().join("news-sitemap.xml");
    let packed = dir.path().join("news-sitemap.xml.gz");
    write_sitemap(&plain, urls, false).map_err(|e| format!("{}: {e}", plain.display()))?;
    write_sitemap(&packed, urls, true).map_err(|e| format!("{}: {e}", packed.display()))?;
    for path in [&plain, &packed] {
        let size = std::fs::metadata(path).map_err(|e| e.to_string())?.len();
        let before = peak::peak_kib()?;
        let mut fastest = Duration::MAX;
        let mut last = None;
        for _ in 0..runs {
            let file = File::open(path).map_err(|e| e.to_string())?;
            let start = Instant::now();
            let (pages, summary) = read_file(file)?;
            fastest = fastest.min(start.elapsed());
            last = Some((pages, summary));
        }
        let after = peak::peak_kib()?;
        let Some((pages, summary)) = last else {
            return Err("no run".into());
        };
        if let Some(e) = &summary.error {
            return Err(format!("{}: {e}", path.display()));
        }
        println!(
            "{}: {:.1} MB on disk, {:.1} MB of XML, {pages} pages, fastest of {runs} {:.2} s ({:.0} pages/s), \
             reader's largest buffer {} KiB, peak RSS growth while reading {} KiB (VmHWM {} → {} KiB)",
            path.file_name().and_then(|n| n.to_str()).unwrap_or("?"),
            size as f64 / 1e6,
            summary.bytes as f64 / 1e6,
            fastest.as_secs_f64(),
            pages as f64 / fastest.as_secs_f64(),
            summary.largest_buffer.div_ceil(1024),
            after.saturating_sub(before),
            before,
            after,
        );
    }
    Ok(())
}

fn read_file(file: File) -> Result<(usize, sitemap::Summary), String> {
    let base = Url::parse("https://besar.example/news-sitemap.xml").map_err(|e| e.to_string())?;
    let now = Utc
        .with_ymd_and_hms(2024, 11, 20, 12, 0, 0)
        .single()
        .ok_or("no such date")?;
    let mut pages = 0;
    let summary = sitemap::read(
        BufReader::new(file),
        &base,
        &Scope::new(&base),
        &Limits::default(),
        now,
        |e| {
            if let Entry::Page(_) = e {
                pages += 1;
            }
            ControlFlow::Continue(())
        },
    );
    Ok((pages, summary))
}

/// A news sitemap of `urls` entries of about 1 kB each, the shape news plugins write.
fn write_sitemap(path: &Path, urls: usize, gzip: bool) -> io::Result<()> {
    let file = BufWriter::new(File::create(path)?);
    if gzip {
        let mut packed = flate2::write::GzEncoder::new(file, flate2::Compression::default());
        write_entries(&mut packed, urls)?;
        packed.finish()?.flush()
    } else {
        let mut plain = file;
        write_entries(&mut plain, urls)?;
        plain.flush()
    }
}

fn write_entries(out: &mut impl Write, urls: usize) -> io::Result<()> {
    writeln!(
        out,
        r#"<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:news="http://www.google.com/schemas/sitemap-news/0.9" xmlns:image="http://www.google.com/schemas/sitemap-image/1.1">"#
    )?;
    let words =
        "pemerintah kabupaten kutai timur menyalurkan bantuan kepada nelayan di pesisir sangatta";
    for i in 0..urls {
        let (hour, minute) = (i / 60 % 24, i % 60);
        writeln!(
            out,
            "<url><loc>https://besar.example/berita/2024/11/20/{i}/judul-berita-yang-cukup-panjang-untuk-sebuah-artikel-{i}</loc>\
             <lastmod>2024-11-20T{hour:02}:{minute:02}:00+08:00</lastmod><news:news><news:publication><news:name>Besar</news:name>\
             <news:language>id</news:language></news:publication><news:publication_date>2024-11-20T{hour:02}:{minute:02}:00+08:00</news:publication_date>\
             <news:title>Berita nomor {i}: {words} &amp; {words} {words}</news:title><news:keywords>Kutai Timur, Sangatta, {words}</news:keywords></news:news><image:image><image:loc>https://cdn.besar.example/{i}.jpg</image:loc>\
             <image:caption>Keterangan gambar {i}: {words}</image:caption></image:image></url>"
        )?;
    }
    writeln!(out, "</urlset>")
}
