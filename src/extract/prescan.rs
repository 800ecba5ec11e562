//! A cheap pass over the raw page before the HTML parser sees it.
//!
//! Script and style bodies are a large share of a news page (often half its bytes) and are
//! never article text, so cutting them out before parsing makes the parse markedly faster.
//! JSON-LD blocks are scripts too; they are lifted out here because they carry the page's
//! own metadata.

/// The page with the contents of `<script>` and `<style>` elements cut out, and the text of
/// every `<script type="application/ld+json">`. The page is a tendril so that the tokenizer
/// hands out its text as slices of this very buffer, without copying the page once more.
pub(crate) struct Prescanned {
    pub html: StrTendril,
    pub json_ld: Vec<String>,
}

use html5ever::tendril::StrTendril;

/// Raw-text elements whose content is dropped. html5ever would treat their content as
/// raw text too, so ending them at the first matching close tag is what it does as well.
const RAW_TAGS: [&[u8]; 2] = [b"script", b"style"];

pub(crate) fn prescan(html: &str) -> Prescanned {
    // A tendril's length is 32 bits; every caller caps pages far below this.
    let mut end = html.len().min(super::tokenize::MAX_INPUT);
    while !html.is_char_boundary(end) {
        end -= 1;
    }
    let html = html.get(..end).unwrap_or("");
    let bytes = html.as_bytes();
    let mut out = StrTendril::with_capacity(u32::try_from(html.len()).unwrap_or(u32::MAX));
    let mut json_ld = Vec::new();
    let mut copied = 0; // bytes of `html` already copied to `out` (or deliberately skipped)
    let mut pos = 0;
    while let Some(off) = find_byte(html, '<', pos) {
        let lt = off;
        pos = lt + 1;
        let Some(tag) = RAW_TAGS.iter().find(|t| starts_tag(bytes, lt + 1, t)) else {
            continue;
        };
        let Some(gt) = tag_end(bytes, lt + 1 + tag.len()) else {
            break;
        };
        let attrs = html.get(lt + 1 + tag.len()..gt).unwrap_or("");
        let content_start = gt + 1;
        let (content_end, after) = match find_close(html, content_start, tag) {
            Some((start, end)) => (start, end),
            None => (bytes.len(), bytes.len()),
        };
        if tag == b"script"
            && attrs.to_ascii_lowercase().contains("ld+json")
            && let Some(text) = html.get(content_start..content_end)
        {
            json_ld.push(text.to_string());
        }
        // Keep the open and close tags (so the element still exists for the parser) and drop
        // what lies between them.
        if let Some(s) = html.get(copied..content_start) {
            out.push_slice(s);
        }
        if let Some(s) = html.get(content_end..after) {
            out.push_slice(s);
        }
        copied = after;
        pos = after;
    }
    if let Some(s) = html.get(copied..) {
        out.push_slice(s);
    }
    Prescanned { html: out, json_ld }
}

/// Every position searched from follows an ASCII byte, so it is a char boundary; `str::find`
/// is used for its fast byte search.
fn find_byte(text: &str, b: char, from: usize) -> Option<usize> {
    text.get(from..)?.find(b).map(|p| p + from)
}

/// Whether `bytes[at..]` starts with `name` (ASCII case-insensitive) followed by the end of
/// a tag name.
fn starts_tag(bytes: &[u8], at: usize, name: &[u8]) -> bool {
    let Some(head) = bytes.get(at..at + name.len()) else {
        return false;
    };
    head.eq_ignore_ascii_case(name)
        && matches!(
            bytes.get(at + name.len()),
            Some(b' ' | b'\t' | b'\n' | b'\r' | b'\x0c' | b'/' | b'>')
        )
}

/// The `>` that ends a start tag, skipping quoted attribute values.
fn tag_end(bytes: &[u8], from: usize) -> Option<usize> {
    let mut quote = None;
    for (i, &c) in bytes.get(from..)?.iter().enumerate() {
        match (quote, c) {
            (None, b'"' | b'\'') => quote = Some(c),
            (Some(q), _) if c == q => quote = None,
            (None, b'>') => return Some(from + i),
            _ => {}
        }
    }
    None
}

/// Start of `</name` and the position just after its `>`.
fn find_close(html: &str, from: usize, name: &[u8]) -> Option<(usize, usize)> {
    let bytes = html.as_bytes();
    let mut pos = from;
    while let Some(lt) = find_byte(html, '<', pos) {
        pos = lt + 1;
        if bytes.get(lt + 1) == Some(&b'/') && starts_tag(bytes, lt + 2, name) {
            let end = find_byte(html, '>', lt + 2 + name.len()).map_or(bytes.len(), |g| g + 1);
            return Some((lt, end));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drops_script_and_style_bodies_and_keeps_json_ld() {
        let p = prescan(
            "<p>a</p><SCRIPT>if (a<b) x()</script><style>p{}</style>\
             <script type=\"application/ld+json\">{\"headline\":\"H\"}</script><p>b</p>",
        );
        assert_eq!(
            &*p.html,
            "<p>a</p><SCRIPT></script><style></style><script type=\"application/ld+json\"></script><p>b</p>"
        );
        assert_eq!(p.json_ld, vec!["{\"headline\":\"H\"}".to_string()]);
    }

    #[test]
    fn unclosed_script_and_lookalike_tags() {
        assert_eq!(
            &*prescan("<p>x</p><script>never closed").html,
            "<p>x</p><script>"
        );
        assert_eq!(
            &*prescan("<scripts>kept</scripts>").html,
            "<scripts>kept</scripts>"
        );
        assert_eq!(&*prescan("<script").html, "<script");
    }
}
