//! Watches (issue 16): saved searches kept as `[[watch]]` tables in feeds.toml, added and
//! removed with the file's other bytes kept, checked like the rest of the config, and
//! tried over the archive with `watch test`.

use crate::support::{Feed, Item, Route, Server, Workspace, int, pages, rss, string};

/// A site whose feed carries a Kutai Timur press release, a flood report, and a third story.
fn site() -> Server {
    let site = Server::start("127.0.0.1");
    let stories = [
        (
            "/bimtek",
            "Bimtek aparatur desa di Sangatta",
            "Pemerintah Kabupaten Kutai Timur menggelar bimtek bagi aparatur desa.",
        ),
        (
            "/banjir",
            "Banjir Samarinda meluas",
            "Banjir merendam tiga kelurahan di Samarinda sejak pagi.",
        ),
        (
            "/pasar",
            "Harga cabai naik di pasar",
            "Harga cabai di pasar tradisional Balikpapan naik dua kali lipat.",
        ),
    ];
    let mut items = Vec::new();
    for (i, (path, title, lead)) in stories.iter().enumerate() {
        let paragraphs = pages::story("id", 300 + i as u64, &[lead]);
        site.route(
            path,
            Route::html(pages::article(
                title,
                "2024-11-20T10:15:00+08:00",
                "id",
                &paragraphs,
            )),
        );
        items.push(Item::new(
            title,
            &site.url(path),
            "Wed, 20 Nov 2024 10:00:00 +0800",
            "ringkas",
        ));
    }
    site.route("/rss", Route::rss(rss("Kaltim", &site.base(), &items)));
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

#[test]
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

#[test]
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
