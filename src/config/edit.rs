//! Adding feeds to a feeds.toml without touching what the operator wrote. Pure: the file's
//! text in, the new text and what happened to each feed out.
//!
//! The new `[[feed]]` tables are built with toml_edit (so every value is quoted and escaped
//! as TOML wants) and appended after the original text, which is kept byte for byte: its
//! comments, blank lines, key order and a trailing comment all stay where they were. Only a
//! file that lists its feeds as an inline array (`feed = [{…}]`), where TOML forbids a
//! later `[[feed]]`, is edited in place through the document instead. Whatever the route,
//! the result is loaded with [`Config::parse`] before it is handed back, so a caller never
//! writes a feeds.toml that would not load.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use toml_edit::{ArrayOfTables, DocumentMut, InlineTable, Item, Table, Value};
use url::Url;

use super::{Config, ConfigError};
use crate::model::FeedName;

/// A feed to add. `name` is a wish: taken when free, else the feed is skipped (a name that
/// is already configured) or numbered (a name an earlier feed of the same batch took).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFeed {
    pub url: Url,
    pub name: Option<String>,
    pub title: Option<String>,
    pub region: Option<String>,
    pub language: Option<String>,
    pub tags: Vec<String>,
    pub enabled: bool,
    /// A `[[site]]` (a source without a feed) rather than a `[[feed]]`.
    pub site: bool,
}

impl NewFeed {
    pub fn new(url: Url) -> NewFeed {
        NewFeed {
            url,
            name: None,
            title: None,
            region: None,
            language: None,
            tags: Vec::new(),
            enabled: true,
            site: false,
        }
    }
}

/// What became of one [`NewFeed`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Added {
        name: String,
        url: Url,
    },
    /// The URL (normalised, see [`url_key`]) is already configured as feed `existing`.
    SameUrl {
        url: Url,
        existing: String,
    },
    /// The wished-for name is already a configured feed with another URL.
    SameName {
        url: Url,
        name: String,
        existing_url: String,
    },
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Outcome::Added { name, url } => write!(f, "added: {name} {url}"),
            Outcome::SameUrl { url, existing } => {
                write!(f, "skipped: {url} is already feed '{existing}'")
            }
            Outcome::SameName {
                url,
                name,
                existing_url,
            } => write!(
                f,
                "skipped: {url}: the name '{name}' is already feed {existing_url}; choose another name"
            ),
        }
    }
}

/// The edited file.
#[derive(Debug, Clone)]
pub struct Appended {
    /// The whole new file.
    pub text: String,
    /// Only what was added (the TOML a dry run shows).
    pub added_text: String,
    pub outcomes: Vec<Outcome>,
    /// The new file, loaded.
    pub config: Config,
}

impl Appended {
    pub fn added(&self) -> usize {
        self.outcomes
            .iter()
            .filter(|o| matches!(o, Outcome::Added { .. }))
            .count()
    }

    pub fn skipped(&self) -> usize {
        self.outcomes.len() - self.added()
    }
}

/// Adds `feeds` to the config `original` (read from `path`), skipping the ones already
/// there. `note` becomes a comment above the first added table.
pub fn append_feeds(
    original: &str,
    path: &Path,
    feeds: &[NewFeed],
    note: Option<&str>,
) -> Result<Appended, ConfigError> {
    let current = Config::parse(original, path)?;
    let mut names: HashSet<String> = current.feeds.iter().map(|f| f.name.to_string()).collect();
    let mut keys: HashMap<String, String> = current
        .feeds
        .iter()
        .map(|f| (url_key(&f.url), f.name.to_string()))
        .collect();
    // The next number to try per generated base, so a list of a thousand "Berita" feeds
    // does not rescan every earlier number for each one.
    let mut next: HashMap<String, usize> = HashMap::new();
    let mut outcomes = Vec::with_capacity(feeds.len());
    let mut tables: Vec<Table> = Vec::new();
    let mut site_tables: Vec<Table> = Vec::new();
    for feed in feeds {
        let key = url_key(&feed.url);
        if let Some(existing) = keys.get(&key) {
            outcomes.push(Outcome::SameUrl {
                url: feed.url.clone(),
                existing: existing.clone(),
            });
            continue;
        }
        let wished = feed.name.as_deref().filter(|n| FeedName::parse(n).is_ok());
        if let Some(wish) = wished
            && let Some(existing) = current.feeds.iter().find(|f| f.name.as_str() == wish)
        {
            outcomes.push(Outcome::SameName {
                url: feed.url.clone(),
                name: wish.to_string(),
                existing_url: existing.url.to_string(),
            });
            continue;
        }
        let base = match wished {
            Some(w) => w.to_string(),
            None => default_name(feed),
        };
        let name = unique(&base, &names, &mut next);
        names.insert(name.clone());
        keys.insert(key, name.clone());
        if feed.site {
            site_tables.push(feed_table(&name, feed));
        } else {
            tables.push(feed_table(&name, feed));
        }
        outcomes.push(Outcome::Added {
            name,
            url: feed.url.clone(),
        });
    }

    let (text, added_text) = if tables.is_empty() && site_tables.is_empty() {
        (original.to_string(), String::new())
    } else if tables.is_empty() {
        append_text(original, "site", site_tables, note)
    } else {
        let doc: DocumentMut = original.parse().map_err(|e: toml_edit::TomlError| {
            ConfigError(format!("{}: {}", path.display(), e.to_string().trim_end()))
        })?;
        let inline = doc
            .get("feed")
            .is_some_and(|item| item.as_array_of_tables().is_none());
        if inline {
            into_inline_array(doc, &tables, path)?
        } else {
            append_text(original, "feed", tables, note)
        }
    };

    let config = Config::parse(&text, path).map_err(|e| {
        ConfigError(format!(
            "adding the feeds would make {} invalid ({e}); it was left unchanged. This is a bug in warta: please report it with the file",
            path.display()
        ))
    })?;
    let added = outcomes
        .iter()
        .filter(|o| matches!(o, Outcome::Added { .. }))
        .count();
    if config.feeds.len() != current.feeds.len() + added {
        return Err(ConfigError(format!(
            "adding the feeds to {} did not give the expected {} feeds; it was left unchanged. This is a bug in warta: please report it with the file",
            path.display(),
            current.feeds.len() + added
        )));
    }
    Ok(Appended {
        text,
        added_text,
        outcomes,
        config,
    })
}

/// The original text untouched, then the new `[[kind]]` tables.
fn append_text(
    original: &str,
    kind: &str,
    tables: Vec<Table>,
    note: Option<&str>,
) -> (String, String) {
    let mut aot = ArrayOfTables::new();
    for (i, mut table) in tables.into_iter().enumerate() {
        let mut prefix = String::from("\n");
        if i == 0
            && let Some(note) = note
        {
            for line in note.lines() {
                prefix.push_str(&format!("# {line}\n"));
            }
        }
        table.decor_mut().set_prefix(prefix);
        aot.push(table);
    }
    let mut doc = DocumentMut::new();
    doc.insert(kind, Item::ArrayOfTables(aot));
    let crlf = original.contains("\r\n");
    let mut added = doc.to_string();
    if crlf {
        added = added.replace('\n', "\r\n");
    }
    let newline = if crlf { "\r\n" } else { "\n" };
    let mut text = original.to_string();
    if text.trim().is_empty() {
        // Nothing worth keeping apart from whitespace: start the file with the first table.
        added = added.trim_start().to_string();
    } else if !text.ends_with('\n') {
        text.push_str(newline);
    }
    text.push_str(&added);
    (text, added)
}

/// `feed = [ {…}, … ]`: the new feeds join the array as inline tables.
fn into_inline_array(
    mut doc: DocumentMut,
    tables: &[Table],
    path: &Path,
) -> Result<(String, String), ConfigError> {
    let Some(array) = doc.get_mut("feed").and_then(Item::as_array_mut) else {
        return Err(ConfigError(format!(
            "{}: `feed` is neither [[feed]] tables nor an array of tables; fix it before adding feeds",
            path.display()
        )));
    };
    let mut added = String::new();
    for table in tables {
        let mut inline: InlineTable = table.clone().into_inline_table();
        inline.fmt();
        added.push_str(&format!("{inline}\n"));
        array.push_formatted(Value::InlineTable(inline));
    }
    Ok((doc.to_string(), added))
}

fn feed_table(name: &str, feed: &NewFeed) -> Table {
    let mut t = Table::new();
    t.insert("name", toml_edit::value(name));
    t.insert("url", toml_edit::value(feed.url.as_str()));
    if let Some(title) = &feed.title {
        t.insert("title", toml_edit::value(title.as_str()));
    }
    if let Some(region) = &feed.region {
        t.insert("region", toml_edit::value(region.as_str()));
    }
    if let Some(language) = &feed.language {
        t.insert("language", toml_edit::value(language.as_str()));
    }
    if !feed.tags.is_empty() {
        let tags: toml_edit::Array = feed.tags.iter().map(String::as_str).collect();
        t.insert("tags", toml_edit::value(tags));
    }
    if !feed.enabled {
        t.insert("enabled", toml_edit::value(false));
    }
    t
}

/// A name for a feed that brought none: from its title, else its host.
fn default_name(feed: &NewFeed) -> String {
    feed.title
        .as_deref()
        .map(slug)
        .filter(|s| !s.is_empty())
        .or_else(|| {
            let host = feed.url.host_str()?;
            Some(slug(host.strip_prefix("www.").unwrap_or(host)))
        })
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "feed".to_string())
}

/// `base`, else `base-2`, `base-3`, … whichever is not in `taken`.
fn unique(base: &str, taken: &HashSet<String>, next: &mut HashMap<String, usize>) -> String {
    if !taken.contains(base) {
        return base.to_string();
    }
    let n = next.entry(base.to_string()).or_insert(2);
    loop {
        let candidate = format!("{base}-{n}");
        *n += 1;
        if !taken.contains(&candidate) {
            return candidate;
        }
    }
}

/// Longest generated name: long enough to tell feeds apart, short enough to type.
const SLUG_MAX: usize = 40;

/// `[a-z0-9-]+` from free text: letters folded to ASCII where that is obvious, everything
/// else a single `-`, no `-` at either end. Empty when nothing usable is left.
pub fn slug(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars().flat_map(char::to_lowercase) {
        let c = fold(c);
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    if out.len() > SLUG_MAX {
        let cut = out.get(..SLUG_MAX).unwrap_or(&out);
        // Cut at a word boundary when one is near, so no half word is left dangling.
        out = match cut.rfind('-') {
            Some(i) if i >= SLUG_MAX / 2 => cut.get(..i).unwrap_or(cut).to_string(),
            _ => cut.to_string(),
        };
    }
    out.trim_end_matches('-').to_string()
}

fn fold(c: char) -> char {
    match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => 'a',
        'ç' => 'c',
        'è' | 'é' | 'ê' | 'ë' => 'e',
        'ì' | 'í' | 'î' | 'ï' => 'i',
        'ñ' => 'n',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' => 'o',
        'ù' | 'ú' | 'û' | 'ü' => 'u',
        'ý' | 'ÿ' => 'y',
        c => c,
    }
}

/// Two feed URLs name the same feed when they differ only in scheme, a default port, the
/// host's case, a trailing slash or a fragment.
pub fn url_key(url: &Url) -> String {
    let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
    let port = match url.port() {
        Some(p) if p != 80 && p != 443 => format!(":{p}"),
        _ => String::new(),
    };
    let path = url.path().trim_end_matches('/');
    let query = url.query().map(|q| format!("?{q}")).unwrap_or_default();
    format!("{host}{port}{path}{query}")
}

#[cfg(test)]
mod tests {
    use super::*;

    const PATH: &str = "conf/feeds.toml";

    fn feed(url: &str, title: Option<&str>) -> NewFeed {
        let mut f = NewFeed::new(Url::parse(url).unwrap());
        f.title = title.map(str::to_string);
        f
    }

    const COMMENTED: &str = "# My feeds, hand-kept.\n[archive]\npath = \"a.db\"   # beside the file\n\n\
        [[feed]]\n# the provincial one\nname = \"antara-kaltim\"\nurl = \"https://kaltim.antaranews.com/rss/terkini.xml\"\n\
        tags = [ \"kaltim\",\"antara\" ]\n\n[search]\naliases = [[\"kaltim\", \"kalimantan timur\"]]\n# trailing note";

    #[test]
    fn original_text_is_kept_byte_for_byte_above_the_new_tables() {
        let mut f = feed("https://prokal.co/feed/", Some("Prokal.co — Berita Kaltim"));
        f.region = Some("Kalimantan Timur".into());
        f.tags = vec!["kaltim".into(), "koran \"lokal\"".into()];
        let out = append_feeds(COMMENTED, Path::new(PATH), &[f], Some("Added by test")).unwrap();
        assert!(out.text.starts_with(COMMENTED), "{}", out.text);
        let tail = out.text.get(COMMENTED.len()..).unwrap();
        assert_eq!(
            tail,
            "\n\n# Added by test\n[[feed]]\nname = \"prokal-co-berita-kaltim\"\nurl = \"https://prokal.co/feed/\"\n\
             title = \"Prokal.co — Berita Kaltim\"\nregion = \"Kalimantan Timur\"\ntags = [\"kaltim\", 'koran \"lokal\"']\n"
        );
        let added = out.config.feed("prokal-co-berita-kaltim").unwrap();
        assert_eq!(added.tags, ["kaltim", "koran \"lokal\""]);
        assert_eq!(out.config.aliases.len(), 1);
    }

    #[test]
    fn same_url_after_normalisation_is_skipped() {
        for variant in [
            "http://kaltim.antaranews.com/rss/terkini.xml",
            "https://KALTIM.antaranews.com:443/rss/terkini.xml/",
            "https://kaltim.antaranews.com/rss/terkini.xml#top",
        ] {
            let out =
                append_feeds(COMMENTED, Path::new(PATH), &[feed(variant, None)], None).unwrap();
            assert_eq!(out.text, COMMENTED, "{variant}");
            assert_eq!(
                out.outcomes[0].to_string(),
                format!(
                    "skipped: {} is already feed 'antara-kaltim'",
                    Url::parse(variant).unwrap()
                )
            );
        }
        let other_port = feed("https://kaltim.antaranews.com:8443/rss/terkini.xml", None);
        let out = append_feeds(COMMENTED, Path::new(PATH), &[other_port], None).unwrap();
        assert_eq!(out.added(), 1);
    }

    #[test]
    fn a_taken_name_is_skipped_when_wished_and_numbered_when_generated() {
        let mut wished = feed("https://other.example/rss", None);
        wished.name = Some("antara-kaltim".into());
        let generated = feed("https://other.example/rss2", Some("Antara Kaltim"));
        let again = feed("https://third.example/rss", Some("ANTARA   kaltim!"));
        let out = append_feeds(
            COMMENTED,
            Path::new(PATH),
            &[wished, generated, again],
            None,
        )
        .unwrap();
        assert!(
            matches!(&out.outcomes[0], Outcome::SameName { name, .. } if name == "antara-kaltim")
        );
        assert!(
            matches!(&out.outcomes[1], Outcome::Added { name, .. } if name == "antara-kaltim-2")
        );
        assert!(
            matches!(&out.outcomes[2], Outcome::Added { name, .. } if name == "antara-kaltim-3")
        );
        assert_eq!((out.added(), out.skipped()), (2, 1));
    }

    #[test]
    fn many_feeds_with_one_title_get_numbered_names() {
        let list: Vec<NewFeed> = (0..2000)
            .map(|i| feed(&format!("https://x{i}.example/rss"), Some("Berita")))
            .collect();
        let out = append_feeds("", Path::new(PATH), &list, None).unwrap();
        assert_eq!(out.added(), 2000);
        assert!(out.config.feed("berita").is_some());
        assert!(out.config.feed("berita-2000").is_some());
    }

    #[test]
    fn names_come_from_title_else_host() {
        let cases = [
            (
                Some("Tribun Kaltim — Berita Terkini"),
                "https://kaltim.tribunnews.com/rss",
                "tribun-kaltim-berita-terkini",
            ),
            (
                Some("Café Samarinda"),
                "https://x.example/rss",
                "cafe-samarinda",
            ),
            (Some("???"), "https://www.prokal.co/feed", "prokal-co"),
            (
                None,
                "https://kaltim.antaranews.com/rss",
                "kaltim-antaranews-com",
            ),
            (None, "http://127.0.0.1:8080/rss", "127-0-0-1"),
        ];
        for (title, url, name) in cases {
            assert_eq!(default_name(&feed(url, title)), name, "{title:?} {url}");
        }
        let long = slug("Berita Terkini Kalimantan Timur Hari Ini dan Kemarin dan Besok Lusa");
        assert!(long.len() <= SLUG_MAX && !long.ends_with('-'), "{long}");
    }

    #[test]
    fn an_empty_file_gets_its_first_table_without_leading_blank_lines() {
        let out = append_feeds(
            "",
            Path::new(PATH),
            &[feed("https://x.org/rss", Some("X"))],
            None,
        )
        .unwrap();
        assert_eq!(
            out.text,
            "[[feed]]\nname = \"x\"\nurl = \"https://x.org/rss\"\ntitle = \"X\"\n"
        );
    }

    #[test]
    fn crlf_files_stay_crlf_and_a_missing_final_newline_is_added() {
        let original = "[archive]\r\npath = \"a.db\"";
        let out = append_feeds(
            original,
            Path::new(PATH),
            &[feed("https://x.org/rss", None)],
            None,
        )
        .unwrap();
        assert!(
            out.text
                .starts_with("[archive]\r\npath = \"a.db\"\r\n\r\n[[feed]]\r\n"),
            "{:?}",
            out.text
        );
    }

    #[test]
    fn an_inline_feed_array_is_extended_in_place() {
        let original = "feed = [ { name = \"a\", url = \"https://a.org/rss\" } ]\n";
        let out = append_feeds(
            original,
            Path::new(PATH),
            &[feed("https://b.org/rss", Some("B"))],
            None,
        )
        .unwrap();
        assert_eq!(out.config.feeds.len(), 2);
        assert!(out.text.contains("name = \"a\""), "{}", out.text);
    }

    #[test]
    fn disabled_feeds_say_so() {
        let mut f = feed("https://x.org/rss", None);
        f.enabled = false;
        let out = append_feeds("", Path::new(PATH), &[f], None).unwrap();
        assert!(!out.config.feeds[0].enabled);
    }

    #[test]
    fn an_invalid_config_is_refused_with_its_line() {
        let e =
            append_feeds("[fetch]\ntimeout = \"soon\"\n", Path::new(PATH), &[], None).unwrap_err();
        assert!(e.0.starts_with("conf/feeds.toml:2:"), "{e}");
    }
}

/// A watch to add (`warta watch add`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewWatch {
    pub name: String,
    pub query: String,
    pub feeds: Vec<String>,
    pub region: Option<String>,
    pub tags: Vec<String>,
    pub notify: Vec<String>,
    pub digest: Option<String>,
    pub atom: Option<String>,
    pub on_revision: bool,
}

/// The file with a `[[watch]]` table for `watch` appended, the original text kept byte for
/// byte, and the config it loads as. Every value is checked first, so an error names what
/// the user typed rather than a line of a file that was never written.
pub fn append_watch(
    original: &str,
    path: &Path,
    watch: &NewWatch,
) -> Result<(String, Config), ConfigError> {
    let current = Config::parse(original, path)?;
    let name = FeedName::parse(&watch.name)
        .map_err(|e| ConfigError(format!("watch name: {}", e.replace("feed name", "name"))))?;
    if current.watches.iter().any(|w| w.name == name) {
        return Err(ConfigError(format!(
            "{} has a watch named '{name}' already; `warta watch remove {name}` first, or choose another name",
            path.display()
        )));
    }
    crate::search::query::parse(&watch.query)
        .map_err(|e| ConfigError(format!("cannot read the query: {e}")))?;
    for f in &watch.feeds {
        if current.feed(f).is_none() {
            return Err(ConfigError(format!(
                "--feed {f}: no feed or site named so in {}; `warta feeds` lists them",
                path.display()
            )));
        }
    }
    for t in &watch.notify {
        let target =
            super::NotifyTarget::parse(t).map_err(|e| ConfigError(format!("--notify: {e}")))?;
        let missing = match target {
            super::NotifyTarget::Email(_) if current.notify.smtp.is_none() => {
                Some("[notify.smtp] (host, from, and user with password_env)")
            }
            super::NotifyTarget::Telegram(_) if current.notify.telegram.is_none() => {
                Some("[notify.telegram] (token_env)")
            }
            _ => None,
        };
        if let Some(table) = missing {
            return Err(ConfigError(format!(
                "--notify {t}: this target is sent through {table}, which {} does not have yet; add it first",
                path.display()
            )));
        }
    }
    if let Some(d) = &watch.digest {
        super::Digest::parse(d).map_err(|e| ConfigError(format!("--digest: {e}")))?;
    }
    let mut t = Table::new();
    t.insert("name", toml_edit::value(name.as_str()));
    t.insert("query", toml_edit::value(watch.query.as_str()));
    let list =
        |items: &[String]| -> toml_edit::Array { items.iter().map(String::as_str).collect() };
    if !watch.feeds.is_empty() {
        t.insert("feeds", toml_edit::value(list(&watch.feeds)));
    }
    if let Some(region) = &watch.region {
        t.insert("region", toml_edit::value(region.as_str()));
    }
    if !watch.tags.is_empty() {
        t.insert("tags", toml_edit::value(list(&watch.tags)));
    }
    if !watch.notify.is_empty() {
        t.insert("notify", toml_edit::value(list(&watch.notify)));
    }
    if let Some(d) = &watch.digest {
        t.insert("digest", toml_edit::value(d.trim()));
    }
    if let Some(a) = &watch.atom {
        t.insert("atom", toml_edit::value(a.as_str()));
    }
    if watch.on_revision {
        t.insert("on_revision", toml_edit::value(true));
    }
    let inline = original
        .parse::<DocumentMut>()
        .ok()
        .and_then(|doc| doc.get("watch").map(|w| w.as_array_of_tables().is_none()))
        .unwrap_or(false);
    if inline {
        return Err(ConfigError(format!(
            "{} lists its watches as an inline array (watch = [...]); add this one there by hand",
            path.display()
        )));
    }
    let (text, _) = append_text(original, "watch", vec![t], None);
    let config = Config::parse(&text, path).map_err(|e| {
        ConfigError(format!(
            "adding the watch would make {} invalid ({e}); it was left unchanged. This is a bug in warta: please report it with the file",
            path.display()
        ))
    })?;
    Ok((text, config))
}

/// The file without the `[[watch]]` table named `name` (the rest of the document as it
/// was), and the config it loads as.
pub fn remove_watch(
    original: &str,
    path: &Path,
    name: &str,
) -> Result<(String, Config), ConfigError> {
    let current = Config::parse(original, path)?;
    let missing = || {
        ConfigError(format!(
            "no watch named {name:?} in {}; `warta watch list` lists them",
            path.display()
        ))
    };
    if !current.watches.iter().any(|w| w.name.as_str() == name) {
        return Err(missing());
    }
    let mut doc: DocumentMut = original.parse().map_err(|e: toml_edit::TomlError| {
        ConfigError(format!("{}: {}", path.display(), e.to_string().trim_end()))
    })?;
    let Some(watches) = doc.get_mut("watch").and_then(Item::as_array_of_tables_mut) else {
        return Err(ConfigError(format!(
            "{} lists its watches as an inline array (watch = [...]); remove this one there by hand",
            path.display()
        )));
    };
    let at = watches
        .iter()
        .position(|t| t.get("name").and_then(Item::as_str) == Some(name))
        .ok_or_else(missing)?;
    watches.remove(at);
    if watches.is_empty() {
        doc.remove("watch");
    }
    let text = doc.to_string();
    let config = Config::parse(&text, path).map_err(|e| {
        ConfigError(format!(
            "removing the watch would make {} invalid ({e}); it was left unchanged. This is a bug in warta: please report it with the file",
            path.display()
        ))
    })?;
    if config.watches.len() + 1 != current.watches.len() {
        return Err(ConfigError(format!(
            "removing the watch from {} did not leave the other watches as they were; it was left unchanged. This is a bug in warta: please report it with the file",
            path.display()
        )));
    }
    Ok((text, config))
}
