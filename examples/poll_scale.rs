//! Polling at scale on one machine (issue 5, point 6): the real `warta` binary against a
//! loopback server that plays 200 news sites.
//!
//! The server listens on 127.0.0.2 … 127.0.0.(1 + hosts), one port, and serves each host's
//! share of N feeds at `/feed/K.xml`: the first request gets 200 with a small RSS document
//! (a few items linking to article pages on the same host) and an ETag; a request carrying
//! that ETag in `If-None-Match` gets 304. Article pages `/a/K/J.html` are small HTML
//! articles whose words are drawn from a seeded generator, so that no two are duplicates.
//! The server records per host the requests, the most in flight at once and the smallest
//! gap between the end of one response and the start of the next request; over all hosts
//! the most hosts with a request in flight at once, and how many distinct hosts were
//! contacted in each second.
//!
//! Then, with a feeds.toml in a temporary folder, it runs `warta fetch` twice (the first
//! pass archives every article, the second gets 304 for every feed), recording wall time,
//! the politeness lower bound, peak RSS and CPU time of each pass; and `warta daemon` on a
//! short schedule for a bounded time, sampling its RSS every few seconds, then SIGTERM.
//!
//! With `--postgres URL` (an empty database) the archive is PostgreSQL, and `--daemons N`
//! runs N daemons on it at once (issue 18: several daemons sharing the feeds); `--no-fetch`
//! leaves the two `warta fetch` passes out, so that the daemons archive everything.
//!
//! Usage: `cargo run --release --example poll_scale -- [--feeds N] [--hosts H]
//! [--per-host-delay 1s] [--latency-ms 10] [--items 3] [--daemon-secs 300]
//! [--daemon-schedule 30s] [--sample-secs 10] [--pass-limit-secs 3600] [--no-daemon]
//! [--no-build] [--keep] [--warta PATH]`. It builds `warta` in release mode first unless `--no-build`.
//! Linux only (extra loopback addresses, /proc).

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

fn main() {
    if let Err(e) = run() {
        eprintln!("poll_scale: {e}");
        std::process::exit(1);
    }
}

struct Args {
    feeds: usize,
    hosts: usize,
    per_host_delay: String,
    latency: Duration,
    items: usize,
    daemon_secs: u64,
    daemon_schedule: Option<String>,
    sample_secs: u64,
    daemon: bool,
    build: bool,
    keep: bool,
    warta: Option<PathBuf>,
    /// A pass that has not ended by then is killed: the benchmark always stops by itself.
    pass_limit: Duration,
    /// `[revisit] after` and `share` for every run, when given (issue 15's budget).
    revisit: Option<(String, f64)>,
    /// The archive: a PostgreSQL database instead of archive.db.
    postgres: Option<String>,
    /// Daemons run at once on the archive.
    daemons: usize,
    /// The two `warta fetch` passes before the daemon.
    fetch: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        feeds: 10_000,
        hosts: 200,
        per_host_delay: "1s".into(),
        latency: Duration::from_millis(10),
        items: 3,
        daemon_secs: 300,
        daemon_schedule: None,
        sample_secs: 10,
        daemon: true,
        build: true,
        keep: false,
        warta: None,
        pass_limit: Duration::from_secs(3600),
        revisit: None,
        postgres: None,
        daemons: 1,
        fetch: true,
    };
    let mut it = std::env::args().skip(1);
    let num = |v: Option<String>, name: &str| -> Result<u64, String> {
        v.ok_or(format!("{name} needs a value"))?
            .parse::<u64>()
            .map_err(|e| format!("{name}: {e}"))
    };
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--feeds" => a.feeds = num(it.next(), "--feeds")? as usize,
            "--hosts" => a.hosts = num(it.next(), "--hosts")? as usize,
            "--per-host-delay" => {
                a.per_host_delay = it.next().ok_or("--per-host-delay needs a value")?
            }
            "--latency-ms" => a.latency = Duration::from_millis(num(it.next(), "--latency-ms")?),
            "--items" => a.items = num(it.next(), "--items")? as usize,
            "--daemon-secs" => a.daemon_secs = num(it.next(), "--daemon-secs")?,
            "--daemon-schedule" => {
                a.daemon_schedule = Some(it.next().ok_or("--daemon-schedule needs a value")?)
            }
            "--sample-secs" => a.sample_secs = num(it.next(), "--sample-secs")?.max(1),
            "--pass-limit-secs" => {
                a.pass_limit = Duration::from_secs(num(it.next(), "--pass-limit-secs")?)
            }
            "--revisit" => {
                let v = it
                    .next()
                    .ok_or("--revisit needs AGES@SHARE, such as 60s,1h@0.3")?;
                let (ages, share) = v
                    .split_once('@')
                    .ok_or("--revisit takes AGES@SHARE, such as 60s,1h@0.3")?;
                let share = share
                    .parse::<f64>()
                    .map_err(|e| format!("--revisit share: {e}"))?;
                a.revisit = Some((ages.to_string(), share));
            }
            "--no-daemon" => a.daemon = false,
            "--no-fetch" => a.fetch = false,
            "--postgres" => a.postgres = Some(it.next().ok_or("--postgres needs a URL")?),
            "--daemons" => a.daemons = (num(it.next(), "--daemons")? as usize).max(1),
            "--no-build" => a.build = false,
            "--keep" => a.keep = true,
            "--warta" => a.warta = Some(PathBuf::from(it.next().ok_or("--warta needs a path")?)),
            _ => return Err(format!("unexpected argument {arg:?}")),
        }
    }
    if a.hosts == 0 || a.hosts > 250 {
        return Err("--hosts must be 1..=250 (127.0.0.2 … 127.0.0.251)".into());
    }
    if a.items == 0 || a.items > ITEMS_DATE_STEP {
        return Err(format!("--items must be 1..={ITEMS_DATE_STEP}"));
    }
    if a.feeds < a.hosts {
        return Err("--feeds must be at least --hosts".into());
    }
    Ok(a)
}

fn run() -> Result<(), String> {
    let args = parse_args()?;
    let gap = parse_secs(&args.per_host_delay)?;
    let warta = locate_warta(args.warta.as_deref(), args.build)?;
    let dir = std::env::temp_dir().join(format!("warta-poll-scale-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .map_err(|e| format!("runtime: {e}"))?;
    let stats = Arc::new(Mutex::new(Stats::new(args.hosts)));
    let site = Arc::new(Site {
        hosts: args.hosts,
        feeds: args.feeds,
        items: args.items,
        latency: args.latency,
        page_kib: 0,
        port: 0,
    });
    let port = rt.block_on(start_server(site, stats.clone()))?;

    let feeds_per_host = args.feeds.div_ceil(args.hosts);
    println!(
        "poll_scale: {} feeds on {} hosts ({} per host), {} items per feed, per_host_delay {}, server latency {} ms, port {port}",
        args.feeds,
        args.hosts,
        feeds_per_host,
        args.items,
        args.per_host_delay,
        args.latency.as_millis()
    );
    println!("warta: {}\nfolder: {}\n", warta.display(), dir.display());

    let config = dir.join("feeds.toml");
    let configure = |schedule: &str| {
        write_config(
            &config,
            args.feeds,
            args.hosts,
            &args.per_host_delay,
            port,
            schedule,
        )?;
        if let Some(url) = &args.postgres {
            let text = std::fs::read_to_string(&config).map_err(|e| e.to_string())?;
            let text = text.replacen("path = \"archive.db\"", &format!("url = \"{url}\""), 1);
            std::fs::write(&config, text).map_err(|e| e.to_string())?;
        }
        match &args.revisit {
            Some((ages, share)) => add_revisit(&config, ages, *share),
            None => Ok(()),
        }
    };
    configure("1h")?;
    if args.fetch {
        fetch_passes(&warta, &config, &dir, &args, &stats, gap, feeds_per_host)?;
    }

    if args.daemon {
        let schedule = args.daemon_schedule.clone().unwrap_or_else(|| {
            if args.feeds <= 1000 {
                "30s".into()
            } else {
                "2m".into()
            }
        });
        configure(&schedule)?;
        let d = daemon_run(&warta, &config, &dir, &args)?;
        let sd = take_stats(&stats, args.hosts, args.feeds);
        let mut o = String::new();
        let _ = writeln!(
            o,
            "daemon: schedule {schedule}, ran {:.0} s, exit {} ({:.1} s after SIGTERM), CPU user+sys {:.1} s",
            d.ran, d.status, d.stop_secs, d.cpu
        );
        let _ = writeln!(
            o,
            "daemon requests: {} ({} polls at {:.0} polls/min; the schedule asks {:.0}/min), max in flight on one host {}, min gap {} ms, max hosts busy {}",
            sd.kinds(),
            sd.feed_200 + sd.feed_304,
            (sd.feed_200 + sd.feed_304) as f64 / (d.ran / 60.0).max(1e-9),
            args.feeds as f64 * 60.0 / parse_secs(&schedule)?.max(1e-9),
            sd.max_in_flight_per_host,
            sd.min_gap_ms(),
            sd.max_hosts_busy,
        );
        let _ = writeln!(o, "daemon polls per feed: {}", sd.polls_per_feed());
        if let Some((ages, share)) = &args.revisit {
            let _ = writeln!(
                o,
                "daemon revisits ([revisit] after {ages}, share {share}): {} of {} requests ({:.1} %; 304 {}), revisit backlog at the end: {}",
                sd.revisit,
                sd.total,
                sd.revisit as f64 * 100.0 / (sd.total as f64).max(1.0),
                sd.revisit_304,
                revisit_backlog(&dir),
            );
        }
        let series: Vec<String> = d
            .samples
            .iter()
            .map(|(t, kib)| format!("{t:.0}s:{}", mib(*kib)))
            .collect();
        let _ = writeln!(
            o,
            "daemon RSS (MiB) every {} s: {}",
            args.sample_secs,
            series.join(" ")
        );
        let _ = writeln!(
            o,
            "daemon RSS first third mean {} MiB, last third mean {} MiB ({:+.1} %), peak (VmHWM) {} MiB: {}",
            mib(d.first_third as u64),
            mib(d.last_third as u64),
            (d.last_third / d.first_third.max(1.0) - 1.0) * 100.0,
            mib(d.peak_kib),
            if d.last_third <= d.first_third * 1.10 {
                "flat"
            } else {
                "GROWING"
            }
        );
        let _ = writeln!(
            o,
            "daemon log: {} poll lines, {} warnings, {} errors",
            d.poll_lines, d.warnings, d.errors
        );
        println!("{o}");
    }

    if args.keep {
        println!("kept {}", dir.display());
    } else {
        let _ = std::fs::remove_dir_all(&dir);
    }
    rt.shutdown_timeout(Duration::from_secs(1));
    Ok(())
}

/// `warta fetch` twice: every feed new, then every feed unchanged (304).
fn fetch_passes(
    warta: &Path,
    config: &Path,
    dir: &Path,
    args: &Args,
    stats: &Arc<Mutex<Stats>>,
    gap: f64,
    feeds_per_host: usize,
) -> Result<(), String> {
    // Pass 1: every feed new, every article fetched.
    let p1 = fetch_pass(warta, config, dir, "pass1", args.pass_limit)?;
    let s1 = take_stats(stats, args.hosts, args.feeds);
    // Pass 2: every feed answers 304.
    let p2 = fetch_pass(warta, config, dir, "pass2", args.pass_limit)?;
    let s2 = take_stats(stats, args.hosts, args.feeds);

    let mut out = String::new();
    let bound1 = s1.busiest_host_requests.saturating_sub(1) as f64 * gap;
    let bound2 = feeds_per_host.saturating_sub(1) as f64 * gap;
    let _ = writeln!(out, "| measure | pass 1 (new) | pass 2 (304) |");
    let _ = writeln!(out, "| --- | --- | --- |");
    let row = |out: &mut String, name: &str, a: String, b: String| {
        let _ = writeln!(out, "| {name} | {a} | {b} |");
    };
    row(
        &mut out,
        "exit status",
        p1.status.clone(),
        p2.status.clone(),
    );
    row(
        &mut out,
        "wall time (s)",
        format!("{:.1}", p1.wall),
        format!("{:.1}", p2.wall),
    );
    row(
        &mut out,
        "politeness lower bound (s)",
        format!("{bound1:.1}"),
        format!("{bound2:.1}"),
    );
    row(
        &mut out,
        "wall / bound",
        ratio(p1.wall, bound1),
        ratio(p2.wall, bound2),
    );
    row(&mut out, "summary", p1.summary.clone(), p2.summary.clone());
    row(
        &mut out,
        "requests (feed 200 / feed 304 / article / robots / other)",
        s1.kinds(),
        s2.kinds(),
    );
    row(
        &mut out,
        "requests per second",
        format!("{:.1}", s1.total as f64 / p1.wall.max(1e-9)),
        format!("{:.1}", s2.total as f64 / p2.wall.max(1e-9)),
    );
    let min_max = |s: &Summary| {
        format!(
            "{} / {}",
            s.polls_per_feed.first().copied().unwrap_or(0),
            s.polls_per_feed.last().copied().unwrap_or(0)
        )
    };
    row(
        &mut out,
        "polls per feed (min / max)",
        min_max(&s1),
        min_max(&s2),
    );
    row(
        &mut out,
        "hosts contacted",
        s1.hosts_contacted.to_string(),
        s2.hosts_contacted.to_string(),
    );
    row(
        &mut out,
        "max requests in flight on one host",
        s1.max_in_flight_per_host.to_string(),
        s2.max_in_flight_per_host.to_string(),
    );
    row(
        &mut out,
        "min gap on one host (ms)",
        s1.min_gap_ms(),
        s2.min_gap_ms(),
    );
    row(
        &mut out,
        "max hosts with a request in flight at once",
        s1.max_hosts_busy.to_string(),
        s2.max_hosts_busy.to_string(),
    );
    row(
        &mut out,
        "distinct hosts contacted per second (median / max)",
        s1.per_second(),
        s2.per_second(),
    );
    row(
        &mut out,
        "peak RSS (MiB)",
        mib(p1.peak_kib),
        mib(p2.peak_kib),
    );
    row(
        &mut out,
        "CPU user+sys (s)",
        format!("{:.1}", p1.cpu),
        format!("{:.1}", p2.cpu),
    );
    println!("{out}");
    Ok(())
}

fn ratio(a: f64, b: f64) -> String {
    if b > 0.0 {
        format!("{:.2}", a / b)
    } else {
        "-".into()
    }
}

fn mib(kib: u64) -> String {
    format!("{:.1}", kib as f64 / 1024.0)
}

/// "1s", "500ms", "2m" as seconds.
fn parse_secs(s: &str) -> Result<f64, String> {
    let s = s.trim();
    let (num, mult) = if let Some(n) = s.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = s.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = s.strip_suffix('m') {
        (n, 60.0)
    } else if let Some(n) = s.strip_suffix('h') {
        (n, 3600.0)
    } else {
        return Err(format!("cannot read the duration {s:?}"));
    };
    num.trim()
        .parse::<f64>()
        .map(|n| n * mult)
        .map_err(|e| format!("{s:?}: {e}"))
}

pub(crate) fn locate_warta(warta: Option<&Path>, build: bool) -> Result<PathBuf, String> {
    if let Some(p) = warta {
        return Ok(p.to_path_buf());
    }
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    if build {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = Command::new(cargo)
            .args(["build", "--release", "--bin", "warta", "-j", "1", "--quiet"])
            .current_dir(manifest)
            .status()
            .map_err(|e| format!("cannot run cargo build: {e}"))?;
        if !status.success() {
            return Err(format!(
                "cargo build --release --bin warta failed: {status}"
            ));
        }
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|p| if p.is_relative() { manifest.join(p) } else { p })
        .unwrap_or_else(|| manifest.join("target"));
    let bin = target.join("release").join("warta");
    if bin.is_file() {
        Ok(bin)
    } else {
        Err(format!(
            "{} not found; run cargo build --release first",
            bin.display()
        ))
    }
}

fn host_ip(h: usize) -> Ipv4Addr {
    Ipv4Addr::new(127, 0, 0, 2 + h as u8)
}

pub(crate) fn write_config(
    path: &Path,
    feeds: usize,
    hosts: usize,
    per_host_delay: &str,
    port: u16,
    schedule: &str,
) -> Result<(), String> {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "[archive]\npath = \"archive.db\"\nkeep_raw_html = true\n\n[fetch]\nconcurrency = 16\nper_host_delay = \"{per_host_delay}\"\ntimeout = \"30s\"\nallow_private_addresses = true\n\n[schedule]\ndefault = \"{schedule}\"\n"
    );
    for k in 0..feeds {
        let ip = host_ip(k % hosts);
        let _ = writeln!(
            s,
            "[[feed]]\nname = \"scale-{k:05}\"\nurl = \"http://{ip}:{port}/feed/{k}.xml\"\nschedule = \"{schedule}\"\n"
        );
    }
    std::fs::write(path, s).map_err(|e| format!("{}: {e}", path.display()))
}

/// Appends a `[revisit]` table: `ages` comma-separated.
fn add_revisit(path: &Path, ages: &str, share: f64) -> Result<(), String> {
    let list: Vec<String> = ages
        .split(',')
        .map(|a| format!("\"{}\"", a.trim()))
        .collect();
    let mut text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let _ = write!(
        text,
        "\n[revisit]\nafter = [{}]\nshare = {share}\n",
        list.join(", ")
    );
    std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
}

/// Pages due for a revisit in the archive at `dir` now, and pages with one still to come.
fn revisit_backlog(dir: &Path) -> String {
    match warta::store::Store::open(&dir.join("archive.db"))
        .and_then(|s| s.revisit_backlog(Utc::now()))
    {
        Ok((scheduled, due)) => format!("{due} due now, {scheduled} with a revisit to come"),
        Err(e) => format!("unreadable: {e}"),
    }
}

// ---------------------------------------------------------------------------------------
// Running warta

pub(crate) struct Pass {
    pub(crate) status: String,
    pub(crate) wall: f64,
    pub(crate) summary: String,
    pub(crate) peak_kib: u64,
    pub(crate) cpu: f64,
}

pub(crate) fn fetch_pass(
    warta: &Path,
    config: &Path,
    dir: &Path,
    label: &str,
    limit: Duration,
) -> Result<Pass, String> {
    let out_path = dir.join(format!("{label}.out"));
    let err_path = dir.join(format!("{label}.err"));
    let time_path = dir.join(format!("{label}.time"));
    let file = |p: &Path| std::fs::File::create(p).map_err(|e| format!("{}: {e}", p.display()));
    let use_time = Path::new("/usr/bin/time").is_file();
    let mut cmd = if use_time {
        let mut c = Command::new("/usr/bin/time");
        c.arg("-v").arg("-o").arg(&time_path).arg(warta);
        c
    } else {
        Command::new(warta)
    };
    cmd.arg("--config")
        .arg(config)
        .arg("fetch")
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(file(&out_path)?)
        .stderr(file(&err_path)?);
    eprintln!("{label}: warta fetch …");
    let start = Instant::now();
    let mut child = cmd.spawn().map_err(|e| format!("cannot run warta: {e}"))?;
    // Without /usr/bin/time the peak is VmHWM read while the process lives.
    let mut hwm = 0u64;
    let status = loop {
        if let Some(st) = child.try_wait().map_err(|e| e.to_string())? {
            break st;
        }
        if !use_time {
            hwm = hwm.max(proc_status_kib(child.id(), "VmHWM:").unwrap_or(0));
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("{label} did not end within {} s", limit.as_secs()));
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let wall = start.elapsed().as_secs_f64();
    let stdout = std::fs::read_to_string(&out_path).unwrap_or_default();
    let summary = stdout
        .lines()
        .rev()
        .find(|l| l.contains(" new, ") && l.contains(" duplicate, "))
        .unwrap_or("(no summary)")
        .to_string();
    let (mut peak_kib, mut cpu) = (hwm, 0.0);
    if use_time {
        let t = std::fs::read_to_string(&time_path).unwrap_or_default();
        let field = |name: &str| {
            t.lines()
                .find_map(|l| l.trim().strip_prefix(name))
                .and_then(|v| v.trim().parse::<f64>().ok())
        };
        peak_kib = field("Maximum resident set size (kbytes):").unwrap_or(0.0) as u64;
        cpu = field("User time (seconds):").unwrap_or(0.0)
            + field("System time (seconds):").unwrap_or(0.0);
    }
    let code = if use_time {
        // time(1) reports the command's own exit status.
        std::fs::read_to_string(&time_path)
            .unwrap_or_default()
            .lines()
            .find_map(|l| {
                l.trim()
                    .strip_prefix("Exit status:")
                    .map(|v| v.trim().to_string())
            })
            .unwrap_or_else(|| status.to_string())
    } else {
        status.code().map_or("signal".into(), |c| c.to_string())
    };
    eprintln!("{label}: {wall:.1} s, exit {code}: {summary}");
    Ok(Pass {
        status: code,
        wall,
        summary,
        peak_kib,
        cpu,
    })
}

struct Daemon {
    status: String,
    ran: f64,
    stop_secs: f64,
    samples: Vec<(f64, u64)>,
    first_third: f64,
    last_third: f64,
    peak_kib: u64,
    cpu: f64,
    poll_lines: usize,
    warnings: usize,
    errors: usize,
}

/// Runs `--daemons` daemons for `--daemon-secs`; RSS is sampled on the first, CPU summed
/// over all, and every one is stopped with SIGTERM.
fn daemon_run(warta: &Path, config: &Path, dir: &Path, args: &Args) -> Result<Daemon, String> {
    eprintln!(
        "daemon: {} running for {} s …",
        args.daemons, args.daemon_secs
    );
    let start = Instant::now();
    let mut others: Vec<Child> = Vec::new();
    let spawn = |i: usize| -> Result<Child, String> {
        let err_path = dir.join(format!("daemon-{i}.err"));
        let err_file =
            std::fs::File::create(&err_path).map_err(|e| format!("{}: {e}", err_path.display()))?;
        Command::new(warta)
            .arg("--config")
            .arg(config)
            .arg("daemon")
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(err_file)
            .spawn()
            .map_err(|e| format!("cannot run warta daemon: {e}"))
    };
    let mut child: Child = spawn(0)?;
    for i in 1..args.daemons {
        others.push(spawn(i)?);
    }
    let pid = child.id();
    let mut samples = Vec::new();
    let mut peak = 0u64;
    let mut cpu = 0.0;
    let run_for = Duration::from_secs(args.daemon_secs);
    let every = Duration::from_secs(args.sample_secs);
    // The first sample after one period: at zero the process has not started yet.
    let mut next_sample = every;
    let mut exited_early = None;
    while start.elapsed() < run_for {
        if let Some(st) = child.try_wait().map_err(|e| e.to_string())? {
            exited_early = Some(st);
            break;
        }
        if start.elapsed() >= next_sample {
            if let Some(kib) = proc_status_kib(pid, "VmRSS:") {
                samples.push((start.elapsed().as_secs_f64(), kib));
            }
            next_sample += every;
        }
        peak = peak.max(proc_status_kib(pid, "VmHWM:").unwrap_or(0));
        let all: Option<f64> = std::iter::once(pid)
            .chain(others.iter().map(Child::id))
            .map(proc_cpu_secs)
            .sum();
        cpu = all.unwrap_or(cpu);
        std::thread::sleep(Duration::from_millis(200));
    }
    let ran = start.elapsed().as_secs_f64();
    let (status, stop_secs) = match exited_early {
        Some(st) => (format!("exited early: {st}"), 0.0),
        None => {
            for other in &mut others {
                let _ = Command::new("kill")
                    .args(["-TERM", &other.id().to_string()])
                    .status();
                let _ = other.wait();
            }
            let _ = Command::new("kill")
                .args(["-TERM", &pid.to_string()])
                .status();
            let t = Instant::now();
            let st = loop {
                if let Some(st) = child.try_wait().map_err(|e| e.to_string())? {
                    break st.to_string();
                }
                if t.elapsed() > Duration::from_secs(30) {
                    let _ = child.kill();
                    let _ = child.wait();
                    break "killed: no exit 30 s after SIGTERM".to_string();
                }
                std::thread::sleep(Duration::from_millis(50));
            };
            (st, t.elapsed().as_secs_f64())
        }
    };
    let third = (samples.len() / 3).max(1);
    let mean = |s: &[(f64, u64)]| {
        if s.is_empty() {
            0.0
        } else {
            s.iter().map(|(_, k)| *k as f64).sum::<f64>() / s.len() as f64
        }
    };
    let first_third = mean(&samples[..third.min(samples.len())]);
    let last_third = mean(&samples[samples.len().saturating_sub(third)..]);
    let log: String = (0..args.daemons)
        .map(|i| std::fs::read_to_string(dir.join(format!("daemon-{i}.err"))).unwrap_or_default())
        .collect();
    Ok(Daemon {
        status,
        ran,
        stop_secs,
        first_third,
        last_third,
        samples,
        peak_kib: peak,
        cpu,
        poll_lines: log.lines().filter(|l| l.contains("poll done")).count(),
        warnings: log.lines().filter(|l| l.contains(" WARN ")).count(),
        errors: log.lines().filter(|l| l.contains(" ERROR ")).count(),
    })
}

fn proc_status_kib(pid: u32, key: &str) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    s.lines()
        .find_map(|l| l.strip_prefix(key))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// utime + stime of a live process, assuming the usual 100 clock ticks per second.
fn proc_cpu_secs(pid: u32) -> Option<f64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces; the fields after it start past its ')'.
    let rest = &s[s.rfind(')')? + 1..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = f.get(11)?.parse().ok()?;
    let stime: f64 = f.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

// ---------------------------------------------------------------------------------------
// The loopback server

pub(crate) struct Site {
    pub(crate) hosts: usize,
    pub(crate) feeds: usize,
    pub(crate) items: usize,
    pub(crate) latency: Duration,
    /// Article pages are padded to about this size with what real pages carry around the
    /// article (scripts, menus, related links); 0 leaves them small.
    pub(crate) page_kib: usize,
    pub(crate) port: u16,
}

/// One host's requests as the server saw them: how many, how many at once, and the
/// smallest gap between an answer and the next request.
#[derive(Default, Clone)]
pub(crate) struct Host {
    pub(crate) requests: u64,
    in_flight: u32,
    pub(crate) max_in_flight: u32,
    last_end: Option<Instant>,
    pub(crate) min_gap: Option<Duration>,
}

/// The politeness every host was shown: per host, and the most hosts busy at once.
pub(crate) struct Hosts {
    pub(crate) hosts: Vec<Host>,
    busy: usize,
    pub(crate) max_busy: usize,
}

impl Hosts {
    pub(crate) fn new(hosts: usize) -> Hosts {
        Hosts {
            hosts: vec![Host::default(); hosts],
            busy: 0,
            max_busy: 0,
        }
    }

    pub(crate) fn begin(&mut self, h: usize, now: Instant) {
        let Some(host) = self.hosts.get_mut(h) else {
            return;
        };
        host.requests += 1;
        if let Some(end) = host.last_end {
            let gap = now.saturating_duration_since(end);
            host.min_gap = Some(host.min_gap.map_or(gap, |g| g.min(gap)));
        }
        host.in_flight += 1;
        host.max_in_flight = host.max_in_flight.max(host.in_flight);
        if host.in_flight == 1 {
            self.busy += 1;
            self.max_busy = self.max_busy.max(self.busy);
        }
    }

    /// `answered`: when the answer started going out.
    pub(crate) fn end(&mut self, h: usize, answered: Instant) {
        let Some(host) = self.hosts.get_mut(h) else {
            return;
        };
        host.in_flight = host.in_flight.saturating_sub(1);
        host.last_end = Some(answered);
        if host.in_flight == 0 {
            self.busy = self.busy.saturating_sub(1);
        }
    }
}

pub(crate) struct Stats {
    epoch: Instant,
    hosts: Hosts,
    /// (host, second since epoch) of each request's start.
    starts: Vec<(u16, u32)>,
    feed_200: u64,
    feed_304: u64,
    article: u64,
    robots: u64,
    other: u64,
    /// Article requests for a page served before (revisits), and those answered 304.
    revisit: u64,
    revisit_304: u64,
    /// Every article page served so far, over all phases.
    served: HashSet<(usize, usize)>,
    /// Feed requests (200 or 304) by feed: a feed that is never polled again shows here.
    feed_polls: HashMap<usize, u32>,
}

impl Stats {
    pub(crate) fn new(hosts: usize) -> Stats {
        Stats {
            epoch: Instant::now(),
            hosts: Hosts::new(hosts),
            starts: Vec::new(),
            feed_200: 0,
            feed_304: 0,
            article: 0,
            robots: 0,
            other: 0,
            revisit: 0,
            revisit_304: 0,
            served: HashSet::new(),
            feed_polls: HashMap::new(),
        }
    }

    fn begin(&mut self, h: usize, now: Instant) {
        let second = now.duration_since(self.epoch).as_secs() as u32;
        self.starts.push((h as u16, second));
        self.hosts.begin(h, now);
    }

    fn end(&mut self, h: usize, answered: Instant) {
        self.hosts.end(h, answered);
    }
}

/// What one phase's statistics came to.
struct Summary {
    total: u64,
    feed_200: u64,
    feed_304: u64,
    article: u64,
    robots: u64,
    other: u64,
    revisit: u64,
    revisit_304: u64,
    hosts_contacted: usize,
    busiest_host_requests: u64,
    max_in_flight_per_host: u32,
    min_gap: Option<Duration>,
    max_hosts_busy: usize,
    per_second_median: usize,
    per_second_max: usize,
    /// Polls per feed over all feeds, sorted (feeds never polled count as 0).
    polls_per_feed: Vec<u32>,
}

impl Summary {
    fn kinds(&self) -> String {
        format!(
            "{} / {} / {} / {} / {}",
            self.feed_200, self.feed_304, self.article, self.robots, self.other
        )
    }
    fn min_gap_ms(&self) -> String {
        self.min_gap
            .map_or("-".into(), |g| format!("{:.0}", g.as_secs_f64() * 1000.0))
    }
    fn per_second(&self) -> String {
        format!("{} / {}", self.per_second_median, self.per_second_max)
    }
    fn polls_per_feed(&self) -> String {
        let p = &self.polls_per_feed;
        let at = |q: usize| p.get(q).copied().unwrap_or(0);
        format!(
            "min {} / median {} / max {}; feeds polled at most once: {}",
            at(0),
            at(p.len() / 2),
            p.last().copied().unwrap_or(0),
            p.iter().filter(|n| **n <= 1).count()
        )
    }
}

/// Summarises the phase that just ended and starts a fresh one.
fn take_stats(stats: &Mutex<Stats>, hosts: usize, feeds: usize) -> Summary {
    let mut s = {
        let mut g = stats.lock().unwrap_or_else(|p| p.into_inner());
        std::mem::replace(&mut *g, Stats::new(hosts))
    };
    {
        let mut g = stats.lock().unwrap_or_else(|p| p.into_inner());
        g.served = std::mem::take(&mut s.served);
    }
    let mut per_second: HashMap<u32, HashSet<u16>> = HashMap::new();
    for (h, sec) in &s.starts {
        per_second.entry(*sec).or_default().insert(*h);
    }
    // Seconds between the first and the last request, idle ones included: an idle second
    // is a second the hosts were not kept busy.
    let mut counts: Vec<usize> = match (
        per_second.keys().min().copied(),
        per_second.keys().max().copied(),
    ) {
        (Some(a), Some(b)) => (a..=b)
            .map(|sec| per_second.get(&sec).map_or(0, HashSet::len))
            .collect(),
        _ => Vec::new(),
    };
    counts.sort_unstable();
    let mut polls_per_feed: Vec<u32> = (0..feeds)
        .map(|k| s.feed_polls.get(&k).copied().unwrap_or(0))
        .collect();
    polls_per_feed.sort_unstable();
    Summary {
        polls_per_feed,
        total: s.hosts.hosts.iter().map(|h| h.requests).sum(),
        feed_200: s.feed_200,
        feed_304: s.feed_304,
        article: s.article,
        robots: s.robots,
        other: s.other,
        revisit: s.revisit,
        revisit_304: s.revisit_304,
        hosts_contacted: s.hosts.hosts.iter().filter(|h| h.requests > 0).count(),
        busiest_host_requests: s.hosts.hosts.iter().map(|h| h.requests).max().unwrap_or(0),
        max_in_flight_per_host: s
            .hosts
            .hosts
            .iter()
            .map(|h| h.max_in_flight)
            .max()
            .unwrap_or(0),
        min_gap: s.hosts.hosts.iter().filter_map(|h| h.min_gap).min(),
        max_hosts_busy: s.hosts.max_busy,
        per_second_median: counts.get(counts.len() / 2).copied().unwrap_or(0),
        per_second_max: counts.last().copied().unwrap_or(0),
    }
}

/// Binds every host's address on one port (one the first bind picked), retrying with
/// another port when some address already has it taken.
pub(crate) async fn start_server(site: Arc<Site>, stats: Arc<Mutex<Stats>>) -> Result<u16, String> {
    let (port, listeners) = bind_hosts(site.hosts, host_ip).await?;
    let site = Arc::new(Site {
        hosts: site.hosts,
        feeds: site.feeds,
        items: site.items,
        latency: site.latency,
        page_kib: site.page_kib,
        port,
    });
    for (h, l) in listeners.into_iter().enumerate() {
        let site = site.clone();
        let stats = stats.clone();
        tokio::spawn(async move {
            while let Ok((sock, _)) = l.accept().await {
                let _ = sock.set_nodelay(true);
                tokio::spawn(serve_conn(sock, h, site.clone(), stats.clone()));
            }
        });
    }
    Ok(port)
}

/// Listeners on `ip(0)` … `ip(hosts - 1)`, all on one port (one the first bind picked);
/// another port is tried when some address already has it taken.
pub(crate) async fn bind_hosts(
    hosts: usize,
    ip: fn(usize) -> Ipv4Addr,
) -> Result<(u16, Vec<TcpListener>), String> {
    let mut last_err = String::new();
    for _ in 0..20 {
        let first = match TcpListener::bind(SocketAddr::new(IpAddr::V4(ip(0)), 0)).await {
            Ok(l) => l,
            Err(e) => return Err(format!("cannot listen on {}: {e}", ip(0))),
        };
        let port = first.local_addr().map_err(|e| e.to_string())?.port();
        let mut listeners = vec![first];
        for h in 1..hosts {
            match TcpListener::bind(SocketAddr::new(IpAddr::V4(ip(h)), port)).await {
                Ok(l) => listeners.push(l),
                Err(e) => {
                    last_err = format!("{}:{port}: {e}", ip(h));
                    break;
                }
            }
        }
        if listeners.len() == hosts {
            return Ok((port, listeners));
        }
    }
    Err(format!("cannot bind all host addresses: {last_err}"))
}

/// One keep-alive connection: requests have no body (GET only), so a request is its
/// header block.
async fn serve_conn(mut sock: TcpStream, h: usize, site: Arc<Site>, stats: Arc<Mutex<Stats>>) {
    let mut buf: Vec<u8> = Vec::with_capacity(2048);
    loop {
        let Some(head) = read_head(&mut sock, &mut buf).await else {
            return;
        };
        {
            let mut s = stats.lock().unwrap_or_else(|p| p.into_inner());
            s.begin(h, Instant::now());
        }
        let (response, close) = respond(&head, h, &site, &stats);
        if !site.latency.is_zero() {
            tokio::time::sleep(site.latency).await;
        }
        // The gap is measured from just before the answer goes out: the client cannot have
        // it earlier, so a measured gap below the configured one is a real violation, never
        // this task being scheduled late.
        let answered = Instant::now();
        let wrote = sock.write_all(&response).await;
        {
            let mut s = stats.lock().unwrap_or_else(|p| p.into_inner());
            s.end(h, answered);
        }
        if wrote.is_err() || close {
            return;
        }
    }
}

/// The next request's header block on a keep-alive connection, `buf` keeping what came
/// after it; None when the connection ends. Requests have no body (GET only), so a request
/// is its header block.
pub(crate) async fn read_head(sock: &mut TcpStream, buf: &mut Vec<u8>) -> Option<String> {
    let mut chunk = [0u8; 4096];
    let end = loop {
        if let Some(p) = find(buf, b"\r\n\r\n") {
            break p + 4;
        }
        if buf.len() > 64 * 1024 {
            return None;
        }
        match sock.read(&mut chunk).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => buf.extend_from_slice(chunk.get(..n).unwrap_or_default()),
        }
    };
    let head = String::from_utf8_lossy(buf.get(..end).unwrap_or_default()).into_owned();
    buf.drain(..end);
    Some(head)
}

/// What the loopback servers read of a request.
pub(crate) struct Head<'a> {
    pub(crate) path: &'a str,
    pub(crate) if_none_match: Option<&'a str>,
    pub(crate) close: bool,
}

pub(crate) fn parse_head(head: &str) -> Head<'_> {
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or_default();
    let mut h = Head {
        path: request_line.split(' ').nth(1).unwrap_or("/"),
        if_none_match: None,
        close: false,
    };
    for l in lines {
        if let Some((k, v)) = l.split_once(':') {
            let k = k.trim();
            if k.eq_ignore_ascii_case("if-none-match") {
                h.if_none_match = Some(v.trim());
            } else if k.eq_ignore_ascii_case("connection") && v.trim().eq_ignore_ascii_case("close")
            {
                h.close = true;
            }
        }
    }
    h
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn respond(head: &str, h: usize, site: &Site, stats: &Mutex<Stats>) -> (Vec<u8>, bool) {
    let Head {
        path,
        if_none_match,
        close,
    } = parse_head(head);
    enum Kind {
        Feed200,
        Feed304,
        Article,
        Revisit,
        Revisit304,
        Robots,
        Other,
    }
    let mut polled_feed = None;
    let (kind, status, ctype, etag, body) = if path == "/robots.txt" {
        (
            Kind::Robots,
            "200 OK",
            "text/plain",
            None,
            "User-agent: *\nAllow: /\n".to_string(),
        )
    } else if let Some(k) = path
        .strip_prefix("/feed/")
        .and_then(|p| p.strip_suffix(".xml"))
        .and_then(|k| k.parse::<usize>().ok())
        .filter(|k| *k < site.feeds && k % site.hosts == h)
    {
        polled_feed = Some(k);
        let etag = format!("\"feed-{k}-v1\"");
        if if_none_match == Some(etag.as_str()) {
            (
                Kind::Feed304,
                "304 Not Modified",
                "",
                Some(etag),
                String::new(),
            )
        } else {
            (
                Kind::Feed200,
                "200 OK",
                "application/rss+xml; charset=utf-8",
                Some(etag),
                feed_xml(site, h, k),
            )
        }
    } else if let Some((k, j)) = path
        .strip_prefix("/a/")
        .and_then(|p| p.strip_suffix(".html"))
        .and_then(|p| p.split_once('/'))
        .and_then(|(k, j)| Some((k.parse::<usize>().ok()?, j.parse::<usize>().ok()?)))
        .filter(|(k, j)| *k < site.feeds && k % site.hosts == h && *j < site.items)
    {
        let again = {
            let mut st = stats.lock().unwrap_or_else(|p| p.into_inner());
            !st.served.insert((k, j))
        };
        let etag = format!("\"a-{k}-{j}\"");
        if again && if_none_match == Some(etag.as_str()) {
            (
                Kind::Revisit304,
                "304 Not Modified",
                "",
                Some(etag),
                String::new(),
            )
        } else {
            (
                if again { Kind::Revisit } else { Kind::Article },
                "200 OK",
                "text/html; charset=utf-8",
                Some(etag),
                article_html(k, j, site.page_kib),
            )
        }
    } else {
        (
            Kind::Other,
            "404 Not Found",
            "text/plain",
            None,
            "not found\n".to_string(),
        )
    };
    {
        let mut s = stats.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(k) = polled_feed {
            *s.feed_polls.entry(k).or_default() += 1;
        }
        match kind {
            Kind::Feed200 => s.feed_200 += 1,
            Kind::Feed304 => s.feed_304 += 1,
            Kind::Article => s.article += 1,
            Kind::Revisit => s.revisit += 1,
            Kind::Revisit304 => {
                s.revisit += 1;
                s.revisit_304 += 1;
            }
            Kind::Robots => s.robots += 1,
            Kind::Other => s.other += 1,
        }
    }
    let mut out = format!("HTTP/1.1 {status}\r\nServer: poll-scale\r\n");
    if !ctype.is_empty() {
        let _ = write!(out, "Content-Type: {ctype}\r\n");
    }
    if let Some(e) = etag {
        let _ = write!(out, "ETag: {e}\r\n");
    }
    if close {
        out.push_str("Connection: close\r\n");
    }
    let _ = write!(out, "Content-Length: {}\r\n\r\n", body.len());
    out.push_str(&body);
    (out.into_bytes(), close)
}

/// Minutes between two feeds' first items: items of one feed never share a date with
/// another's, whatever `--items` is (up to this many).
const ITEMS_DATE_STEP: usize = 100;

/// A fixed point in time the feeds' dates count back from.
fn base_time() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 15, 12, 0, 0)
        .single()
        .unwrap_or_default()
}

fn feed_xml(site: &Site, h: usize, k: usize) -> String {
    let ip = host_ip(h);
    let port = site.port;
    let mut s = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel>\n<title>Kabar Daerah {k}</title>\n<link>http://{ip}:{port}/</link>\n<description>Berita daerah nomor {k}</description>\n"
    );
    for j in 0..site.items {
        let when = base_time() - chrono::Duration::minutes((k * ITEMS_DATE_STEP + j) as i64);
        let _ = writeln!(
            s,
            "<item><title>{}</title><link>http://{ip}:{port}/a/{k}/{j}.html</link><guid isPermaLink=\"false\">scale-{k}-{j}</guid><pubDate>{}</pubDate><description>{}</description></item>",
            title(k, j),
            when.to_rfc2822(),
            words(&mut Rng::new(k, j, 7), 25)
        );
    }
    s.push_str("</channel></rss>\n");
    s
}

fn title(k: usize, j: usize) -> String {
    let mut t = words(&mut Rng::new(k, j, 1), 6);
    if let Some(first) = t.get_mut(..1) {
        first.make_ascii_uppercase();
    }
    format!("{t} ({k}-{j})")
}

fn article_html(k: usize, j: usize, page_kib: usize) -> String {
    let when = base_time() - chrono::Duration::minutes((k * ITEMS_DATE_STEP + j) as i64);
    let mut rng = Rng::new(k, j, 2);
    let mut body = String::new();
    for _ in 0..6 {
        let mut p = words(&mut rng, 45);
        if let Some(first) = p.get_mut(..1) {
            first.make_ascii_uppercase();
        }
        let _ = writeln!(body, "<p>{p}.</p>");
    }
    format!(
        "<!DOCTYPE html>\n<html lang=\"id\"><head><meta charset=\"utf-8\"><title>{t}</title>\n<meta property=\"og:title\" content=\"{t}\">\n<meta property=\"article:published_time\" content=\"{}\">\n<meta name=\"author\" content=\"Redaksi\"></head>\n<body><header><nav><a href=\"/\">Beranda</a> <a href=\"/daerah\">Daerah</a> <a href=\"/olahraga\">Olahraga</a></nav></header>\n<main><article><h1>{t}</h1><div class=\"byline\">Redaksi</div>\n<div class=\"content\">\n{body}</div></article></main>\n<footer><p>Hak cipta kabar daerah.</p></footer>{}</body></html>\n",
        when.to_rfc3339(),
        padding(&mut rng, page_kib * 1024),
        t = title(k, j),
    )
}

/// About `bytes` of what surrounds an article on a real news page: a list of related
/// headlines and an inline script with the site's state, so the page is mostly not article.
fn padding(rng: &mut Rng, bytes: usize) -> String {
    if bytes == 0 {
        return String::new();
    }
    let mut related = String::from("<aside class=\"terkait\"><ul>\n");
    let mut script = String::from("<script>window.__STATE__={\"menu\":[");
    while related.len() + script.len() < bytes {
        let _ = writeln!(
            related,
            "<li><a href=\"/berita/{}\">{}</a></li>",
            rng.next() % 1_000_000,
            words(rng, 8)
        );
        let _ = write!(script, "\"{}\",", words(rng, 12));
    }
    related.push_str("</ul></aside>\n");
    script.push_str("\"\"]};</script>\n");
    related + &script
}

/// Words common in Indonesian regional news, to make pages that read like text to the
/// extractor and the language detector.
const WORDS: &[&str] = &[
    "air",
    "anggaran",
    "bandara",
    "banjir",
    "bantuan",
    "besar",
    "bupati",
    "dana",
    "daerah",
    "desa",
    "dinas",
    "gubernur",
    "hujan",
    "hutan",
    "jalan",
    "jembatan",
    "kabupaten",
    "kampung",
    "kantor",
    "kapal",
    "kebakaran",
    "kecamatan",
    "kegiatan",
    "kepala",
    "kesehatan",
    "kota",
    "lahan",
    "laut",
    "listrik",
    "masyarakat",
    "menteri",
    "nelayan",
    "pantai",
    "pasar",
    "pelabuhan",
    "pemerintah",
    "pendidikan",
    "penduduk",
    "perbaikan",
    "petani",
    "polisi",
    "program",
    "proyek",
    "provinsi",
    "rumah",
    "sakit",
    "sawit",
    "sekolah",
    "sungai",
    "tambang",
    "tanah",
    "warga",
    "wilayah",
    "yang",
    "dan",
    "di",
    "ke",
    "dari",
    "untuk",
    "dengan",
    "pada",
    "akan",
    "telah",
    "sudah",
    "masih",
    "tahun",
    "bulan",
    "hari",
    "ini",
    "itu",
    "tersebut",
    "kata",
    "menurut",
    "bahwa",
    "juga",
    "tidak",
    "lebih",
    "baru",
    "setelah",
    "sejak",
];

/// splitmix64, seeded by article: the same page every time it is asked for.
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(k: usize, j: usize, salt: u64) -> Rng {
        Rng((k as u64) << 20 ^ (j as u64) << 8 ^ salt ^ 0x9e37_79b9_7f4a_7c15)
    }
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

pub(crate) fn words(rng: &mut Rng, n: usize) -> String {
    let mut s = String::new();
    for i in 0..n {
        if i > 0 {
            s.push(' ');
        }
        let w = WORDS
            .get((rng.next() % WORDS.len() as u64) as usize)
            .copied()
            .unwrap_or("kabar");
        s.push_str(w);
    }
    s
}
