//! What an alert says: the same facts for every target, as JSON for a webhook and as text
//! for a person (ntfy, Telegram, e-mail), and a digest as Markdown (also what `watch
//! digest` prints). Pure: the articles come in already read.

use serde_json::json;

use crate::store::{AlertKind, ArticleView, CopyView};
use crate::zone::Zone;

/// A story as an alert tells it: the article that made the watch fire and where the
/// story appeared.
#[derive(Debug, Clone)]
pub struct Entry {
    pub article: ArticleView,
    /// The best passage for the watch's words, matches in `[` `]`.
    pub snippet: String,
    /// When the watch fired for the story (RFC 3339).
    pub found: String,
    /// Found before the digest's day: listed again for its new places.
    pub earlier: bool,
}

/// The watch an alert is of, as the message names it.
#[derive(Debug, Clone, Copy)]
pub struct About<'a> {
    pub watch: &'a str,
    pub query: &'a str,
    pub key: &'a str,
}

/// One alert, ready for any target.
#[derive(Debug, Clone)]
pub struct Message {
    pub subject: String,
    /// For people: plain text (a digest's is Markdown).
    pub text: String,
    pub markdown: bool,
    /// Where a tap on the notification leads.
    pub click: Option<String>,
    /// For webhooks.
    pub json: serde_json::Value,
}

/// A place of the story as the JSON names it.
fn place_json(c: &CopyView) -> serde_json::Value {
    json!({
        "id": c.id,
        "url": c.url,
        "feed": c.feed,
        "site": site(&c.url),
        "first_seen": c.first_seen,
        "published": c.published,
        "earliest": c.earliest,
    })
}

fn entry_json(e: &Entry) -> serde_json::Value {
    let a = &e.article;
    json!({
        "article": {
            "id": a.id,
            "title": a.title,
            "url": a.url,
            "feed": a.feed,
            "site": site(&a.url),
            "published": a.published,
            "fetched": a.fetched,
            "author": a.author,
            "version": a.version,
        },
        "story": {
            "id": a.story,
            "sites": sites(&a.story_copies).len(),
            "places": a.story_copies.iter().map(place_json).collect::<Vec<_>>(),
        },
        "snippet": e.snippet,
        "found": e.found,
    })
}

/// The alert of one story (new to the watch, or revised).
pub fn story(about: About<'_>, kind: AlertKind, e: &Entry, zone: &Zone) -> Message {
    let a = &e.article;
    let revised = kind == AlertKind::Revision;
    let subject = if revised {
        format!("{}: revised: {}", about.watch, a.title)
    } else {
        format!("{}: {}", about.watch, a.title)
    };
    let mut facts = vec![a.feed.clone()];
    if let Some(p) = &a.published {
        facts.push(zone.time(p));
    }
    let spread = sites(&a.story_copies).len();
    if spread > 1 {
        facts.push(format!("on {spread} sites"));
    }
    if revised {
        facts.push(format!("version {}", a.version));
    }
    let mut text = format!("{}\n{}\n", a.title, facts.join(" · "));
    if !e.snippet.is_empty() {
        text.push_str(&format!("\n{}\n", e.snippet));
    }
    text.push_str(&format!("\n{}\n", a.url));
    let mut body = entry_json(e);
    if let Some(o) = body.as_object_mut() {
        o.insert("key".into(), json!(about.key));
        o.insert("kind".into(), json!(kind.as_str()));
        o.insert(
            "watch".into(),
            json!({"name": about.watch, "query": about.query}),
        );
    }
    Message {
        subject,
        text,
        markdown: false,
        click: Some(a.url.clone()),
        json: body,
    }
}

/// A digest: the stories of a day.
pub fn digest(
    about: About<'_>,
    (since, until): (&str, &str),
    entries: &[Entry],
    zone: &Zone,
) -> Message {
    let text = digest_markdown(about.watch, (since, until), entries, zone);
    Message {
        subject: format!(
            "{}: {} until {}",
            about.watch,
            crate::text::counted(entries.len(), "story"),
            zone.time(until)
        ),
        text: text.clone(),
        markdown: true,
        click: None,
        json: json!({
            "key": about.key,
            "kind": AlertKind::Digest.as_str(),
            "watch": {"name": about.watch, "query": about.query},
            "since": since,
            "until": until,
            "stories": entries.iter().map(entry_json).collect::<Vec<_>>(),
            "markdown": text,
        }),
    }
}

/// The digest as Markdown: a heading, then one section a story with its spread.
pub fn digest_markdown(
    watch: &str,
    (since, until): (&str, &str),
    entries: &[Entry],
    zone: &Zone,
) -> String {
    let mut out = format!(
        "# {watch}: {}\n\n{} to {}\n",
        crate::text::counted(entries.len(), "story"),
        zone.time(since),
        zone.time(until)
    );
    if entries.is_empty() {
        out.push_str("\nNothing found.\n");
    }
    for e in entries {
        let a = &e.article;
        out.push_str(&format!("\n## [{}]({})\n\n", md_text(&a.title), a.url));
        let when = a.published.as_deref().unwrap_or(&e.found);
        out.push_str(&format!("{}, {}", site(&a.url), zone.time(when)));
        if e.earlier {
            out.push_str(&format!(
                " (first found {}; new places since)",
                zone.time(&e.found)
            ));
        }
        out.push('\n');
        if !e.snippet.is_empty() {
            out.push_str(&format!("\n> {}\n", md_text(&e.snippet).replace('\n', " ")));
        }
        let own = site(&a.url);
        let others: Vec<String> = sites(&a.story_copies)
            .into_iter()
            .filter(|(s, _)| *s != own)
            .map(|(s, url)| format!("[{s}]({url})"))
            .collect();
        if !others.is_empty() {
            out.push_str(&format!(
                "\nAlso on {} other {}: {}\n",
                others.len(),
                if others.len() == 1 { "site" } else { "sites" },
                others.join(", ")
            ));
        }
    }
    out
}

/// A URL's site: its host without "www.".
fn site(url: &str) -> String {
    url::Url::parse(url)
        .ok()
        .and_then(|u| {
            u.host_str()
                .map(|h| h.trim_start_matches("www.").to_string())
        })
        .unwrap_or_else(|| url.to_string())
}

/// The distinct sites of a story's places, in the places' order, each with its first URL.
fn sites(places: &[CopyView]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for p in places {
        let s = site(&p.url);
        if !out.iter().any(|(o, _)| *o == s) {
            out.push((s, p.url.clone()));
        }
    }
    out
}

/// Text for Markdown: the snippet's `[match]` marks as bold, and nothing else that Markdown
/// would read as markup.
fn md_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '[' | ']' => out.push_str("**"),
            '*' | '_' | '`' | '<' | '>' | '#' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn copy(id: i64, url: &str, feed: &str) -> CopyView {
        CopyView {
            id,
            url: url.into(),
            feed: feed.into(),
            feeds: vec![feed.into()],
            first_seen: "2024-11-20T03:00:00+00:00".into(),
            published: None,
            earliest: id == 1,
            method: "new".into(),
            similarity: None,
        }
    }

    fn entry() -> Entry {
        let places = vec![
            copy(1, "https://kaltimtoday.co/a", "kaltimtoday"),
            copy(2, "https://www.tribunkaltim.co/b", "tribun"),
            copy(3, "https://kutaitimurkab.go.id/c", "pemkab"),
            copy(3, "https://kutaitimurkab.go.id/c2", "pemkab-2"),
        ];
        Entry {
            article: ArticleView {
                id: 1,
                title: "Bimtek aparatur desa se-Kutim digelar di Sangatta".into(),
                url: "https://kaltimtoday.co/a".into(),
                feed: "kaltimtoday".into(),
                published: Some("2024-11-20T02:15:00+00:00".into()),
                fetched: "2024-11-20T03:00:00+00:00".into(),
                language: Some("id".into()),
                story: 9,
                copies: 4,
                author: None,
                body: String::new(),
                source: "page".into(),
                note: None,
                partial: None,
                removed: None,
                version: 1,
                story_copies: places,
                other_copies: Vec::new(),
                versions: 1,
                earlier_versions: None,
                body_html: None,
            },
            snippet: "Pemkab Kutim menggelar [bimtek] bagi *aparatur* desa".into(),
            found: "2024-11-20T03:00:00+00:00".into(),
            earlier: false,
        }
    }

    #[test]
    fn a_story_alert_names_its_spread_and_carries_its_key() {
        let about = About {
            watch: "bimtek",
            query: "bimtek kutim",
            key: "k1",
        };
        let zone = Zone::UTC;
        let m = story(about, AlertKind::Story, &entry(), &zone);
        assert_eq!(
            m.subject,
            "bimtek: Bimtek aparatur desa se-Kutim digelar di Sangatta"
        );
        assert!(m.text.contains("on 3 sites"), "{}", m.text);
        assert_eq!(m.json["key"], "k1");
        assert_eq!(m.json["story"]["sites"], 3);
        assert_eq!(m.json["story"]["places"].as_array().map(Vec::len), Some(4));
        assert_eq!(m.json["watch"]["query"], "bimtek kutim");
    }

    #[test]
    fn a_digest_lists_the_other_sites_once_each() {
        let md = digest_markdown(
            "bimtek",
            ("2024-11-19T23:00:00+00:00", "2024-11-20T23:00:00+00:00"),
            &[entry()],
            &Zone::UTC,
        );
        assert!(md.starts_with("# bimtek: 1 story\n"), "{md}");
        assert!(
            md.contains("Also on 2 other sites: [tribunkaltim.co](https://www.tribunkaltim.co/b), [kutaitimurkab.go.id](https://kutaitimurkab.go.id/c)"),
            "{md}"
        );
        assert!(md.contains("**bimtek**"), "{md}");
        assert!(md.contains("\\*aparatur\\*"), "{md}");
    }
}
