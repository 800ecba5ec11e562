//! warta end to end: the built binary against real HTTP servers on loopback.
//!
//! Every test gets its own folder (feeds.toml + archive), its own fixture servers, and talks to
//! the program only as a user or a script would: command lines, exit codes, stdout JSON, stderr.
//! `support` holds the fixture server, feed and page builders, and the command helpers; each
//! other module is one topic of the contract (CONTRACT.md) or of the issue that asked for it.

// The helpers in support/ are test code without #[test] on them: a fixture that cannot be
// read or a server that cannot start should stop the test with its message, as in a test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

mod alerts;
mod archive;
mod bounded;
mod browser;
mod causes;
mod charset;
mod cli;
mod conditional;
mod config;
mod crash;
mod daemon;
mod dedup;
mod errors;
mod export;
mod extract;
mod faults;
mod feed_diff;
mod files;
mod import;
mod kept;
mod fixtures;
mod health;
mod listing;
mod lock;
mod integrity;
mod interrupt;
mod opml;
mod ops;
mod output;
mod pages;
mod reload;
mod requests;
mod responses;
mod revisit;
mod watch;
mod search;
mod serve;
mod shared;
mod smtp;
mod sources;
mod search_id;
mod status;
mod stories;
mod streaming;
