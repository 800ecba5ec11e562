//! Honest failure: telling a page that is not the article (a consent wall, a paywall
//! teaser, a listing, an error page) from the article itself.
//!
//! The archive must not keep a cookie notice or "Page not found" as an article's text, so
//! the extractor says so instead ([`NotAnArticle`]). Every rule needs a short body as well
//! as a positive sign, because a real article must never be flagged: a long body is an
//! article whatever banners surround it. The phrase tables are the wording such pages use
//! in Indonesian and English (with the common European variants), gathered from consent
//! managers, publishers' paywall prompts and CMS error templates.

use super::NotAnArticle;
use super::dom::{Dom, Tag};

/// Above this many body characters (non-whitespace) a page is taken as an article whatever
/// else it shows: wall and error texts are a few sentences long.
const SHORT_BODY: usize = 1500;

/// Words and phrases of error pages, matched in the `<title>` and the `<h1>`.
const ERROR_PHRASES: &[&str] = &[
    "erreur 404",
    "error 404",
    "halaman tidak ditemukan",
    "halaman tidak tersedia",
    "halaman yang anda cari",
    "page does not exist",
    "page doesn't exist",
    "page not found",
    "pagina non trovata",
    "página no encontrada",
    "página não encontrada",
    "seite nicht gefunden",
    "the page you requested",
    "страница не найдена",
];

/// Wording of cookie and consent walls.
const CONSENT_PHRASES: &[&str] = &[
    "accept all cookies",
    "cookie policy",
    "cookie settings",
    "gunakan cookie",
    "kami menggunakan cookie",
    "kebijakan cookie",
    "manage cookies",
    "manage your privacy",
    "menggunakan cookie",
    "persetujuan cookie",
    "privacy settings",
    "setuju dengan penggunaan cookie",
    "terima semua",
    "use of cookies",
    "we use cookies",
    "we value your privacy",
];

/// Wording of subscription prompts that stand where the rest of the article would be.
const PAYWALL_PHRASES: &[&str] = &[
    "already a subscriber",
    "artikel ini khusus",
    "berlangganan sekarang",
    "berlangganan untuk membaca",
    "continue reading with",
    "khusus pelanggan",
    "konten premium",
    "langganan untuk membaca",
    "subscribe to continue",
    "subscribe to read",
    "subscribers only",
    "this article is for subscribers",
    "this content is for subscribers",
    "to continue reading",
    "untuk melanjutkan membaca",
];

/// Whether a short line (lower case) asks the reader to subscribe ("Subscribe to continue
/// reading"): the prompt where a teaser ends, not the article's text.
pub(crate) fn is_paywall_prompt(lower: &str) -> bool {
    count_in(lower, PAYWALL_PHRASES) >= 1
}

/// Anchors with this much text read as headlines: a listing is made of them.
const HEADLINE_CHARS: std::ops::Range<usize> = 25..200;

/// Why the page is not the article, if it is not. `body` is the extracted text,
/// `json_ld` the page's JSON-LD blocks.
pub(crate) fn judge(dom: &Dom, json_ld: &[String], body: &str) -> Option<NotAnArticle> {
    let body_chars = body.chars().filter(|c| !c.is_whitespace()).count();
    if body_chars >= SHORT_BODY {
        return None;
    }
    let body_lower = body.to_lowercase();
    let heads = headings(dom);
    if heads.iter().any(|h| is_error_heading(h)) && body_chars < SHORT_BODY / 2 {
        return Some(NotAnArticle::ErrorPage);
    }
    // The extractor took the consent notice for the text, or found nothing but a notice.
    let page_lower = dom.text.to_lowercase();
    let consent_in_body = count_in(&body_lower, CONSENT_PHRASES);
    if consent_in_body >= 1 || (body_chars < 200 && count_in(&page_lower, CONSENT_PHRASES) >= 2) {
        return Some(NotAnArticle::ConsentWall);
    }
    if declares_paywall(json_ld) || count_in(&page_lower, PAYWALL_PHRASES) >= 1 {
        return Some(NotAnArticle::Paywall);
    }
    if body_chars < 500
        && !declares_article(json_ld)
        && !og_article(dom)
        && headline_links(dom) >= 15
    {
        return Some(NotAnArticle::Listing);
    }
    None
}

/// Texts of the `<title>` and every `<h1>`, lowercased.
fn headings(dom: &Dom) -> Vec<String> {
    dom.nodes
        .iter()
        .enumerate()
        .filter(|(_, n)| matches!(n.tag, Tag::Title | Tag::H(1)))
        .map(|(i, _)| dom.subtree_text(i as u32, false).to_lowercase())
        .collect()
}

fn is_error_heading(h: &str) -> bool {
    ERROR_PHRASES.iter().any(|p| h.contains(p))
        || h.split(|c: char| !c.is_alphanumeric()).any(|w| w == "404")
}

fn count_in(text: &str, phrases: &[&str]) -> usize {
    phrases.iter().filter(|p| text.contains(*p)).count()
}

/// `"isAccessibleForFree": false` (or `"False"`) in the page's JSON-LD: the publisher says
/// the full text is not on the page.
fn declares_paywall(json_ld: &[String]) -> bool {
    json_ld.iter().any(|s| {
        let mut rest = s.as_str();
        while let Some(at) = rest.find("isAccessibleForFree") {
            let after = rest.get(at + "isAccessibleForFree".len()..).unwrap_or("");
            let value = after
                .trim_start_matches(|c: char| c == '"' || c == ':' || c.is_whitespace())
                .trim_start_matches('"');
            if value
                .get(..5)
                .is_some_and(|v| v.eq_ignore_ascii_case("false"))
            {
                return true;
            }
            rest = after;
        }
        false
    })
}

/// Whether JSON-LD declares the page a single article (a listing declares a collection).
fn declares_article(json_ld: &[String]) -> bool {
    json_ld.iter().any(|s| {
        [
            "\"NewsArticle\"",
            "\"Article\"",
            "\"BlogPosting\"",
            "\"ReportageNewsArticle\"",
        ]
        .iter()
        .any(|t| s.contains(t))
    })
}

/// `<meta property="og:type" content="article">`: the page says it is one article.
fn og_article(dom: &Dom) -> bool {
    dom.nodes.iter().any(|n| {
        n.tag == Tag::Meta
            && n.attr("property")
                .is_some_and(|p| p.eq_ignore_ascii_case("og:type"))
            && n.attr("content")
                .is_some_and(|c| c.trim().eq_ignore_ascii_case("article"))
    })
}

/// Links whose text is as long as a headline, anywhere on the page.
fn headline_links(dom: &Dom) -> usize {
    dom.nodes
        .iter()
        .enumerate()
        .filter(|(_, n)| n.tag == Tag::A)
        .filter(|(i, _)| {
            let len = dom.subtree_text(*i as u32, false).chars().count();
            HEADLINE_CHARS.contains(&len)
        })
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_sorted() {
        for table in [ERROR_PHRASES, CONSENT_PHRASES, PAYWALL_PHRASES] {
            assert!(table.windows(2).all(|w| w[0] < w[1]), "{table:?}");
        }
    }

    #[test]
    fn json_ld_paywall_flag_in_its_spellings() {
        assert!(declares_paywall(&[
            r#"{"isAccessibleForFree": false}"#.into()
        ]));
        assert!(declares_paywall(&[
            r#"{"isAccessibleForFree":"False"}"#.into()
        ]));
        assert!(!declares_paywall(&[
            r#"{"isAccessibleForFree": true}"#.into()
        ]));
        assert!(!declares_paywall(&["{}".into()]));
    }

    #[test]
    fn error_headings() {
        assert!(is_error_heading("404 - halaman tidak ditemukan"));
        assert!(is_error_heading("oops! page not found | site"));
        assert!(!is_error_heading("gempa 4,04 magnitudo guncang bali"));
        assert!(!is_error_heading("bus 4040 tiba di terminal"));
    }
}
