//! `warta search QUERY`.

use chrono::Utc;
use clap::{Args, ValueEnum};

use super::{Context, output, render};
use crate::error::{Error, Result};
use crate::search::{self, Filters};
use crate::store::{OpenMode, SortOrder, Store};
use crate::zone::Zone;

/// `warta search --help` and the man page: the query language as `search::query` reads it.
pub const LONG_ABOUT: &str = "\
Full-text search of the archive. Each story is listed once, however many sites carried it.

The query:
  banjir samarinda         both words (words are ANDed); case and diacritics never matter
  \"kutai timur\"            the words next to each other, in this order
  banjir OR longsor        either word (OR in capitals; it binds tighter than a space)
  banjir -jakarta          without that word (-\"jalan tol\": without the phrase)
  pemkab*                  words starting with pemkab (two letters at least)
  title:banjir             in the headline (title:\"banjir besar\" for a phrase)
  author:rahman            the author's name contains the text
  feed:tribun-kaltim       seen in that feed
  site:kaltimpost.id       seen on that site, subdomains included
  date:2024-11             published then: date:2024, date:2024-11, date:2024-11-20
  date:2024-11-01..2024-11-30   in a range; one side may be open (date:2024-11..)

Indonesian words match in any inflected form (exact forms rank first; a quoted phrase \
stays exact), and regional names in either form (Kutim, Kutai Timur). A query of fields \
alone lists what they select: site:kaltimpost.id date:2024-11. No query at all (or \
`warta latest`) lists the newest stories, with every filter: warta latest --since 1d.";

#[derive(Debug, Args)]
pub struct SearchArgs {
    /// Words (ANDed), "a phrase", OR between terms, -word to exclude, word* for a prefix,
    /// and the fields title:, author:, feed:, site:, date: (`--help` explains them).
    /// None: the newest stories (as `warta latest`).
    #[arg(num_args = 0..)]
    query: Vec<String>,
    /// Only articles seen in this feed (repeatable).
    #[arg(long = "feed", value_name = "NAME")]
    feeds: Vec<String>,
    /// Only articles from feeds of this region.
    #[arg(long)]
    region: Option<String>,
    /// Only articles from feeds with this tag.
    #[arg(long)]
    tag: Option<String>,
    /// Only articles in this language (ISO 639-1, e.g. id).
    #[arg(long = "lang", value_name = "CODE")]
    lang: Option<String>,
    /// From this date: YYYY-MM-DD, an RFC 3339 time, or a span back from now (7d, 12h).
    #[arg(long, value_name = "DATE", allow_hyphen_values = true)]
    since: Option<String>,
    /// Up to this date (same forms as --since).
    #[arg(long, value_name = "DATE", allow_hyphen_values = true)]
    until: Option<String>,
    #[arg(long, default_value_t = 20)]
    limit: usize,
    /// Skip this many results first (for paging).
    #[arg(long, default_value_t = 0)]
    offset: usize,
    /// Print only how many stories match (and, with --all, copies).
    #[arg(long)]
    count: bool,
    #[arg(long, value_enum, default_value_t = Sort::Relevance)]
    sort: Sort,
    /// List every copy instead of one row per story.
    #[arg(long)]
    all: bool,
    /// Only articles the publisher took down (seen on a revisit: 404, 410, or a redirect
    /// to the home page).
    #[arg(long)]
    removed: bool,
    /// Only articles the publisher revised (more than one version archived).
    #[arg(long)]
    revised: bool,
    /// table: for people, times in [display] timezone, else $TZ, else the system's zone;
    /// json, ndjson, csv: RFC 3339 times with offsets.
    #[arg(long, value_enum, default_value_t = render::ListFormat::Table)]
    format: render::ListFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Sort {
    Relevance,
    /// Relevance, favouring recent articles.
    Recent,
    Newest,
    Oldest,
}

pub fn run(ctx: &Context, args: &SearchArgs) -> Result<u8> {
    let text = args.query.join(" ");
    let config = ctx.optional_config()?;
    let db = ctx.db_path(config.as_ref())?;
    let store = Store::open_with(&db, OpenMode::Read)?;
    let known: Vec<String> = {
        let mut names = store.feed_names()?;
        if let Some(c) = &config {
            names.extend(c.feeds.iter().map(|f| f.name.to_string()));
        }
        names
    };
    for f in args.feeds.iter().chain(&search::named_feeds(&text)) {
        if !known.contains(f) {
            return Err(Error::usage(format!(
                "--feed {f}: no such feed; `warta feeds` lists them"
            )));
        }
    }
    let filters = Filters {
        feeds: args.feeds.clone(),
        region: args.region.clone(),
        tags: args.tag.clone().into_iter().collect(),
        language: args.lang.clone(),
        since: args.since.clone(),
        until: args.until.clone(),
        limit: args.limit,
        offset: args.offset,
        sort: match args.sort {
            Sort::Relevance => SortOrder::Relevance,
            Sort::Recent => SortOrder::Recent,
            Sort::Newest => SortOrder::Newest,
            Sort::Oldest => SortOrder::Oldest,
        },
        all: args.all,
        removed: args.removed,
        revised: args.revised,
    };
    let aliases = search::aliases::Aliases::new(config.as_ref().map_or(&[][..], |c| &c.aliases));
    // Prefixes that stand for more words than a search takes, to say so.
    let capped = std::cell::RefCell::new(Vec::new());
    let prefix_words = |prefix: &str| match store.prefix_words(prefix) {
        Ok(found) => {
            if found.capped {
                capped.borrow_mut().push(prefix.to_owned());
            }
            found.words
        }
        Err(e) => {
            tracing::debug!(error = %e, "prefix words unavailable; FTS5 expands the prefix");
            Vec::new()
        }
    };
    let (request, highlighter) =
        search::build_request(&text, &filters, &aliases, &prefix_words, Utc::now())
            .map_err(Error::usage)?;
    if !ctx.quiet {
        for p in capped.borrow().iter() {
            eprintln!(
                "note: {p}* stands for more than {} words; searched the {} most frequent (a longer prefix is exact)",
                crate::store::MAX_PREFIX_WORDS,
                crate::store::MAX_PREFIX_WORDS
            );
        }
    }
    let mut request = request;
    store.bound_dates(&mut request)?;
    if args.count {
        let count = store.count(&request)?;
        output(render::count(
            &mut std::io::stdout().lock(),
            count,
            args.all,
            args.format,
        ))?;
        return Ok(0);
    }
    // Worked out here rather than inside `search`, to tell the user.
    let cap = request.rank_cap.take().unwrap_or(crate::store::RANK_CAP);
    if let Some(ranked) = store.narrow_to_newest(&mut request, cap)?
        && !ctx.quiet
    {
        eprintln!(
            "note: more than {ranked} articles match; ranked the newest of them \
             (narrow the query; --sort newest lists all, --count counts them)"
        );
    }
    let hits = store.search(&request, &|body| highlighter.snippet(body))?;
    print_hits(&hits, args.format, config.as_ref())?;
    Ok(0)
}

/// Prints hits to stdout; a table's times in the display zone.
pub(super) fn print_hits(
    hits: &[crate::store::SearchHit],
    format: render::ListFormat,
    config: Option<&crate::config::Config>,
) -> Result<()> {
    // Only the table shows local times; a script reading json need not hear about $TZ.
    let zone = match format {
        render::ListFormat::Table => Zone::resolve(config),
        _ => Zone::UTC,
    };
    output(render::hits(
        &mut std::io::stdout().lock(),
        hits,
        format,
        &zone,
    ))
}

/// Options of `search` (and the global ones) that take a value.
const VALUE_OPTIONS: &[&str] = &[
    "--config", "--db", "--feed", "--format", "--lang", "--limit", "--offset", "--region",
    "--since", "--sort", "--tag", "--until",
];

/// Lets `-word` exclusions stand anywhere on the command line (`warta search banjir -tol
/// --limit 5`): clap would read `-tol` as a flag, so the query's words are moved behind a
/// `--`, where clap takes everything as positional. Other commands' arguments pass as they
/// are.
pub fn reorder_args(args: Vec<std::ffi::OsString>) -> Vec<std::ffi::OsString> {
    let strs: Vec<Option<&str>> = args.iter().map(|a| a.to_str()).collect();
    // The subcommand is the first argument that is neither an option nor an option's value.
    let mut i = 1;
    let mut sub = None;
    while i < strs.len() {
        match strs[i] {
            Some(a) if VALUE_OPTIONS.contains(&a) => i += 2,
            Some(a) if a.starts_with('-') => i += 1,
            Some("search" | "latest") => {
                sub = Some(i);
                break;
            }
            _ => break,
        }
    }
    let Some(sub) = sub else { return args };
    let mut options = Vec::new();
    let mut words = Vec::new();
    let mut j = sub + 1;
    while j < args.len() {
        let a = strs[j].unwrap_or("");
        if a == "--" {
            words.extend(args[j + 1..].iter().cloned());
            break;
        }
        let is_flag = a.starts_with("--")
            || (a.len() > 1
                && a.starts_with('-')
                && a[1..].chars().all(|c| matches!(c, 'v' | 'q' | 'h')));
        if is_flag {
            options.push(args[j].clone());
            if VALUE_OPTIONS.contains(&a) && j + 1 < args.len() {
                options.push(args[j + 1].clone());
                j += 1;
            }
        } else {
            words.push(args[j].clone());
        }
        j += 1;
    }
    let mut out: Vec<std::ffi::OsString> = args[..=sub].to_vec();
    out.extend(options);
    if !words.is_empty() {
        out.push("--".into());
        out.extend(words);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::reorder_args;

    fn r(args: &[&str]) -> Vec<String> {
        reorder_args(args.iter().map(|s| s.into()).collect())
            .into_iter()
            .map(|s| s.into_string().unwrap())
            .collect()
    }

    #[test]
    fn exclusions_and_options_mix() {
        assert_eq!(
            r(&[
                "warta", "--config", "f.toml", "search", "banjir", "-tol", "--limit", "5", "-v",
                "OR", "--all"
            ]),
            [
                "warta", "--config", "f.toml", "search", "--limit", "5", "-v", "--all", "--",
                "banjir", "-tol", "OR"
            ]
        );
    }

    #[test]
    fn other_commands_and_explicit_separator() {
        assert_eq!(r(&["warta", "show", "-3"]), ["warta", "show", "-3"]);
        assert_eq!(
            r(&["warta", "search", "--", "-x", "y"]),
            ["warta", "search", "--", "-x", "y"]
        );
        assert_eq!(
            r(&["warta", "search", "--help"]),
            ["warta", "search", "--help"]
        );
        // `latest` is `search`; with no words, nothing is moved.
        assert_eq!(
            r(&["warta", "latest", "--since", "1d", "-tol"]),
            ["warta", "latest", "--since", "1d", "--", "-tol"]
        );
        assert_eq!(
            r(&["warta", "latest", "--all"]),
            ["warta", "latest", "--all"]
        );
    }
}
