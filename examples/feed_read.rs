//! How fast `warta::feed::parse_feed` reads feeds: every file of the feed differential corpus
//! (small, odd feeds), and one large feed made of a real Indonesian WordPress feed's items
//! repeated to about `--mb` MiB (default 8), median of five runs each.
//!
//! `cargo run --release --example feed_read [-- --mb 8]`

use std::path::PathBuf;
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let mb: usize = args
        .iter()
        .position(|a| a == "--mb")
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(8);
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let url = url::Url::parse("https://kaltim.contoh.id/feed/")?;
    let now = chrono::Utc::now();

    let mut files = Vec::new();
    let mut stack = vec![root.join("feed-diff")];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(dir)? {
            let p = e?.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "xml") {
                files.push(std::fs::read(p)?);
            }
        }
    }
    let bytes: usize = files.iter().map(Vec::len).sum();
    let corpus = median(|| {
        for f in &files {
            let _ = warta::feed::parse_feed(f, None, &url, now);
        }
    });
    println!(
        "corpus: {} files, {:.1} MiB: {:.0} ms ({:.0} feeds/s)",
        files.len(),
        bytes as f64 / 1048576.0,
        corpus * 1e3,
        files.len() as f64 / corpus
    );

    let one = std::fs::read_to_string(root.join("feeds/kaltim-wordpress.xml"))?;
    let (head, rest) = one.split_at(one.find("<item>").ok_or("no item")?);
    let items = &rest[..rest.rfind("</item>").ok_or("no item end")? + "</item>".len()];
    let mut big = head.to_string();
    let mut n = 0;
    while big.len() < mb << 20 {
        big.push_str(
            &items
                .replace("</guid>", &format!("-{n}</guid>"))
                .replace("</link>", &format!("?n={n}</link>")),
        );
        n += 1;
    }
    big.push_str("</channel></rss>");
    let mut count = 0;
    let large = median(|| {
        count = warta::feed::parse_feed(big.as_bytes(), None, &url, now)
            .map(|f| f.items.len())
            .unwrap_or(0);
    });
    println!(
        "large feed: {:.1} MiB, {count} items: {:.0} ms ({:.1} MiB/s)",
        big.len() as f64 / 1048576.0,
        large * 1e3,
        big.len() as f64 / 1048576.0 / large
    );
    Ok(())
}

/// Median wall time of five runs, in seconds.
fn median(mut f: impl FnMut()) -> f64 {
    let mut t: Vec<f64> = (0..5)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed().as_secs_f64()
        })
        .collect();
    t.sort_by(f64::total_cmp);
    t[2]
}
