//! Site sources at scale (issue 13, point 8): the real `warta` binary polling N `[[site]]`
//! sources (default 200) that publish no feed, only sitemaps, on a loopback server.
//!
//! Each site has its own address (127.0.0.2 …, then 127.0.1.2 …; politeness is kept per
//! host) on one port, and publishes what a WordPress news site with Yoast does:
//! - `/robots.txt` naming `/sitemap_index.xml` (nothing in the config names a sitemap);
//! - the index, listing `news-sitemap.xml` (Google News entries of the last 2 days, with
//!   title and publication date), `post-sitemap1.xml` … `post-sitemap6.xml` (the URLs, each
//!   file 5 days of them, the highest number the newest, even numbers gzipped as `.xml.gz`)
//!   and a `category-sitemap.xml` (no articles: a reader should skip it);
//! - `--urls` article URLs in all (default 5,000), published over the 30 days before the
//!   server started, so that a 7-day horizon keeps 7/30 of them;
//! - article pages of a few KB whose words come from a seeded generator (no two alike),
//!   made from the path on every request.
//!
//! Every sitemap and robots.txt carries an ETag and answers 304 to it. The server counts,
//! per host and per poll: requests by kind, the most in flight at once, the smallest gap
//! between an answer and the next request, and article URLs asked for twice.
//!
//! Each run writes a feeds.toml in a fresh folder and runs `warta fetch` `--polls` times
//! (default 2: the first takes the newest `max_pages` of each site, the second runs with
//! nothing changed on the server), and reports per poll: wall time, the politeness bound
//! ((requests to the busiest host − 1) × per_host_delay), peak RSS (`time -v`'s maximum
//! resident set, the kernel's VmHWM of the warta process), CPU, requests, articles, and
//! the checks: no site over `max_pages` article requests, no gap under per_host_delay,
//! never two requests in flight on one host. With `--runs` above 1, medians follow.
//!
//! Usage: `cargo run --release --example site_scale -- [--sites 200] [--urls 5000]
//! [--per-host-delay 200ms] [--horizon 7d] [--max-pages 50] [--polls 2] [--runs 1]
//! [--latency-ms 10] [--no-build] [--warta PATH] [--keep]`. Linux only (extra loopback
//! addresses, /proc).

#[path = "poll_scale.rs"]
#[allow(dead_code)]
mod scale;

use std::collections::HashSet;
use std::fmt::Write as _;
use std::io::Write as _;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, FixedOffset, Offset, Utc};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

/// Days the article URLs of a site spread over.
const SPAN_DAYS: u64 = 30;
/// Days the Google News sitemap covers (the protocol's 2 days).
const NEWS_DAYS: u64 = 2;
/// Post sitemaps a site's URLs are split into, newest last as Yoast numbers them.
const CHILDREN: usize = 6;
/// A gap this much under per_host_delay still counts as kept: the server's clock and the
/// client's are read at slightly different moments.
const GAP_TOLERANCE: Duration = Duration::from_millis(5);

fn main() {
    if let Err(e) = run() {
        eprintln!("site_scale: {e}");
        std::process::exit(1);
    }
}

struct Args {
    sites: usize,
    urls: usize,
    per_host_delay: String,
    horizon: String,
    max_pages: usize,
    polls: usize,
    runs: usize,
    latency: Duration,
    build: bool,
    keep: bool,
    warta: Option<PathBuf>,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        sites: 200,
        urls: 5000,
        per_host_delay: "200ms".into(),
        horizon: "7d".into(),
        max_pages: 50,
        polls: 2,
        runs: 1,
        latency: Duration::from_millis(10),
        build: true,
        keep: false,
        warta: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().ok_or(format!("{name} needs a value"));
        let num = |v: String, name: &str| v.parse::<usize>().map_err(|e| format!("{name}: {e}"));
        match arg.as_str() {
            "--sites" => a.sites = num(value("--sites")?, "--sites")?,
            "--urls" => a.urls = num(value("--urls")?, "--urls")?,
            "--per-host-delay" => a.per_host_delay = value("--per-host-delay")?,
            "--horizon" => a.horizon = value("--horizon")?,
            "--max-pages" => a.max_pages = num(value("--max-pages")?, "--max-pages")?,
            "--polls" => a.polls = num(value("--polls")?, "--polls")?.max(1),
            "--runs" => a.runs = num(value("--runs")?, "--runs")?.max(1),
            "--latency-ms" => {
                a.latency =
                    Duration::from_millis(num(value("--latency-ms")?, "--latency-ms")? as u64)
            }
            "--no-build" => a.build = false,
            "--keep" => a.keep = true,
            "--warta" => a.warta = Some(PathBuf::from(value("--warta")?)),
            _ => return Err(format!("unexpected argument {arg:?}")),
        }
    }
    if a.sites == 0 || a.sites > 500 {
        return Err("--sites must be 1..=500 (127.0.0.2 … 127.0.1.251)".into());
    }
    if a.urls < CHILDREN {
        return Err(format!("--urls must be at least {CHILDREN}"));
    }
    Ok(a)
}

/// The measures of one `warta fetch`.
struct Poll {
    pass: scale::Pass,
    load: Load,
}

fn run() -> Result<(), String> {
    let args = parse_args()?;
    let delay = parse_duration(&args.per_host_delay)?;
    let horizon = parse_duration(&args.horizon)?;
    let warta = scale::locate_warta(args.warta.as_deref(), args.build)?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .map_err(|e| format!("runtime: {e}"))?;
    // Dates count back from the minute the server starts, so that the horizon keeps the
    // same share of each site whenever the benchmark runs, and a later poll sees the same
    // files.
    let now = Utc::now();
    let base = now - chrono::Duration::seconds(now.timestamp() % 60);
    let stats = Arc::new(Mutex::new(Stats::new(args.sites)));
    let mut world = World {
        sites: args.sites,
        urls: args.urls,
        base,
        latency: args.latency,
        port: 0,
    };
    world.port = rt.block_on(start_server(&world, stats.clone()))?;
    let in_horizon = (0..args.urls).filter(|&i| world.age(i) < horizon).count();
    println!(
        "site_scale: {} sites × {} URLs ({} within the {} horizon), per_host_delay {}, max_pages {}, server latency {} ms, port {}",
        args.sites,
        args.urls,
        in_horizon,
        args.horizon,
        args.per_host_delay,
        args.max_pages,
        args.latency.as_millis(),
        world.port
    );
    println!("warta: {}", warta.display());

    let mut polls: Vec<Vec<Poll>> = (0..args.polls).map(|_| Vec::new()).collect();
    for run in 1..=args.runs {
        let dir =
            std::env::temp_dir().join(format!("warta-site-scale-{}-{run}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let config = dir.join("feeds.toml");
        write_config(&config, &args, world.port)?;
        take_load(&stats, args.sites, delay);
        for (p, done) in polls.iter_mut().enumerate() {
            let label = format!("run{run}-poll{}", p + 1);
            let pass = scale::fetch_pass(&warta, &config, &dir, &label, Duration::from_secs(3600))?;
            let load = take_load(&stats, args.sites, delay);
            done.push(Poll { pass, load });
        }
        if args.keep {
            println!("kept {}", dir.display());
        } else {
            let _ = std::fs::remove_dir_all(&dir);
        }
    }
    println!("\n{}", report(&args, delay, &polls));
    rt.shutdown_timeout(Duration::from_secs(1));
    Ok(())
}

/// One table, a column per poll, a run per line in each cell; then the medians.
fn report(args: &Args, delay: Duration, polls: &[Vec<Poll>]) -> String {
    let mut out = String::from("| measure |");
    for p in 1..=polls.len() {
        let _ = write!(out, " poll {p} |");
    }
    out.push_str("\n| --- |");
    out.push_str(&" --- |".repeat(polls.len()));
    out.push('\n');
    let d = delay.as_secs_f64();
    let bound = |l: &Load| l.busiest.saturating_sub(1) as f64 * d;
    type Cell = fn(&Poll, f64, &Args) -> String;
    let rows: &[(&str, Cell)] = &[
        ("exit status", |p, _, _| p.pass.status.clone()),
        ("wall (s)", |p, _, _| format!("{:.1}", p.pass.wall)),
        ("politeness bound (s)", |_, b, _| format!("{b:.1}")),
        ("wall / bound", |p, b, _| {
            if b > 0.0 {
                format!("{:.2}", p.pass.wall / b)
            } else {
                "-".into()
            }
        }),
        ("peak RSS (MiB)", |p, _, _| {
            format!("{:.1}", p.pass.peak_kib as f64 / 1024.0)
        }),
        ("CPU user+sys (s)", |p, _, _| format!("{:.1}", p.pass.cpu)),
        ("warta's summary", |p, _, _| p.pass.summary.clone()),
        ("requests: all / 304", |p, _, _| {
            format!("{} / {}", p.load.total, p.load.not_modified)
        }),
        ("by kind", |p, _, _| p.load.kinds()),
        ("requests per site (min / max)", |p, _, _| {
            format!("{} / {}", p.load.least, p.load.busiest)
        }),
        ("article requests per site (max) / all", |p, _, _| {
            format!(
                "{} / {}",
                p.load.most_articles,
                p.load.totals[Kind::Article as usize]
            )
        }),
        ("sites over max_pages", |p, _, a| {
            check(p.load.over_budget(a.max_pages), 0)
        }),
        ("article URLs asked twice", |p, _, _| {
            check(p.load.repeated as usize, 0)
        }),
        ("smallest gap on one host (ms)", |p, _, _| {
            p.load
                .min_gap
                .map_or("-".into(), |g| format!("{:.0}", g.as_secs_f64() * 1000.0))
        }),
        ("hosts with a gap under the delay", |p, _, _| {
            check(p.load.short_gaps, 0)
        }),
        ("most in flight on one host", |p, _, _| {
            check(p.load.max_in_flight as usize, 1)
        }),
        ("most hosts in flight at once", |p, _, _| {
            p.load.max_busy.to_string()
        }),
    ];
    for (name, cell) in rows {
        let _ = write!(out, "| {name} |");
        for poll in polls {
            let cells: Vec<String> = poll.iter().map(|p| cell(p, bound(&p.load), args)).collect();
            let _ = write!(out, " {} |", cells.join("; "));
        }
        out.push('\n');
    }
    if args.runs > 1 {
        let _ = write!(out, "| median wall / peak RSS / CPU |");
        for poll in polls {
            let med = |f: &dyn Fn(&Poll) -> f64| {
                let mut v: Vec<f64> = poll.iter().map(f).collect();
                v.sort_by(f64::total_cmp);
                v.get(v.len() / 2).copied().unwrap_or(0.0)
            };
            let _ = write!(
                out,
                " {:.1} s / {:.1} MiB / {:.1} s |",
                med(&|p| p.pass.wall),
                med(&|p| p.pass.peak_kib as f64 / 1024.0),
                med(&|p| p.pass.cpu)
            );
        }
        out.push('\n');
    }
    out
}

/// A count, marked when it is over what the check allows.
fn check(n: usize, allowed: usize) -> String {
    if n <= allowed {
        format!("{n} (ok)")
    } else {
        format!("{n} (FAILED)")
    }
}

/// "200ms", "1s", "6h", "7d" as a duration.
fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .ok_or(format!("{s:?} has no unit"))?;
    let (num, unit) = s.split_at(split);
    let n: f64 = num.parse().map_err(|e| format!("{s:?}: {e}"))?;
    let mult = match unit {
        "ms" => 0.001,
        "s" => 1.0,
        "m" => 60.0,
        "h" => 3600.0,
        "d" => 86_400.0,
        _ => return Err(format!("{s:?}: unknown unit {unit:?}")),
    };
    Ok(Duration::from_secs_f64(n * mult))
}

fn host_ip(h: usize) -> Ipv4Addr {
    // 250 a block, so that no address ends in .0, .1 or .255.
    Ipv4Addr::new(127, 0, (h / 250) as u8, (2 + h % 250) as u8)
}

fn write_config(path: &Path, args: &Args, port: u16) -> Result<(), String> {
    let mut s = format!(
        "[archive]\npath = \"archive.db\"\n\n[fetch]\nconcurrency = 16\nper_host_delay = \"{}\"\ntimeout = \"30s\"\nallow_private_addresses = true\n\n[schedule]\ndefault = \"1h\"\n\n[sources]\nhorizon = \"{}\"\nmax_pages = {}\n\n",
        args.per_host_delay, args.horizon, args.max_pages
    );
    for h in 0..args.sites {
        let _ = writeln!(
            s,
            "[[site]]\nname = \"site-{h:03}\"\nurl = \"http://{}:{port}/\"\n",
            host_ip(h)
        );
    }
    std::fs::write(path, s).map_err(|e| format!("{}: {e}", path.display()))
}

// ---------------------------------------------------------------------------------------
// What the server counts

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Robots,
    Index,
    News,
    Post,
    Category,
    Article,
    Other,
}

const KINDS: usize = 7;
const KIND_NAMES: [&str; KINDS] = [
    "robots", "index", "news", "post", "category", "article", "other",
];

/// What the server counts beyond politeness, per host.
#[derive(Default, Clone)]
struct Counts {
    by_kind: [u32; KINDS],
    not_modified: u32,
    articles: HashSet<usize>,
    repeated: u32,
}

struct Stats {
    polite: scale::Hosts,
    counts: Vec<Counts>,
}

impl Stats {
    fn new(hosts: usize) -> Stats {
        Stats {
            polite: scale::Hosts::new(hosts),
            counts: vec![Counts::default(); hosts],
        }
    }

    fn count(&mut self, h: usize, kind: Kind, not_modified: bool, article: Option<usize>) {
        let Some(c) = self.counts.get_mut(h) else {
            return;
        };
        c.by_kind[kind as usize] += 1;
        c.not_modified += u32::from(not_modified);
        if let Some(i) = article
            && !c.articles.insert(i)
        {
            c.repeated += 1;
        }
    }
}

/// What one poll cost the server.
struct Load {
    total: u64,
    not_modified: u64,
    totals: [u64; KINDS],
    least: u64,
    busiest: u64,
    most_articles: u32,
    articles_per_host: Vec<u32>,
    repeated: u64,
    min_gap: Option<Duration>,
    short_gaps: usize,
    max_in_flight: u32,
    max_busy: usize,
}

impl Load {
    fn kinds(&self) -> String {
        let parts: Vec<String> = KIND_NAMES
            .iter()
            .zip(self.totals)
            .filter(|(_, n)| *n > 0)
            .map(|(name, n)| format!("{name} {n}"))
            .collect();
        parts.join(", ")
    }

    fn over_budget(&self, max_pages: usize) -> usize {
        self.articles_per_host
            .iter()
            .filter(|n| **n as usize > max_pages)
            .count()
    }
}

/// Sums up the poll that just ended and starts counting the next.
fn take_load(stats: &Mutex<Stats>, hosts: usize, delay: Duration) -> Load {
    let s = {
        let mut g = stats.lock().unwrap_or_else(|p| p.into_inner());
        std::mem::replace(&mut *g, Stats::new(hosts))
    };
    let hosts = &s.polite.hosts;
    let per_host: Vec<u64> = hosts.iter().map(|h| h.requests).collect();
    let mut totals = [0u64; KINDS];
    for c in &s.counts {
        for (t, n) in totals.iter_mut().zip(c.by_kind) {
            *t += u64::from(n);
        }
    }
    let articles_per_host: Vec<u32> = s
        .counts
        .iter()
        .map(|c| c.by_kind[Kind::Article as usize])
        .collect();
    Load {
        total: per_host.iter().sum(),
        not_modified: s.counts.iter().map(|c| u64::from(c.not_modified)).sum(),
        totals,
        least: per_host.iter().min().copied().unwrap_or(0),
        busiest: per_host.iter().max().copied().unwrap_or(0),
        most_articles: articles_per_host.iter().max().copied().unwrap_or(0),
        articles_per_host,
        repeated: s.counts.iter().map(|c| u64::from(c.repeated)).sum(),
        min_gap: hosts.iter().filter_map(|h| h.min_gap).min(),
        short_gaps: hosts
            .iter()
            .filter(|h| h.min_gap.is_some_and(|g| g + GAP_TOLERANCE < delay))
            .count(),
        max_in_flight: hosts.iter().map(|h| h.max_in_flight).max().unwrap_or(0),
        max_busy: s.polite.max_busy,
    }
}

// ---------------------------------------------------------------------------------------
// The loopback server

struct World {
    sites: usize,
    urls: usize,
    base: DateTime<Utc>,
    latency: Duration,
    port: u16,
}

impl World {
    /// How long before the server started article `i` of every site was published: the
    /// newest is 0, and the URLs spread evenly over SPAN_DAYS.
    fn age(&self, i: usize) -> Duration {
        Duration::from_secs(SPAN_DAYS * 86_400 * i as u64 / self.urls as u64)
    }

    /// When article `i` was published, as a site in Indonesia's west writes it.
    fn date(&self, i: usize) -> DateTime<FixedOffset> {
        let wib = FixedOffset::east_opt(7 * 3600).unwrap_or_else(|| Utc.fix());
        (self.base - chrono::Duration::from_std(self.age(i)).unwrap_or_default())
            .with_timezone(&wib)
    }

    /// The articles of post sitemap `n` (1 the oldest): CHILDREN even slices, newest last.
    fn post_range(&self, n: usize) -> std::ops::Range<usize> {
        let c = CHILDREN - n;
        c * self.urls / CHILDREN..(c + 1) * self.urls / CHILDREN
    }

    fn news_count(&self) -> usize {
        (self.urls as u64 * NEWS_DAYS / SPAN_DAYS) as usize
    }

    fn article_url(&self, h: usize, i: usize) -> String {
        let d = self.date(i);
        format!(
            "http://{}:{}/berita/{}/{i}/{}",
            host_ip(h),
            self.port,
            d.format("%Y/%m/%d"),
            slug(h, i)
        )
    }
}

async fn start_server(world: &World, stats: Arc<Mutex<Stats>>) -> Result<u16, String> {
    let (port, listeners) = scale::bind_hosts(world.sites, host_ip).await?;
    let world = Arc::new(World { port, ..*world });
    for (h, l) in listeners.into_iter().enumerate() {
        let (world, stats) = (world.clone(), stats.clone());
        tokio::spawn(async move {
            while let Ok((sock, _)) = l.accept().await {
                let _ = sock.set_nodelay(true);
                tokio::spawn(serve_conn(sock, h, world.clone(), stats.clone()));
            }
        });
    }
    Ok(port)
}

async fn serve_conn(mut sock: TcpStream, h: usize, world: Arc<World>, stats: Arc<Mutex<Stats>>) {
    let mut buf: Vec<u8> = Vec::with_capacity(2048);
    while let Some(head) = scale::read_head(&mut sock, &mut buf).await {
        stats
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .polite
            .begin(h, Instant::now());
        let req = scale::parse_head(&head);
        let close = req.close;
        let answer = answer(&world, h, req.path);
        let fresh = answer.etag.is_some() && answer.etag.as_deref() == req.if_none_match;
        stats.lock().unwrap_or_else(|p| p.into_inner()).count(
            h,
            answer.kind,
            fresh,
            answer.article,
        );
        let response = answer.into_response(fresh, close);
        if !world.latency.is_zero() {
            tokio::time::sleep(world.latency).await;
        }
        // The gap is measured from just before the answer goes out: the client cannot have
        // it earlier, so a measured gap below the configured one is a real violation.
        let answered = Instant::now();
        let wrote = sock.write_all(&response).await;
        stats
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .polite
            .end(h, answered);
        if wrote.is_err() || close {
            return;
        }
    }
}

struct Answer {
    kind: Kind,
    status: &'static str,
    ctype: &'static str,
    etag: Option<String>,
    body: Vec<u8>,
    /// The article's number, for counting URLs asked for twice.
    article: Option<usize>,
}

impl Answer {
    fn file(kind: Kind, path: &str, ctype: &'static str, body: Vec<u8>) -> Answer {
        Answer {
            kind,
            status: "200 OK",
            ctype,
            // The files never change while the server runs: the path names the version.
            etag: Some(format!("\"{}\"", path.replace('"', ""))),
            body,
            article: None,
        }
    }

    fn into_response(self, not_modified: bool, close: bool) -> Vec<u8> {
        let (status, body) = if not_modified {
            ("304 Not Modified", Vec::new())
        } else {
            (self.status, self.body)
        };
        let mut head = format!(
            "HTTP/1.1 {status}\r\nServer: site-scale\r\nContent-Type: {}\r\nContent-Length: {}\r\n",
            self.ctype,
            body.len()
        );
        if let Some(e) = &self.etag {
            let _ = write!(head, "ETag: {e}\r\n");
        }
        if close {
            head.push_str("Connection: close\r\n");
        }
        head.push_str("\r\n");
        let mut out = head.into_bytes();
        out.extend_from_slice(&body);
        out
    }
}

fn answer(world: &World, h: usize, path: &str) -> Answer {
    let origin = format!("http://{}:{}", host_ip(h), world.port);
    const XML: &str = "application/xml; charset=utf-8";
    if path == "/robots.txt" {
        let body = format!("User-agent: *\nAllow: /\n\nSitemap: {origin}/sitemap_index.xml\n");
        return Answer::file(Kind::Robots, path, "text/plain", body.into_bytes());
    }
    if path == "/sitemap_index.xml" {
        return Answer::file(
            Kind::Index,
            path,
            XML,
            index_xml(world, &origin).into_bytes(),
        );
    }
    if path == "/news-sitemap.xml" {
        return Answer::file(Kind::News, path, XML, news_xml(world, h).into_bytes());
    }
    if path == "/category-sitemap.xml" {
        let mut s = String::from(URLSET_OPEN);
        for c in ["daerah", "ekonomi", "olahraga", "politik"] {
            let _ = writeln!(s, "<url><loc>{origin}/kategori/{c}/</loc></url>");
        }
        s.push_str("</urlset>\n");
        return Answer::file(Kind::Category, path, XML, s.into_bytes());
    }
    if let Some(n) = path
        .strip_prefix("/post-sitemap")
        .and_then(|p| p.strip_suffix(".xml").or_else(|| p.strip_suffix(".xml.gz")))
        .and_then(|n| n.parse::<usize>().ok())
        .filter(|n| (1..=CHILDREN).contains(n) && path.ends_with(post_suffix(*n)))
    {
        let xml = post_xml(world, h, n);
        return if n.is_multiple_of(2) {
            Answer::file(Kind::Post, path, "application/x-gzip", gzip(xml.as_bytes()))
        } else {
            Answer::file(Kind::Post, path, XML, xml.into_bytes())
        };
    }
    // /berita/YYYY/MM/DD/I/slug
    if let Some(i) = path
        .strip_prefix("/berita/")
        .and_then(|p| p.split('/').nth(3))
        .and_then(|i| i.parse::<usize>().ok())
        .filter(|i| *i < world.urls)
    {
        return Answer {
            kind: Kind::Article,
            status: "200 OK",
            ctype: "text/html; charset=utf-8",
            etag: None,
            body: article_html(world, h, i).into_bytes(),
            article: Some(i),
        };
    }
    Answer {
        kind: Kind::Other,
        status: "404 Not Found",
        ctype: "text/plain",
        etag: None,
        body: b"not found\n".to_vec(),
        article: None,
    }
}

fn post_suffix(n: usize) -> &'static str {
    if n.is_multiple_of(2) {
        ".xml.gz"
    } else {
        ".xml"
    }
}

const URLSET_OPEN: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\" xmlns:news=\"http://www.google.com/schemas/sitemap-news/0.9\">\n";

fn index_xml(world: &World, origin: &str) -> String {
    let newest = world.date(0).to_rfc3339();
    let mut s = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    let mut child = |name: &str, lastmod: &str| {
        let _ = writeln!(
            s,
            "<sitemap><loc>{origin}/{name}</loc><lastmod>{lastmod}</lastmod></sitemap>"
        );
    };
    for n in 1..=CHILDREN {
        let lastmod = world.date(world.post_range(n).start).to_rfc3339();
        child(&format!("post-sitemap{n}{}", post_suffix(n)), &lastmod);
    }
    child("category-sitemap.xml", &newest);
    child("news-sitemap.xml", &newest);
    s.push_str("</sitemapindex>\n");
    s
}

/// Oldest first within the file, as Yoast writes a post sitemap.
fn post_xml(world: &World, h: usize, n: usize) -> String {
    let mut s = String::from(URLSET_OPEN);
    for i in world.post_range(n).rev() {
        let _ = writeln!(
            s,
            "<url><loc>{}</loc><lastmod>{}</lastmod></url>",
            world.article_url(h, i),
            world.date(i).to_rfc3339()
        );
    }
    s.push_str("</urlset>\n");
    s
}

/// The last NEWS_DAYS of articles again, newest first, with Google News title and date.
fn news_xml(world: &World, h: usize) -> String {
    let mut s = String::from(URLSET_OPEN);
    for i in 0..world.news_count() {
        let date = world.date(i).to_rfc3339();
        let _ = writeln!(
            s,
            "<url><loc>{}</loc><news:news><news:publication><news:name>Kabar {h}</news:name><news:language>id</news:language></news:publication><news:publication_date>{date}</news:publication_date><news:title>{}</news:title></news:news></url>",
            world.article_url(h, i),
            title(h, i)
        );
    }
    s.push_str("</urlset>\n");
    s
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    // Writing to a Vec cannot fail.
    let _ = enc.write_all(data);
    enc.finish().unwrap_or_default()
}

/// A seed of its own for every article of every site.
fn rng(h: usize, i: usize, salt: u64) -> scale::Rng {
    scale::Rng::new(h * 1_000_000 + i, 0, salt)
}

fn title(h: usize, i: usize) -> String {
    let mut t = scale::words(&mut rng(h, i, 1), 7);
    if let Some(first) = t.get_mut(..1) {
        first.make_ascii_uppercase();
    }
    t
}

fn slug(h: usize, i: usize) -> String {
    scale::words(&mut rng(h, i, 1), 7).replace(' ', "-")
}

fn article_html(world: &World, h: usize, i: usize) -> String {
    let mut rng = rng(h, i, 2);
    let mut body = String::new();
    for _ in 0..8 {
        let mut p = scale::words(&mut rng, 45);
        if let Some(first) = p.get_mut(..1) {
            first.make_ascii_uppercase();
        }
        let _ = writeln!(body, "<p>{p}.</p>");
    }
    format!(
        "<!DOCTYPE html>\n<html lang=\"id\"><head><meta charset=\"utf-8\"><title>{t}</title>\n<meta property=\"og:title\" content=\"{t}\">\n<meta property=\"article:published_time\" content=\"{}\">\n<meta name=\"author\" content=\"Redaksi\"></head>\n<body><header><nav><a href=\"/\">Beranda</a> <a href=\"/kategori/daerah/\">Daerah</a> <a href=\"/kategori/olahraga/\">Olahraga</a></nav></header>\n<main><article><h1>{t}</h1><div class=\"byline\">Redaksi</div>\n<div class=\"content\">\n{body}</div></article></main>\n<footer><p>Hak cipta kabar daerah {h}.</p></footer></body></html>\n",
        world.date(i).to_rfc3339(),
        t = title(h, i),
    )
}
