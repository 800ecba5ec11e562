//! Turns the picked content into paragraphs, drops boilerplate lines, and renders the
//! plain text and the sanitized HTML from the same paragraphs, so the two always agree.

use url::Url;

use super::dom::{Dom, NONE, Tag};
use super::patterns::{Verdict, judge_line};

/// A hyphenation point, invisible unless a line breaks there: not part of the words
/// ("Kalimantan" with one inside would not match a search for it).
const SOFT_HYPHEN: char = '\u{ad}';

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    P,
    H(u8),
    Li,
    Pre,
    Img,
    Caption,
}

#[derive(Debug, Clone)]
pub(crate) struct Block {
    pub kind: Kind,
    pub text: String,
    /// Inline HTML (escaped text, a/em/strong/b/i), or the whole `<img>` tag for images.
    pub html: String,
    chars: usize,
    link_chars: usize,
    /// Enclosing list: (arena index, ordered).
    list: Option<(u32, bool)>,
    quote: Option<u32>,
    figure: Option<u32>,
}

impl Block {
    fn new(
        kind: Kind,
        list: Option<(u32, bool)>,
        quote: Option<u32>,
        figure: Option<u32>,
    ) -> Block {
        Block {
            kind,
            text: String::new(),
            html: String::new(),
            chars: 0,
            link_chars: 0,
            list,
            quote,
            figure,
        }
    }
}

impl Block {
    /// A plain paragraph from text outside the page markup (JSON-LD).
    pub(crate) fn paragraph(text: &str) -> Block {
        let mut b = Block::new(Kind::P, None, None, None);
        super::dom::push_collapsed(&mut b.text, text);
        for c in b.text.chars() {
            push_escaped(&mut b.html, c);
        }
        b.chars = b.text.chars().filter(|c| !c.is_whitespace()).count();
        b
    }
}

/// An element open during the walk.
struct Frame {
    idx: u32,
    end: u32,
    tag: Tag,
    /// Closing tag written for it into the current block's HTML, if any.
    close: Option<&'static str>,
    /// Block counter when it was opened: an inline tag split by a block is not closed twice.
    block_no: usize,
}

struct Builder<'a> {
    dom: &'a Dom,
    base: Option<&'a Url>,
    blocks: Vec<Block>,
    cur: Block,
    block_no: usize,
    frames: Vec<Frame>,
    links: u32,
    pre: u32,
}

impl Builder<'_> {
    fn context(&self) -> (Option<(u32, bool)>, Option<u32>, Option<u32>) {
        let (mut list, mut quote, mut figure) = (None, None, None);
        for f in self.frames.iter().rev() {
            let idx = f.idx;
            match f.tag {
                Tag::Ul | Tag::Ol | Tag::Menu if list.is_none() => {
                    list = Some((idx, f.tag == Tag::Ol));
                }
                Tag::Blockquote if quote.is_none() => quote = Some(idx),
                Tag::Figure if figure.is_none() => figure = Some(idx),
                _ => {}
            }
        }
        (list, quote, figure)
    }

    fn flush(&mut self, next: Kind) {
        // Close inline tags still open in this block's HTML.
        let mut closes = String::new();
        for f in self.frames.iter_mut().rev() {
            if f.block_no == self.block_no
                && let Some(c) = f.close.take()
            {
                closes.push_str(c);
            }
        }
        self.cur.html.push_str(&closes);
        let (list, quote, figure) = self.context();
        let fresh = Block::new(next, list, quote, figure);
        let done = std::mem::replace(&mut self.cur, fresh);
        let trimmed = done.text.trim_end().len();
        if trimmed > 0 {
            let mut done = done;
            done.text.truncate(trimmed);
            self.blocks.push(done);
        }
        self.block_no += 1;
    }

    fn push_text(&mut self, s: &str) {
        if self.pre > 0 {
            for c in s.chars().filter(|&c| c != SOFT_HYPHEN) {
                self.cur.text.push(c);
                push_escaped(&mut self.cur.html, c);
                if !c.is_whitespace() {
                    self.cur.chars += 1;
                    if self.links > 0 {
                        self.cur.link_chars += 1;
                    }
                }
            }
            return;
        }
        let mut rest = s;
        while let Some(c) = rest.chars().next() {
            // A run of characters that are neither space nor escaped goes in as one slice.
            let run = rest
                .find(|c: char| {
                    c.is_whitespace() || matches!(c, '\u{200b}' | SOFT_HYPHEN | '&' | '<' | '>')
                })
                .unwrap_or(rest.len());
            if run > 0 {
                let (plain, after) = rest.split_at(run);
                self.cur.text.push_str(plain);
                self.cur.html.push_str(plain);
                let n = plain.chars().count();
                self.cur.chars += n;
                if self.links > 0 {
                    self.cur.link_chars += n;
                }
                rest = after;
                continue;
            }
            rest = &rest[c.len_utf8()..];
            if c == SOFT_HYPHEN {
                continue;
            }
            if c.is_whitespace() || c == '\u{200b}' {
                if !self.cur.text.is_empty() && !self.cur.text.ends_with(' ') {
                    self.cur.text.push(' ');
                    self.cur.html.push(' ');
                }
            } else {
                self.cur.text.push(c);
                push_escaped(&mut self.cur.html, c);
                self.cur.chars += 1;
                if self.links > 0 {
                    self.cur.link_chars += 1;
                }
            }
        }
    }

    fn open(&mut self, i: u32) {
        let Some(node) = self.dom.node(i) else { return };
        let mut close = None;
        match node.tag {
            Tag::Br | Tag::Hr => self.flush(Kind::P),
            Tag::Img => {
                self.flush(Kind::P);
                if let Some(src) = image_src(node, self.base) {
                    let (list, quote, figure) = self.context();
                    let mut b = Block::new(Kind::Img, list, quote, figure);
                    b.html = format!("<img src=\"{}\"", escape_attr(&src));
                    if let Some(alt) = node.attr("alt").filter(|a| !a.trim().is_empty()) {
                        b.html
                            .push_str(&format!(" alt=\"{}\"", escape_attr(alt.trim())));
                    }
                    b.html.push('>');
                    self.blocks.push(b);
                }
            }
            Tag::A => {
                self.links += 1;
                if let Some(href) = node.attr("href").and_then(|h| absolute(h, self.base)) {
                    self.cur
                        .html
                        .push_str(&format!("<a href=\"{}\">", escape_attr(&href)));
                    close = Some("</a>");
                }
            }
            Tag::Em | Tag::I | Tag::Strong | Tag::B => {
                let (o, c) = match node.tag {
                    Tag::Em => ("<em>", "</em>"),
                    Tag::I => ("<i>", "</i>"),
                    Tag::Strong => ("<strong>", "</strong>"),
                    _ => ("<b>", "</b>"),
                };
                self.cur.html.push_str(o);
                close = Some(c);
            }
            tag if tag.is_block() => {
                let kind = match tag {
                    Tag::H(n) => Kind::H(n.max(2)),
                    Tag::Li | Tag::Dd | Tag::Dt => Kind::Li,
                    Tag::Pre => Kind::Pre,
                    Tag::Figcaption => Kind::Caption,
                    _ => Kind::P,
                };
                // Push the frame first so the new block sees itself in its context.
                self.frames.push(Frame {
                    idx: i,
                    end: node.end,
                    tag,
                    close: None,
                    block_no: usize::MAX,
                });
                self.flush(kind);
                if tag == Tag::Pre {
                    self.pre += 1;
                }
                return;
            }
            _ => {}
        }
        self.frames.push(Frame {
            idx: i,
            end: node.end,
            tag: node.tag,
            close,
            block_no: self.block_no,
        });
    }

    fn close_frames_until(&mut self, i: u32) {
        while self.frames.last().is_some_and(|f| f.end <= i) {
            let Some(f) = self.frames.pop() else { break };
            if f.tag == Tag::A {
                self.links = self.links.saturating_sub(1);
            }
            if f.tag == Tag::Pre {
                self.pre = self.pre.saturating_sub(1);
            }
            if f.tag.is_block() && f.tag != Tag::Br && f.tag != Tag::Hr {
                self.flush(Kind::P);
            } else if let (Some(c), true) = (f.close, f.block_no == self.block_no) {
                self.cur.html.push_str(c);
            }
        }
    }
}

/// Paragraphs of the subtrees at `roots`, in order, before any filtering.
pub(crate) fn blocks(dom: &Dom, roots: &[u32], base: Option<&Url>) -> Vec<Block> {
    let mut b = Builder {
        dom,
        base,
        blocks: Vec::new(),
        cur: Block::new(Kind::P, None, None, None),
        block_no: 0,
        frames: Vec::new(),
        links: 0,
        pre: 0,
    };
    for &root in roots {
        let Some(rn) = dom.node(root) else { continue };
        let end = rn.end;
        let mut i = root;
        while i < end {
            let Some(node) = dom.node(i) else { break };
            b.close_frames_until(i);
            if node.removed {
                i = node.end.max(i + 1);
                continue;
            }
            if node.tag == Tag::Text {
                b.push_text(dom.text_of(node));
            } else {
                b.open(i);
            }
            i += 1;
        }
        b.close_frames_until(NONE);
        b.flush(Kind::P);
    }
    b.blocks
}

/// Drops boilerplate paragraphs. Returns the author named by a credit line, if any.
pub(crate) fn filter(blocks: &mut Vec<Block>) -> Option<String> {
    let mut author = None;
    join_split_credits(blocks);
    blocks.retain(|b| {
        if b.kind == Kind::Img {
            return true;
        }
        match judge_line(&b.text) {
            Verdict::Keep => {}
            Verdict::Drop => return false,
            Verdict::Author(name) => {
                author.get_or_insert(name);
                return false;
            }
        }
        // A paragraph that is all link is a pointer to another page, not text of this one.
        let link_dense = b.chars > 0 && b.link_chars * 10 >= b.chars * 9;
        !(link_dense && matches!(b.kind, Kind::P | Kind::Li | Kind::H(_)))
    });
    // Headings with no text after them announced something that was removed.
    let mut keep = vec![true; blocks.len()];
    let mut text_after = false;
    for (k, b) in blocks.iter().enumerate().rev() {
        match b.kind {
            Kind::H(_) => {
                if let Some(slot) = keep.get_mut(k) {
                    *slot = text_after;
                }
                text_after = false;
            }
            Kind::Img | Kind::Caption => {}
            _ => text_after = true,
        }
    }
    let mut it = keep.into_iter();
    blocks.retain(|_| it.next().unwrap_or(true));
    drop_datelines(blocks);
    author
}

/// Staff credits laid out as a table of lines ("Penulis" / ": Budi Santoso" / "Editor" /
/// ": Andi"): each label is joined to its value, so the pair is read (and dropped) as one
/// credit line.
fn join_split_credits(blocks: &mut Vec<Block>) {
    let mut k = 0;
    while k + 1 < blocks.len() {
        let joined = match (blocks.get(k), blocks.get(k + 1)) {
            (Some(label), Some(value))
                if label.kind == Kind::P
                    && value.kind == Kind::P
                    && value.text.chars().count() < 80
                    && super::patterns::is_bare_credit_label(&label.text)
                    && (label.text.trim_end().ends_with(':')
                        || value.text.trim_start().starts_with(':')) =>
            {
                let name = label.text.trim().trim_end_matches([':', ' ']);
                let rest = value.text.trim().trim_start_matches([':', ' ']);
                Some(format!("{name}: {rest}"))
            }
            _ => None,
        };
        if let Some(text) = joined {
            if let Some(b) = blocks.get_mut(k) {
                *b = Block::paragraph(&text);
            }
            blocks.remove(k + 1);
        }
        k += 1;
    }
}

/// A dateline ("Selasa, 12 Maret 2024 09:30 WITA", "Samarinda, 20/11/2024 | Budi Santoso")
/// standing alone at either end of the body, or right under its headline, is the page's
/// metadata, which the extractor reads separately; left in, it would open every snippet. A
/// lead-in that starts the first sentence ("SANGATTA - Pemkab …", "Samarinda (ANTARA) - …")
/// is text and stays.
fn drop_datelines(blocks: &mut Vec<Block>) {
    let start = usize::from(blocks.first().is_some_and(|b| matches!(b.kind, Kind::H(_))));
    while blocks.get(start).is_some_and(is_dateline) {
        blocks.remove(start);
    }
    while blocks.last().is_some_and(is_dateline) {
        blocks.pop();
    }
}

fn is_dateline(b: &Block) -> bool {
    // Any instant is plausible here; the far-future "now" only disables the parser's
    // "not in the future" check, which is about publication times, not about lines.
    const FAR: i64 = 4_102_444_800; // 2100-01-01T00:00:00Z
    let text = b.text.trim();
    matches!(b.kind, Kind::P)
        && text.chars().count() <= 60
        && text.chars().any(|c| c.is_ascii_digit())
        && only_names_beside_the_date(text)
        && chrono::DateTime::from_timestamp(FAR, 0)
            .and_then(|now| crate::dates::parse_date(text, now))
            .is_some()
}

/// Whether the words of `text` other than the date's numbers are a few names: the day and
/// month, the zone, a place, an author ("Oleh Budi Santoso"), all capitalised as names
/// are. A sentence that mentions a date ("Kegiatan berlangsung hingga 20 Desember 2024.")
/// has lower-case words, and is text.
fn only_names_beside_the_date(text: &str) -> bool {
    // Lower-case words a dateline may hold besides names.
    const GLUE: &[&str] = &[
        "jam", "on", "pada", "pukul", "tanggal", "updated", "wib", "wit", "wita",
    ];
    let words: Vec<&str> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().any(char::is_alphabetic) && !w.chars().any(|c| c.is_ascii_digit()))
        .collect();
    words.len() <= 7
        && words
            .iter()
            .all(|w| w.chars().next().is_some_and(char::is_uppercase) || GLUE.contains(w))
}

pub(crate) fn text(blocks: &[Block]) -> String {
    let mut out = String::new();
    for b in blocks {
        if matches!(b.kind, Kind::Img | Kind::Caption) || b.text.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push_str("\n\n");
        }
        out.push_str(&b.text);
    }
    out
}

pub(crate) fn html(blocks: &[Block]) -> String {
    let mut out = String::new();
    let mut list: Option<(u32, bool)> = None;
    let mut quote: Option<u32> = None;
    let mut figure: Option<u32> = None;
    for b in blocks {
        let b_list = if b.kind == Kind::Li { b.list } else { None };
        let b_figure = if matches!(b.kind, Kind::Img | Kind::Caption) {
            b.figure
        } else {
            None
        };
        if list.is_some() && list != b_list {
            out.push_str(if list.is_some_and(|l| l.1) {
                "</ol>"
            } else {
                "</ul>"
            });
            list = None;
        }
        if figure.is_some() && figure != b_figure {
            out.push_str("</figure>");
            figure = None;
        }
        if quote != b.quote {
            if quote.is_some() {
                out.push_str("</blockquote>");
            }
            if b.quote.is_some() {
                out.push_str("<blockquote>");
            }
            quote = b.quote;
        }
        if b_figure.is_some() && figure.is_none() {
            out.push_str("<figure>");
            figure = b_figure;
        }
        if b_list.is_some() && list.is_none() {
            out.push_str(if b_list.is_some_and(|l| l.1) {
                "<ol>"
            } else {
                "<ul>"
            });
            list = b_list;
        }
        match b.kind {
            Kind::P => wrap(&mut out, "p", &b.html),
            Kind::H(n) => wrap(
                &mut out,
                ["h2", "h3", "h4", "h5", "h6"][(n.clamp(2, 6) - 2) as usize],
                &b.html,
            ),
            Kind::Li => wrap(&mut out, "li", &b.html),
            Kind::Pre => wrap(&mut out, "pre", &b.html),
            Kind::Img => out.push_str(&b.html),
            Kind::Caption if figure.is_some() => wrap(&mut out, "figcaption", &b.html),
            Kind::Caption => wrap(&mut out, "p", &b.html),
        }
    }
    if let Some(l) = list {
        out.push_str(if l.1 { "</ol>" } else { "</ul>" });
    }
    if figure.is_some() {
        out.push_str("</figure>");
    }
    if quote.is_some() {
        out.push_str("</blockquote>");
    }
    out
}

fn wrap(out: &mut String, tag: &str, inner: &str) {
    out.push('<');
    out.push_str(tag);
    out.push('>');
    out.push_str(inner.trim());
    out.push_str("</");
    out.push_str(tag);
    out.push('>');
}

fn push_escaped(out: &mut String, c: char) {
    match c {
        '&' => out.push_str("&amp;"),
        '<' => out.push_str("&lt;"),
        '>' => out.push_str("&gt;"),
        c => out.push(c),
    }
}

fn escape_attr(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("&quot;"),
            c => push_escaped(&mut out, c),
        }
    }
    out
}

/// An absolute http(s) or mailto URL for `href`, resolved against the page.
pub(crate) fn absolute(href: &str, base: Option<&Url>) -> Option<String> {
    let href = href.trim();
    if href.is_empty() || href.starts_with('#') {
        return None;
    }
    let url = match base {
        Some(b) => b.join(href).ok()?,
        None => Url::parse(href).ok()?,
    };
    matches!(url.scheme(), "http" | "https" | "mailto").then(|| url.to_string())
}

/// The real image of a possibly lazy-loaded `<img>`.
fn image_src(node: &super::dom::Node, base: Option<&Url>) -> Option<String> {
    let candidates = [
        node.attr("data-src"),
        node.attr("data-lazy-src"),
        node.attr("data-original"),
        node.attr("src"),
    ];
    candidates
        .into_iter()
        .flatten()
        .filter(|s| !s.trim_start().starts_with("data:"))
        .find_map(|s| absolute(s, base))
}
