//! Word lists and patterns that tell boilerplate from article text.
//!
//! Class/id patterns follow the signals Readability-style extractors rely on (the usual
//! names sites give to navigation, comments, sharing and ads), extended with the names
//! Indonesian news sites use ("baca-juga", "terkait", "iklan"). The phrase tables come from
//! the lines such sites put inside article bodies (related-article links, staff credits,
//! ad labels); they were gathered by reading Indonesian regional and national news pages.
//! Every table is sorted.

use std::sync::LazyLock;

use aho_corasick::AhoCorasick;

/// Class/id fragments of elements that are almost never article text.
const UNLIKELY: &[&str] = &[
    "ad-break",
    "adsbygoogle",
    "advert",
    "affiliate",
    "agegate",
    "author-bio",
    "baca-juga",
    "bacajuga",
    "banner",
    "breadcrumb",
    "byline",
    "combx",
    "comment",
    "community",
    "cookie",
    "disclosure",
    "disqus",
    "donat",
    "footer",
    "gdpr",
    "header",
    "legends",
    "lihat-juga",
    "login",
    "menu",
    "modal",
    "most-read",
    "mostread",
    "newsletter",
    "outbrain",
    "pager",
    "pagination",
    "popular",
    "popup",
    "promo",
    "read-also",
    "readalso",
    "recommend",
    "related",
    "remark",
    "replies",
    "rss",
    "share",
    "sharing",
    "shoutbox",
    "sidebar",
    "signup",
    "skyscraper",
    "social",
    "sponsor",
    "subscri",
    "supplemental",
    "taboola",
    "terkait",
    "toolbar",
    "trending",
];

/// Class/id fragments that keep an element even when it also matches [`UNLIKELY`].
const MAYBE: &[&str] = &[
    "article", "body", "column", "content", "main", "shadow", "story",
];

/// Whole class/id tokens of boilerplate (too short to match as fragments), and the names
/// style sheets hide by (Webflow's form messages, shown only after a submission).
const UNLIKELY_TOKENS: &[&str] = &[
    "ad",
    "ads",
    "adv",
    "hidden",
    "hide",
    "iklan",
    "meta",
    "nav",
    "navbar",
    "navigation",
    "screen-reader-text",
    "sr-only",
    "tag",
    "tags",
    "visually-hidden",
    "w-form-done",
    "w-form-fail",
];

const POSITIVE: &[&str] = &[
    "article", "berita", "blog", "body", "content", "detail", "entry", "hentry", "main", "page",
    "post", "story", "text",
];

const NEGATIVE: &[&str] = &[
    "author",
    "baca",
    "banner",
    "byline",
    "caption",
    "com-",
    "combx",
    "comment",
    "contact",
    "foot",
    "gdpr",
    "masthead",
    "media",
    "meta",
    "outbrain",
    "promo",
    "related",
    "share",
    "shopping",
    "shoutbox",
    "sidebar",
    "skyscraper",
    "sponsor",
    "tags",
    "terkait",
    "tool",
];

/// Names holding a [`NEGATIVE`] fragment that are article text: footnotes are the
/// article's own, and a football story is no footer.
const NEGATIVE_EXEMPT: &[&str] = &["football", "footnote"];

/// ARIA roles of page furniture.
pub(crate) const UNLIKELY_ROLES: &[&str] = &[
    "alert",
    "banner",
    "complementary",
    "contentinfo",
    "dialog",
    "menu",
    "menubar",
    "navigation",
    "search",
];

/// One automaton finding any of `words` (lower case) in a lower-cased string.
fn any_of(words: &[&str]) -> Option<AhoCorasick> {
    AhoCorasick::new(words).ok()
}

fn matches(set: &LazyLock<Option<AhoCorasick>>, s: &str) -> bool {
    set.as_ref().is_some_and(|a| a.is_match(s))
}

static UNLIKELY_RE: LazyLock<Option<AhoCorasick>> = LazyLock::new(|| any_of(UNLIKELY));
static MAYBE_RE: LazyLock<Option<AhoCorasick>> = LazyLock::new(|| any_of(MAYBE));
static POSITIVE_RE: LazyLock<Option<AhoCorasick>> = LazyLock::new(|| any_of(POSITIVE));
static NEGATIVE_RE: LazyLock<Option<AhoCorasick>> = LazyLock::new(|| any_of(NEGATIVE));
static NEGATIVE_EXEMPT_RE: LazyLock<Option<AhoCorasick>> =
    LazyLock::new(|| any_of(NEGATIVE_EXEMPT));

/// `class` and `id` lowercased and joined, the string the patterns are matched against.
pub(crate) fn class_id(class: Option<&str>, id: Option<&str>) -> String {
    let mut s = String::new();
    for part in [class, id].into_iter().flatten() {
        s.push_str(&part.to_lowercase());
        s.push(' ');
    }
    s
}

/// Element ids that name page furniture outright. An id is unique on the page, so
/// `id="footer"` is the footer even when its class also says "content"; the list is the
/// landmark names templates give their frame (HTML5 landmark roles and their usual ids).
const FURNITURE_IDS: &[&str] = &[
    "comments",
    "footer",
    "header",
    "masthead",
    "menu",
    "nav",
    "navigation",
    "sidebar",
    "site-footer",
    "site-header",
];

/// Whether an element's id alone marks it as furniture.
pub(crate) fn is_furniture_id(id: Option<&str>) -> bool {
    id.is_some_and(|id| {
        FURNITURE_IDS
            .binary_search(&id.trim().to_ascii_lowercase().as_str())
            .is_ok()
    })
}

/// Whether a class/id string names a reader comment or the comment thread ("comment-body",
/// "commentlist", `id="comments"`), not commentary, which is an article.
pub(crate) fn is_comment_named(class_id: &str) -> bool {
    class_id
        .split(|c: char| c.is_whitespace())
        .any(|t| t.contains("comment") && !t.contains("commentar"))
}

pub(crate) fn is_unlikely(class_id: &str) -> bool {
    if class_id.is_empty() {
        return false;
    }
    let fragment = matches(&UNLIKELY_RE, class_id) && !matches(&MAYBE_RE, class_id);
    fragment
        || class_id
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
            .any(|t| UNLIKELY_TOKENS.binary_search(&t).is_ok())
}

/// Readability-style class weight: +25 for content-like names, −25 for furniture-like.
pub(crate) fn class_weight(class_id: &str) -> f32 {
    if class_id.is_empty() {
        return 0.0;
    }
    let mut w = 0.0;
    let negative = |t: &str| matches(&NEGATIVE_RE, t) && !matches(&NEGATIVE_EXEMPT_RE, t);
    if matches(&NEGATIVE_RE, class_id) && class_id.split_whitespace().any(negative) {
        w -= 25.0;
    }
    if matches(&POSITIVE_RE, class_id) {
        w += 25.0;
    }
    w
}

/// Lines that open a related-article link or a call to action; the whole block goes.
/// Indonesian from regional and national news pages; the English, Italian, Portuguese,
/// Russian and Spanish ones are the usual "read also" / "follow us" labels of news sites.
const LEAD_INS: &[&str] = &[
    "also read:",
    "artikel terkait",
    "baca juga",
    "baca selengkapnya",
    "baca:",
    "berita terkait",
    "dapatkan berita",
    "dapatkan update",
    "download aplikasi",
    "follow me on",
    "follow us on",
    "gabung di grup",
    "ikuti berita",
    "ikuti kami",
    "ikuti saluran",
    "klik di sini",
    "lee también",
    "leggi anche",
    "leia também",
    "lihat juga",
    "read more:",
    "related:",
    "see also:",
    "simak berita",
    "simak juga",
    "simak video",
    "tonton juga",
    "unduh aplikasi",
    "читайте также",
];

/// Labels of staff-credit and tag lines ("Editor: Budi").
const CREDIT_LABELS: &[&str] = &[
    "author",
    "credit",
    "editor",
    "foto",
    "fotografer",
    "image",
    "image credit",
    "image source",
    "kontributor",
    "laporan",
    "penulis",
    "penyunting",
    "pewarta",
    "photo",
    "photo credit",
    "redaktur",
    "reporter",
    "sumber",
    "tag",
    "tags",
    "topik",
    "wartawan",
];

/// Openings of Tribun-style credit lines without a colon ("Laporan Wartawan
/// Tribunkaltim.co, Andi Wijaya"): the writer's name follows the last comma.
const CREDIT_PREFIXES: &[&str] = &[
    "laporan kontributor",
    "laporan reporter",
    "laporan wartawan",
];

/// Credit labels whose value names the article's writer.
const AUTHOR_LABELS: &[&str] = &[
    "author",
    "kontributor",
    "penulis",
    "pewarta",
    "reporter",
    "wartawan",
];

/// A line that is only a credit label ("Penulis", "Editor:"), its value on the next line.
pub(crate) fn is_bare_credit_label(text: &str) -> bool {
    let lower = text.trim().to_lowercase();
    let bare = lower.trim_end_matches([':', ' ']).trim();
    bare.len() < 20 && CREDIT_LABELS.binary_search(&bare).is_ok()
}

/// Whole lines that are widget or ad labels.
const EXACT: &[&str] = &[
    "ads",
    "advertisement",
    "advertisment",
    "baca juga",
    "bagikan",
    "iklan",
    "komentar",
    "lihat juga",
    "loading",
    "scroll to continue with content",
    "scroll untuk melanjutkan",
    "share",
    "share this",
    "share this article",
    "sponsored",
    "tweet",
];

/// Words of share/follow widgets; a short line made only of these goes.
const SHARE_WORDS: &[&str] = &[
    "bagikan",
    "copy",
    "email",
    "facebook",
    "instagram",
    "line",
    "link",
    "linkedin",
    "pinterest",
    "print",
    "salin",
    "share",
    "tautan",
    "telegram",
    "tiktok",
    "tweet",
    "twitter",
    "whatsapp",
    "x",
    "youtube",
];

/// Picture agencies and stock libraries named in photo credit lines ("Natalie Naccache |
/// Bloomberg | Getty Images", "ANTARA FOTO/Budi"); gathered from news captions.
const PHOTO_AGENCIES: &[&str] = &[
    "afp",
    "antara foto",
    "ap photo",
    "epa-efe",
    "getty images",
    "istock",
    "reuters",
    "shutterstock",
];

/// A short line that only credits a picture: names an agency, is split by `|` or `/`, and
/// is not a sentence.
fn is_photo_credit(t: &str, lower: &str) -> bool {
    t.chars().count() < 90
        && !t.ends_with('.')
        && (t.contains('|') || t.contains('/'))
        && PHOTO_AGENCIES.iter().any(|a| lower.contains(a))
}

/// "Image 2 of 5", "Foto 1 dari 12": the counter of a slideshow, not text.
fn is_gallery_counter(bare: &str) -> bool {
    let words: Vec<&str> = bare.split_whitespace().collect();
    matches!(
        words.as_slice(),
        [label, n, of, m]
            if ["foto", "gambar", "image", "photo", "slide"].contains(label)
                && ["dari", "of"].contains(of)
                && n.chars().all(|c| c.is_ascii_digit())
                && m.chars().all(|c| c.is_ascii_digit())
    )
}

/// What a boilerplate check says about one block of text.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    Keep,
    Drop,
    /// A credit line naming the writer: dropped, the name kept as an author hint.
    Author(String),
}

pub(crate) fn judge_line(text: &str) -> Verdict {
    let t = text.trim();
    let lower = t.to_lowercase();
    let bare = lower.trim_matches(|c: char| !c.is_alphanumeric());
    if bare.is_empty() {
        return Verdict::Keep;
    }
    if EXACT.binary_search(&bare).is_ok() {
        return Verdict::Drop;
    }
    let chars = t.chars().count();
    // A lead-in to another page, or the subscription prompt where a teaser ends.
    if chars < 300
        && (LEAD_INS.iter().any(|p| bare.starts_with(p))
            || super::verdict::is_paywall_prompt(&lower))
    {
        return Verdict::Drop;
    }
    if chars < 160 {
        if CREDIT_PREFIXES.iter().any(|p| bare.starts_with(p)) {
            return match t.rsplit_once(',') {
                Some((_, name)) if !name.trim().is_empty() => {
                    Verdict::Author(name.trim().to_string())
                }
                _ => Verdict::Drop,
            };
        }
        if let Some((label, value)) = bare.split_once(':') {
            let label = label.trim();
            if CREDIT_LABELS.binary_search(&label).is_ok() {
                if AUTHOR_LABELS.binary_search(&label).is_ok() {
                    let start = t.find(':').map_or(0, |i| i + 1);
                    let value = t.get(start..).unwrap_or("").trim().trim_end_matches(')');
                    if !value.is_empty() {
                        return Verdict::Author(value.to_string());
                    }
                }
                let _ = value;
                return Verdict::Drop;
            }
        }
        if is_photo_credit(t, &lower) || is_gallery_counter(bare) {
            return Verdict::Drop;
        }
        if bare.starts_with("copyright")
            || bare.starts_with("hak cipta")
            || t.starts_with('©')
            || lower.contains("all rights reserved")
        {
            return Verdict::Drop;
        }
        let mut words = bare
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .peekable();
        if words.peek().is_some() && words.all(|w| SHARE_WORDS.binary_search(&w).is_ok()) {
            return Verdict::Drop;
        }
    }
    Verdict::Keep
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_sorted() {
        for table in [
            UNLIKELY,
            MAYBE,
            UNLIKELY_TOKENS,
            POSITIVE,
            NEGATIVE,
            UNLIKELY_ROLES,
            FURNITURE_IDS,
            LEAD_INS,
            CREDIT_LABELS,
            CREDIT_PREFIXES,
            AUTHOR_LABELS,
            EXACT,
            SHARE_WORDS,
            PHOTO_AGENCIES,
        ] {
            assert!(table.windows(2).all(|w| w[0] < w[1]), "{table:?}");
        }
    }

    #[test]
    fn judges_indonesian_boilerplate() {
        assert_eq!(
            judge_line("Baca juga: Banjir rendam Samarinda"),
            Verdict::Drop
        );
        assert_eq!(judge_line("BACA JUGA"), Verdict::Drop);
        assert_eq!(judge_line("ADVERTISEMENT"), Verdict::Drop);
        assert_eq!(judge_line("Scroll to continue with content"), Verdict::Drop);
        assert_eq!(judge_line("Editor: Budi Santoso"), Verdict::Drop);
        assert_eq!(
            judge_line("Pewarta: Siti Aminah"),
            Verdict::Author("Siti Aminah".into())
        );
        assert_eq!(
            judge_line("Laporan Wartawan Tribunkaltim.co, Andi Wijaya"),
            Verdict::Author("Andi Wijaya".into())
        );
        assert_eq!(judge_line("Image 2 of 5"), Verdict::Drop);
        assert_eq!(judge_line("(Image credit: NASA/JPL)"), Verdict::Drop);
        assert_eq!(
            judge_line("Natalie Naccache | Bloomberg | Getty Images"),
            Verdict::Drop
        );
        assert_eq!(judge_line("Related: Rockets in pictures"), Verdict::Drop);
        assert_eq!(
            judge_line("© 2024 Kaltim Post. All rights reserved."),
            Verdict::Drop
        );
        assert_eq!(
            judge_line("Share: Facebook Twitter WhatsApp"),
            Verdict::Drop
        );
        assert_eq!(
            judge_line("Sumber air bersih warga masih terbatas, kata dia."),
            Verdict::Keep
        );
    }

    #[test]
    fn class_patterns() {
        assert!(is_unlikely("sidebar-right "));
        assert!(is_unlikely("ads "));
        assert!(is_unlikely("w-form-done "));
        assert!(!is_unlikely("w-form "));
        assert!(!is_unlikely("head-line "));
        assert!(!is_unlikely("comment-content "));
        assert!(class_weight("article-body ") > 0.0);
        assert!(class_weight("share-box ") < 0.0);
        assert!(is_comment_named("comment-body div-comment-12 "));
        assert!(is_comment_named("comments "));
        assert!(!is_comment_named("commentary opini "));
        assert!(!is_comment_named("entry-content "));
    }
}
