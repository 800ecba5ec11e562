//! The command line around the archive (issue 7, points 3 and 4): shell completions and man
//! pages from the real binary, `--help` examples on every command, quiet ends on a closed pipe
//! (`warta … | head -1`), no colour or progress drawing where no terminal watches, and a
//! progress bar where one does (a pseudo-terminal from util-linux `script`).

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use crate::support::cmd::{self, RUN_LIMIT, Run};
use crate::support::{Feed, Item, Route, Server, Workspace, config_text, pages, rss};

/// Every command, as typed after `warta`.
const COMMANDS: &[&[&str]] = &[
    &["daemon"],
    &["fetch"],
    &["migrate"],
    &["search"],
    &["show"],
    &["feeds"],
    &["feeds", "add"],
    &["watch"],
    &["watch", "add"],
    &["watch", "list"],
    &["watch", "remove"],
    &["watch", "show"],
    &["watch", "test"],
    &["watch", "digest"],
    &["serve"],
    &["import"],
    &["import-opml"],
    &["export-opml"],
    &["stats"],
    &["extract"],
    &["reextract"],
    &["export"],
    &["doctor"],
    &["vacuum"],
    &["backup"],
    &["completions"],
    &["man"],
];

const SHELLS: &[&str] = &["bash", "zsh", "fish", "powershell", "elvish"];

fn run(args: &[&str]) -> Run {
    let mut c = cmd::warta();
    c.args(args);
    cmd::run_command(c, None, RUN_LIMIT)
}

/// Characters that only a terminal should see: escape sequences and carriage returns (a bar
/// redrawing its line), and the drawing characters of the bar and spinner.
#[track_caller]
fn assert_plain(what: &str, text: &str) {
    let bad: Vec<char> = text
        .chars()
        .filter(|c| matches!(c, '\u{1b}' | '\r' | '\u{7}' | '█' | '░' | '⠁'..='⣿'))
        .collect();
    assert!(
        bad.is_empty(),
        "{what}: terminal control characters {bad:?} in piped output:\n{text}"
    );
}

#[test]
fn every_command_shows_examples_in_its_help() {
    for command in COMMANDS {
        let mut args = command.to_vec();
        args.push("--help");
        let run = run(&args);
        run.ok();
        let examples = run
            .stdout
            .split("Examples:\n")
            .nth(1)
            .unwrap_or_else(|| panic!("no Examples: block\n{run:?}"));
        let lines: Vec<&str> = examples
            .lines()
            .take_while(|l| l.starts_with("  "))
            .collect();
        assert!(
            (2..=4).contains(&lines.len()),
            "want 2 to 4 examples, got {lines:?}\n{run:?}"
        );
        let prefix = format!("warta {}", command.join(" "));
        assert!(
            lines.iter().all(|l| l.trim_start().starts_with("warta ")),
            "{lines:?}"
        );
        assert!(
            lines.iter().any(|l| l.trim_start().starts_with(&prefix)),
            "no example starts with {prefix:?}: {lines:?}"
        );
        assert_plain(&format!("{command:?} --help"), &run.stdout);
    }
    // The top-level help keeps its own examples and the configuration note.
    let top = run(&["--help"]);
    top.ok();
    assert!(top.stdout.contains("Examples:\n  warta fetch"), "{top:?}");
    assert!(
        top.stdout
            .contains("Configuration: --config PATH, else $WARTA_CONFIG, else ./feeds.toml."),
        "{top:?}"
    );
}

#[test]
fn completions_for_every_shell_name_every_command() {
    for shell in SHELLS {
        let run = run(&["completions", shell]);
        run.ok();
        assert!(run.stderr.is_empty(), "{run:?}");
        for word in [
            "warta",
            "fetch",
            "search",
            "reextract",
            "export-opml",
            "--since",
        ] {
            assert!(
                run.stdout.contains(word),
                "{shell} completion lacks {word}\n{}",
                run.stdout
            );
        }
    }
    let bad = run(&["completions", "tcsh"]);
    bad.expect_code(2).stderr_names("tcsh");
}

/// What bash offers after the words typed so far (the last one being completed).
fn bash_complete(script: &str, words: &[&str]) -> String {
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let program = format!(
        "{script}\nCOMP_WORDS=({words})\nCOMP_CWORD=$((${{#COMP_WORDS[@]}}-1))\n\
         COMP_LINE=\"${{COMP_WORDS[*]}}\"\nCOMP_POINT=${{#COMP_LINE}}\n\
         _warta warta \"${{COMP_WORDS[-1]}}\" \"${{COMP_WORDS[-2]}}\"\necho \"${{COMPREPLY[*]}}\"\n",
        words = quoted.join(" ")
    );
    let out = Command::new("bash")
        .arg("-c")
        .arg(program)
        .stdin(Stdio::null())
        .output()
        .expect("run bash");
    assert!(
        out.status.success(),
        "bash failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
fn bash_completes_commands_and_search_options_past_an_exclusion() {
    let run = run(&["completions", "bash"]);
    run.ok();
    assert_eq!(bash_complete(&run.stdout, &["warta", "sea"]), "search");
    assert_eq!(bash_complete(&run.stdout, &["warta", "feeds", "a"]), "add");
    // `warta search banjir -tol --li…`: the exclusion `-tol` that search's own argument
    // reordering lets stand anywhere does not stop the options being offered.
    assert_eq!(
        bash_complete(&run.stdout, &["warta", "search", "banjir", "-tol", "--li"]),
        "--limit"
    );
    let shells = bash_complete(&run.stdout, &["warta", "completions", ""]);
    for shell in SHELLS {
        assert!(shells.contains(shell), "{shells}");
    }
}

#[test]
fn man_prints_the_whole_tree_or_writes_a_page_per_command() {
    let whole = run(&["man"]);
    whole.ok();
    assert!(whole.stderr.is_empty(), "{whole:?}");
    for part in [
        ".TH warta 1",
        ".SH SYNOPSIS",
        ".SH \"WARTA FETCH\"",
        ".SH \"WARTA FEEDS ADD\"",
        ".SH \"WARTA REEXTRACT\"",
        ".SH ENVIRONMENT",
        "NO_COLOR",
        ".SH \"EXIT STATUS\"",
    ] {
        assert!(whole.stdout.contains(part), "warta man lacks {part}");
    }
    assert_plain("warta man", &whole.stdout);

    let ws = Workspace::new();
    let dir = ws.path().join("share").join("man1");
    let dir_arg = cmd::arg(&dir);
    let written = run(&["man", "--dir", &dir_arg]);
    written.ok();
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("man folder")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names.len(), COMMANDS.len() + 1, "{names:?}");
    for command in COMMANDS {
        let name = format!("warta-{}.1", command.join("-"));
        let text = std::fs::read_to_string(dir.join(&name))
            .unwrap_or_else(|e| panic!("{name}: {e}; written: {names:?}"));
        assert!(
            text.contains(&format!(".TH {} 1", name.trim_end_matches(".1"))),
            "{name}:\n{text}"
        );
        assert!(text.contains(".SH EXAMPLES"), "{name}:\n{text}");
    }
    assert!(names.contains(&"warta.1".to_string()), "{names:?}");

    // A folder that cannot be made is named, with what to do.
    let blocker = ws.write("not-a-folder", b"x");
    let blocked = cmd::arg(&blocker.join("man1"));
    let refused = run(&["man", "--dir", &blocked]);
    refused.expect_code(1).stderr_names("not-a-folder");
    run(&["man", "--dir", ""])
        .expect_code(2)
        .stderr_names("--dir");
}

#[test]
fn search_help_and_the_man_page_explain_the_query_and_warta_log() {
    let help = run(&["search", "--help"]);
    help.ok();
    let man = run(&["man"]);
    man.ok();
    // roff escapes every minus.
    let page = man.stdout.replace("\\-", "-");
    for (what, text) in [("warta search --help", &help.stdout), ("warta man", &page)] {
        for part in [
            "\"kutai timur\"",
            "banjir OR longsor",
            "banjir -jakarta",
            "pemkab*",
            "title:banjir",
            "author:rahman",
            "feed:tribun-kaltim",
            "site:kaltimpost.id",
            "date:2024-11-20",
            "date:2024-11-01..2024-11-30",
        ] {
            assert!(
                text.contains(part),
                "{what} does not explain {part}:\n{text}"
            );
        }
    }
    let top = run(&["--help"]);
    top.ok();
    for (what, text) in [("warta --help", &top.stdout), ("warta man", &page)] {
        assert!(
            text.contains("WARTA_LOG") && text.contains("warta=debug"),
            "{what} does not explain WARTA_LOG:\n{text}"
        );
    }
}

/// An archive with a few articles all mentioning `banjir`, one of them far longer than a pipe
/// holds, and a config with many feeds (only `warta-uji` is ever polled) so that `feeds` and
/// `export-opml` print more than a pipe holds too.
struct Archive {
    ws: Workspace,
    _site: Server,
}

const FEEDS: usize = 2000;

fn archive() -> Archive {
    let site = Server::start("127.0.0.1");
    let mut items = Vec::new();
    for i in 0..5u64 {
        let path = format!("/berita/{i}");
        let mut paragraphs = if i == 0 {
            let mut long = pages::filler("id", 100, 500, 60);
            long.insert(0, "Banjir melanda kota.".to_string());
            long
        } else {
            pages::story("id", i, &["Banjir merendam ratusan rumah warga."])
        };
        let mut title = format!("Banjir nomor {i}");
        if i == 1 {
            // A hostile page: escape sequences that would clear the screen, colour the text
            // and retitle the window, a bell, and the 8-bit CSI.
            title.push_str(" \u{1b}]0;jahat\u{7}");
            paragraphs[1].push_str(" \u{1b}[2J\u{1b}[31m merah \u{9b}0m selesai.");
        }
        site.route(
            &path,
            Route::html(pages::article(
                &title,
                &format!("2024-11-2{i}T08:00:00+08:00"),
                "id",
                &paragraphs,
            )),
        );
        items.push(Item::new(
            &format!("Banjir nomor {i}"),
            &site.url(&path),
            &format!("Wed, 2{i} Nov 2024 00:00:00 +0000"),
            "Banjir.",
        ));
    }
    site.route(
        "/feed.xml",
        Route::rss(rss("Warta Uji", &site.base(), &items)),
    );
    let mut feeds = vec![Feed::new("warta-uji", &site.url("/feed.xml"))];
    for i in 0..FEEDS {
        feeds.push(
            Feed::new(
                &format!("lain-{i:04}"),
                &format!("https://lain-{i}.example/rss.xml"),
            )
            .with("region = \"Kalimantan Timur\""),
        );
    }
    let ws = Workspace::new();
    ws.write_config(&config_text(&[], &feeds));
    let fetched = ws.run(&["fetch", "warta-uji"]);
    fetched.ok();
    assert!(fetched.stdout.contains("5 new"), "{fetched:?}");
    assert_plain("fetch", &fetched.stderr);
    Archive { ws, _site: site }
}

/// Runs `warta ARGS` with stdout a pipe that is closed after `lines` lines were read (0: before
/// anything is read, so the very first write meets the closed pipe); the line read, the exit
/// code and stderr.
fn run_into_closed_pipe(
    ws: &Workspace,
    args: &[&str],
    lines: usize,
) -> (String, Option<i32>, String) {
    let mut command = ws.command(args);
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = command.spawn().expect("spawn warta");
    let stdout = child.stdout.take().expect("stdout piped");
    let mut first = String::new();
    if lines > 0 {
        let mut reader = BufReader::new(stdout);
        for _ in 0..lines {
            if reader.read_line(&mut first).unwrap_or(0) == 0 {
                break;
            }
        }
        drop(reader);
    } else {
        drop(stdout);
    }
    let mut stderr = child.stderr.take().expect("stderr piped");
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = std::io::Read::read_to_string(&mut stderr, &mut text);
        text
    });
    let status = cmd::wait_limit(&mut child, RUN_LIMIT);
    let err = reader.join().unwrap_or_default();
    cmd::assert_no_panic(&format!("warta {args:?}"), &err);
    (first, status.and_then(|s| s.code()), err)
}

#[test]
fn a_closed_pipe_ends_every_command_quietly() {
    let a = archive();
    let ws = &a.ws;
    let hits = ws.search("banjir", &[]);
    let long = hits
        .iter()
        .find(|h| h["title"] == "Banjir nomor 0")
        .unwrap_or_else(|| panic!("the long article is not archived: {hits:#?}"));
    let long_id = long["id"].to_string();
    let commands: &[(&[&str], &str)] = &[
        (&["search", "banjir"], "#"),
        (&["search", "banjir", "--all", "--format", "json"], "["),
        (&["search", "banjir", "-gempa", "--format", "ndjson"], "{"),
        (&["show", &long_id], ""),
        (&["show", &long_id, "--format", "json"], "{"),
        (&["show", &long_id, "--format", "html"], "<p>"),
        (&["feeds"], ""),
        (&["feeds", "--format", "json"], "["),
        (&["export-opml"], "<?xml"),
        (&["stats"], ""),
        (&["completions", "bash"], ""),
        (&["completions", "zsh"], ""),
        (&["man"], ".ie"),
    ];
    for (args, starts) in commands {
        for lines in [1, 0] {
            let (first, code, err) = run_into_closed_pipe(ws, args, lines);
            assert_eq!(
                code,
                Some(0),
                "warta {args:?} (pipe closed after {lines} lines): stderr {err}"
            );
            assert!(
                err.is_empty(),
                "warta {args:?} (pipe closed after {lines} lines) wrote to stderr:\n{err}"
            );
            if lines > 0 {
                assert!(
                    first.starts_with(starts) && !first.is_empty(),
                    "warta {args:?}: first line {first:?}"
                );
            }
        }
    }
    // An export's first line may be the long article itself, after which the rest fits in
    // the pipe; the closed pipe is met for sure when it closes before anything is read.
    for args in [
        &["export", "--format", "jsonl"][..],
        &["export", "--format", "csv"],
    ] {
        let (_, code, err) = run_into_closed_pipe(ws, args, 0);
        assert_eq!(code, Some(0), "warta {args:?}: stderr {err}");
        assert!(err.is_empty(), "warta {args:?} wrote to stderr:\n{err}");
    }
    // The long outputs are longer than a pipe holds (64 KiB on Linux) plus the reader's first
    // 8 KiB, so after one line the writes above did meet the closed pipe rather than all
    // fitting in before it closed.
    for args in [
        &["show", long_id.as_str()][..],
        &["feeds"],
        &["export-opml"],
    ] {
        let full = ws.run(args);
        full.ok();
        assert!(
            full.stdout.len() > 100 * 1024,
            "warta {args:?}: {} bytes",
            full.stdout.len()
        );
    }
}

#[test]
fn a_page_cannot_drive_the_terminal_through_text_output() {
    let a = archive();
    let ws = &a.ws;
    let hits = ws.search("banjir", &[]);
    let hostile = hits
        .iter()
        .find(|h| h["url"].as_str().is_some_and(|u| u.ends_with("/berita/1")))
        .unwrap_or_else(|| panic!("the hostile page is not archived: {hits:#?}"));
    let id = hostile["id"].to_string();
    // JSON keeps the text as it was, escaped, for programs.
    let json = ws.run(&["show", &id, "--format", "json"]);
    json.ok();
    assert!(json.stdout.contains("\\u001b[2J"), "{json:?}");
    let text_outputs: &[&[&str]] = &[
        &["show", &id],
        &["show", &id, "--format", "html"],
        &["search", "banjir"],
        &["search", "banjir", "--format", "csv"],
        &["search", "merah", "--all"],
    ];
    for args in text_outputs {
        let run = ws.run(args);
        run.ok();
        assert!(
            !run.stdout.contains(['\u{1b}', '\u{7}', '\u{9b}']),
            "warta {args:?} printed control characters:\n{:?}",
            run.stdout
        );
        // Where the hostile text itself is shown, it is shown marked.
        if args[0] == "show" || args.contains(&"merah") {
            assert!(
                run.stdout.contains('\u{FFFD}'),
                "warta {args:?}:\n{}",
                run.stdout
            );
        }
    }
}

#[test]
fn nothing_is_drawn_on_piped_stderr() {
    let a = archive();
    let ws = &a.ws;
    for args in [
        &["fetch", "warta-uji"][..],
        &["-v", "fetch", "warta-uji"],
        &["reextract"],
        &["-v", "reextract"],
        &["export", "--format", "jsonl"],
    ] {
        let run = ws.run(args);
        run.ok();
        assert_plain(&format!("warta {args:?} stderr"), &run.stderr);
        assert_plain(&format!("warta {args:?} stdout"), &run.stdout);
    }
    let reextract = ws.run(&["reextract"]);
    assert!(
        reextract.stdout.contains("of 5 articles changed"),
        "the summary line stays\n{reextract:?}"
    );
    assert!(reextract.stderr.is_empty(), "{reextract:?}");
    // A usage error on a pipe has no colour even with a terminal type that could show it.
    let mut bad = ws.command(&["fetch", "--no-such-flag"]);
    bad.env("TERM", "xterm-256color");
    let bad = cmd::run_command(bad, None, RUN_LIMIT);
    bad.expect_code(2).stderr_names("--no-such-flag");
    assert_plain("usage error", &bad.stderr);
}

/// Whether `text` holds an escape sequence that sets colour or font (SGR, `ESC [ … m`); cursor
/// movement and line clearing, which a bar needs, are not colour.
fn has_colour(text: &str) -> bool {
    text.split('\u{1b}').skip(1).any(|seq| {
        seq.strip_prefix('[').is_some_and(|rest| {
            let params = rest.trim_start_matches(|c: char| c.is_ascii_digit() || c == ';');
            params.starts_with('m')
        })
    })
}

#[test]
fn colour_sequences_are_told_from_cursor_movement() {
    assert!(has_colour("a \u{1b}[38;5;1m0/s\u{1b}[0m"));
    assert!(has_colour("\u{1b}[1mbold"));
    assert!(!has_colour("bar\r\u{1b}[2K next"));
    assert!(!has_colour("plain"));
}

/// `script` (util-linux) running `line` on a pseudo-terminal: stdin, stdout and stderr of the
/// command are the terminal, whose transcript is `script`'s stdout. The environment is cleaned
/// as `cmd::warta` cleans it, with a capable terminal type unless `env` says otherwise.
fn script(line: &str, env: &[(&str, &str)]) -> Run {
    let mut c = Command::new("script");
    c.args(["-q", "-e", "-c", line, "/dev/null"]);
    for (var, _) in cmd::warta().get_envs() {
        c.env_remove(var);
    }
    c.env_remove("NO_COLOR").env("TERM", "xterm-256color");
    for (k, v) in env {
        c.env(k, v);
    }
    cmd::run_command(c, None, RUN_LIMIT)
}

/// `warta --config <ws> ARGS` on a pseudo-terminal; what the terminal showed.
fn on_terminal(ws: &Workspace, args: &[&str], env: &[(&str, &str)]) -> String {
    let mut line = format!(
        "'{}' --config '{}'",
        env!("CARGO_BIN_EXE_warta"),
        cmd::arg(&ws.config_path())
    );
    for a in args {
        line.push_str(&format!(" '{a}'"));
    }
    let run = script(&line, env);
    run.ok();
    run.stdout
}

#[test]
fn a_terminal_shows_the_bar_unless_quiet_or_dumb_and_colour_unless_no_color() {
    let site = Server::start("127.0.0.1");
    let items: Vec<Item> = (0..3)
        .map(|i| {
            let path = format!("/berita/{i}");
            // Slow pages keep the bar up while its page count moves.
            site.route(
                &path,
                Route::html(pages::article(
                    &format!("Kabar {i}"),
                    "2024-11-20T08:00:00+08:00",
                    "id",
                    &pages::story("id", 40 + i, &["Kabar dari Samarinda."]),
                ))
                .delay(std::time::Duration::from_millis(400)),
            );
            Item::new(
                &format!("Kabar {i}"),
                &site.url(&path),
                "Wed, 20 Nov 2024 00:00:00 +0000",
                "Kabar.",
            )
        })
        .collect();
    // A slow feed keeps the bar up long enough to be drawn more than once.
    site.route(
        "/feed.xml",
        Route::rss(rss("Kabar", &site.base(), &items)).delay(std::time::Duration::from_millis(700)),
    );
    let ws = Workspace::with_feeds(&[Feed::new("kabar", &site.url("/feed.xml"))]);

    let shown = on_terminal(&ws, &["fetch"], &[]);
    assert!(
        shown.contains("0/1 feeds"),
        "no bar on a terminal:\n{shown:?}"
    );
    assert!(shown.contains("1 feed: 3 new"), "summary:\n{shown:?}");
    assert!(
        ["1 page, ", "2 pages, "].iter().any(|p| shown.contains(p)),
        "the bar counts pages as they come:\n{shown:?}"
    );
    assert!(shown.contains("/s"), "a rate: {shown:?}");
    let uncoloured = on_terminal(&ws, &["-v", "fetch"], &[("NO_COLOR", "1")]);
    assert!(
        uncoloured.contains("0/1 feeds"),
        "NO_COLOR keeps the bar:\n{uncoloured:?}"
    );
    assert!(uncoloured.contains("INFO"), "-v logs:\n{uncoloured:?}");
    assert!(
        !has_colour(&uncoloured),
        "NO_COLOR: colour in the bar or the logs:\n{uncoloured:?}"
    );
    let quiet = on_terminal(&ws, &["-q", "fetch"], &[]);
    assert!(!quiet.contains("feeds "), "-q draws no bar:\n{quiet:?}");
    assert!(quiet.contains("1 feed: 0 new"), "summary:\n{quiet:?}");
    let dumb = on_terminal(&ws, &["fetch"], &[("TERM", "dumb")]);
    assert!(
        !dumb.contains("/1 feeds"),
        "TERM=dumb draws no bar:\n{dumb:?}"
    );

    let reextract = on_terminal(&ws, &["reextract"], &[]);
    assert!(
        reextract.contains("0/3 articles"),
        "no bar on a terminal:\n{reextract:?}"
    );
    assert!(reextract.contains("of 3 articles changed"), "{reextract:?}");
    let out = ws.path().join("export.jsonl");
    let export = on_terminal(
        &ws,
        &["export", "--format", "jsonl", "-o", &cmd::arg(&out)],
        &[],
    );
    assert!(
        export.contains("0/3 articles") || export.contains("3/3 articles"),
        "no export bar on a terminal:\n{export:?}"
    );
    assert!(export.contains("exported 3 articles"), "{export:?}");

    // clap's own errors: coloured on a terminal, plain with NO_COLOR.
    let line = format!("'{}' --no-such-flag", env!("CARGO_BIN_EXE_warta"));
    let coloured = script(&line, &[]);
    coloured.expect_code(2);
    assert!(coloured.stdout.contains("--no-such-flag"), "{coloured:?}");
    assert!(coloured.stdout.contains('\u{1b}'), "{coloured:?}");
    let plain = script(&line, &[("NO_COLOR", "1")]);
    plain.expect_code(2);
    assert!(plain.stdout.contains("--no-such-flag"), "{plain:?}");
    assert!(!plain.stdout.contains('\u{1b}'), "NO_COLOR: {plain:?}");
}
