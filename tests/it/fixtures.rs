//! The fixtures themselves are consistent: each golden paragraph is really on its page, no golden
//! body contains text the suite calls boilerplate, and the benchmark pages are where the suite
//! expects them. These run without the binary, so a broken fixture is told apart from a bug.

use crate::support::{bench, sites};

/// Page text with tags, scripts and styles removed and a few entities decoded: crude, but enough
/// to find a paragraph that was written into the HTML verbatim.
fn visible_text(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        out.push_str(&rest[..start]);
        let tail = &rest[start..];
        let skip_to = ["script", "style"].iter().find_map(|tag| {
            tail.strip_prefix('<')
                .filter(|t| t.starts_with(tag))
                .and_then(|_| tail.find(&format!("</{tag}>")).map(|e| e + tag.len() + 3))
        });
        let end = skip_to
            .or_else(|| tail.find('>').map(|e| e + 1))
            .unwrap_or(tail.len());
        rest = &tail[end..];
    }
    out.push_str(rest);
    out.replace("&amp;", "&")
        .replace("&raquo;", "»")
        .replace("&copy;", "©")
        .replace("&middot;", "·")
}

#[test]
fn every_golden_paragraph_is_on_its_page() {
    for page in sites::PAGES {
        let text = sites::norm(&visible_text(&sites::html(page)));
        let expected = sites::expected(page);
        assert!(
            expected.len() >= 5,
            "{}: too few golden paragraphs",
            page.stem
        );
        for paragraph in expected {
            assert!(
                text.contains(&paragraph),
                "{}: golden paragraph not on the page: {paragraph}",
                page.stem
            );
        }
    }
}

#[test]
fn golden_bodies_hold_no_boilerplate_and_pages_do() {
    for page in sites::PAGES {
        let golden = sites::expected(page).join("\n\n");
        for b in sites::BOILERPLATE {
            assert!(
                !golden.contains(b),
                "{}: golden body contains {b:?}",
                page.stem
            );
        }
        let html = sites::html(page);
        for must in [
            "ADVERTISEMENT",
            "WITA",
            "Editor:",
            "Berita Terkait",
            "Pedoman Media Siber",
        ] {
            assert!(html.contains(must), "{}: page lacks {must:?}", page.stem);
        }
        assert!(
            html.to_lowercase().contains("baca juga"),
            "{}: page lacks a \"Baca juga\" block",
            page.stem
        );
        assert!(
            html.contains(page.origin),
            "{}: page does not name {}",
            page.stem,
            page.origin
        );
        assert!(
            html.contains(page.search),
            "{}: page lacks {}",
            page.stem,
            page.search
        );
    }
}

#[test]
fn benchmark_pages_and_truth_are_readable() {
    let Some(corpus) = bench::open("fixtures::benchmark_pages_and_truth_are_readable") else {
        return;
    };
    for id in bench::EASY_PAGES {
        let html = corpus.html(id);
        assert!(html.len() > 10_000, "{id}: page too small");
        let truth = corpus.truth(id);
        assert!(truth.url.starts_with("http"), "{id}: no url");
        assert!(
            bench::words(&truth.body).len() > 300,
            "{id}: truth too short"
        );
    }
}
