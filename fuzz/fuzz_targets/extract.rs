//! Arbitrary bytes into the article extractor: it must not panic, overflow its stack or
//! hang, whatever the page. An input whose first line starts with `http` gives the page
//! URL (relative links and canonical URLs are resolved against it); the rest, read as
//! lossy UTF-8 like a fetched page, is the HTML.

#![no_main]

use chrono::{TimeZone, Utc};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (url, html) = match text.split_once('\n') {
        Some((first, rest)) if first.starts_with("http") => (url::Url::parse(first).ok(), rest),
        _ => (None, text.as_ref()),
    };
    // A fixed fetch time: relative dates ("2 jam lalu") count back from it.
    let now = Utc
        .with_ymd_and_hms(2024, 11, 21, 3, 0, 0)
        .single()
        .unwrap_or_default();
    let _ = warta::extract::extract(html, url.as_ref(), None, now);
});
