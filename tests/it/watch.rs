//! Watches (issue 16): saved searches kept as `[[watch]]` tables in feeds.toml, added and
//! removed with the file's other bytes kept, checked like the rest of the config, and
//! tried over the archive with `watch test`.

use crate::on_both;
use crate::support::{Feed, Server, Workspace, int, pages, publish, string};

/// A site whose feed carries a Kutai Timur press release, a flood report, and a third story.
fn site() -> Server {
    let site = Server::start("127.0.0.1");
    let page = |path, title, seed, lead: &str| (path, title, pages::story("id", seed, &[lead]));
    publish(
        &site,
        &[
            page(
                "/bimtek",
                "Bimtek aparatur desa di Sangatta",
                300,
                "Pemerintah Kabupaten Kutai Timur menggelar bimtek bagi aparatur desa.",
            ),
            page(
                "/banjir",
                "Banjir Samarinda meluas",
                301,
                "Banjir merendam tiga kelurahan di Samarinda sejak pagi.",
            ),
            page(
                "/pasar",
                "Harga cabai naik di pasar",
                302,
                "Harga cabai di pasar tradisional Balikpapan naik dua kali lipat.",
            ),
        ],
    );
    site
}

const HEAD: &str = "# Sumber berita Kaltim\n";

fn workspace(site: &Server) -> Workspace {
    let ws = Workspace::new();
    let text = format!(
        "{HEAD}{}",
        crate::support::config_text(&[], &[Feed::new("kaltim", &site.url("/rss"))])
    );
    ws.write_config(&text);
    ws
}

fn config(ws: &Workspace) -> String {
    std::fs::read_to_string(ws.config_path()).unwrap()
}

on_both! {
fn a_watch_is_added_listed_tried_and_removed_with_the_file_kept() {
    let site = site();
    let ws = workspace(&site);
    ws.fetch_ok();
    let before = config(&ws);

    ws.run(&[
        "watch",
        "add",
        "bimtek",
        "bimtek kutim",
        "--feed",
        "kaltim",
        "--notify",
        "https://hooks.example.org/x",
    ])
    .ok();
    let after = config(&ws);
    assert!(
        after.starts_with(&before),
        "the file's own bytes stay:\n{after}"
    );
    assert!(
        after.contains("[[watch]]") && after.contains("name = \"bimtek\""),
        "{after}"
    );

    let listed = ws.run(&["watch", "list", "--format", "json"]).ok().json();
    let w = &listed[0];
    assert_eq!(string(w, "name"), "bimtek");
    assert_eq!(string(w, "query"), "bimtek kutim");
    assert_eq!(w["feeds"][0], "kaltim");
    assert_eq!(w["notify"][0], "https://hooks.example.org/x");

    // "kutim" finds "Kutai Timur": the full query syntax, regional names included.
    let hits = ws
        .run(&["watch", "test", "bimtek", "--format", "json"])
        .ok()
        .json();
    let hits = hits.as_array().unwrap();
    assert_eq!(hits.len(), 1, "{hits:#?}");
    assert!(string(&hits[0], "title").contains("Bimtek"));
    assert!(int(&hits[0], "id") > 0);

    ws.run(&["watch", "remove", "bimtek"]).ok();
    assert_eq!(config(&ws), before, "removing it gives the file back");
    let listed = ws.run(&["watch", "list", "--format", "json"]).ok().json();
    assert!(listed.as_array().unwrap().is_empty());
}
}

on_both! {
fn a_watch_that_cannot_work_is_refused_and_the_file_left_alone() {
    let site = site();
    let ws = workspace(&site);
    ws.run(&["watch", "add", "banjir", "banjir samarinda"]).ok();
    let before = config(&ws);
    for (args, names) in [
        (vec!["watch", "add", "banjir", "banjir"], "already"),
        (vec!["watch", "add", "kutip", "\"tanpa akhir"], "query"),
        (vec!["watch", "add", "Besar", "banjir"], "name"),
        (
            vec!["watch", "add", "lain", "banjir", "--feed", "tidak-ada"],
            "tidak-ada",
        ),
        (
            vec!["watch", "add", "lain", "banjir", "--notify", "slack:x"],
            "slack:x",
        ),
        (vec!["watch", "remove", "tidak-ada"], "tidak-ada"),
        (vec!["watch", "test", "tidak-ada"], "tidak-ada"),
    ] {
        ws.run(&args).expect_code(2).stderr_names(names);
        assert_eq!(config(&ws), before, "{args:?} changed the file");
    }

    // Written by hand, a watch is checked as the rest of the file is: file and line.
    ws.write_config(&format!(
        "{before}\n[[watch]]\nname = \"rusak\"\nquery = \"banjir OR\"\nnotify = [\"mailto:desk@example.org\"]\n"
    ));
    let line = before.lines().count() + 4;
    ws.run(&["feeds"])
        .expect_code(2)
        .stderr_names(&format!("feeds.toml:{line}:"))
        .stderr_names("watch rusak: query");
}
}

on_both! {
fn a_watch_fires_once_per_story_as_articles_arrive() {
    let a = Server::start("127.0.0.2");
    let b = Server::start("127.0.0.3");
    // One press release on two sites (B trims it and adds a line), and an unrelated story.
    let release = pages::story(
        "id",
        51,
        &["Pemkab Kutai Timur menggelar bimtek pengelolaan dana desa di Sangatta."],
    );
    let mut copy = release[..release.len() - 1].to_vec();
    copy.insert(1, "Simak juga laporan lain di kanal daerah kami.".into());
    let other = pages::story("id", 52, &["Harga cabai di pasar Balikpapan naik."]);
    publish(
        &a,
        &[
            ("/bimtek", "Bimtek dana desa", release.clone()),
            ("/cabai", "Harga cabai naik", other),
        ],
    );
    publish(&b, &[("/kutim/bimtek", "Pemkab gelar bimtek", copy)]);
    let ws = Workspace::new();
    let mut text = crate::support::config_text(
        &[],
        &[
            Feed::new("site-a", &a.url("/rss")),
            Feed::new("site-b", &b.url("/rss")),
        ],
    );
    // "kutim" is a regional name for "Kutai Timur"; "kelola" finds "pengelolaan" by its root.
    text.push_str(
        "\n[[watch]]\nname = \"bimtek\"\nquery = \"bimtek kutim\"\n\
         \n[[watch]]\nname = \"kelola\"\nquery = \"kelola desa\"\nfeeds = [\"site-b\"]\n\
         \n[[watch]]\nname = \"sepi\"\nquery = \"gempa\"\n",
    );
    ws.write_config(&text);
    ws.fetch_ok();
    assert_eq!(
        int(&ws.stats(), "stories"),
        2,
        "the release and its copy are one story"
    );

    let hits = ws
        .run(&["watch", "show", "bimtek", "--format", "json"])
        .ok()
        .json();
    let hits = hits.as_array().unwrap();
    assert_eq!(
        hits.len(),
        1,
        "one hit for the story, not one per site: {hits:#?}"
    );
    assert_eq!(int(&hits[0], "copies"), 2, "{hits:#?}");
    let kelola = ws
        .run(&["watch", "show", "kelola", "--format", "json"])
        .ok()
        .json();
    assert_eq!(kelola.as_array().unwrap().len(), 1, "{kelola:#?}");
    assert_eq!(string(&kelola[0], "feed"), "site-b", "only its feed");
    let sepi = ws
        .run(&["watch", "show", "sepi", "--format", "json"])
        .ok()
        .json();
    assert!(sepi.as_array().unwrap().is_empty());

    // A new story arriving later is a new hit; fetching again adds none.
    let later = pages::story(
        "id",
        53,
        &["Bimtek aparatur Kutim digelar lagi pekan depan."],
    );
    publish(
        &a,
        &[
            ("/bimtek", "Bimtek dana desa", release),
            ("/bimtek-2", "Bimtek lagi", later),
        ],
    );
    ws.fetch_ok();
    ws.fetch_ok();
    let hits = ws
        .run(&["watch", "show", "bimtek", "--format", "json"])
        .ok()
        .json();
    assert_eq!(hits.as_array().unwrap().len(), 2, "{hits:#?}");
    assert!(
        string(&hits[0], "title").contains("lagi"),
        "newest first: {hits:#?}"
    );
}
}
