//! A forgiving reader for every XML feed dialect, in the spirit of feedparser's loose mode.
//!
//! Strict parsers read one dialect each and give up at the first flaw; real feeds mix
//! dialects (Atom written with `<item>`, `<rss><item>` without `<channel>`, RSS 2.0 in the
//! userland namespace, CDF's upper-case `ITEM`s), put markup in titles and leave `&` bare.
//! This reader walks the token stream once and reads items by what their elements mean,
//! whatever the dialect: an `item` or `entry` element anywhere is an item; inside it, known
//! fields are captured whole (child markup included) and typed by the dialect's rules
//! (Atom's `type`/`mode`, RSS's HTML descriptions). Namespaces are resolved to a small set
//! of vocabularies by URI, or by their customary prefix when a feed forgets to declare one.
//! Nothing here fails: the caller decides what an empty result means.

use std::collections::HashMap;
use std::rc::Rc;

use base64::Engine;
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::{Namespace, ResolveResult};
use quick_xml::reader::NsReader;
use url::Url;

/// What the reader found.
#[derive(Debug, Default)]
pub(crate) struct LooseFeed {
    pub title: Option<Field>,
    pub ttl: Option<u32>,
    pub items: Vec<RawItem>,
    /// What was tolerated, for the feed's report ("read 2 bare '&' as text").
    pub notes: Vec<String>,
    /// The document stopped inside an item (cut off in transfer); that item was dropped.
    pub truncated: bool,
}

/// A text field as the feed gave it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Field {
    pub value: String,
    /// `value` is HTML (escaped HTML in RSS, Atom `html`/`xhtml`, inline markup), not text.
    pub html: bool,
}

#[derive(Debug, Default)]
pub(crate) struct RawItem {
    pub guid: Option<String>,
    /// The RSS guid said isPermaLink="false".
    pub guid_not_link: bool,
    /// The guid said isPermaLink="true": resolved against xml:base, it is the link even
    /// when written relative.
    pub guid_link: Option<String>,
    /// `rdf:about` (RSS 1.0) or CDF's `HREF`: the item's address when it has no link.
    pub about: Option<String>,
    /// Candidate links, resolved against xml:base: (rel, media type, href).
    pub links: Vec<(String, String, String)>,
    pub title: Option<(u8, Field)>,
    pub author: Option<(u8, String)>,
    pub published: Option<(u8, String)>,
    pub updated: Option<(u8, String)>,
    /// The body with the best rank so far (lower is better).
    pub body: Option<(u8, Field)>,
    /// A shorter text kept beside `body` when both exist: the summary.
    pub summary: Option<(u8, Field)>,
}

/// The vocabularies a feed element can belong to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Vocab {
    /// RSS (every version), Atom 0.3/1.0, CDF, unknown default namespaces.
    Core,
    Content,
    Dc,
    Dcterms,
    Itunes,
    Media,
    Xhtml,
    Rdf,
    Xml,
    Other,
}

fn vocab_of_uri(uri: &str) -> Option<Vocab> {
    let uri = uri.to_ascii_lowercase();
    let uri = uri.trim_end_matches(['/', '#']);
    Some(match uri {
        "http://www.w3.org/2005/atom"
        | "http://purl.org/atom/ns"
        | "http://purl.org/rss/1.0"
        | "http://my.netscape.com/rdf/simple/0.9"
        | "http://backend.userland.com/rss2"
        | "http://backend.userland.com/rss"
        | "http://blogs.law.harvard.edu/tech/rss"
        | "http://purl.org/net/rss1.1" => Vocab::Core,
        "http://purl.org/rss/1.0/modules/content" => Vocab::Content,
        "http://purl.org/dc/elements/1.1" | "http://purl.org/dc/elements/1.0" => Vocab::Dc,
        "http://purl.org/dc/terms" => Vocab::Dcterms,
        "http://www.itunes.com/dtds/podcast-1.0.dtd" => Vocab::Itunes,
        "http://search.yahoo.com/mrss" | "http://tools.search.yahoo.com/mrss" => Vocab::Media,
        "http://www.w3.org/1999/xhtml" => Vocab::Xhtml,
        "http://www.w3.org/1999/02/22-rdf-syntax-ns" => Vocab::Rdf,
        "http://www.w3.org/xml/1998/namespace" => Vocab::Xml,
        _ => return None,
    })
}

fn vocab_of_prefix(prefix: &str) -> Vocab {
    match prefix.to_ascii_lowercase().as_str() {
        "" | "atom" | "rss" | "atom10" | "atom03" => Vocab::Core,
        "content" => Vocab::Content,
        "dc" => Vocab::Dc,
        "dcterms" => Vocab::Dcterms,
        "itunes" => Vocab::Itunes,
        "media" => Vocab::Media,
        "xhtml" | "html" => Vocab::Xhtml,
        "rdf" => Vocab::Rdf,
        "xml" => Vocab::Xml,
        _ => Vocab::Other,
    }
}

/// The vocabulary of a resolved name. A known URI decides; an unknown URI on an unprefixed
/// element is the feed's own dialect; otherwise the customary prefix decides.
fn vocab(ns: &ResolveResult<'_>, prefix: &str) -> Vocab {
    match ns {
        ResolveResult::Bound(Namespace(uri)) => {
            vocab_of_uri(uri).unwrap_or_else(|| match prefix {
                "" => Vocab::Core,
                p => match vocab_of_prefix(p) {
                    // A prefix bound to an unknown URI is an extension, whatever its name.
                    Vocab::Core => Vocab::Other,
                    v => v,
                },
            })
        }
        ResolveResult::Unbound => Vocab::Core,
        ResolveResult::Unknown(p) => vocab_of_prefix(p),
    }
}

/// What a field inside an item is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    Title(u8),
    Link,
    Guid,
    Published(u8),
    Updated(u8),
    Author(u8),
    Body(u8),
    Summary(u8),
    /// The channel's `<ttl>`, the one field read outside items besides its title.
    Ttl,
}

/// How the field's text is typed by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Typing {
    /// Atom: the `type` attribute decides, text when absent.
    Atom,
    /// RSS description and friends: HTML.
    Html,
    /// RSS titles: text, unless it plainly holds HTML tags.
    Sniff,
    /// Plain text.
    Text,
}

fn slot(v: Vocab, name: &str, atomish: bool) -> Option<(Slot, Typing)> {
    use Slot::*;
    let atom_or = |t: Typing| if atomish { Typing::Atom } else { t };
    Some(match (v, name) {
        (Vocab::Core, "title") => (Title(0), atom_or(Typing::Sniff)),
        (Vocab::Dc, "title") => (Title(1), Typing::Sniff),
        (Vocab::Media, "title") => (Title(2), Typing::Sniff),
        (Vocab::Core, "link") => (Link, Typing::Text),
        (Vocab::Core, "guid" | "id") => (Guid, Typing::Text),
        (Vocab::Core, "pubdate" | "published" | "issued") => (Published(0), Typing::Text),
        (Vocab::Dc, "date") => (Published(1), Typing::Text),
        (Vocab::Dcterms, "issued" | "created" | "available" | "date") => {
            (Published(2), Typing::Text)
        }
        (Vocab::Core, "created") => (Published(3), Typing::Text),
        (Vocab::Core, "updated" | "modified") => (Updated(0), Typing::Text),
        (Vocab::Dcterms, "modified") => (Updated(1), Typing::Text),
        (Vocab::Core, "author") => (Author(0), Typing::Text),
        (Vocab::Dc, "creator") => (Author(1), Typing::Text),
        (Vocab::Dc, "author") => (Author(2), Typing::Text),
        (Vocab::Itunes, "author") => (Author(3), Typing::Text),
        (Vocab::Content, "encoded") => (Body(0), Typing::Html),
        (Vocab::Core, "content") => (Body(0), atom_or(Typing::Html)),
        (Vocab::Xhtml, "body") => (Body(1), Typing::Html),
        (Vocab::Core, "body" | "fullitem") => (Body(2), Typing::Html),
        (Vocab::Core, "description") => (Summary(0), Typing::Html),
        (Vocab::Core, "summary") => (Summary(0), atom_or(Typing::Html)),
        (Vocab::Core, "abstract") => (Summary(1), Typing::Html),
        (Vocab::Dc, "description") => (Summary(2), Typing::Html),
        (Vocab::Itunes, "summary") => (Summary(3), Typing::Text),
        (Vocab::Media, "description") => (Summary(4), Typing::Text),
        (Vocab::Itunes, "subtitle") => (Summary(5), Typing::Text),
        _ => return None,
    })
}

/// One piece of a captured field.
enum Piece {
    Text(String),
    Markup(String),
}

/// A field being captured.
struct Capture {
    slot: Slot,
    typing: Typing,
    /// Depth of the field's own element in the stack.
    depth: usize,
    attrs: HashMap<String, String>,
    pieces: Vec<Piece>,
    /// Direct children's texts (Atom `author`'s `name` and `email`).
    children: Vec<(String, String)>,
    child: Option<(String, String)>,
    base: Rc<Url>,
}

impl Capture {
    fn new(
        slot: Slot,
        typing: Typing,
        depth: usize,
        attrs: HashMap<String, String>,
        base: Rc<Url>,
    ) -> Capture {
        Capture {
            slot,
            typing,
            depth,
            attrs,
            pieces: Vec::new(),
            children: Vec::new(),
            child: None,
            base,
        }
    }
}

struct Open {
    name: String,
    /// Shared with the parent unless this element sets xml:base: no copy per element.
    base: Rc<Url>,
}

/// Elements nested deeper than this are skipped (a feed's own structure is five deep; an
/// XHTML body some more).
const MAX_DEPTH: usize = 256;

/// How many complete item or entry elements the markup has, by a plain pattern: what a
/// reading that found none should have found.
pub(crate) fn count_items(text: &str) -> usize {
    static ITEM: std::sync::OnceLock<Option<regex::Regex>> = std::sync::OnceLock::new();
    ITEM.get_or_init(|| {
        regex::Regex::new(r"(?si)<(?:[A-Za-z][\w.-]*:)?(?:item|entry)\b[^>]*>.*?</(?:[A-Za-z][\w.-]*:)?(?:item|entry)\s*>").ok()
    })
    .as_ref()
    .map_or(0, |re| re.find_iter(text).count())
}

/// Reads every item of an XML feed, however broken.
pub(crate) fn read(text: &str, feed_url: &Url) -> LooseFeed {
    let mut reader = NsReader::from_str(text);
    {
        let config = reader.config_mut();
        config.trim_text(false);
        config.expand_empty_elements = true;
        config.check_end_names = false;
        config.allow_unmatched_ends = true;
        config.check_comments = false;
    }
    let mut state = State {
        out: LooseFeed::default(),
        stack: Vec::new(),
        item: None,
        item_depth: 0,
        capture: None,
        channel_field: None,
        atomish: false,
        feed_url: Rc::new(feed_url.clone()),
        bare_amps: 0,
        unknown_refs: 0,
        errors: 0,
        too_deep: 0,
    };
    let mut last_pos = 0;
    loop {
        let event = reader.read_resolved_event();
        match event {
            Ok((_, Event::Eof)) => break,
            // Deeper than any feed nests: ignored, so that memory stays in proportion to
            // the feed's structure, not to a pathological body's nesting.
            Ok((_, Event::Start(_))) if state.stack.len() >= MAX_DEPTH => state.too_deep += 1,
            Ok((ns, Event::Start(e))) => {
                let ns = ns_owned(&ns);
                state.start(&e, &ns);
            }
            Ok((_, Event::End(e))) => {
                let name = lower_local(e.name().0);
                state.end(&name);
            }
            Ok((_, Event::Text(t))) => {
                let raw = t.to_string();
                state.text(&raw);
            }
            Ok((_, Event::CData(c))) => {
                let raw = c.to_string();
                state.text(&raw);
            }
            Ok((_, Event::GeneralRef(r))) => {
                let name = r.to_string();
                let resolved = resolve_reference(&name);
                if resolved.is_none() {
                    state.unknown_refs += 1;
                }
                state.text(&resolved.unwrap_or_else(|| format!("&{name};")));
            }
            Ok(_) => {}
            Err(_) => {
                state.errors += 1;
                let pos = usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
                // A bare `&` or `<` is text the publisher meant literally; anything the
                // reader cannot step over ends the document.
                if pos <= last_pos || state.errors > 10_000 {
                    break;
                }
                if let Some(skipped) = text.get(last_pos..pos)
                    && let Some(at) = skipped.rfind(['&', '<'])
                {
                    if skipped.get(at..at + 1) == Some("&") {
                        state.bare_amps += 1;
                    }
                    if let Some(rest) = skipped.get(at..) {
                        state.text(rest);
                    }
                }
            }
        }
        last_pos = usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
    }
    state.finish()
}

/// The resolution of a name, owned so the reader can be borrowed again.
enum NsOwned {
    Bound(String),
    Unbound,
    Unknown(String),
}

fn ns_owned(ns: &ResolveResult<'_>) -> NsOwned {
    match ns {
        ResolveResult::Bound(Namespace(uri)) => NsOwned::Bound((*uri).to_string()),
        ResolveResult::Unbound => NsOwned::Unbound,
        ResolveResult::Unknown(p) => NsOwned::Unknown(p.clone()),
    }
}

fn lower_local(qname: &str) -> String {
    qname
        .rsplit(':')
        .next()
        .unwrap_or(qname)
        .to_ascii_lowercase()
}

fn prefix_of(qname: &str) -> &str {
    qname.split_once(':').map_or("", |(p, _)| p)
}

/// `&name;` as the characters it stands for: XML's five, character references, and every
/// HTML entity (feeds use `&nbsp;` without declaring it).
fn resolve_reference(name: &str) -> Option<String> {
    if let Some(num) = name.strip_prefix('#') {
        let code = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => num.parse().ok()?,
        };
        return char::from_u32(code).map(|c| c.to_string());
    }
    match name {
        "lt" => Some("<".into()),
        "gt" => Some(">".into()),
        "amp" => Some("&".into()),
        "quot" => Some("\"".into()),
        "apos" => Some("'".into()),
        _ => super::repair::html_entity(name, &mut HashMap::new()),
    }
}

/// Attribute values, with the same entity rules as text.
fn attributes(e: &BytesStart<'_>) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for attr in e.attributes().with_checks(false).flatten() {
        out.insert(attr.key.0.to_ascii_lowercase(), unescape(&attr.value));
    }
    out
}

/// Decodes entity references in an attribute value; unknown ones stay as written.
fn unescape(raw: &str) -> String {
    if !raw.contains('&') {
        return raw.to_string();
    }
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(at) = rest.find('&') {
        out.push_str(rest.get(..at).unwrap_or_default());
        let after = rest.get(at + 1..).unwrap_or_default();
        let end = after.find(';').filter(|&e| e <= 32);
        match end.and_then(|e| Some((e, resolve_reference(after.get(..e)?)?))) {
            Some((e, s)) => {
                out.push_str(&s);
                rest = after.get(e + 1..).unwrap_or_default();
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

fn escape_text(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn escape_attr(s: &str) -> String {
    escape_text(s).replace('"', "&quot;")
}

struct State {
    out: LooseFeed,
    stack: Vec<Open>,
    item: Option<RawItem>,
    item_depth: usize,
    /// The item field being read.
    capture: Option<Capture>,
    /// The channel's title or ttl being read (outside items).
    channel_field: Option<Capture>,
    /// The document is Atom (a `feed` root): unprefixed fields follow Atom's typing.
    atomish: bool,
    feed_url: Rc<Url>,
    bare_amps: usize,
    unknown_refs: usize,
    errors: usize,
    too_deep: usize,
}

impl State {
    fn base(&self) -> Rc<Url> {
        self.stack
            .last()
            .map_or_else(|| self.feed_url.clone(), |o| o.base.clone())
    }

    fn start(&mut self, e: &BytesStart<'_>, ns: &NsOwned) {
        let qname = e.name().0;
        let name = lower_local(qname);
        let prefix = prefix_of(qname);
        let resolved = match ns {
            NsOwned::Bound(uri) => ResolveResult::Bound(Namespace(uri)),
            NsOwned::Unbound => ResolveResult::Unbound,
            NsOwned::Unknown(p) => ResolveResult::Unknown(p.clone()),
        };
        let v = vocab(&resolved, prefix);
        let attrs = attributes(e);
        let parent_base = self.base();
        // CDF writes its base as a plain BASE attribute.
        let base = attrs
            .get("xml:base")
            .or_else(|| attrs.get("base"))
            .and_then(|b| parent_base.join(b.trim()).ok())
            .filter(|u| matches!(u.scheme(), "http" | "https"))
            .map_or(parent_base, Rc::new);
        if self.stack.is_empty() && v == Vocab::Core && name == "feed" {
            self.atomish = true;
        }
        if v == Vocab::Core && name == "entry" {
            self.atomish = true;
        }

        if let Some(cap) = self.capture.as_mut().or(self.channel_field.as_mut()) {
            let mut tag = format!("<{qname}");
            let mut keys: Vec<_> = attrs.iter().collect();
            keys.sort();
            for (k, val) in keys {
                tag.push_str(&format!(" {k}=\"{}\"", escape_attr(val)));
            }
            tag.push('>');
            cap.pieces.push(Piece::Markup(tag));
            if self.stack.len() == cap.depth + 1 {
                cap.child = Some((name.clone(), String::new()));
            }
            self.stack.push(Open { name, base });
            return;
        }

        let depth = self.stack.len();
        if v == Vocab::Core && (name == "item" || name == "entry") {
            if let Some(prev) = self.item.take() {
                // An item opened inside an unclosed one: the first ended there.
                self.out.items.push(prev);
            }
            let mut item = RawItem::default();
            let resolve = |href: &str| base.join(href.trim()).ok();
            if let Some(about) = attrs.get("rdf:about").or_else(|| attrs.get("about")) {
                item.about = resolve(about).map(String::from);
            }
            // CDF: <ITEM HREF="…" LASTMOD="…">
            if let Some(href) = attrs.get("href") {
                item.about = resolve(href).map(String::from);
            }
            if let Some(m) = attrs.get("lastmod") {
                item.updated = Some((9, m.clone()));
            }
            self.item = Some(item);
            self.item_depth = depth;
            self.stack.push(Open { name, base });
            return;
        }

        // An item's fields are its children (or a media:group's): a title inside its
        // image or an Atom entry's source belongs to those, not to the item.
        let field_depth = depth == self.item_depth + 1
            || (depth == self.item_depth + 2
                && self.stack.last().is_some_and(|o| o.name == "group"));
        if self.item.is_some() && field_depth {
            if let Some((slot, typing)) = slot(v, &name, self.atomish) {
                self.capture = Some(Capture::new(slot, typing, depth, attrs, base.clone()));
            }
        } else if self.item.is_none() && v == Vocab::Core {
            let channel = match name.as_str() {
                "title" if self.out.title.is_none() => Some((
                    Slot::Title(0),
                    if self.atomish {
                        Typing::Atom
                    } else {
                        Typing::Sniff
                    },
                )),
                "ttl" => Some((Slot::Ttl, Typing::Text)),
                _ => None,
            };
            if let Some((slot, typing)) = channel {
                self.channel_field = Some(Capture::new(slot, typing, depth, attrs, base.clone()));
            }
        }
        self.stack.push(Open { name, base });
    }

    fn text(&mut self, s: &str) {
        if let Some(cap) = self.capture.as_mut().or(self.channel_field.as_mut()) {
            if let Some((_, t)) = cap.child.as_mut() {
                t.push_str(s);
            }
            cap.pieces.push(Piece::Text(s.to_string()));
        }
    }

    fn end(&mut self, name: &str) {
        // Close up to the matching open element; an end tag nothing opened is ignored.
        let Some(at) = self.stack.iter().rposition(|o| o.name == name) else {
            return;
        };
        while self.stack.len() > at {
            let Some(open) = self.stack.pop() else { break };
            let depth = self.stack.len();
            self.close(&open.name, depth);
        }
    }

    /// The element at `depth` named `name` has ended.
    fn close(&mut self, name: &str, depth: usize) {
        for cap in [self.capture.as_mut(), self.channel_field.as_mut()]
            .into_iter()
            .flatten()
        {
            if depth > cap.depth {
                cap.pieces.push(Piece::Markup(format!("</{name}>")));
                if depth == cap.depth + 1
                    && let Some(child) = cap.child.take()
                {
                    cap.children.push(child);
                }
                return;
            }
        }
        if let Some(cap) = self.channel_field.take_if(|c| c.depth == depth) {
            if cap.slot == Slot::Ttl {
                self.out.ttl = plain(&cap.pieces).trim().parse().ok();
            } else {
                self.out.title = Some(field(&cap));
            }
            return;
        }
        if let Some(cap) = self.capture.take_if(|c| c.depth == depth) {
            if let Some(item) = self.item.as_mut() {
                store(item, cap);
            }
            return;
        }
        if depth == self.item_depth
            && let Some(item) = self.item.take()
        {
            self.out.items.push(item);
        }
    }

    fn finish(mut self) -> LooseFeed {
        if self.item.is_some() {
            // The document ended inside an item: cut off in transfer. Its body may be cut
            // too, so it is not archived as if whole.
            self.out.truncated = true;
        }
        if self.bare_amps > 0 {
            self.out
                .notes
                .push(format!("read {} bare '&' as text", self.bare_amps));
        }
        if self.too_deep > 0 {
            self.out.notes.push(format!(
                "skipped {} element(s) nested deeper than {MAX_DEPTH}",
                self.too_deep
            ));
        }
        if self.unknown_refs > 0 {
            self.out.notes.push(format!(
                "kept {} unknown entity reference(s) as written",
                self.unknown_refs
            ));
        }
        self.out
    }
}

/// The text of a capture with its markup dropped.
fn plain(pieces: &[Piece]) -> String {
    pieces
        .iter()
        .filter_map(|p| match p {
            Piece::Text(t) => Some(t.as_str()),
            Piece::Markup(_) => None,
        })
        .collect()
}

/// A capture read by its dialect's typing rules.
fn field(cap: &Capture) -> Field {
    let has_markup = cap.pieces.iter().any(|p| matches!(p, Piece::Markup(_)));
    if has_markup {
        // Inline markup (Atom xhtml, a title with <b> in it): serialise it back.
        let value = cap
            .pieces
            .iter()
            .map(|p| match p {
                Piece::Text(t) => escape_text(t),
                Piece::Markup(m) => m.clone(),
            })
            .collect();
        return Field { value, html: true };
    }
    let mut value = plain(&cap.pieces);
    let mode = cap.attrs.get("mode").map(|m| m.to_ascii_lowercase());
    let kind = cap.attrs.get("type").map(|t| t.trim().to_ascii_lowercase());
    if mode.as_deref() == Some("base64")
        || kind
            .as_deref()
            .is_some_and(|t| t.contains('/') && !t.starts_with("text/") && !t.contains("xml"))
    {
        let compact: String = value.split_whitespace().collect();
        if let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(compact.as_bytes()) {
            value = String::from_utf8_lossy(&bytes).into_owned();
        }
    }
    let html = match cap.typing {
        Typing::Html => true,
        Typing::Text => false,
        Typing::Sniff => holds_html_tags(&value),
        Typing::Atom => match kind.as_deref() {
            Some("html" | "xhtml" | "text/html" | "application/xhtml+xml") => true,
            Some(t) if t.ends_with("+xml") || t.ends_with("/xml") => true,
            Some(_) => false,
            // Atom 0.3's escaped mode is HTML; without a type Atom means text, but a value
            // that plainly holds HTML tags is read as the HTML it is.
            None => mode.as_deref() == Some("escaped") || holds_html_tags(&value),
        },
    };
    Field { value, html }
}

/// True when text holds HTML tags a person would write (`<b>`, `<p>`, `<a href=…>`), not a
/// word in angle brackets such as `<canvas>` in a title about HTML. (Whether a whole
/// response is an HTML page rather than a feed is `repair::looks_like_html`.)
fn holds_html_tags(s: &str) -> bool {
    const TAGS: &[&str] = &[
        "a",
        "abbr",
        "b",
        "blockquote",
        "br",
        "cite",
        "code",
        "div",
        "em",
        "font",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "i",
        "img",
        "li",
        "ol",
        "p",
        "pre",
        "q",
        "small",
        "span",
        "strong",
        "sub",
        "sup",
        "table",
        "td",
        "tr",
        "u",
        "ul",
    ];
    let mut rest = s;
    while let Some(at) = rest.find('<') {
        rest = rest.get(at + 1..).unwrap_or_default();
        let name: String = rest
            .trim_start_matches('/')
            .chars()
            .take_while(char::is_ascii_alphanumeric)
            .collect::<String>()
            .to_ascii_lowercase();
        let after = rest
            .trim_start_matches('/')
            .get(name.len()..)
            .unwrap_or_default();
        if TAGS.contains(&name.as_str())
            && after.starts_with(|c: char| c == '>' || c == '/' || c.is_whitespace())
        {
            return true;
        }
    }
    false
}

/// Keeps a captured field in the item when it ranks better than what is there.
fn store(item: &mut RawItem, cap: Capture) {
    fn better<T>(slot: &mut Option<(u8, T)>, rank: u8, value: T) {
        if slot.as_ref().is_none_or(|(r, _)| rank < *r) {
            *slot = Some((rank, value));
        }
    }
    let text = || {
        let t = plain(&cap.pieces);
        let t = t.trim();
        (!t.is_empty()).then(|| t.to_string())
    };
    match cap.slot {
        Slot::Title(rank) => {
            let f = field(&cap);
            if !f.value.trim().is_empty() {
                better(&mut item.title, rank, f);
            }
        }
        Slot::Link => {
            let resolve = |href: &str| cap.base.join(href.trim()).ok().map(String::from);
            let (rel, kind, href) = match cap.attrs.get("href") {
                Some(href) => (
                    cap.attrs
                        .get("rel")
                        .map_or("alternate".to_string(), |r| r.trim().to_ascii_lowercase()),
                    cap.attrs.get("type").cloned().unwrap_or_default(),
                    resolve(href),
                ),
                None => (
                    "alternate".to_string(),
                    String::new(),
                    text().and_then(|t| resolve(&t)),
                ),
            };
            if let Some(href) = href {
                item.links.push((rel, kind, href));
            }
        }
        Slot::Guid => {
            if item.guid.is_none()
                && let Some(t) = text()
            {
                let permalink = cap
                    .attrs
                    .get("ispermalink")
                    .map(|p| p.trim().to_ascii_lowercase());
                item.guid_not_link = permalink.as_deref() == Some("false");
                if permalink.as_deref() == Some("true") {
                    item.guid_link = cap.base.join(&t).ok().map(String::from);
                }
                item.guid = Some(t);
            }
        }
        Slot::Published(rank) => {
            if let Some(t) = text() {
                better(&mut item.published, rank, t);
            }
        }
        Slot::Updated(rank) => {
            if let Some(t) = text() {
                better(&mut item.updated, rank, t);
            }
        }
        Slot::Author(rank) => {
            let child = |n: &str| {
                cap.children
                    .iter()
                    .find(|(c, t)| c == n && !t.trim().is_empty())
                    .map(|(_, t)| t.trim().to_string())
            };
            let name = if cap.children.is_empty() {
                text()
            } else {
                child("name").or_else(|| child("email"))
            };
            if let Some(name) = name {
                better(&mut item.author, rank, name);
            }
        }
        Slot::Body(rank) => {
            let f = field(&cap);
            if !f.value.trim().is_empty() {
                better(&mut item.body, rank, f);
            }
        }
        Slot::Summary(rank) => {
            let f = field(&cap);
            if !f.value.trim().is_empty() {
                better(&mut item.summary, rank, f);
            }
        }
        // Read only outside items.
        Slot::Ttl => {}
    }
}
