//! The formats of `warta export`: pure writers over [`std::io::Write`], one record per call,
//! so the command can stream an archive of any size through them.
//!
//! - jsonl: one JSON object per article ([`jsonl`]), the fields of `warta show --format
//!   json` plus `places` and `extraction`;
//! - csv: one RFC 4180 row per article with its scalar fields ([`csv`]);
//! - warc: WARC/1.1 records of the raw pages the archive keeps ([`warc`]).
//!
//! What to export and in which order is the store's business (`Store::export_articles`,
//! `Store::export_pages`); these writers only lay records out.

pub mod csv;
pub mod warc;

use std::io::{self, Write};

use crate::store::ExportArticle;

/// One article as one line of JSON.
pub fn jsonl(out: &mut impl Write, article: &ExportArticle) -> io::Result<()> {
    // `from`, not `other`: a closed pipe stays BrokenPipe, which the command treats as the
    // reader's choice (`warta export --format jsonl | head -1`).
    serde_json::to_writer(&mut *out, article).map_err(io::Error::from)?;
    out.write_all(b"\n")
}
