//! WordPress sites read through their own REST API (`/wp-json/wp/v2/posts`): the whole
//! article, its link and its times, without scraping a page. Pure: HTML or JSON in,
//! addresses and items out; the caller fetches.

use chrono::{DateTime, FixedOffset, NaiveDateTime, TimeZone, Utc};
use scraper::Selector;
use serde::Deserialize;
use url::Url;

use crate::feed::{FeedItem, html_to_text};

/// Posts asked for at once: the API's own ceiling.
pub const MAX_PER_PAGE: usize = 100;

/// The REST API root a WordPress page names (`<link rel="https://api.w.org/" href>`), or
/// None when the page names none.
pub fn api_root(html: &str, page: &Url) -> Option<Url> {
    let doc = crate::extract::parse_html(html);
    let link = Selector::parse("link[rel][href]").ok()?;
    doc.select(&link)
        .find(|l| {
            l.value()
                .attr("rel")
                .is_some_and(|r| r.split_whitespace().any(|t| t == "https://api.w.org/"))
        })
        .and_then(|l| l.value().attr("href"))
        .and_then(|h| page.join(h.trim()).ok())
        .filter(|u| matches!(u.scheme(), "http" | "https"))
}

/// The newest posts after `after`, with only the fields an article needs. A root of the
/// plain-permalink form (`/?rest_route=/`) takes the route in its query.
pub fn posts_url(root: &Url, per_page: usize, after: DateTime<Utc>) -> Option<Url> {
    let route = "wp/v2/posts";
    let mut url = match root.query_pairs().find(|(k, _)| k == "rest_route") {
        Some((_, base)) => {
            let mut u = root.clone();
            let base = format!("{}/{route}", base.trim_end_matches('/'));
            u.query_pairs_mut().clear().append_pair("rest_route", &base);
            u
        }
        None => {
            let mut base = root.clone();
            if !base.path().ends_with('/') {
                base.set_path(&format!("{}/", base.path()));
            }
            base.join(route).ok()?
        }
    };
    url.query_pairs_mut()
        .append_pair("per_page", &per_page.clamp(1, MAX_PER_PAGE).to_string())
        .append_pair("orderby", "date")
        .append_pair("order", "desc")
        .append_pair("after", &after.format("%Y-%m-%dT%H:%M:%S").to_string())
        .append_pair(
            "_fields",
            "id,link,date_gmt,modified_gmt,title,content,excerpt",
        );
    Some(url)
}

#[derive(Deserialize)]
struct Post {
    link: Option<String>,
    date_gmt: Option<String>,
    modified_gmt: Option<String>,
    title: Option<Rendered>,
    content: Option<Rendered>,
    excerpt: Option<Rendered>,
}

#[derive(Deserialize)]
struct Rendered {
    rendered: Option<String>,
}

/// Why an answer is not a list of posts.
#[derive(Debug, thiserror::Error)]
#[error("{url} is not a WordPress list of posts: {why}")]
pub struct NotPosts {
    url: String,
    why: String,
}

/// The posts of an API answer, oldest first (the order a feed's items are written in);
/// posts whose link is not on `site`'s hosts or not http(s) are left out.
pub fn items(
    body: &[u8],
    url: &Url,
    allows: impl Fn(&Url) -> bool,
) -> Result<Vec<FeedItem>, NotPosts> {
    let posts: Vec<Post> = serde_json::from_slice(body).map_err(|e| NotPosts {
        url: url.to_string(),
        why: e.to_string(),
    })?;
    let mut items: Vec<FeedItem> = posts
        .into_iter()
        .filter_map(|p| {
            let link = Url::parse(p.link.as_deref()?.trim()).ok()?;
            if !allows(&link) {
                return None;
            }
            let rendered =
                |r: Option<Rendered>| r.and_then(|r| r.rendered).filter(|s| !s.trim().is_empty());
            let content = rendered(p.content).or_else(|| rendered(p.excerpt));
            Some(FeedItem {
                guid: link.to_string(),
                title: rendered(p.title).map(|t| html_to_text(&t)),
                author: None,
                published: p.date_gmt.as_deref().and_then(gmt),
                updated: p.modified_gmt.as_deref().and_then(gmt),
                summary_text: content.as_deref().map(html_to_text),
                summary_html: content,
                anchored: false,
                link: Some(link),
            })
        })
        .collect();
    items.sort_by_key(|i| i.published);
    Ok(items)
}

/// WordPress's `*_gmt` times: UTC without a zone.
fn gmt(s: &str) -> Option<DateTime<FixedOffset>> {
    let t = NaiveDateTime::parse_from_str(s.trim(), "%Y-%m-%dT%H:%M:%S").ok()?;
    Some(Utc.from_utc_datetime(&t).fixed_offset())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn the_api_root_is_found_in_the_page_head_and_the_posts_address_built_from_it() {
        let page = u("https://kaltimtoday.co/");
        let html = r#"<html><head><link rel="https://api.w.org/" href="https://kaltimtoday.co/wp-json/"></head></html>"#;
        let root = api_root(html, &page).unwrap();
        let after = Utc.with_ymd_and_hms(2024, 11, 13, 0, 0, 0).unwrap();
        let posts = posts_url(&root, 50, after).unwrap();
        assert_eq!(posts.path(), "/wp-json/wp/v2/posts");
        let q: Vec<(String, String)> = posts.query_pairs().into_owned().collect();
        assert!(q.contains(&("per_page".into(), "50".into())));
        assert!(q.contains(&("after".into(), "2024-11-13T00:00:00".into())));
        // Plain permalinks: the route goes in the query.
        let plain = posts_url(&u("https://sapaberau.com/?rest_route=/"), 500, after).unwrap();
        assert_eq!(plain.path(), "/");
        assert!(
            plain
                .query_pairs()
                .any(|(k, v)| k == "rest_route" && v == "/wp/v2/posts")
        );
        assert!(
            plain
                .query_pairs()
                .any(|(k, v)| k == "per_page" && v == "100")
        );
        assert_eq!(api_root("<html><head></head></html>", &page), None);
    }

    #[test]
    fn posts_become_items_with_their_whole_text_and_utc_times() {
        let body = br#"[
          {"id": 2, "link": "https://kaltimtoday.co/banjir-sangatta/", "date_gmt": "2024-11-20T02:15:00",
           "modified_gmt": "2024-11-20T03:00:00", "title": {"rendered": "Banjir &#8211; Sangatta"},
           "content": {"rendered": "<p>Banjir merendam <b>tiga desa</b>.</p><p>Warga mengungsi.</p>"}},
          {"id": 1, "link": "https://kaltimtoday.co/bimtek/", "date_gmt": "2024-11-19T01:00:00",
           "title": {"rendered": "Bimtek"}, "content": {"rendered": ""}, "excerpt": {"rendered": "<p>Ringkas.</p>"}},
          {"id": 3, "link": "https://elsewhere.example/x/", "date_gmt": "2024-11-20T00:00:00"},
          {"id": 4}
        ]"#;
        let url = u("https://kaltimtoday.co/wp-json/wp/v2/posts");
        let found = items(body, &url, |l| l.host_str() == Some("kaltimtoday.co")).unwrap();
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].guid, "https://kaltimtoday.co/bimtek/");
        assert_eq!(found[0].summary_text.as_deref(), Some("Ringkas."));
        let banjir = &found[1];
        assert_eq!(banjir.title.as_deref(), Some("Banjir – Sangatta"));
        assert_eq!(
            banjir.summary_text.as_deref(),
            Some("Banjir merendam tiga desa.\n\nWarga mengungsi.")
        );
        assert_eq!(
            banjir.published.map(|d| d.to_rfc3339()),
            Some("2024-11-20T02:15:00+00:00".into())
        );
        assert!(items(b"{\"code\":\"rest_no_route\"}", &url, |_| true).is_err());
    }
}
