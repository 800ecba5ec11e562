//! Article metadata from the page's own declarations, most explicit first: JSON-LD,
//! OpenGraph and other `<meta>` tags, `<time datetime>`, then visible text (a dateline).

use std::sync::LazyLock;

use chrono::{DateTime, FixedOffset, Utc};
use regex::Regex;
use serde_json::Value;
use url::Url;

use super::dom::{Dom, Tag};
use super::render::absolute;

/// What the page says about itself, before the body is known.
#[derive(Debug, Default)]
pub(crate) struct PageMeta {
    pub title: Option<String>,
    pub author: Option<String>,
    pub published: Option<DateTime<FixedOffset>>,
    pub language: Option<String>,
    pub canonical_url: Option<String>,
    /// JSON-LD `articleBody`, a check on the generic extraction.
    pub ld_body: Option<String>,
}

/// schema.org types whose fields describe the article itself.
const ARTICLE_TYPES: &[&str] = &[
    "AnalysisNewsArticle",
    "Article",
    "BlogPosting",
    "LiveBlogPosting",
    "NewsArticle",
    "OpinionNewsArticle",
    "Report",
    "ReportageNews",
    "ReviewNewsArticle",
    "TechArticle",
];

/// `<meta>` keys (name, property or itemprop) holding the publication time, best first.
const DATE_KEYS: &[&str] = &[
    "article:published_time",
    "og:article:published_time",
    "datepublished",
    "article.published",
    "parsely-pub-date",
    "sailthru.date",
    "pubdate",
    "publishdate",
    "publish-date",
    "publish_date",
    "dc.date.issued",
    "dcterms.created",
    "dc.date",
    "date",
];

#[derive(Default)]
struct Ld {
    headline: Option<String>,
    author: Option<String>,
    published: Option<String>,
    language: Option<String>,
    url: Option<String>,
    body: Option<String>,
}

pub(crate) fn collect(
    dom: &Dom,
    json_ld: &[String],
    base: Option<&Url>,
    now: DateTime<Utc>,
) -> PageMeta {
    let ld = read_json_ld(json_ld);
    let mut metas: Vec<(String, &str)> = Vec::new();
    let (mut canonical, mut html_lang, mut title_tag, mut h1) = (None, None, None, None);
    let mut time_attr: Option<&str> = None;
    let mut item_author: Option<String> = None;
    for (i, n) in dom.nodes.iter().enumerate() {
        match n.tag {
            Tag::Meta => {
                let key = n
                    .attr("property")
                    .or_else(|| n.attr("name"))
                    .or_else(|| n.attr("itemprop"))
                    .or_else(|| n.attr("http-equiv"));
                if let (Some(k), Some(c)) = (key, n.attr("content"))
                    && !c.trim().is_empty()
                {
                    metas.push((k.to_ascii_lowercase(), c.trim()));
                }
            }
            Tag::Link => {
                let rel = n.attr("rel").unwrap_or("");
                if canonical.is_none()
                    && rel
                        .split_whitespace()
                        .any(|r| r.eq_ignore_ascii_case("canonical"))
                {
                    canonical = n.attr("href");
                }
            }
            Tag::Html if html_lang.is_none() => html_lang = n.attr("lang"),
            Tag::Title if title_tag.is_none() => {
                title_tag = Some(dom.subtree_text(i as u32, false))
            }
            Tag::H(1) if h1.is_none() => h1 = Some(dom.subtree_text(i as u32, false)),
            Tag::Time => {
                let dt = n.attr("datetime").filter(|d| !d.trim().is_empty());
                let is_pub = n
                    .attr("itemprop")
                    .is_some_and(|p| p.eq_ignore_ascii_case("datePublished"));
                if dt.is_some() && (time_attr.is_none() || is_pub) {
                    time_attr = dt;
                }
            }
            _ => {}
        }
        if item_author.is_none()
            && n.tag != Tag::Meta
            && n.attr("itemprop")
                .is_some_and(|p| p.eq_ignore_ascii_case("author"))
        {
            let text = n
                .attr("content")
                .map(str::to_string)
                .unwrap_or_else(|| dom.subtree_text(i as u32, false));
            item_author = clean_author(&text);
        }
    }
    let meta = |key: &str| metas.iter().find(|(k, _)| k == key).map(|(_, v)| *v);

    let title = ld
        .headline
        .clone()
        .or_else(|| meta("og:title").map(str::to_string))
        .or_else(|| meta("twitter:title").map(str::to_string))
        .or_else(|| h1.clone().filter(|t| !t.is_empty()))
        .or_else(|| title_tag.as_deref().map(strip_site_name))
        .map(|t| collapse(&t))
        .filter(|t| !t.is_empty());

    let author = ld
        .author
        .clone()
        .or_else(|| meta("author").and_then(clean_author))
        .or_else(|| meta("article:author").and_then(clean_author))
        .or_else(|| meta("dc.creator").and_then(clean_author))
        .or(item_author);

    let published = ld
        .published
        .as_deref()
        .and_then(|d| crate::dates::parse_date(d, now))
        .or_else(|| {
            DATE_KEYS
                .iter()
                .filter_map(|k| meta(k))
                .find_map(|d| crate::dates::parse_date(d, now))
        })
        .or_else(|| time_attr.and_then(|d| crate::dates::parse_date(d, now)))
        .or_else(|| visible_date(dom, now));

    let language = html_lang
        .and_then(normalize_lang)
        .or_else(|| meta("content-language").and_then(normalize_lang))
        .or_else(|| meta("og:locale").and_then(normalize_lang))
        .or_else(|| ld.language.as_deref().and_then(normalize_lang));

    let canonical_url = canonical
        .and_then(|c| absolute(c, base))
        .or_else(|| meta("og:url").and_then(|c| absolute(c, base)))
        .or_else(|| ld.url.as_deref().and_then(|c| absolute(c, base)))
        .filter(|u| u.starts_with("http"));

    PageMeta {
        title,
        author,
        published,
        language,
        canonical_url,
        ld_body: ld.body,
    }
}

fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// "Headline | Site" → "Headline" when the headline part is clearly the longer one.
fn strip_site_name(title: &str) -> String {
    for sep in [" | ", " - ", " – ", " — ", " :: "] {
        if let Some((head, _)) = title.split_once(sep)
            && head.split_whitespace().count() >= 3
        {
            return head.to_string();
        }
    }
    title.to_string()
}

fn clean_author(s: &str) -> Option<String> {
    let s = collapse(s);
    let s = s
        .strip_prefix("By ")
        .or_else(|| s.strip_prefix("by "))
        .or_else(|| s.strip_prefix("Oleh "))
        .unwrap_or(&s)
        .trim()
        .to_string();
    let plausible = !s.is_empty()
        && s.chars().count() <= 100
        && !s.starts_with("http")
        && !s.contains("://")
        && !s.contains('@');
    plausible.then_some(s)
}

/// ISO 639-1 code from a language tag ("id-ID", "en_US", "in").
pub(crate) fn normalize_lang(tag: &str) -> Option<String> {
    let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
    // Deprecated codes still seen in the wild, and three-letter codes of common languages.
    let code = match primary.as_str() {
        "in" | "ind" => "id",
        "iw" => "he",
        "ji" => "yi",
        "jv" | "jw" => "jv",
        other => other,
    };
    (code.len() == 2 && code.bytes().all(|b| b.is_ascii_lowercase())).then(|| code.to_string())
}

/// whatlang's ISO 639-3 codes mapped to ISO 639-1 (sorted by the 639-3 code; from the
/// ISO 639-2 registry's table).
const LANG_639_3: &[(&str, &str)] = &[
    ("afr", "af"),
    ("aka", "ak"),
    ("amh", "am"),
    ("ara", "ar"),
    ("aze", "az"),
    ("bel", "be"),
    ("ben", "bn"),
    ("bul", "bg"),
    ("cat", "ca"),
    ("ces", "cs"),
    ("cmn", "zh"),
    ("cym", "cy"),
    ("dan", "da"),
    ("deu", "de"),
    ("ell", "el"),
    ("eng", "en"),
    ("epo", "eo"),
    ("est", "et"),
    ("fin", "fi"),
    ("fra", "fr"),
    ("guj", "gu"),
    ("heb", "he"),
    ("hin", "hi"),
    ("hrv", "hr"),
    ("hun", "hu"),
    ("hye", "hy"),
    ("ind", "id"),
    ("ita", "it"),
    ("jav", "jv"),
    ("jpn", "ja"),
    ("kan", "kn"),
    ("kat", "ka"),
    ("khm", "km"),
    ("kor", "ko"),
    ("lat", "la"),
    ("lav", "lv"),
    ("lit", "lt"),
    ("mal", "ml"),
    ("mar", "mr"),
    ("mkd", "mk"),
    ("mya", "my"),
    ("nep", "ne"),
    ("nld", "nl"),
    ("nob", "nb"),
    ("ori", "or"),
    ("pan", "pa"),
    ("pes", "fa"),
    ("pol", "pl"),
    ("por", "pt"),
    ("ron", "ro"),
    ("rus", "ru"),
    ("sin", "si"),
    ("slk", "sk"),
    ("slv", "sl"),
    ("sna", "sn"),
    ("spa", "es"),
    ("srp", "sr"),
    ("swe", "sv"),
    ("tam", "ta"),
    ("tel", "te"),
    ("tgl", "tl"),
    ("tha", "th"),
    ("tuk", "tk"),
    ("tur", "tr"),
    ("ukr", "uk"),
    ("urd", "ur"),
    ("uzb", "uz"),
    ("vie", "vi"),
    ("yid", "yi"),
    ("zul", "zu"),
];

/// Language of `text` by whatlang, when it is sure enough.
pub(crate) fn detect_language(text: &str) -> Option<String> {
    // A few thousand characters decide as well as the whole text and bound the cost.
    let mut end = text.len().min(4000);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let sample = text.get(..end)?;
    if sample.chars().filter(|c| c.is_alphabetic()).count() < 40 {
        return None;
    }
    let info = whatlang::detect(sample)?;
    if !info.is_reliable() {
        return None;
    }
    let code = info.lang().code();
    LANG_639_3
        .binary_search_by(|(k, _)| k.cmp(&code))
        .ok()
        .and_then(|i| LANG_639_3.get(i))
        .map(|(_, v)| v.to_string())
}

fn read_json_ld(scripts: &[String]) -> Ld {
    let mut ld = Ld::default();
    for script in scripts {
        // Raw newlines and tabs inside strings are a common fault; outside strings they are
        // whitespace either way.
        let fixed: String = script
            .trim()
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        let Ok(value) = serde_json::from_str::<Value>(&fixed) else {
            continue;
        };
        // Breadth-first over arrays and @graph, bounded.
        let mut queue = vec![&value];
        let mut seen = 0;
        while let Some(v) = queue.pop() {
            seen += 1;
            if seen > 200 {
                break;
            }
            match v {
                Value::Array(items) => queue.extend(items.iter().rev()),
                Value::Object(obj) => {
                    if let Some(g) = obj.get("@graph") {
                        queue.push(g);
                    }
                    if is_article(obj.get("@type")) {
                        fill(&mut ld, obj);
                    }
                }
                _ => {}
            }
        }
    }
    ld
}

fn is_article(t: Option<&Value>) -> bool {
    match t {
        Some(Value::String(s)) => ARTICLE_TYPES.binary_search(&s.as_str()).is_ok(),
        Some(Value::Array(a)) => a.iter().any(|v| is_article(Some(v))),
        _ => false,
    }
}

fn string_of(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(collapse(s)).filter(|s| !s.is_empty()),
        Value::Array(a) => a.iter().find_map(|x| string_of(Some(x))),
        _ => None,
    }
}

fn fill(ld: &mut Ld, obj: &serde_json::Map<String, Value>) {
    if ld.headline.is_none() {
        ld.headline = string_of(obj.get("headline")).or_else(|| string_of(obj.get("name")));
    }
    if ld.author.is_none() {
        ld.author = author_of(obj.get("author"));
    }
    if ld.published.is_none() {
        ld.published =
            string_of(obj.get("datePublished")).or_else(|| string_of(obj.get("dateCreated")));
    }
    if ld.language.is_none() {
        ld.language = string_of(obj.get("inLanguage"));
    }
    if ld.url.is_none() {
        ld.url = string_of(obj.get("url")).or_else(|| match obj.get("mainEntityOfPage") {
            Some(Value::Object(o)) => string_of(o.get("@id")),
            other => string_of(other),
        });
    }
    if ld.body.is_none()
        && let Some(Value::String(b)) = obj.get("articleBody")
    {
        ld.body = Some(b.clone()).filter(|b| !b.trim().is_empty());
    }
}

fn author_of(v: Option<&Value>) -> Option<String> {
    let names: Vec<String> = match v? {
        Value::String(s) => clean_author(s).into_iter().collect(),
        Value::Object(o) => string_of(o.get("name"))
            .and_then(|n| clean_author(&n))
            .into_iter()
            .collect(),
        Value::Array(a) => a.iter().filter_map(|x| author_of(Some(x))).collect(),
        _ => Vec::new(),
    };
    (!names.is_empty()).then(|| names.join(", "))
}

static DATELINE: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\b(\d{1,2})\s+(januari|februari|maret|april|mei|juni|juli|agustus|september|oktober|november|desember|january|february|march|may|june|july|august|october|december|jan|feb|mar|apr|jun|jul|agu|agt|aug|sep|sept|okt|oct|nov|des|dec)\.?\s+(\d{4})(?:\W{0,5}(?:pukul\s+)?(\d{1,2})[:.](\d{2})(?:\s*(WIB|WITA|WIT)\b)?)?",
    )
    .ok()
});

static NUMERIC_DATE: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\b(\d{1,2})/(\d{1,2})/(\d{4})(?:\W{0,5}(?:pukul\s+)?(\d{1,2})[:.](\d{2})(?:\s*(WIB|WITA|WIT)\b)?)?",
    )
    .ok()
});

/// A visible dateline ("Rabu, 20 November 2024 | 10:15 WITA"), normalised to the form
/// `parse_date` reads. Looks after the first `<h1>` first, where the article's own
/// dateline sits, then anywhere.
fn visible_date(dom: &Dom, now: DateTime<Utc>) -> Option<DateTime<FixedOffset>> {
    let h1 = dom
        .nodes
        .iter()
        .position(|n| n.tag == Tag::H(1))
        .unwrap_or(0);
    let scan = |from: usize, limit: usize| {
        dom.nodes
            .iter()
            .skip(from)
            .filter(|n| n.tag == Tag::Text)
            .take(limit)
            .find_map(|n| {
                let t = dom.text_of(n);
                if t.len() > 200 {
                    return None;
                }
                date_in(t, now)
            })
    };
    scan(h1, 60).or_else(|| scan(0, 2000))
}

fn date_in(text: &str, now: DateTime<Utc>) -> Option<DateTime<FixedOffset>> {
    for (re, numeric) in [(&DATELINE, false), (&NUMERIC_DATE, true)] {
        let Some(re) = re.as_ref() else { continue };
        let Some(c) = re.captures(text) else { continue };
        let part = |k: usize| c.get(k).map_or("", |m| m.as_str());
        let mut s = if numeric {
            format!("{}/{}/{}", part(1), part(2), part(3))
        } else {
            format!("{} {} {}", part(1), part(2), part(3))
        };
        if !part(4).is_empty() {
            s.push_str(&format!(" {:0>2}:{}", part(4), part(5)));
            if !part(6).is_empty() {
                s.push(' ');
                s.push_str(&part(6).to_ascii_uppercase());
            }
        }
        if let Some(d) = crate::dates::parse_date(&s, now) {
            return Some(d);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_sorted() {
        assert!(ARTICLE_TYPES.windows(2).all(|w| w[0] < w[1]));
        assert!(LANG_639_3.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn language_tags() {
        assert_eq!(normalize_lang("id-ID").as_deref(), Some("id"));
        assert_eq!(normalize_lang("in").as_deref(), Some("id"));
        assert_eq!(normalize_lang("en_US").as_deref(), Some("en"));
        assert_eq!(normalize_lang("x"), None);
    }

    #[test]
    fn site_name_is_stripped_from_title_tag() {
        assert_eq!(
            strip_site_name("Banjir Rendam Tiga Desa di Kutai | Kaltim Post"),
            "Banjir Rendam Tiga Desa di Kutai"
        );
        assert_eq!(strip_site_name("Home - Site"), "Home - Site");
    }
}
