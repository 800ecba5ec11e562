//! warta archives regional news.
//!
//! The pipeline, in one paragraph: `config` reads feeds.toml into typed values; the
//! `daemon` (or `warta fetch`) hands each feed to `ingest::Ingest::poll_feed`, which fetches
//! the feed through the one polite HTTP client in `fetch`, turns its bytes into items with
//! `feed`, skips what is already known using `dedup`'s URL keys, fetches and `extract`s each
//! new page, and writes the results to the SQLite archive in `store` a few pages per
//! transaction as they come in, where `dedup`'s body fingerprints make the final call on
//! duplicates.
//! `search` turns a user's query into a safe FTS5 expression that `store` runs.
//!
//! `feed`, `extract`, `dedup`, `dates` and `search::query` are pure: bytes, strings and `now`
//! in, values out. Outgoing connections live only in `fetch` (the daemon's
//! own `/metrics` listener and systemd socket in `daemon`); SQL only in `store`.

pub mod addr;
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub mod alloc;
pub mod cli;
pub mod config;
pub mod daemon;
pub mod dates;
pub mod dedup;
pub mod discover;
pub mod error;
pub mod export;
pub mod isolate;
pub mod text;
pub mod extract;
pub mod feed;
pub mod fetch;
pub mod import;
pub mod ingest;
pub mod lock;
pub mod schedule;
pub mod stem;
pub mod model;
pub mod opml;
pub mod search;
pub mod serve;
pub mod source;
pub mod store;
pub mod views;
pub mod watch;
pub mod zone;
