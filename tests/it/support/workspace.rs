//! A per-test folder holding a feeds.toml and the archive, plus shortcuts for the commands whose
//! JSON output the tests assert on.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use tempfile::TempDir;

use super::cmd::{self, Background, RUN_LIMIT, Run};

/// One `[[feed]]` entry.
#[derive(Clone, Debug)]
pub struct Feed {
    pub name: String,
    pub url: String,
    /// Extra `key = value` lines inside the entry (title, language, tags, schedule, …).
    pub extra: Vec<String>,
}

impl Feed {
    pub fn new(name: &str, url: &str) -> Feed {
        Feed {
            name: name.to_string(),
            url: url.to_string(),
            extra: Vec::new(),
        }
    }

    pub fn with(mut self, line: &str) -> Feed {
        self.extra.push(line.to_string());
        self
    }
}

thread_local! {
    /// The `[archive]` line of this thread's newest workspace.
    static ARCHIVE_LINE: std::cell::RefCell<String> =
        std::cell::RefCell::new("path = \"archive.db\"".to_string());
}

/// The suite's standard config: the workspace's archive (beside the file, or its database
/// on the test server), loopback allowed, no politeness delay, short timeouts, robots
/// obeyed. `fetch_extra` lines go into `[fetch]`; `tail` after the feeds.
pub fn config_text(fetch_extra: &[&str], feeds: &[Feed]) -> String {
    let mut s = format!(
        "[archive]\n{}\n\n[fetch]\nallow_private_addresses = true\n\
         per_host_delay = \"0s\"\ntimeout = \"5s\"\nrespect_robots = true\n",
        ARCHIVE_LINE.with(|l| l.borrow().clone())
    );
    for line in fetch_extra {
        s.push_str(line);
        s.push('\n');
    }
    for feed in feeds {
        s.push_str(&format!(
            "\n[[feed]]\nname = \"{}\"\nurl = \"{}\"\n",
            feed.name, feed.url
        ));
        for line in &feed.extra {
            s.push_str(line);
            s.push('\n');
        }
    }
    s
}

pub struct Workspace {
    dir: TempDir,
    /// The archive's database on the test server, for a test run on PostgreSQL.
    pg: Option<String>,
}

impl Workspace {
    pub fn new() -> Workspace {
        let pg = match super::pg_server::backend() {
            super::pg_server::Backend::Sqlite => None,
            super::pg_server::Backend::Postgres => {
                Some(super::pg_server::fresh_url("e2e").expect("a PostgreSQL server for this test"))
            }
        };
        ARCHIVE_LINE.with(|l| {
            *l.borrow_mut() = match &pg {
                Some(url) => format!("url = \"{url}\""),
                None => "path = \"archive.db\"".to_string(),
            }
        });
        Workspace {
            dir: tempfile::Builder::new()
                .prefix("warta-e2e-")
                .tempdir()
                .expect("temp dir"),
            pg,
        }
    }

    /// Whether the archive is a PostgreSQL database.
    pub fn is_postgres(&self) -> bool {
        self.pg.is_some()
    }

    /// A workspace whose feeds.toml is the standard config with `feeds`.
    pub fn with_feeds(feeds: &[Feed]) -> Workspace {
        let ws = Workspace::new();
        ws.write_config(&config_text(&[], feeds));
        ws
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn config_path(&self) -> PathBuf {
        self.path().join("feeds.toml")
    }

    /// Whether the archive has been made: its file is there, or its database has warta's
    /// tables.
    pub fn archive_exists(&self) -> bool {
        match &self.pg {
            Some(url) => {
                super::pg_server::psql(url, "SELECT to_regclass('warta_schema') IS NOT NULL")
                    .is_ok_and(|out| out == "t")
            }
            None => self.db_path().exists(),
        }
    }

    /// The archive: its file, or its `postgres://` address (what `--db` takes).
    pub fn db_path(&self) -> PathBuf {
        match &self.pg {
            Some(url) => PathBuf::from(url),
            None => self.path().join("archive.db"),
        }
    }

    pub fn write_config(&self, text: &str) {
        self.write("feeds.toml", text.as_bytes());
    }

    pub fn write(&self, rel: &str, bytes: &[u8]) -> PathBuf {
        let path = self.path().join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create folder");
        }
        std::fs::write(&path, bytes).expect("write file");
        path
    }

    /// Creates the empty archive, as a first `warta fetch` does, without polling anything:
    /// for tests that read feed state before any poll (read commands need an archive).
    pub fn create_archive(&self) {
        let line = ARCHIVE_LINE.with(|l| l.borrow().clone());
        let config = self.write("no-feeds.toml", format!("[archive]\n{line}\n").as_bytes());
        let mut c = cmd::warta();
        c.current_dir(self.path())
            .arg("--config")
            .arg(config)
            .arg("--db")
            .arg(self.db_path())
            .arg("fetch");
        cmd::run_command(c, None, RUN_LIMIT).ok();
    }

    /// `warta --config <this feeds.toml> ARGS…`, run in the workspace folder.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = cmd::warta();
        c.current_dir(self.path());
        c.arg("--config").arg(self.config_path());
        c.args(args);
        c
    }

    #[track_caller]
    pub fn run(&self, args: &[&str]) -> Run {
        cmd::run_command(self.command(args), None, RUN_LIMIT)
    }

    #[track_caller]
    pub fn run_stdin(&self, args: &[&str], stdin: &[u8]) -> Run {
        cmd::run_command(self.command(args), Some(stdin), RUN_LIMIT)
    }

    pub fn spawn(&self, args: &[&str]) -> Background {
        Background::spawn(self.command(args))
    }

    /// `warta fetch` that must succeed.
    #[track_caller]
    pub fn fetch_ok(&self) -> Run {
        let run = self.run(&["fetch"]);
        run.ok();
        run
    }

    /// `search QUERY --format json EXTRA…` that must succeed; the hits.
    #[track_caller]
    pub fn search(&self, query: &str, extra: &[&str]) -> Vec<Value> {
        let mut args = vec!["search", query, "--format", "json"];
        args.extend_from_slice(extra);
        let run = self.run(&args);
        run.ok();
        match run.json() {
            Value::Array(hits) => hits,
            other => panic!("search json is not an array: {other}\n{run:?}"),
        }
    }

    /// The one hit a query must have.
    #[track_caller]
    pub fn search_one(&self, query: &str) -> Value {
        let hits = self.search(query, &[]);
        assert_eq!(hits.len(), 1, "expected one hit for {query:?}: {hits:#?}");
        hits.into_iter().next().unwrap_or_default()
    }

    #[track_caller]
    pub fn show(&self, id: i64) -> Value {
        let id = id.to_string();
        let run = self.run(&["show", &id, "--format", "json"]);
        run.ok();
        run.json()
    }

    #[track_caller]
    pub fn stats(&self) -> Value {
        let run = self.run(&["stats", "--format", "json"]);
        run.ok();
        run.json()
    }

    #[track_caller]
    pub fn feeds(&self) -> Vec<Value> {
        let run = self.run(&["feeds", "--format", "json"]);
        run.ok();
        match run.json() {
            Value::Array(feeds) => feeds,
            other => panic!("feeds json is not an array: {other}\n{run:?}"),
        }
    }

    /// Every archived article matching `query` (one row per copy), for set comparisons.
    #[track_caller]
    pub fn search_all_copies(&self, query: &str) -> Vec<Value> {
        self.search(query, &["--all", "--limit", "10000"])
    }
}

/// Field accessors that fail with the whole object in the message.
#[track_caller]
pub fn int(v: &Value, field: &str) -> i64 {
    v.get(field)
        .and_then(Value::as_i64)
        .unwrap_or_else(|| panic!("{field} is not an integer in {v:#}"))
}

#[track_caller]
pub fn string<'a>(v: &'a Value, field: &str) -> &'a str {
    v.get(field)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("{field} is not a string in {v:#}"))
}

#[track_caller]
pub fn opt_string<'a>(v: &'a Value, field: &str) -> Option<&'a str> {
    match v.get(field) {
        Some(Value::String(s)) => Some(s),
        Some(Value::Null) => None,
        _ => panic!("{field} is missing or neither string nor null in {v:#}"),
    }
}

/// An RFC 3339 time with an offset, as the contract requires.
#[track_caller]
pub fn time(v: &Value, field: &str) -> chrono::DateTime<chrono::FixedOffset> {
    let s = string(v, field);
    chrono::DateTime::parse_from_rfc3339(s)
        .unwrap_or_else(|e| panic!("{field} = {s:?} is not RFC 3339 ({e}) in {v:#}"))
}

#[track_caller]
pub fn opt_time(v: &Value, field: &str) -> Option<chrono::DateTime<chrono::FixedOffset>> {
    opt_string(v, field).map(|s| {
        chrono::DateTime::parse_from_rfc3339(s)
            .unwrap_or_else(|e| panic!("{field} = {s:?} is not RFC 3339 ({e}) in {v:#}"))
    })
}

/// The instant `s` (RFC 3339) names, for comparing times whatever offset they are written in.
pub fn instant(s: &str) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339(s)
        .expect("test constant is RFC 3339")
        .with_timezone(&chrono::Utc)
}

/// The 1-based line of `text` that contains `needle` (the n-th such line when `nth` > 1).
pub fn line_of(text: &str, needle: &str, nth: usize) -> usize {
    text.lines()
        .enumerate()
        .filter(|(_, l)| l.contains(needle))
        .nth(nth.saturating_sub(1))
        .map(|(i, _)| i + 1)
        .unwrap_or_else(|| panic!("{needle:?} is not in the text"))
}

/// stderr names the file and one of `lines` of it: "line 7" or "feeds.toml:7".
#[track_caller]
pub fn assert_names_line(run: &Run, file: &str, lines: &[usize]) {
    let err = run.stderr.to_lowercase();
    assert!(
        err.contains(&file.to_lowercase()),
        "stderr does not name {file}\n{run:?}"
    );
    let named = |line: usize| {
        [
            format!("line {line}"),
            format!("{}:{line}", file.to_lowercase()),
        ]
        .iter()
        .any(|form| {
            err.match_indices(form.as_str()).any(|(i, m)| {
                // "line 1" must not match "line 12".
                !err[i + m.len()..].starts_with(|c: char| c.is_ascii_digit())
            })
        })
    };
    assert!(
        lines.iter().any(|&l| named(l)),
        "stderr does not name line {lines:?} of {file}\n{run:?}"
    );
}
