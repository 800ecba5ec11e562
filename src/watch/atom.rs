//! A watch's stories as an Atom feed file (`atom = "path"`), for any feed reader: the
//! latest stories, newest first, rewritten whole (a temporary file renamed over the old
//! one, so a reader never sees half a file).

use std::io::Write;
use std::path::Path;

use chrono::{DateTime, Utc};
use quick_xml::escape::escape;

use crate::store::WatchHit;

/// The feed of a watch's hits.
pub fn feed(watch: &str, query: &str, hits: &[WatchHit], now: DateTime<Utc>) -> String {
    let updated = hits
        .first()
        .map_or_else(|| crate::model::rfc3339(&now), |h| h.at.clone());
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    out.push_str("<feed xmlns=\"http://www.w3.org/2005/Atom\">\n");
    out.push_str(&format!(
        "  <id>urn:warta:watch:{}</id>\n  <title>warta: {}</title>\n  <subtitle>{}</subtitle>\n  <updated>{}</updated>\n  <generator>warta</generator>\n",
        escape(watch),
        escape(watch),
        escape(query),
        escape(&updated)
    ));
    for h in hits {
        let places = crate::text::counted(h.copies, "place");
        out.push_str(&format!(
            "  <entry>\n    <id>urn:warta:watch:{}:story:{}</id>\n    <title>{}</title>\n    <link rel=\"alternate\" href=\"{}\"/>\n    <updated>{}</updated>\n    <author><name>{}</name></author>\n    <summary>{} ({places} so far)</summary>\n  </entry>\n",
            escape(watch),
            h.story,
            escape(crate::text::printable(&h.title).as_ref()),
            escape(&h.url),
            escape(&h.at),
            escape(&h.feed),
            escape(&h.feed),
        ));
    }
    out.push_str("</feed>\n");
    out
}

/// Writes `xml` to `path` whole: into a temporary file beside it, then renamed over it.
pub fn write(path: &Path, xml: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".tmp");
    let tmp = path.with_file_name(name);
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(xml.as_bytes())?;
    f.sync_all()?;
    drop(f);
    std::fs::rename(&tmp, path)
}
