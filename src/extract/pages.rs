//! Articles split over several pages: finding the next page, and joining the pages' bodies.
//!
//! Indonesian national and regional sites paginate long articles: a page number in the
//! query (`?page=2`, Tribun and Kompas), a number appended to the path (`/2`, detik), a
//! "show all" link (`?page=all`), announced by `<link rel="next">` or by pager links
//! ("Halaman 2", "Halaman selanjutnya", "Next page"). A "next" link is followed only when
//! it stays on the same article, the same address with another page number: sites put
//! "next article" links in the same places, and those must never be joined.

use std::collections::HashSet;

use url::Url;

use super::dom::{Dom, Tag};

/// Query parameters that carry a page number (Tribun and Kompas use `page`; the others are
/// the usual CMS spellings: WordPress `paged`, Indonesian `hal`/`halaman`). WordPress's `p`
/// is left out on purpose: it is a post id, and the next post is another article.
const PAGE_PARAMS: &[&str] = &["hal", "halaman", "page", "paged", "pg"];

/// Link texts that mean "the next page of this article". Matched after lowercasing and
/// trimming arrows; Indonesian and English pager labels.
const NEXT_LABELS: &[&str] = &[
    "berikutnya",
    "halaman berikutnya",
    "halaman selanjutnya",
    "lanjut",
    "next",
    "next page",
    "selanjutnya",
];

/// Link texts of a "whole article on one page" link ("Tampilkan semua", Kompas).
const ALL_LABELS: &[&str] = &[
    "baca selengkapnya di satu halaman",
    "lihat semua",
    "show all",
    "single page",
    "tampilkan semua",
    "view as single page",
];

/// Where a page stands in its article: which page it is (`None` for a "show all" page).
#[derive(Debug, PartialEq, Eq)]
struct Position {
    /// The address with the page marker taken out: equal for all pages of one article.
    stem: String,
    page: Option<u32>,
}

fn position(url: &Url) -> Position {
    let mut page = Some(1);
    let mut query: Vec<(String, String)> = Vec::new();
    for (k, v) in url.query_pairs() {
        if PAGE_PARAMS.binary_search(&k.as_ref()).is_ok() {
            if v.eq_ignore_ascii_case("all") {
                page = None;
            } else if let Ok(n) = v.parse::<u32>() {
                page = Some(n);
            } else {
                query.push((k.into_owned(), v.into_owned()));
            }
        } else {
            query.push((k.into_owned(), v.into_owned()));
        }
    }
    // A short number after a slug is a page ("/judul-berita/2", "/page/2"); after a plain
    // word ("/berita/123") it is more likely an id, and the next id is another article.
    let path = url.path().trim_end_matches('/');
    let mut stem_path = path.to_string();
    if let Some((head, last)) = path.rsplit_once('/')
        && !last.is_empty()
        && last.len() <= 3
        && last.chars().all(|c| c.is_ascii_digit())
        && head.rsplit('/').next().is_some_and(|seg| {
            (seg.contains('-') && seg.chars().any(|c| c.is_alphabetic()))
                || seg.eq_ignore_ascii_case("page")
        })
        && let Ok(n) = last.parse::<u32>()
    {
        page = page.map(|_| n);
        stem_path = head.trim_end_matches("/page").to_string();
    }
    query.sort();
    let q: Vec<String> = query.iter().map(|(k, v)| format!("{k}={v}")).collect();
    Position {
        stem: format!(
            "{}://{}{}?{}",
            url.scheme(),
            url.host_str().unwrap_or(""),
            stem_path,
            q.join("&")
        ),
        page,
    }
}

/// The next page of the article at `url`, if the page links to one. `None` on the last
/// page, on a "show all" page, and when the page's own address is unknown.
pub(crate) fn next_page(dom: &Dom, url: Option<&Url>) -> Option<String> {
    let url = url?;
    let here = position(url);
    let current = here.page?;
    let same_article = |href: &str| -> Option<(Url, Position)> {
        let target = url.join(href.trim()).ok()?;
        if !matches!(target.scheme(), "http" | "https") {
            return None;
        }
        let pos = position(&target);
        (pos.stem == here.stem && pos.page != Some(current)).then_some((target, pos))
    };
    // Cheap test before resolving a link: a link to another page of this article names
    // its slug or is a bare query.
    let slug = url
        .path()
        .trim_end_matches('/')
        .rsplit('/')
        .find(|s| s.chars().any(|c| c.is_alphabetic()))
        .unwrap_or("")
        .to_string();
    let worth_resolving = |href: &str| href.starts_with('?') || href.contains(slug.as_str());

    let (mut by_number, mut by_label, mut show_all, mut by_rel) = (None, None, None, None);
    for (i, node) in dom.nodes.iter().enumerate() {
        let is_rel_next = node.tag == Tag::Link
            && node
                .attr("rel")
                .is_some_and(|r| r.split_whitespace().any(|r| r.eq_ignore_ascii_case("next")));
        if !(is_rel_next || node.tag == Tag::A) {
            continue;
        }
        let Some(href) = node.attr("href") else {
            continue;
        };
        if !(is_rel_next || worth_resolving(href)) {
            continue;
        }
        let Some((target, pos)) = same_article(href) else {
            // The page's own `<link rel="next">` is pagination markup, however the site
            // numbers its pages ("/judul/halaman-2", "judul-2.html", "?start=10"): followed
            // when it continues this article's address (`<a rel="next">` is also how
            // themes link the next post, so only the head's link counts).
            if node.tag == Tag::Link
                && by_rel.is_none()
                && let Some(target) = url.join(href.trim()).ok().filter(|t| continues(url, t))
            {
                by_rel = Some(target);
            }
            continue;
        };
        let text = if node.tag == Tag::A {
            label(&dom.subtree_text(i as u32, false))
        } else {
            String::new()
        };
        match pos.page {
            None if ALL_LABELS.binary_search(&text.as_str()).is_ok() || is_rel_next => {
                show_all.get_or_insert(target);
            }
            None => {}
            Some(n) if n == current + 1 && (is_rel_next || text == n.to_string()) => {
                by_number.get_or_insert(target);
            }
            Some(n) if n == current + 1 && is_page_label(&text, n) => {
                by_number.get_or_insert(target);
            }
            Some(n) if n > current && NEXT_LABELS.binary_search(&text.as_str()).is_ok() => {
                by_label.get_or_insert(target);
            }
            Some(_) => {}
        }
    }
    // One fetch of the whole article beats several; a "show all" page repeats page one,
    // which joining drops.
    show_all
        .or(by_number)
        .or(by_rel)
        .or(by_label)
        .map(|u| u.to_string())
}

/// True when `next` is another page of the article at `here`: the same host, and the same
/// address once a trailing page marker ("/2", "-2", "/halaman-2", "_p2", a ".html" suffix
/// kept) is taken off both, with a slug in it, so that "/berita" and "/berita-2" are not
/// pages of each other. The query may differ (a page parameter of any name).
fn continues(here: &Url, next: &Url) -> bool {
    let mut bare = next.clone();
    bare.set_fragment(None);
    if bare.as_str() == here.as_str()
        || !matches!(next.scheme(), "http" | "https")
        || next.host_str() != here.host_str()
    {
        return false;
    }
    let (a, b) = (article_stem(here.path()), article_stem(next.path()));
    let slug = a.rsplit('/').next().is_some_and(|seg| {
        seg.contains('-') && seg.chars().filter(|c| c.is_alphabetic()).count() >= 4
    });
    slug && a == b && (here.path() != next.path() || here.query() != next.query())
}

/// A path without its trailing page marker and slashes.
fn article_stem(path: &str) -> String {
    static MARKER: std::sync::OnceLock<Option<regex_lite::Regex>> = std::sync::OnceLock::new();
    let path = path.trim_end_matches('/');
    let (path, extension) = match path.rsplit_once('.') {
        Some((head, ext)) if ext.len() <= 5 && !ext.contains('/') => (head, ext),
        _ => (path, ""),
    };
    let stem = MARKER
        .get_or_init(|| {
            regex_lite::Regex::new(
                r"(?i)(?:[/_-](?:page|halaman|hal|part|bagian|p))?[/_-]?[/_-]\d{1,3}$",
            )
            .ok()
        })
        .as_ref()
        .map_or(path, |re| match re.find(path) {
            Some(m) => path.get(..m.start()).unwrap_or(path),
            None => path,
        });
    format!("{stem}.{extension}")
}

/// A link text lowercased, with arrows and spacing trimmed.
fn label(text: &str) -> String {
    text.trim_matches(|c: char| !c.is_alphanumeric())
        .to_lowercase()
}

/// "Halaman 2", "Page 2", "Hal. 2".
fn is_page_label(text: &str, n: u32) -> bool {
    let n = n.to_string();
    ["hal", "hal.", "halaman", "page"]
        .iter()
        .any(|p| text.strip_prefix(p).is_some_and(|rest| rest.trim() == n))
}

/// Paragraphs of `pages` in order, leaving out those a page repeats from an earlier one
/// (sites repeat the lead, the "Baca juga" box or a closing line on every page).
pub(crate) fn join_text(pages: &[&str]) -> String {
    let mut seen: HashSet<String> = HashSet::new();
    let mut out: Vec<&str> = Vec::new();
    for page in pages {
        let paras: Vec<&str> = page
            .split("\n\n")
            .filter(|p| !p.trim().is_empty())
            .collect();
        let mut fresh = Vec::new();
        for p in paras {
            if !seen.contains(&key(p)) {
                fresh.push(p);
            }
        }
        for p in &fresh {
            seen.insert(key(p));
        }
        out.extend(fresh);
    }
    out.join("\n\n")
}

/// The same for sanitized body HTML, one top-level element at a time.
pub(crate) fn join_html(pages: &[&str]) -> String {
    let mut seen: HashSet<String> = HashSet::new();
    let mut out = String::new();
    for page in pages {
        let elements = top_level(page);
        let mut fresh = Vec::new();
        for e in elements {
            let k = element_key(e);
            if !seen.contains(&k) {
                fresh.push((e, k));
            }
        }
        for (e, k) in fresh {
            out.push_str(e);
            seen.insert(k);
        }
    }
    out
}

/// Compare paragraphs by their letters and digits only, so spacing and punctuation
/// differences between pages do not hide a repeat.
fn key(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// An element's text (tags stripped) as its key; an image, which has no text, by its markup.
fn element_key(html: &str) -> String {
    let mut text = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    let k = key(&text);
    if k.is_empty() { html.to_string() } else { k }
}

/// Splits the extractor's own body HTML into its top-level elements. That HTML is
/// well formed (text escaped, every element closed, `<img>` the only void one), so
/// counting open and close tags is enough.
fn top_level(html: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut depth, mut start) = (0usize, 0usize);
    let bytes = html.as_bytes();
    let mut i = 0;
    while let Some(off) = html.get(i..).and_then(|s| s.find('<')) {
        let lt = i + off;
        let gt = html
            .get(lt..)
            .and_then(|s| s.find('>'))
            .map_or(html.len(), |g| lt + g + 1);
        let closing = bytes.get(lt + 1) == Some(&b'/');
        let void = html.get(lt..gt).is_some_and(|t| t.starts_with("<img"));
        if closing {
            depth = depth.saturating_sub(1);
        } else if depth == 0 {
            start = lt;
            if !void {
                depth = 1;
            }
        } else if !void {
            depth += 1;
        }
        if depth == 0
            && let Some(e) = html.get(start..gt)
        {
            out.push(e);
        }
        i = gt;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pos(u: &str) -> Position {
        Url::parse(u).map(|u| position(&u)).unwrap_or(Position {
            stem: String::new(),
            page: Some(0),
        })
    }

    #[test]
    fn tables_are_sorted() {
        for table in [PAGE_PARAMS, NEXT_LABELS, ALL_LABELS] {
            assert!(table.windows(2).all(|w| w[0] < w[1]), "{table:?}");
        }
    }

    #[test]
    fn page_positions_in_the_usual_address_styles() {
        let one = pos("https://kaltim.tribunnews.com/2024/11/20/banjir-rendam-samarinda");
        let two = pos("https://kaltim.tribunnews.com/2024/11/20/banjir-rendam-samarinda?page=2");
        assert_eq!(one.page, Some(1));
        assert_eq!(two.page, Some(2));
        assert_eq!(one.stem, two.stem);
        let d1 = pos("https://news.detik.com/berita/d-7650000/gempa-guncang-bali");
        let d2 = pos("https://news.detik.com/berita/d-7650000/gempa-guncang-bali/2");
        assert_eq!((d1.stem == d2.stem, d2.page), (true, Some(2)));
        assert_eq!(pos("https://x.id/read/judul?page=all").page, None);
        // A year or an id at the end of a path is not a page number.
        assert_eq!(pos("https://x.id/arsip/2024").page, Some(1));
        assert_eq!(pos("https://x.id/berita/123").page, Some(1));
        assert_eq!(pos("https://x.id/?p=123").page, Some(1));
        assert_ne!(
            pos("https://x.id/berita/judul-satu").stem,
            pos("https://x.id/berita/judul-dua").stem
        );
    }

    #[test]
    fn a_head_rel_next_continues_the_article_however_pages_are_numbered() {
        let u = |s: &str| Url::parse(s).unwrap();
        let here = u("https://kutim.contoh.id/2024/11/20/bimtek-aparatur-desa");
        for next in [
            "https://kutim.contoh.id/2024/11/20/bimtek-aparatur-desa/halaman-2",
            "https://kutim.contoh.id/2024/11/20/bimtek-aparatur-desa-2",
            "https://kutim.contoh.id/2024/11/20/bimtek-aparatur-desa?start=10",
            "https://kutim.contoh.id/2024/11/20/bimtek-aparatur-desa/page/2/",
        ] {
            assert!(continues(&here, &u(next)), "{next}");
        }
        let html_page = u("https://x.contoh.id/read/bimtek-aparatur-desa.html");
        assert!(continues(
            &html_page,
            &u("https://x.contoh.id/read/bimtek-aparatur-desa-2.html")
        ));
        let second = u("https://kutim.contoh.id/2024/11/20/bimtek-aparatur-desa/halaman-2");
        assert!(continues(
            &second,
            &u("https://kutim.contoh.id/2024/11/20/bimtek-aparatur-desa/halaman-3")
        ));
        for other in [
            "https://kutim.contoh.id/2024/11/21/rapat-stunting",
            "https://kutim.contoh.id/",
            "https://lain.contoh.id/2024/11/20/bimtek-aparatur-desa/halaman-2",
            "https://kutim.contoh.id/2024/11/20/bimtek-aparatur-desa",
        ] {
            assert!(!continues(&here, &u(other)), "{other}");
        }
        // A section is no article: "/berita" and "/berita-2" are not pages of each other.
        assert!(!continues(
            &u("https://x.id/berita"),
            &u("https://x.id/berita-2")
        ));
    }

    #[test]
    fn repeated_paragraphs_of_later_pages_are_dropped() {
        let joined = join_text(&[
            "Lead.\n\nSatu.",
            "Lead.\n\nDua.\n\nBaca juga: X",
            "Baca juga: X\n\nTiga.",
        ]);
        assert_eq!(joined, "Lead.\n\nSatu.\n\nDua.\n\nBaca juga: X\n\nTiga.");
        let html = join_html(&[
            "<p>Lead.</p><p>Satu.</p>",
            "<p>Lead.</p><ul><li>a</li><li>b</li></ul><img src=\"x\"><p>Dua.</p>",
        ]);
        assert_eq!(
            html,
            "<p>Lead.</p><p>Satu.</p><ul><li>a</li><li>b</li></ul><img src=\"x\"><p>Dua.</p>"
        );
    }
}
