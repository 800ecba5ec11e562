//! Search that finds Indonesian news the way people ask for it (issue 6): regional names
//! and their abbreviations, the user's own aliases.

use crate::on_both;
use crate::support::{Feed, Item, Route, Server, Workspace, config_text, pages, rss, string};

/// One feed of Indonesian articles, each (title, marker sentence).
fn archive(articles: &[(&str, &str)], extra_config: &str) -> (Server, Workspace) {
    let site = Server::start("127.0.0.1");
    let mut items = Vec::new();
    for (i, (title, marker)) in articles.iter().enumerate() {
        let path = format!("/berita/{i}");
        site.route(
            &path,
            Route::html(pages::article(
                title,
                "2024-11-20T10:15:00+08:00",
                "id",
                &pages::story("id", 100 + i as u64, &[marker]),
            )),
        );
        items.push(Item::new(
            title,
            &site.url(&path),
            "Wed, 20 Nov 2024 10:15:00 +0800",
            "ringkas",
        ));
    }
    site.route("/rss", Route::rss(rss("Daerah", &site.base(), &items)));
    let ws = Workspace::new();
    let mut config = config_text(
        &[],
        &[Feed::new("daerah", &site.url("/rss")).with("language = \"id\"")],
    );
    config.push_str(extra_config);
    ws.write_config(&config);
    ws.fetch_ok();
    (site, ws)
}

fn titles(hits: &[serde_json::Value]) -> Vec<String> {
    let mut t: Vec<String> = hits
        .iter()
        .map(|h| string(h, "title").to_string())
        .collect();
    t.sort();
    t
}

on_both! {
fn an_abbreviation_finds_the_full_name_and_back() {
    let (_site, ws) = archive(
        &[
            (
                "Jalan poros",
                "Bupati Kutai Timur meninjau jalan poros Sangatta.",
            ),
            ("Rapat", "Pemkab Kutim menggelar rapat koordinasi anggaran."),
            ("Pasar", "Pedagang Samarinda menata ulang pasar pagi."),
        ],
        "",
    );
    assert_eq!(titles(&ws.search("kutim", &[])), ["Jalan poros", "Rapat"]);
    assert_eq!(
        titles(&ws.search("\"kutai timur\"", &[])),
        ["Jalan poros", "Rapat"]
    );
    // Exclusions leave out every form.
    assert_eq!(
        titles(&ws.search("sangatta OR samarinda OR anggaran -kutim", &[])),
        ["Pasar"]
    );
}
}

on_both! {
fn aliases_from_the_config_are_added() {
    let (_site, ws) = archive(
        &[
            ("Banjir", "Air merendam Sengata sejak subuh."),
            ("Pasar", "Pedagang Samarinda menata pasar."),
        ],
        "\n[search]\naliases = [[\"Sangatta\", \"Sengata\"]]\n",
    );
    assert_eq!(titles(&ws.search("sangatta", &[])), ["Banjir"]);
}
}

on_both! {
fn a_word_finds_its_inflected_forms_and_exact_matches_rank_first() {
    let (_site, ws) = archive(
        &[
            (
                "Pengunjung",
                "Pengunjung pantai Derawan bertambah saat libur.",
            ),
            (
                "Dikunjungi",
                "Desa wisata itu dikunjungi rombongan pelajar.",
            ),
            ("Kunjungan", "Kunjungan kerja bupati ke Sangatta ditunda."),
            ("Berwawasan", "Sekolah berwawasan lingkungan diresmikan."),
            ("Pasar", "Pedagang Samarinda menata pasar."),
        ],
        "",
    );
    let hits = ws.search("kunjungan", &[]);
    assert_eq!(titles(&hits), ["Dikunjungi", "Kunjungan", "Pengunjung"]);
    // The exact form ranks above the stemmed ones.
    assert_eq!(string(&hits[0], "title"), "Kunjungan");
    // Snippets mark stemmed matches too.
    let pengunjung = hits
        .iter()
        .find(|h| string(h, "title") == "Pengunjung")
        .expect("hit");
    assert!(
        string(pengunjung, "snippet").contains("[Pengunjung]"),
        "{pengunjung:#}"
    );
    assert_eq!(titles(&ws.search("wawasan", &[])), ["Berwawasan"]);
    // A quoted phrase stays exact.
    assert_eq!(
        titles(&ws.search("\"kunjungan kerja\"", &[])),
        ["Kunjungan"]
    );
    assert!(ws.search("\"kunjungi rombongan\"", &[]).is_empty());
}
}

on_both! {
fn a_prefix_of_many_words_searches_the_most_frequent_and_says_so() {
    // 40 different words starting with `zeta` in one article; `zetakota` in both.
    let many: Vec<String> = (0..40).map(|i| format!("zeta{i:02}")).collect();
    let marker = format!("Warga zetakota membaca {}.", many.join(" "));
    let (_site, ws) = archive(
        &[
            ("Banyak kata", &marker),
            ("Satu kata", "Hanya zetakota di sini."),
        ],
        "",
    );
    let run = ws.run(&["search", "zeta*", "--format", "json"]);
    run.ok();
    let hits: Vec<serde_json::Value> = serde_json::from_str(&run.stdout).expect("json");
    assert_eq!(titles(&hits), ["Banyak kata", "Satu kata"]);
    assert!(
        run.stderr.contains("zeta* stands for more than 32 words"),
        "{run:?}"
    );
    // A prefix of few words is searched whole and says nothing.
    let narrow = ws.run(&["search", "zetak*", "--format", "json"]);
    narrow.ok();
    assert!(narrow.stderr.is_empty(), "{narrow:?}");
    // One letter is a usage error naming the rule.
    ws.run(&["search", "z*"])
        .expect_code(2)
        .stderr_names("at least 2 letters");
}
}
