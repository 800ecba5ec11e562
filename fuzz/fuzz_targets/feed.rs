//! Arbitrary bytes into the feed reader: it must not panic, overflow its stack or hang,
//! whatever the body. The first byte picks the charset the HTTP header would claim (none,
//! UTF-8, Windows-1252, UTF-16), since the header changes how the bytes are decoded; the
//! rest is the body as a feed URL would return it.

#![no_main]

use chrono::{TimeZone, Utc};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let charset = match selector % 4 {
        0 => None,
        1 => Some("utf-8"),
        2 => Some("windows-1252"),
        _ => Some("utf-16"),
    };
    let now = Utc
        .with_ymd_and_hms(2024, 11, 21, 3, 0, 0)
        .single()
        .unwrap_or_default();
    let Ok(feed_url) = url::Url::parse("https://kaltim.contoh.id/feed/") else {
        return;
    };
    if let Ok(feed) = warta::feed::parse_feed(body, charset, &feed_url, now) {
        for item in &feed.items {
            // The key ingest archives an item under is computed for every item.
            let _ = item.archive_key(&feed_url);
        }
    }
});
