//! Real article pages from the shared extraction benchmark, read in place (never copied into the
//! repository): the gzip-compressed HTML and the hand-checked body with the page's original URL.
//! Tests that need it start with [`open`] and return early, saying so, when it is absent.

use std::io::Read;
use std::path::PathBuf;

use serde_json::Value;

/// Pages on which every reference extractor in the benchmark's `output/` scores ≥ 0.99 F1, so a
/// failure here is about the pipeline, not about a hard page. All English news.
pub const EASY_PAGES: &[&str] = &[
    "264dc3ae31249cb1f50c50986e0952a4708c2e705d18a2d8bf0e525da6e2b485",
    "7de5241947a5f7147fe9787c6f6fa16685bfe66e6c35510a68780f27690dc4f0",
    "c90731f051d033e49e4cfcc920895051bbc3b54ef1a11519abcf22a115c3aa79",
    "0d46122928b6f468cc4bbc694051d0dbae5702bc75a16dab82a99b58daf150a0",
];

#[path = "../../fixtures/bench_dir.rs"]
mod bench_dir;

/// The benchmark's article pages, read in place.
pub struct Bench {
    dir: PathBuf,
}

/// The benchmark when it is there; otherwise `None`, after one line saying that `test` was
/// skipped and why (a fresh clone has no `../shared/bench`).
pub fn open(test: &str) -> Option<Bench> {
    bench_dir::folder("article-extraction", test).map(|dir| Bench { dir })
}

pub struct Truth {
    pub url: String,
    pub body: String,
}

impl Bench {
    pub fn gz_path(&self, id: &str) -> PathBuf {
        self.dir.join("html").join(format!("{id}.html.gz"))
    }

    /// The page's HTML, decompressed.
    pub fn html(&self, id: &str) -> Vec<u8> {
        let gz = std::fs::read(self.gz_path(id)).expect("read a benchmark page");
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&gz[..])
            .read_to_end(&mut out)
            .expect("gunzip a benchmark page");
        out
    }

    pub fn truth(&self, id: &str) -> Truth {
        let text =
            std::fs::read_to_string(self.dir.join("ground-truth.json")).expect("ground truth");
        let all: Value = serde_json::from_str(&text).expect("ground truth is JSON");
        let entry = &all[id];
        Truth {
            url: entry["url"].as_str().expect("url").to_string(),
            body: entry["articleBody"]
                .as_str()
                .expect("articleBody")
                .to_string(),
        }
    }
}

/// Lower-cased word tokens (Unicode letters and digits).
pub fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Share of the truth's distinct words that `body` contains: a coarse recall that tolerates
/// whitespace and punctuation differences.
pub fn word_recall(truth: &str, body: &str) -> f64 {
    let have: std::collections::HashSet<String> = words(body).into_iter().collect();
    let want: std::collections::HashSet<String> = words(truth).into_iter().collect();
    if want.is_empty() {
        return 1.0;
    }
    want.iter().filter(|w| have.contains(*w)).count() as f64 / want.len() as f64
}

/// A word from the middle of `truth` (purely alphabetic ASCII, at least 9 letters) that none of
/// `others` contains: something to search for that only this page has.
pub fn distinctive_word(truth: &str, others: &[&str]) -> String {
    let other_words: std::collections::HashSet<String> =
        others.iter().flat_map(|o| words(o)).collect();
    let all = words(truth);
    let start = all.len() / 3;
    all.iter()
        .skip(start)
        .chain(all.iter().take(start))
        .find(|w| {
            w.len() >= 9 && w.chars().all(|c| c.is_ascii_alphabetic()) && !other_words.contains(*w)
        })
        .cloned()
        .expect("a distinctive word")
}
