//! RSS 2.0 feeds stated in a few lines: a list of items in, the XML a news site would serve out.

/// One `<item>`.
#[derive(Clone, Debug)]
pub struct Item {
    pub title: String,
    pub link: String,
    pub guid: Option<String>,
    /// As written in `<pubDate>` (RFC 2822, or whatever a test wants to try).
    pub pub_date: String,
    /// Plain text; escaped on output.
    pub description: String,
}

impl Item {
    /// An item whose guid is its link.
    pub fn new(title: &str, link: &str, pub_date: &str, description: &str) -> Item {
        Item {
            title: title.to_string(),
            link: link.to_string(),
            guid: Some(link.to_string()),
            pub_date: pub_date.to_string(),
            description: description.to_string(),
        }
    }

    pub fn guid(mut self, guid: &str) -> Item {
        self.guid = Some(guid.to_string());
        self
    }
}

pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// An RSS 2.0 document; items appear in the order given (sites usually list newest first).
pub fn rss(title: &str, site: &str, items: &[Item]) -> String {
    let mut s = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\">\n<channel>\n\
         <title>{}</title>\n<link>{}</link>\n<description>{}</description>\n<language>id</language>\n",
        escape(title),
        escape(site),
        escape(title)
    );
    for item in items {
        s.push_str("<item>\n");
        s.push_str(&format!("  <title>{}</title>\n", escape(&item.title)));
        s.push_str(&format!("  <link>{}</link>\n", escape(&item.link)));
        if let Some(guid) = &item.guid {
            s.push_str(&format!(
                "  <guid isPermaLink=\"false\">{}</guid>\n",
                escape(guid)
            ));
        }
        s.push_str(&format!(
            "  <pubDate>{}</pubDate>\n",
            escape(&item.pub_date)
        ));
        s.push_str(&format!(
            "  <description>{}</description>\n",
            escape(&item.description)
        ));
        s.push_str("</item>\n");
    }
    s.push_str("</channel>\n</rss>\n");
    s
}
