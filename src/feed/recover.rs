//! Dates feed-rs does not read, taken from the item's own markup.
//!
//! feed-rs knows `pubDate`, `dc:date`, Atom `published`/`updated` and JSON Feed dates, but
//! not `dcterms:*` or Atom 0.3's `issued`/`modified`. This scans each `<item>`/`<entry>`
//! block of the (repaired) text for date-like elements and reads them with
//! [`crate::dates::parse_date`]. Blocks are matched to feed-rs entries by position, and
//! only when the counts agree, so a mismatch recovers nothing rather than the wrong date.

use std::sync::OnceLock;

use chrono::{DateTime, FixedOffset, Utc};
use regex::Regex;

/// Dates found in one item's markup.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct RawDates {
    pub published: Option<DateTime<FixedOffset>>,
    pub updated: Option<DateTime<FixedOffset>>,
}

/// Element local names that carry a publication date (sorted).
const PUBLISHED: &[&str] = &["created", "date", "issued", "pubdate", "published"];
/// Element local names that carry a modification date (sorted).
const UPDATED: &[&str] = &["modified", "updated"];

fn item_re() -> Option<&'static Regex> {
    static ITEM: OnceLock<Option<Regex>> = OnceLock::new();
    ITEM.get_or_init(|| {
        Regex::new(r"(?s)<(?:[A-Za-z][\w.-]*:)?(?:item|entry)\b[^>]*>(.*?)</(?:[A-Za-z][\w.-]*:)?(?:item|entry)\s*>").ok()
    })
    .as_ref()
}

/// How many complete item/entry blocks the markup has: what feed-rs should return.
pub(crate) fn count_items(text: &str) -> usize {
    item_re().map_or(0, |re| re.find_iter(text).count())
}

/// One entry per item or entry block, in document order.
pub(crate) fn item_dates(text: &str, now: DateTime<Utc>) -> Vec<RawDates> {
    static DATE: OnceLock<Option<Regex>> = OnceLock::new();
    let Some(item_re) = item_re() else {
        return Vec::new();
    };
    let Some(date_re) = DATE
        .get_or_init(|| {
            Regex::new(r"(?is)<((?:[A-Za-z][\w.-]*:)?([A-Za-z]+))\b[^>]*>\s*(?:<!\[CDATA\[)?([^<]{4,120}?)(?:\]\]>)?\s*</([\w.:-]+)\s*>").ok()
        })
        .as_ref()
    else {
        return Vec::new();
    };
    item_re
        .captures_iter(text)
        .map(|item| {
            let body = item.get(1).map_or("", |m| m.as_str());
            let mut dates = RawDates::default();
            for c in date_re.captures_iter(body) {
                let (Some(qname), Some(local), Some(value), Some(close)) =
                    (c.get(1), c.get(2), c.get(3), c.get(4))
                else {
                    continue;
                };
                if qname.as_str() != close.as_str() {
                    continue;
                }
                let local = local.as_str().to_ascii_lowercase();
                let slot = if PUBLISHED.binary_search(&local.as_str()).is_ok() {
                    &mut dates.published
                } else if UPDATED.binary_search(&local.as_str()).is_ok() {
                    &mut dates.updated
                } else {
                    continue;
                };
                if slot.is_none() {
                    *slot = crate::dates::parse_date(value.as_str(), now);
                }
            }
            dates
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn finds_dcterms_and_atom03_dates() {
        let now = Utc.with_ymd_and_hms(2024, 11, 20, 12, 0, 0).unwrap();
        let text = r#"<rdf:RDF><item rdf:about="x"><dcterms:issued>2024-11-19T08:00:00+08:00</dcterms:issued>
            <dcterms:modified><![CDATA[Rabu, 20 Nov 2024 09:00 WITA]]></dcterms:modified></item>
            <item><title>no date</title></item></rdf:RDF>"#;
        let got = item_dates(text, now);
        assert_eq!(got.len(), 2);
        assert_eq!(
            got[0].published.map(|d| d.to_rfc3339()).as_deref(),
            Some("2024-11-19T08:00:00+08:00")
        );
        assert_eq!(
            got[0].updated.map(|d| d.to_rfc3339()).as_deref(),
            Some("2024-11-20T09:00:00+08:00")
        );
        assert_eq!(got[1], RawDates::default());
    }
}
