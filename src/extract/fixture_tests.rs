//! Whole-page tests over the fixtures in `tests/fixtures/extract/pages/`: pages built like
//! real Indonesian and English news templates (Tribun- and Kompas-style pagination,
//! consent walls, paywall teasers, listings, error pages) with the expected verdicts,
//! next pages and joined bodies.

use chrono::{DateTime, TimeZone, Utc};
use url::Url;

use super::{Extracted, NotAnArticle, extract, join_pages};

macro_rules! fixture {
    ($name:literal) => {
        include_str!(concat!("../../tests/fixtures/extract/pages/", $name))
    };
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 11, 21, 3, 0, 0)
        .single()
        .unwrap_or_default()
}

fn run(html: &str, url: &str) -> Extracted {
    let url = Url::parse(url).ok();
    extract(html, url.as_ref(), None, now())
}

const TRIBUN: &str =
    "https://kaltim.tribunnews.com/2024/11/20/banjir-rendam-tiga-kelurahan-di-samarinda";
const KOMPAS: &str =
    "https://regional.kompas.com/read/2024/11/21/061500078/gempa-magnitudo-5-guncang-bali";

#[test]
fn not_article_pages_are_recognised_in_both_languages() {
    let cases = [
        (fixture!("consent-id.html"), NotAnArticle::ConsentWall),
        (fixture!("consent-en.html"), NotAnArticle::ConsentWall),
        (fixture!("listing-id.html"), NotAnArticle::Listing),
        (fixture!("listing-en.html"), NotAnArticle::Listing),
        (fixture!("error-id.html"), NotAnArticle::ErrorPage),
        (fixture!("error-en.html"), NotAnArticle::ErrorPage),
    ];
    for (i, (html, want)) in cases.into_iter().enumerate() {
        let got = run(html, "https://wartaborneo.example/2024/11/20/halaman");
        assert_eq!(got.not_article, Some(want), "case {i}: {:?}", got.body_text);
        assert_eq!(got.next_page, None, "case {i}");
    }
}

#[test]
fn a_paywall_teaser_keeps_its_visible_text_marked_partial() {
    for (html, lead) in [
        (
            fixture!("paywall-id.html"),
            "TENGGARONG - Aktivitas tambang",
        ),
        (fixture!("paywall-en.html"), "The city council on Tuesday"),
    ] {
        let got = run(html, "https://wartaborneo.example/2024/11/20/halaman");
        assert_eq!(got.not_article, None, "{lead}");
        assert_eq!(got.partial, Some(super::Partial::Paywall), "{lead}");
        assert!(got.body_text.starts_with(lead), "{:?}", got.body_text);
        // The prompt where the teaser stops is not the article's text.
        let lower = got.body_text.to_lowercase();
        assert!(
            !lower.contains("berlangganan") && !lower.contains("subscribe"),
            "{:?}",
            got.body_text
        );
    }
    // Only a prompt and no article text at all: that page is not the article.
    let bare = run(
        r#"<html><head><title>Premium</title></head><body><article><h1>Premium</h1>
<div class="premium-box"><p>Artikel ini khusus pelanggan. Berlangganan untuk membaca artikel selengkapnya.</p></div>
</article></body></html>"#,
        "https://wartaborneo.example/2024/11/20/premium",
    );
    assert_eq!(bare.not_article, Some(NotAnArticle::Paywall));
    assert_eq!(bare.partial, None);
}

#[test]
fn real_articles_are_not_flagged() {
    let short = run(
        fixture!("short-article-with-banner-id.html"),
        "https://wartaborneo.example/2024/11/20/harga-cabai-naik",
    );
    assert_eq!(short.not_article, None, "{}", short.body_text);
    assert!(short.body_text.starts_with("BALIKPAPAN - Harga cabai"));
    assert!(!short.body_text.contains("cookie"));
    for (html, url) in [
        (fixture!("tribun-page1.html"), TRIBUN),
        (fixture!("kompas-page1.html"), KOMPAS),
    ] {
        assert_eq!(run(html, url).not_article, None, "{url}");
    }
}

#[test]
fn tribun_article_over_three_pages_is_followed_and_joined() {
    let p1 = run(fixture!("tribun-page1.html"), TRIBUN);
    let p2_url = format!("{TRIBUN}?page=2");
    let p3_url = format!("{TRIBUN}?page=3");
    assert_eq!(p1.next_page.as_deref(), Some(p2_url.as_str()));
    let p2 = run(fixture!("tribun-page2.html"), &p2_url);
    assert_eq!(p2.next_page.as_deref(), Some(p3_url.as_str()));
    // The last page links to the next article ("Selanjutnya"), which is not this one.
    let p3 = run(fixture!("tribun-page3.html"), &p3_url);
    assert_eq!(p3.next_page, None);

    let joined = join_pages(p1.clone(), vec![p2, p3]);
    let expected = [
        "TRIBUNKALTIM.CO, SAMARINDA - Banjir kembali merendam tiga kelurahan di Kota Samarinda, Kalimantan Timur, pada Rabu (20/11/2024) pagi setelah hujan deras mengguyur sejak Selasa malam.",
        "Kepala BPBD Samarinda, Suwarso, mengatakan ketinggian air mencapai 80 sentimeter di beberapa titik, sehingga warga diminta tetap waspada dan mengungsi bila air terus naik.",
        "Menurut dia, petugas sudah menyiapkan perahu karet, tenda darurat dan dapur umum untuk membantu warga yang terdampak banjir di wilayah tersebut.",
        "Di Kelurahan Sempaja Timur, puluhan rumah terendam hingga sepinggang orang dewasa, dan sebagian warga memilih bertahan di lantai dua rumah mereka.",
        "Seorang warga, Rahmat, mengaku sudah tiga kali kebanjiran dalam sebulan terakhir dan berharap pemerintah kota segera bertindak.",
        "Wali Kota Samarinda berjanji mempercepat normalisasi Sungai Karang Mumus dan memperbaiki saluran drainase yang tersumbat sampah.",
        "Pemerintah kota juga akan menambah pompa air di titik rawan agar banjir tidak terus berulang setiap musim hujan tiba.",
    ];
    assert_eq!(joined.body_text, expected.join("\n\n"));
    assert_eq!(joined.body_html.matches("<p>").count(), expected.len());
    assert_eq!(joined.title, p1.title);
    assert_eq!(joined.published, p1.published);
    assert_eq!(joined.next_page, None);
}

#[test]
fn kompas_next_page_link_is_followed_until_the_last_page() {
    let p1 = run(fixture!("kompas-page1.html"), KOMPAS);
    let p2_url = format!("{KOMPAS}?page=2");
    assert_eq!(p1.next_page.as_deref(), Some(p2_url.as_str()));
    let p2 = run(fixture!("kompas-page2.html"), &p2_url);
    assert_eq!(p2.next_page, None);
    let joined = join_pages(p1, vec![p2]);
    let paras: Vec<&str> = joined.body_text.split("\n\n").collect();
    assert_eq!(paras.len(), 4, "{}", joined.body_text);
    assert!(
        paras
            .first()
            .is_some_and(|p| p.starts_with("KOMPAS.com - Gempa"))
    );
    assert!(
        paras
            .last()
            .is_some_and(|p| p.starts_with("BMKG mengimbau"))
    );
}

/// Issue 15: a `<link rel="next">` whose page is numbered in no way the reader knows is
/// still the next page; an `<a rel="next">` to the next post is not.
#[test]
fn a_rel_next_link_is_followed_like_a_numbered_page() {
    let body = "<p>Bimbingan teknis bagi aparatur desa se-Kutai Timur digelar di Sangatta selama tiga hari dan diikuti ratusan peserta dari delapan belas kecamatan.</p>";
    let here = "https://kutim.contoh.id/2024/11/20/bimtek-aparatur-desa";
    let html = format!(
        "<html><head><link rel=\"next\" href=\"{here}/bagian-2\"></head><body><article>{body}</article>\
         <a rel=\"next\" href=\"https://kutim.contoh.id/2024/11/21/rapat-stunting\">Rapat stunting</a></body></html>"
    );
    assert_eq!(run(&html, here).next_page, Some(format!("{here}/bagian-2")));
    let next_post_only = format!(
        "<html><head><link rel=\"next\" href=\"https://kutim.contoh.id/2024/11/21/rapat-stunting\"></head>\
         <body><article>{body}</article></body></html>"
    );
    assert_eq!(run(&next_post_only, here).next_page, None);
}

#[test]
fn detik_style_path_pages_and_show_all_links() {
    let body = "<p>Gempa bermagnitudo 5,0 mengguncang Bali pada Kamis dini hari, membuat warga berhamburan keluar rumah di Denpasar dan Badung.</p>";
    let detik = "https://news.detik.com/berita/d-7650000/gempa-guncang-bali";
    let html = format!(
        "<html><body><article>{body}</article><div class=\"detail__anchor-numb\">\
         <a href=\"{detik}/2\">2</a><a href=\"{detik}/3\">3</a>\
         <a href=\"https://news.detik.com/berita/d-7650001/banjir-jakarta\">Selanjutnya</a></div></body></html>"
    );
    let got = run(&html, detik);
    assert_eq!(got.next_page, Some(format!("{detik}/2")));
    // On page 3 of 3 only earlier pages and another article are linked.
    assert_eq!(run(&html, &format!("{detik}/3")).next_page, None);

    let with_all = format!(
        "<html><body><article>{body}</article><a href=\"?page=2\">Halaman 2</a>\
         <a href=\"?page=all\">Tampilkan semua</a></body></html>"
    );
    assert_eq!(
        run(&with_all, KOMPAS).next_page,
        Some(format!("{KOMPAS}?page=all"))
    );
    assert_eq!(
        run(&with_all, &format!("{KOMPAS}?page=all")).next_page,
        None
    );

    // rel="next" to another article is not a next page; to page 2 of this one it is.
    let rel = |href: &str| {
        format!(
            "<html><head><link rel=\"next\" href=\"{href}\"></head><body><article>{body}</article></body></html>"
        )
    };
    let other = rel("https://regional.kompas.com/read/2024/11/21/070000078/banjir-lombok");
    assert_eq!(run(&other, KOMPAS).next_page, None);
    let same = rel(&format!("{KOMPAS}?page=2"));
    assert_eq!(
        run(&same, KOMPAS).next_page,
        Some(format!("{KOMPAS}?page=2"))
    );
    // Without the page's own address nothing can be told.
    assert_eq!(extract(&same, None, None, now()).next_page, None);
}

#[test]
fn joining_one_page_is_that_page() {
    let p1 = run(fixture!("kompas-page1.html"), KOMPAS);
    let joined = join_pages(p1.clone(), Vec::new());
    assert_eq!(joined.body_text, p1.body_text);
    assert_eq!(joined.body_html, p1.body_html);
    assert_eq!(joined.next_page, None);
}
