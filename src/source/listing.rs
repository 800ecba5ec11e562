//! Listing pages (a home page, a section, an index of the latest news): which of their links
//! lead to articles, and which page of the listing comes next. No per-site code: a link is
//! judged by the shape of its address, its text, where it sits on the page, and how many
//! of its kind the page repeats; what earlier polls learned about the site's addresses
//! weighs in ([`Learned`]).
//!
//! Pure: HTML, addresses and what was learned in, judged links out.

use std::collections::HashMap;
use std::sync::OnceLock;

use regex::Regex;
use scraper::{ElementRef, Html, Selector};
use serde::{Deserialize, Serialize};
use url::Url;

use super::sitemap::Scope;

/// One link of a listing page, judged.
#[derive(Debug, Clone, PartialEq)]
pub struct Judged {
    pub url: Url,
    /// Its longest anchor text on the page.
    pub text: String,
    pub score: f32,
    /// The evidence, for `-v`: "date in path +2, 6-word slug +2, in nav -3, …".
    pub why: String,
}

/// What a listing page gave.
#[derive(Debug, Clone, Default)]
pub struct Harvest {
    /// Links judged to be articles, in page order.
    pub articles: Vec<Judged>,
    /// The other links of the site, in page order.
    pub others: Vec<Judged>,
    /// The listing's next page, when it has one.
    pub next: Option<Url>,
}

/// Links at or above this score are articles.
pub const THRESHOLD: f32 = 3.0;

/// What a source learned about its site's addresses from the links that led to articles
/// and those that did not, by [`shape`]; kept between polls.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Learned {
    /// Shape → (links that were articles, links that were not).
    pub shapes: HashMap<String, (u32, u32)>,
}

/// Shapes remembered at most: a site has a handful.
const MAX_SHAPES: usize = 64;

impl Learned {
    pub fn note(&mut self, url: &Url, article: bool) {
        if self.shapes.len() >= MAX_SHAPES && !self.shapes.contains_key(&shape(url)) {
            return;
        }
        let e = self.shapes.entry(shape(url)).or_default();
        if article {
            e.0 = e.0.saturating_add(1);
        } else {
            e.1 = e.1.saturating_add(1);
        }
    }

    /// How much the site's history says about a link of this shape.
    fn weight(&self, url: &Url) -> Option<(f32, &'static str)> {
        let &(good, bad) = self.shapes.get(&shape(url))?;
        if good >= 2 && good >= 3 * bad {
            Some((3.0, "shape that led to articles"))
        } else if bad >= 3 && good == 0 {
            Some((-3.0, "shape that never led to an article"))
        } else {
            None
        }
    }
}

/// The shape of an address: its path segments as classes (`D` digits, `Y` a year, `I` an
/// id like `d-7355672` or `123-judul`, `S` a slug of three words or more, `W` a word or
/// two), and whether it has a query. `/kutai-timur/judul-berita-panjang/` is `W/S`,
/// `/2024/11/20/judul-berita` is `Y/D/D/S`.
pub fn shape(url: &Url) -> String {
    let mut out: Vec<&str> = url
        .path_segments()
        .into_iter()
        .flatten()
        .filter(|s| !s.is_empty())
        .map(|seg| segment_class(seg))
        .collect();
    if url.query().is_some_and(|q| !q.is_empty()) {
        out.push("?");
    }
    out.join("/")
}

fn segment_class(seg: &str) -> &'static str {
    let stem = strip_ext(seg);
    if !stem.is_empty() && stem.bytes().all(|b| b.is_ascii_digit()) {
        return if stem.len() == 4 && (stem.starts_with("19") || stem.starts_with("20")) {
            "Y"
        } else {
            "D"
        };
    }
    if has_id(stem) {
        return "I";
    }
    if slug_words(stem) >= 3 { "S" } else { "W" }
}

fn strip_ext(seg: &str) -> &str {
    for ext in [".html", ".htm", ".php", ".asp", ".aspx", ".shtml"] {
        if let Some(s) = seg.strip_suffix(ext) {
            return s;
        }
    }
    seg
}

/// A run of five digits or more joined to letters (`d-7355672`, `123456-judul`,
/// `judul-berita-12345`): a CMS's article id.
fn has_id(seg: &str) -> bool {
    static ID: OnceLock<Option<Regex>> = OnceLock::new();
    ID.get_or_init(|| Regex::new(r"(?:^|[-_.])\d{5,}(?:$|[-_.])|^[a-z]{1,3}-\d{4,}").ok())
        .as_ref()
        .is_some_and(|r| r.is_match(seg))
}

/// Words of letters in a slug (`pemkab-kutim-salurkan-bibit` → 4).
fn slug_words(seg: &str) -> usize {
    seg.split(['-', '_', '+', ' '])
        .filter(|w| w.chars().any(|c| c.is_alphabetic()))
        .count()
}

/// First path segments that name a list of articles, not one.
const LIST_SEGMENTS: &[&str] = &[
    "tag",
    "tags",
    "topik",
    "topic",
    "topics",
    "label",
    "kategori",
    "category",
    "categories",
    "rubrik",
    "kanal",
    "channel",
    "section",
    "author",
    "authors",
    "penulis",
    "reporter",
    "editor",
    "profil",
    "user",
    "users",
    "member",
    "search",
    "cari",
    "pencarian",
    "page",
    "halaman",
    "indeks",
    "index",
    "arsip",
    "archive",
    "archives",
    "feed",
    "rss",
    "amp-stories",
    "login",
    "masuk",
    "daftar",
    "register",
    "wp-login.php",
    "wp-admin",
    "cdn-cgi",
    "sitemap",
];

/// Words whose presence makes a page the site's own (about, contact, policies, jobs).
const STATIC_WORDS: &[&str] = &[
    "redaksi",
    "pedoman",
    "tentang",
    "kontak",
    "hubungi",
    "contact",
    "about",
    "privacy",
    "privasi",
    "kebijakan",
    "disclaimer",
    "syarat",
    "ketentuan",
    "karir",
    "career",
    "iklan",
    "advertise",
    "advertising",
    "kode-etik",
    "ombudsman",
    "susunan",
    "struktur",
    "faq",
    "langganan",
    "subscribe",
];

/// Words of a "next page" link.
const NEXT_TEXTS: &[&str] = &[
    "selanjutnya",
    "berikutnya",
    "next",
    "older",
    "lebih lama",
    "lainnya",
    "»",
    "›",
    ">",
    ">>",
    "load more",
    "muat lagi",
    "lihat lagi",
    "next page",
    "older posts",
    "halaman berikutnya",
];

/// Where a link sits.
#[derive(Debug, Clone, Copy, Default)]
struct Place {
    /// In the site's chrome: nav, header, footer, a menu, a breadcrumb.
    chrome: bool,
    /// In a share or social block.
    social: bool,
    /// In a tag list, a pagination or a category badge.
    meta: bool,
    /// In a heading (h1–h4): a headline.
    heading: bool,
}

/// Judges every link of `html` (served from `page`) that stays on the site.
pub fn harvest(
    html: &str,
    page: &Url,
    scope: &Scope,
    pattern: Option<&Regex>,
    learned: &Learned,
) -> Harvest {
    let doc = crate::extract::parse_html(html);
    let Ok(anchors) = Selector::parse("a[href]") else {
        return Harvest::default();
    };
    let base = base_of(&doc, page);
    // One entry per address, in order of first appearance, with the best text and place.
    let mut order: Vec<String> = Vec::new();
    let mut found: HashMap<String, (Url, String, Place)> = HashMap::new();
    let mut next: Option<Url> = None;
    for a in doc.select(&anchors) {
        let Some(href) = a.value().attr("href").map(str::trim) else {
            continue;
        };
        if href.is_empty() || href.starts_with('#') {
            continue;
        }
        let Ok(mut url) = base.join(href) else {
            continue;
        };
        url.set_fragment(None);
        if !scope.allows(&url) {
            continue;
        }
        let text = squeeze(&a.text().collect::<String>());
        let title = a.value().attr("title").map(squeeze).unwrap_or_default();
        let text = if text.len() >= title.len() {
            text
        } else {
            title
        };
        if next.is_none() && is_next(&a, &text, &url, page) {
            next = Some(url.clone());
        }
        if same_page(&url, page) {
            continue;
        }
        let place = place_of(&a);
        let key = url.as_str().to_string();
        match found.get_mut(&key) {
            Some((_, best, at)) => {
                if text.chars().count() > best.chars().count() {
                    *best = text;
                }
                // A link the page also puts in a headline or a card is judged there.
                at.heading |= place.heading;
                if !place.chrome {
                    at.chrome = false;
                }
                if !place.meta {
                    at.meta = false;
                }
                if !place.social {
                    at.social = false;
                }
            }
            None => {
                order.push(key.clone());
                found.insert(key, (url, text, place));
            }
        }
    }
    // Paging with numbers only: the link to the page after this one.
    if next.is_none() {
        let want = page_number(page) + 1;
        next = order
            .iter()
            .filter_map(|k| found.get(k))
            .find(|(url, text, place)| {
                place.meta && page_number(url) == want && text.trim() == want.to_string()
            })
            .map(|(url, _, _)| url.clone());
    }
    let mut counts: HashMap<String, usize> = HashMap::new();
    for (url, _, place) in found.values() {
        if !place.chrome && !place.social {
            *counts.entry(shape(url)).or_default() += 1;
        }
    }
    let mut harvest = Harvest {
        next,
        ..Harvest::default()
    };
    for key in order {
        let Some((url, text, place)) = found.remove(&key) else {
            continue;
        };
        let judged = judge(url, text, place, pattern, learned, &counts);
        if judged.score >= THRESHOLD {
            harvest.articles.push(judged);
        } else {
            harvest.others.push(judged);
        }
    }
    harvest
}

/// The document's `<base href>`, else the page's own address.
fn base_of(doc: &Html, page: &Url) -> Url {
    Selector::parse("base[href]")
        .ok()
        .and_then(|s| doc.select(&s).next())
        .and_then(|b| b.value().attr("href"))
        .and_then(|h| page.join(h).ok())
        .unwrap_or_else(|| page.clone())
}

fn squeeze(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn same_page(url: &Url, page: &Url) -> bool {
    let trim = |u: &Url| {
        let s = u.as_str();
        s.trim_end_matches('/').to_string()
    };
    trim(url) == trim(page)
}

fn judge(
    url: Url,
    text: String,
    place: Place,
    pattern: Option<&Regex>,
    learned: &Learned,
    counts: &HashMap<String, usize>,
) -> Judged {
    let mut why: Vec<String> = Vec::new();
    let mut score = 0.0f32;
    let mut add = |points: f32, reason: &str| {
        score += points;
        why.push(format!("{reason} {points:+}"));
    };
    if let Some(p) = pattern {
        // The config's word is final.
        let hit = p.is_match(url.as_str());
        add(
            if hit { 10.0 } else { -10.0 },
            if hit {
                "matches article_pattern"
            } else {
                "does not match article_pattern"
            },
        );
        return Judged {
            url,
            text,
            score,
            why: why.join(", "),
        };
    }
    let segs: Vec<String> = url
        .path_segments()
        .into_iter()
        .flatten()
        .filter(|s| !s.is_empty())
        .map(|s| s.to_ascii_lowercase())
        .collect();
    let last = segs.last().map(|s| strip_ext(s)).unwrap_or_default();
    let query = url.query().unwrap_or_default().to_ascii_lowercase();

    if segs.is_empty() && query.is_empty() {
        add(-10.0, "the site's home");
    }
    // `index.php` is a script that serves articles too, not the `index/` of a list.
    if let Some(first) = segs.first()
        && LIST_SEGMENTS.contains(&first.as_str())
    {
        add(-6.0, "a list's address");
    }
    if segs.iter().any(|s| s == "page" || s == "halaman")
        && segs
            .last()
            .is_some_and(|s| s.bytes().all(|b| b.is_ascii_digit()))
    {
        add(-6.0, "a page of a list");
    }
    if segs
        .iter()
        .any(|s| STATIC_WORDS.iter().any(|w| s.contains(w)))
        && !has_id(last)
    {
        add(-4.0, "the site's own page");
    }
    if alternate_view(&query) {
        add(-6.0, "a print, reply or share view");
    }
    if is_asset(last) {
        add(-10.0, "a file, not a page");
    }
    let dated = has_date(&segs);
    let date_only = dated && segs.iter().all(|s| s.bytes().all(|b| b.is_ascii_digit()));
    if date_only {
        add(-5.0, "a day's archive");
    } else if dated {
        add(2.0, "date in the address");
    }
    if segs.iter().any(|s| has_id(strip_ext(s)))
        || query_id(&query)
        || segs
            .iter()
            .rev()
            .skip(1)
            .any(|s| s.len() >= 4 && s.bytes().all(|b| b.is_ascii_digit()) && !is_year(s))
    {
        add(2.0, "an id in the address");
    }
    // A script's address (`index.php?…&id=2851:judul-berita`) carries its slug in the query.
    let words = if is_script(segs.last().map_or("", String::as_str)) {
        url.query_pairs()
            .map(|(_, v)| slug_words(v.split_once(':').map_or(&*v, |(_, s)| s)))
            .max()
            .unwrap_or(0)
    } else {
        slug_words(last)
    };
    if words >= 4 {
        add(2.0, &format!("{words}-word slug"));
        if words >= 7 {
            add(1.0, "a long slug");
        }
    } else if words <= 2 && !has_id(last) && !dated && !query_id(&query) {
        add(-1.5, "a short name");
    }
    let text_words = text.split_whitespace().count();
    if text_words >= 5 {
        add(1.5, "a headline's text");
        if text_words >= 8 {
            add(0.5, "a long headline");
        }
    } else if (1..=3).contains(&text_words) {
        add(-1.0, "a few words of text");
    }
    if place.heading {
        add(1.0, "in a heading");
    }
    if place.chrome {
        add(-2.5, "in the site's menus");
    }
    if place.social {
        add(-4.0, "in a share block");
    }
    if place.meta {
        add(-3.0, "in tags, categories or paging");
    }
    let same_kind = counts.get(&shape(&url)).copied().unwrap_or(0);
    if same_kind >= 4 {
        add(0.5, "repeated on the page");
    }
    if let Some((points, reason)) = learned.weight(&url) {
        add(points, reason);
    }
    Judged {
        url,
        text,
        score,
        why: why.join(", "),
    }
}

/// A query asking for another view of a page: print, PDF, a reply form, a share dialog.
fn alternate_view(query: &str) -> bool {
    query.split('&').any(|kv| {
        let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
        matches!(k, "print" | "replytocom" | "share")
            || (k == "tmpl" && v == "component")
            || (matches!(k, "format" | "output" | "view") && matches!(v, "pdf" | "print" | "feed"))
    })
}

/// A server script rather than a document: its query says which page it serves.
fn is_script(seg: &str) -> bool {
    [".php", ".asp", ".aspx", ".jsp", ".cfm", ".cgi"]
        .iter()
        .any(|e| seg.ends_with(e))
}

fn is_year(s: &str) -> bool {
    s.len() == 4
        && (s.starts_with("19") || s.starts_with("20"))
        && s.bytes().all(|b| b.is_ascii_digit())
}

/// `/2024/11/20/`, `/2024/11/`, `/20241120…`.
fn has_date(segs: &[String]) -> bool {
    let month = |s: &str| s.parse::<u32>().is_ok_and(|m| (1..=12).contains(&m)) && s.len() <= 2;
    segs.windows(2).any(|w| is_year(&w[0]) && month(&w[1]))
        || segs.iter().any(|s| {
            let digits: String = s.chars().take_while(char::is_ascii_digit).collect();
            digits.len() >= 8 && is_year(&digits[..4]) && month(&digits[4..6])
        })
}

/// `?p=123`, `?id=123`, `&id=123:judul`.
fn query_id(query: &str) -> bool {
    query.split('&').any(|kv| {
        let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
        matches!(
            k,
            "p" | "id" | "article" | "news_id" | "berita" | "artikel" | "newsid"
        ) && v.chars().take_while(char::is_ascii_digit).count() >= 1
    })
}

fn is_asset(last: &str) -> bool {
    let l = last.to_ascii_lowercase();
    [
        ".jpg", ".jpeg", ".png", ".gif", ".webp", ".svg", ".pdf", ".zip", ".mp3", ".mp4", ".xml",
        ".css", ".js", ".doc", ".docx", ".xls", ".xlsx", ".apk",
    ]
    .iter()
    .any(|e| l.ends_with(e))
}

/// Element ancestors looked at: the link's own block and the few around it. Further up
/// are the page's wrappers, whose classes describe the page (WordPress puts `category
/// category-paser` on the body of a category page), not the link.
const PLACE_DEPTH: usize = 6;

/// Where `a` sits, from its nearest ancestors' names, classes and ids.
fn place_of(a: &ElementRef<'_>) -> Place {
    let mut place = Place::default();
    let ancestors = a
        .ancestors()
        .filter_map(|n| n.value().as_element())
        .take_while(|el| !matches!(el.name(), "body" | "html" | "main"))
        .take(PLACE_DEPTH);
    for el in ancestors {
        match el.name() {
            "nav" | "header" | "footer" => place.chrome = true,
            "h1" | "h2" | "h3" | "h4" => place.heading = true,
            _ => {}
        }
        if el
            .attr("role")
            .is_some_and(|r| matches!(r, "navigation" | "banner" | "contentinfo" | "menu"))
        {
            place.chrome = true;
        }
        let names = format!(
            "{} {}",
            el.attr("class").unwrap_or_default(),
            el.attr("id").unwrap_or_default()
        )
        .to_ascii_lowercase();
        for name in names.split(|c: char| c.is_whitespace()) {
            if name.is_empty() {
                continue;
            }
            let has = |words: &[&str]| {
                words
                    .iter()
                    .any(|w| name.split(['-', '_']).any(|p| p == *w))
            };
            if has(&[
                "menu",
                "nav",
                "navbar",
                "navigation",
                "breadcrumb",
                "breadcrumbs",
                "footer",
                "topbar",
                "megamenu",
                "submenu",
                "masthead",
            ]) {
                place.chrome = true;
            }
            if has(&["share", "social", "sosmed", "sharing", "socials"]) {
                place.social = true;
            }
            if has(&[
                "tag",
                "tags",
                "tagcloud",
                "pagination",
                "pager",
                "paging",
                "page-numbers",
                "cat",
                "category",
                "categories",
                "kategori",
                "badge",
                "author",
                "byline",
                "meta",
            ]) {
                place.meta = true;
            }
        }
    }
    place
}

/// Whether `a` is the listing's "next page" link.
fn is_next(a: &ElementRef<'_>, text: &str, url: &Url, page: &Url) -> bool {
    if a.value()
        .attr("rel")
        .is_some_and(|r| r.split_whitespace().any(|t| t.eq_ignore_ascii_case("next")))
    {
        return true;
    }
    // An icon-only link says what it is in its label.
    let label = [a.value().attr("aria-label"), a.value().attr("title")]
        .into_iter()
        .flatten()
        .map(|l| l.to_lowercase().replace(['-', '_'], " "))
        .collect::<Vec<_>>()
        .join(" ");
    let t = text.to_lowercase();
    let named = NEXT_TEXTS
        .iter()
        .any(|n| t == *n || t.starts_with(&format!("{n} ")) || label.contains(n));
    let class_next = a.value().attr("class").is_some_and(|c| {
        c.split_whitespace()
            .any(|n| n.eq_ignore_ascii_case("next") || n.to_ascii_lowercase().contains("next"))
    });
    (named || class_next) && page_number(url) > page_number(page)
}

/// The page number an address names (`/page/3/`, `?page=3`, `/halaman/3`, `?p=3` on a list),
/// 1 when none.
pub fn page_number(url: &Url) -> u32 {
    let segs: Vec<&str> = url.path_segments().into_iter().flatten().collect();
    for w in segs.windows(2) {
        if matches!(w[0], "page" | "halaman" | "hal" | "indeks" | "index" | "p")
            && let Ok(n) = w[1].parse()
        {
            return n;
        }
    }
    for (k, v) in url.query_pairs() {
        if matches!(k.as_ref(), "page" | "halaman" | "hal" | "paged" | "pg")
            && let Ok(n) = v.parse()
        {
            return n;
        }
        // An offset (Joomla's `limitstart`) orders pages as well as a number does.
        if matches!(k.as_ref(), "limitstart" | "start" | "offset")
            && let Ok(n) = v.parse::<u32>()
        {
            return n.saturating_add(1);
        }
    }
    1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn shapes_name_the_classes_of_the_segments() {
        assert_eq!(
            shape(&u(
                "https://a.id/kutai-timur/pemkab-salurkan-bibit-ke-petani/"
            )),
            "W/S"
        );
        assert_eq!(
            shape(&u("https://a.id/2024/11/20/pemkab-salurkan-bibit")),
            "Y/D/D/S"
        );
        assert_eq!(
            shape(&u("https://a.id/berita/d-7355672/kominfo-blokir-konten")),
            "W/I/S"
        );
        assert_eq!(
            shape(&u("https://a.id/index.php?option=com_content&id=12")),
            "W/?"
        );
    }

    #[test]
    fn articles_are_told_from_menus_tags_and_paging() {
        let page = u("https://kaltimtoday.co/kategori/kutai-timur/");
        let html = r#"<html><body>
          <header><nav class="main-menu"><ul>
            <li><a href="/">Beranda</a></li>
            <li><a href="/kategori/samarinda/">Samarinda</a></li>
            <li><a href="/pedoman-pemberitaan-media-siber/">Pedoman Pemberitaan Media Siber</a></li>
          </ul></nav></header>
          <main>
            <article class="post"><h3><a href="/pemkab-kutim-salurkan-bibit-kepada-petani-sangatta/">Pemkab Kutim Salurkan Bibit kepada Petani di Sangatta</a></h3>
              <a class="cat-badge" href="/kategori/kutai-timur/">Kutai Timur</a>
              <a href="/author/andi/">Andi</a></article>
            <article class="post"><h3><a href="/2024/11/20/banjir-rendam-tiga-desa/">Banjir Rendam Tiga Desa</a></h3></article>
            <div class="tags"><a href="/tag/sangatta/">Sangatta</a></div>
            <div class="share"><a href="https://facebook.com/sharer.php?u=x">Bagikan</a></div>
            <div class="pagination"><a href="/kategori/kutai-timur/page/2/" class="next">Selanjutnya</a></div>
          </main>
          <footer><a href="/tentang-kami/">Tentang Kami</a></footer>
        </body></html>"#;
        let h = harvest(html, &page, &Scope::new(&page), None, &Learned::default());
        let articles: Vec<&str> = h.articles.iter().map(|j| j.url.path()).collect();
        assert_eq!(
            articles,
            [
                "/pemkab-kutim-salurkan-bibit-kepada-petani-sangatta/",
                "/2024/11/20/banjir-rendam-tiga-desa/"
            ],
            "{:#?}",
            h.others
        );
        assert_eq!(
            h.next.as_ref().map(Url::path),
            Some("/kategori/kutai-timur/page/2/")
        );
        // Off-site links are not judged at all.
        assert!(
            h.others
                .iter()
                .all(|j| j.url.host_str() == Some("kaltimtoday.co"))
        );
    }

    #[test]
    fn the_config_pattern_is_final_and_learned_shapes_weigh_in() {
        let page = u("https://a.id/");
        let html = r#"<a href="/warta/bimtek">Bimtek</a><a href="/kutai-timur/">Kutai Timur</a>"#;
        let pattern = Regex::new("/warta/").unwrap();
        let h = harvest(
            html,
            &page,
            &Scope::new(&page),
            Some(&pattern),
            &Learned::default(),
        );
        assert_eq!(h.articles.len(), 1);
        assert_eq!(h.articles[0].url.path(), "/warta/bimtek");

        let mut learned = Learned::default();
        for i in 0..3 {
            learned.note(&u(&format!("https://a.id/warta/kabar{i}")), true);
        }
        let html = r#"<a href="/warta/bimtek-desa">Bimtek aparatur desa dimulai pekan ini</a>"#;
        let without = harvest(html, &page, &Scope::new(&page), None, &Learned::default());
        let with = harvest(html, &page, &Scope::new(&page), None, &learned);
        assert!(without.articles.is_empty(), "{without:#?}");
        assert_eq!(with.articles.len(), 1, "{with:#?}");
    }

    #[test]
    fn page_numbers_are_read_from_paths_and_queries() {
        assert_eq!(page_number(&u("https://a.id/kategori/x/page/3/")), 3);
        assert_eq!(page_number(&u("https://a.id/indeks?page=2")), 2);
        assert_eq!(page_number(&u("https://a.id/indeks")), 1);
    }
}
