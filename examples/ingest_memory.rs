//! Peak memory of `warta fetch` against feed size (issue 12): the real release binary
//! against the loopback sites of `poll_scale`, with article pages padded to real size.
//!
//! Two shapes of the same work, each run `--runs` times on a fresh archive:
//! - one feed listing 2,000 pages of ~200 KB each (one host: pages come one at a time);
//! - 200 feeds of 50 pages each, on 200 hosts (127.0.0.2 …): many polls at once.
//!
//! The peak RSS of each run comes from GNU time (`/usr/bin/time -v`), else from VmHWM in
//! /proc while the process lives. Streaming ingest should keep both under the same bound
//! (150 MiB), whatever the feed's size or the number of feeds.
//!
//! Usage: `cargo run --release --example ingest_memory -- [--runs 3] [--page-kib 200]
//! [--pages 2000] [--feeds 200] [--per-feed 50] [--no-build] [--warta PATH] [--keep]`.
//! Linux only (extra loopback addresses, /proc).

#[path = "poll_scale.rs"]
#[allow(dead_code)]
mod scale;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The bound of issue 12, for both shapes.
const BOUND_MIB: f64 = 150.0;

fn main() {
    if let Err(e) = run() {
        eprintln!("ingest_memory: {e}");
        std::process::exit(1);
    }
}

struct Shape {
    name: String,
    feeds: usize,
    hosts: usize,
    items: usize,
}

fn run() -> Result<(), String> {
    let (mut runs, mut page_kib, mut pages, mut feeds, mut per_feed) = (3, 200, 2000, 200, 50);
    let (mut build, mut keep, mut warta) = (true, false, None::<PathBuf>);
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
            "--page-kib" => page_kib = num("--page-kib")?,
            "--pages" => pages = num("--pages")?.max(1),
            "--feeds" => feeds = num("--feeds")?.clamp(1, 250),
            "--per-feed" => per_feed = num("--per-feed")?.max(1),
            "--no-build" => build = false,
            "--keep" => keep = true,
            "--warta" => warta = Some(PathBuf::from(it.next().ok_or("--warta needs a path")?)),
            _ => return Err(format!("unexpected argument {arg:?}")),
        }
    }
    let warta = scale::locate_warta(warta.as_deref(), build)?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .map_err(|e| format!("runtime: {e}"))?;
    let shapes = [
        Shape {
            name: format!("1 feed × {pages} pages"),
            feeds: 1,
            hosts: 1,
            items: pages,
        },
        Shape {
            name: format!("{feeds} feeds × {per_feed} pages"),
            feeds,
            hosts: feeds,
            items: per_feed,
        },
    ];
    println!(
        "ingest_memory: pages of ~{page_kib} KiB, {runs} runs per shape, warta {}",
        warta.display()
    );
    let mut table = String::from(
        "| shape | peak RSS median (MiB) | min–max | wall median (s) | summary | within 150 MiB |\n| --- | --- | --- | --- | --- | --- |\n",
    );
    for shape in &shapes {
        let site = Arc::new(scale::Site {
            hosts: shape.hosts,
            feeds: shape.feeds,
            items: shape.items,
            latency: Duration::ZERO,
            page_kib,
            port: 0,
        });
        let stats = Arc::new(Mutex::new(scale::Stats::new(shape.hosts)));
        let port = rt.block_on(scale::start_server(site, stats))?;
        let (mut peaks, mut walls, mut summary) = (Vec::new(), Vec::new(), String::new());
        for run in 1..=runs {
            let dir = std::env::temp_dir().join(format!(
                "warta-ingest-memory-{}-{}-{run}",
                std::process::id(),
                shape.feeds
            ));
            std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
            let config = dir.join("feeds.toml");
            scale::write_config(&config, shape.feeds, shape.hosts, "0s", port, "1h")?;
            let label = format!("{} run {run}", shape.name);
            let pass = scale::fetch_pass(&warta, &config, &dir, &label, Duration::from_secs(3600))?;
            if pass.status != "0" {
                return Err(format!("{label}: warta exited {}", pass.status));
            }
            peaks.push(pass.peak_kib as f64 / 1024.0);
            walls.push(pass.wall);
            summary = pass.summary;
            if keep {
                println!("kept {}", dir.display());
            } else {
                let _ = std::fs::remove_dir_all(&dir);
            }
        }
        let median = median(&mut peaks);
        table.push_str(&format!(
            "| {} | {median:.0} | {:.0}–{:.0} | {:.1} | {summary} | {} |\n",
            shape.name,
            peaks.first().copied().unwrap_or(0.0),
            peaks.last().copied().unwrap_or(0.0),
            self::median(&mut walls),
            if median <= BOUND_MIB { "yes" } else { "NO" },
        ));
    }
    println!("\n{table}");
    rt.shutdown_timeout(Duration::from_secs(1));
    Ok(())
}

/// The median, leaving `v` sorted.
fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => 0.0,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}
