//! Identity of articles, in layers (pure: strings in, keys out).
//!
//! * Per feed, an item is known by its GUID (the feed module falls back to the link).
//! * Across feeds and sites, an article is known by its URL *keys*: the link with tracking
//!   parameters, fragment, `www.`/`m.`/`amp.` host prefixes, AMP path markers and the
//!   scheme folded away ([`url_key`]), for the link as the feed gave it, the URL the page
//!   was finally served from, and the page's own `rel=canonical` when it names the same
//!   site. A key match is known before the page is fetched, which saves the fetch.
//! * Across URLs, an article is known by the [`fingerprint`] of its normalised body: the same
//!   body under two URLs is one article seen twice.
//!
//! * Across bodies, a near-identical text (another template, a dateline, a caption, a
//!   trimmed ending) is another copy of the same *story* ([`minhash`]).
//!
//! The displayed URL ([`clean_url`]) stays a working address: it drops only what is
//! certainly tracking, never folds hosts or paths.

pub mod minhash;

use url::Url;

/// Query parameters that only track the reader, never select content. Sorted. Sources:
/// Google Analytics campaign tags (`utm_*`, matched by prefix below), the click ids of the
/// big ad networks (Facebook, Google, Microsoft, Yandex, TikTok, Twitter), Mailchimp and
/// HubSpot mail tags, and the share parameters Indonesian news sites append (observed on
/// Tribun, Kompas and detik links shared from apps).
const TRACKING_PARAMS: &[&str] = &[
    "__twitter_impression",
    "_ga",
    "_gl",
    "_hsenc",
    "_hsmi",
    "dclid",
    "fbclid",
    "gclid",
    "gclsrc",
    "igsh",
    "igshid",
    "mc_cid",
    "mc_eid",
    "mkt_tok",
    "msclkid",
    "ocid",
    "rcm",
    "s_cid",
    "share",
    "soc_src",
    "soc_trk",
    "ttclid",
    "twclid",
    "wt_mc",
    "yclid",
];

fn is_tracking(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.starts_with("utm_") || TRACKING_PARAMS.binary_search(&lower.as_str()).is_ok()
}

/// The URL as it should be shown and stored: no fragment, no tracking parameters.
pub fn clean_url(url: &Url) -> Url {
    let mut u = url.clone();
    u.set_fragment(None);
    let kept: Vec<(String, String)> = u
        .query_pairs()
        .filter(|(k, _)| !is_tracking(k))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if kept.is_empty() {
        u.set_query(None);
    } else if kept.len() != u.query_pairs().count() {
        u.query_pairs_mut().clear().extend_pairs(kept);
    }
    u
}

/// The matching key of a URL: two URLs with the same key are the same article.
pub fn url_key(url: &Url) -> String {
    let host = url.host_str().unwrap_or("").to_ascii_lowercase();
    let mut host = host.as_str();
    for prefix in ["www.", "m.", "mobile.", "amp."] {
        if let Some(rest) = host.strip_prefix(prefix)
            && rest.contains('.')
        {
            host = rest;
            break;
        }
    }
    let mut path = url.path().to_string();
    if let Some(rest) = path.strip_prefix("/amp/") {
        path = format!("/{rest}");
    }
    for suffix in ["/amp/", "/amp"] {
        if path.len() > suffix.len() && path.ends_with(suffix) {
            path.truncate(path.len() - suffix.len());
        }
    }
    while path.len() > 1 && path.ends_with('/') {
        path.pop();
    }
    let mut params: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, v)| {
            !(is_tracking(k) || k.eq_ignore_ascii_case("amp") || (k == "outputType" && v == "amp"))
        })
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    params.sort();
    let port = match url.port() {
        Some(p) => format!(":{p}"),
        None => String::new(),
    };
    let mut key = format!("{host}{port}{path}");
    if !params.is_empty() {
        let q: Vec<String> = params.iter().map(|(k, v)| format!("{k}={v}")).collect();
        key.push('?');
        key.push_str(&q.join("&"));
    }
    key
}

/// Whether a page's `rel=canonical` may stand for the page: only on the same site, since
/// syndicated copies often point their canonical at the original publisher, and trusting
/// that would merge a copy into an article it has not been checked against.
pub fn same_site(a: &Url, b: &Url) -> bool {
    fn site(u: &Url) -> String {
        let h = u.host_str().unwrap_or("").to_ascii_lowercase();
        let labels: Vec<&str> = h.split('.').collect();
        // The last two labels, or three under a two-letter second-level such as co.id.
        let keep = if labels.len() >= 3
            && labels.last().is_some_and(|l| l.len() == 2)
            && labels.get(labels.len() - 2).is_some_and(|l| {
                matches!(
                    *l,
                    "co" | "go" | "ac" | "or" | "web" | "my" | "sch" | "com" | "net" | "org"
                )
            }) {
            3
        } else {
            2
        };
        labels[labels.len().saturating_sub(keep)..].join(".")
    }
    site(a) == site(b) && a.port_or_known_default() == b.port_or_known_default()
}

/// The fingerprint of a body: letters and digits only, case-folded, whitespace collapsed,
/// hashed. Two extractions of the same text from different templates agree on it even when
/// punctuation, quotes or spacing differ.
pub fn fingerprint(body: &str) -> String {
    // Words joined by single spaces, in one pass; ASCII, nearly all of a body, skips the
    // Unicode tables.
    let mut norm = String::with_capacity(body.len());
    let mut in_word = false;
    for c in body.chars() {
        let ascii = c.is_ascii_alphanumeric();
        if !ascii && (c.is_ascii() || !c.is_alphanumeric()) {
            in_word = false;
            continue;
        }
        if !in_word && !norm.is_empty() {
            norm.push(' ');
        }
        in_word = true;
        if ascii {
            norm.push(c.to_ascii_lowercase());
        } else {
            norm.extend(c.to_lowercase());
        }
    }
    let hash = blake3::hash(norm.as_bytes());
    hash.to_hex()[..32].to_string()
}

/// Words that make the number beside them a counter or a relative time: a page shows
/// another value on every visit ("dibaca 1.234 kali", "3 jam lalu", "12 shares"). Sorted.
const COUNTER_WORDS: &[&str] = &[
    "ago", "comment", "comments", "dibaca", "dilihat", "komentar", "lalu", "like", "likes",
    "pembaca", "share", "shares", "suka", "view", "viewers", "views",
];

/// Units of a relative time ("3 jam lalu", "5 minutes ago"), and counts' abbreviations
/// ("1,2 rb", "3 jt", "4k"). Sorted.
const BETWEEN_WORDS: &[&str] = &[
    "bulan", "day", "days", "detik", "hari", "hour", "hours", "jam", "jt", "juta", "k", "menit",
    "minggu", "minute", "minutes", "month", "months", "rb", "ribu", "second", "seconds", "tahun",
    "week", "weeks", "year", "years",
];

/// True when two texts differ at most in counters and relative times: the same version of
/// an article, whatever a page says about its readers today. Compared the way
/// [`fingerprint`] compares (letters and digits, case-folded), with every number dropped
/// that a counter word follows (through a unit) or, for "dibaca"/"dilihat", precedes.
pub fn same_text(a: &str, b: &str) -> bool {
    let (a, b) = (minhash::Words::new(a), minhash::Words::new(b));
    steady_words(&a) == steady_words(&b)
}

/// A text's words without its counters and relative times.
fn steady_words(words: &minhash::Words) -> Vec<&str> {
    let w: Vec<(&str, bool)> = words
        .spans
        .iter()
        .map(|&s| (words.word(s), s.number))
        .collect();
    let word = |i: usize| w.get(i).map(|&(s, _)| s);
    let is = |table: &[&str], i: usize| word(i).is_some_and(|s| table.binary_search(&s).is_ok());
    let viewing = |i: usize| word(i).is_some_and(|s| s == "dibaca" || s == "dilihat");
    let mut keep = vec![true; w.len()];
    for (i, &(_, number)) in w.iter().enumerate() {
        if !number {
            continue;
        }
        let unit = is(BETWEEN_WORDS, i + 1);
        // "3 kali lipat" is a figure of the story; "1.234 kali dibaca" a counter.
        let times = word(i + 1).is_some_and(|s| s == "kali" || s == "x") && viewing(i + 2);
        let counted = is(COUNTER_WORDS, i + 1) || (unit && is(COUNTER_WORDS, i + 2)) || times;
        let before = i.checked_sub(1).is_some_and(viewing);
        if counted || before {
            if let Some(k) = keep.get_mut(i) {
                *k = false;
            }
            // A relative time's unit changes with it ("59 menit lalu", "1 jam lalu").
            if unit && let Some(k) = keep.get_mut(i + 1) {
                *k = false;
            }
        }
    }
    w.into_iter()
        .zip(keep)
        .filter_map(|((s, _), k)| k.then_some(s))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_and_relative_times_are_not_a_new_version() {
        let a = "Banjir meluas di Samarinda. Dibaca 1.234 kali. Diperbarui 3 jam lalu. 12 shares";
        for same in [
            "Banjir meluas di Samarinda. Dibaca 1.240 kali. Diperbarui 1 hari lalu. 15 shares",
            "Banjir meluas di Samarinda. Dibaca: 2.001 kali. Diperbarui 59 menit lalu. 1,2 rb shares",
        ] {
            assert!(same_text(a, same), "{same}");
        }
        for changed in [
            "Banjir meluas di Balikpapan. Dibaca 1.234 kali. Diperbarui 3 jam lalu. 12 shares",
            "Banjir meluas di 4 kecamatan Samarinda. Dibaca 1.234 kali. Diperbarui 3 jam lalu. 12 shares",
        ] {
            assert!(!same_text(a, changed), "{changed}");
        }
        // A figure of the story itself is never a counter.
        assert!(!same_text("Korban 12 orang.", "Korban 14 orang."));
        assert!(!same_text(
            "Harga naik 3 kali lipat.",
            "Harga naik 4 kali lipat."
        ));
        assert!(!same_text("Banjir selama 3 hari.", "Banjir selama 4 hari."));
        assert!(same_text(
            "Berita ini 1.234 kali dibaca.",
            "Berita ini 1.300 kali dibaca."
        ));
        for table in [COUNTER_WORDS, BETWEEN_WORDS] {
            assert!(table.windows(2).all(|w| w[0] < w[1]), "{table:?}");
        }
    }

    fn u(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn tracking_table_is_sorted() {
        let mut sorted = TRACKING_PARAMS.to_vec();
        sorted.sort();
        assert_eq!(sorted, TRACKING_PARAMS);
    }

    #[test]
    fn clean_url_drops_tracking_and_fragment_only() {
        assert_eq!(
            clean_url(&u(
                "https://Kaltim.Tribunnews.com/2024/11/20/x?utm_source=fb&id=3&fbclid=abc#top"
            ))
            .as_str(),
            "https://kaltim.tribunnews.com/2024/11/20/x?id=3"
        );
        assert_eq!(
            clean_url(&u("https://a.id/x?utm_medium=social")).as_str(),
            "https://a.id/x"
        );
        assert_eq!(
            clean_url(&u("https://a.id/x?page=2")).as_str(),
            "https://a.id/x?page=2"
        );
    }

    #[test]
    fn url_keys_fold_variants_of_one_article() {
        let k = url_key(&u("https://kaltim.tribunnews.com/2024/11/20/pemkab-kutim"));
        for variant in [
            "http://kaltim.tribunnews.com/2024/11/20/pemkab-kutim/",
            "https://KALTIM.tribunnews.com/2024/11/20/pemkab-kutim#comments",
            "https://kaltim.tribunnews.com/amp/2024/11/20/pemkab-kutim",
            "https://kaltim.tribunnews.com/2024/11/20/pemkab-kutim?utm_source=twitter&utm_medium=social",
            "https://www.kaltim.tribunnews.com/2024/11/20/pemkab-kutim?amp=1",
        ] {
            assert_eq!(url_key(&u(variant)), k, "{variant}");
        }
    }

    #[test]
    fn url_keys_keep_what_selects_content() {
        assert_ne!(
            url_key(&u("https://a.id/read?id=1")),
            url_key(&u("https://a.id/read?id=2"))
        );
        assert_ne!(
            url_key(&u("https://a.id/x?page=2")),
            url_key(&u("https://a.id/x"))
        );
        assert_eq!(
            url_key(&u("https://a.id/r?b=2&a=1")),
            url_key(&u("https://a.id/r?a=1&b=2"))
        );
        assert_ne!(
            url_key(&u("http://127.0.0.1:80/x")),
            url_key(&u("http://127.0.0.1:81/x"))
        );
    }

    #[test]
    fn same_site_rules() {
        assert!(same_site(
            &u("https://kaltim.tribunnews.com/a"),
            &u("https://www.tribunnews.com/b")
        ));
        assert!(!same_site(
            &u("https://kaltimpost.jawapos.com/a"),
            &u("https://kaltim.antaranews.com/b")
        ));
        assert!(same_site(
            &u("https://www.mongabay.co.id/a"),
            &u("https://mongabay.co.id/b")
        ));
        assert!(!same_site(&u("https://a.co.id/"), &u("https://b.co.id/")));
    }

    /// The fingerprint as the first release computed it: stored fingerprints must keep
    /// matching.
    fn fingerprint_before(body: &str) -> String {
        let mut norm = String::with_capacity(body.len());
        for word in body
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
        {
            if !norm.is_empty() {
                norm.push(' ');
            }
            norm.extend(word.chars().flat_map(char::to_lowercase));
        }
        let hash = blake3::hash(norm.as_bytes());
        hash.to_hex()[..32].to_string()
    }

    proptest::proptest! {
        #[test]
        fn fingerprints_match_the_first_release(
            body in proptest::collection::vec(
                proptest::sample::select(vec![
                    "a", "B", "kab", "Kutai", "12", ".", ",", " ", "  ", "\n", "-", "İ", "ß",
                    "É", "é", "\u{301}", "Ⅻ", "٣", "日本", "“", "\u{a0}", "ǅ", "_",
                ]),
                0..60,
            )
        ) {
            let body = body.concat();
            proptest::prop_assert_eq!(fingerprint(&body), fingerprint_before(&body));
        }
    }

    #[test]
    fn fingerprint_ignores_punctuation_case_and_spacing() {
        let a = "Bupati Kutai Timur, Ardiansyah, meresmikan...\n\n“Ini untuk masyarakat,” katanya.";
        let b = "bupati kutai timur ardiansyah meresmikan \"Ini untuk masyarakat\" katanya";
        assert_eq!(fingerprint(a), fingerprint(b));
        assert_ne!(fingerprint(a), fingerprint("Bupati Kutai Barat meresmikan"));
    }
}
