//! A compact, read-mostly copy of the parsed page that the extractor works on.
//!
//! Nodes are stored in document (pre-)order and each knows where its subtree ends, so every
//! walk is a plain loop over indices: no recursion, whatever the nesting depth of the page.
//! Only the attributes the extractor reads are kept.

use scraper::{ElementRef, Html, Node as HtmlNode};

pub(crate) const NONE: u32 = u32::MAX;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tag {
    Text,
    A,
    Address,
    Article,
    Aside,
    B,
    Blockquote,
    Body,
    Br,
    Button,
    Canvas,
    Center,
    Dd,
    Details,
    Dialog,
    Div,
    Dl,
    Dt,
    Em,
    Embed,
    Figcaption,
    Figure,
    Footer,
    Form,
    H(u8),
    Head,
    Header,
    Hr,
    Html,
    I,
    Iframe,
    Img,
    Input,
    Li,
    Link,
    Main,
    Menu,
    Meta,
    Nav,
    Noscript,
    Object,
    Ol,
    Option,
    P,
    Picture,
    Pre,
    Script,
    Section,
    Select,
    Source,
    Strong,
    Style,
    Svg,
    Table,
    Tbody,
    Td,
    Template,
    Textarea,
    Th,
    Thead,
    Time,
    Title,
    Tr,
    Ul,
    /// An inline element without meaning of its own here (span, font, small, …).
    Inline,
    /// A ruby annotation (`rt`, `rp`): a reading aid, not words of the text.
    RubyText,
    /// An element of no known name (a custom element, a misspelling) while the page is
    /// copied: browsers show such elements inline, so it becomes [`Tag::Inline`] when it
    /// closes holding no block, else [`Tag::Other`] (a container, like a `div`).
    Unknown,
    /// Any other element.
    Other,
}

impl Tag {
    fn from_name(name: &str) -> Tag {
        match name {
            "a" => Tag::A,
            "address" => Tag::Address,
            "article" => Tag::Article,
            "aside" => Tag::Aside,
            "b" => Tag::B,
            "blockquote" => Tag::Blockquote,
            "body" => Tag::Body,
            "br" => Tag::Br,
            "button" => Tag::Button,
            "canvas" => Tag::Canvas,
            "center" => Tag::Center,
            "dd" => Tag::Dd,
            "details" => Tag::Details,
            "dialog" => Tag::Dialog,
            "div" => Tag::Div,
            "dl" => Tag::Dl,
            "dt" => Tag::Dt,
            "em" => Tag::Em,
            "embed" => Tag::Embed,
            "figcaption" => Tag::Figcaption,
            "figure" => Tag::Figure,
            "footer" => Tag::Footer,
            "form" => Tag::Form,
            "h1" => Tag::H(1),
            "h2" => Tag::H(2),
            "h3" => Tag::H(3),
            "h4" => Tag::H(4),
            "h5" => Tag::H(5),
            "h6" => Tag::H(6),
            "head" => Tag::Head,
            "header" => Tag::Header,
            "hr" => Tag::Hr,
            "html" => Tag::Html,
            "i" => Tag::I,
            "iframe" => Tag::Iframe,
            "img" => Tag::Img,
            "input" => Tag::Input,
            "li" => Tag::Li,
            "link" => Tag::Link,
            "main" => Tag::Main,
            "menu" => Tag::Menu,
            "meta" => Tag::Meta,
            "nav" => Tag::Nav,
            "noscript" => Tag::Noscript,
            "object" => Tag::Object,
            "ol" => Tag::Ol,
            "option" => Tag::Option,
            "p" => Tag::P,
            "picture" => Tag::Picture,
            "pre" => Tag::Pre,
            "script" => Tag::Script,
            "section" => Tag::Section,
            "select" => Tag::Select,
            "source" => Tag::Source,
            "strong" => Tag::Strong,
            "style" => Tag::Style,
            "svg" => Tag::Svg,
            "table" => Tag::Table,
            "tbody" => Tag::Tbody,
            "td" => Tag::Td,
            "template" => Tag::Template,
            "textarea" => Tag::Textarea,
            "th" => Tag::Th,
            "thead" => Tag::Thead,
            "time" => Tag::Time,
            "title" => Tag::Title,
            "tr" => Tag::Tr,
            "ul" => Tag::Ul,
            "abbr" | "bdi" | "bdo" | "cite" | "code" | "data" | "del" | "dfn" | "font" | "ins"
            | "kbd" | "label" | "mark" | "q" | "s" | "samp" | "small" | "span" | "strike"
            | "sub" | "sup" | "tt" | "u" | "var" | "wbr" | "acronym" | "big" | "blink" | "nobr"
            | "rb" | "rtc" | "ruby" => Tag::Inline,
            "rt" | "rp" => Tag::RubyText,
            // Known elements that hold blocks or are not text (their text, if any, is a
            // block of its own).
            "applet" | "area" | "audio" | "caption" | "col" | "colgroup" | "datalist"
            | "fieldset" | "frame" | "frameset" | "hgroup" | "legend" | "listing" | "map"
            | "marquee" | "math" | "meter" | "noembed" | "noframes" | "optgroup" | "output"
            | "param" | "plaintext" | "progress" | "search" | "slot" | "summary" | "tfoot"
            | "track" | "video" | "xmp" => Tag::Other,
            _ => Tag::Unknown,
        }
    }

    /// Elements that start a new paragraph in the text.
    pub(crate) fn is_block(self) -> bool {
        !matches!(
            self,
            Tag::Text
                | Tag::A
                | Tag::B
                | Tag::Em
                | Tag::I
                | Tag::Strong
                | Tag::Inline
                | Tag::RubyText
                | Tag::Unknown
                | Tag::Time
                | Tag::Img
                | Tag::Picture
                | Tag::Source
        )
    }
}

/// The attributes the extractor reads, by name; all others are dropped when the page is
/// copied. A `match`, which compares lengths before bytes, because it runs on every
/// attribute of the page.
fn kept_attr(name: &str) -> Option<&'static str> {
    Some(match name {
        "alt" => "alt",
        "class" => "class",
        "content" => "content",
        "data-lazy-src" => "data-lazy-src",
        "data-original" => "data-original",
        "data-src" => "data-src",
        "datetime" => "datetime",
        "href" => "href",
        "http-equiv" => "http-equiv",
        "id" => "id",
        "itemprop" => "itemprop",
        "itemtype" => "itemtype",
        "lang" => "lang",
        "name" => "name",
        "property" => "property",
        "rel" => "rel",
        "role" => "role",
        "src" => "src",
        "srcset" => "srcset",
        "type" => "type",
        _ => return None,
    })
}

pub(crate) struct Node {
    pub tag: Tag,
    pub parent: u32,
    /// One past the last node of this subtree.
    pub end: u32,
    /// Text nodes: byte range of their text in `Dom::text`.
    pub text: (u32, u32),
    pub attrs: Vec<(&'static str, Box<str>)>,
    /// Removed from consideration (boilerplate, hidden, or cut by site rules).
    pub removed: bool,
    /// Hidden by the page itself (`hidden`, `display:none`, `aria-hidden`).
    pub hidden: bool,
    /// Picked by a site-rule selector.
    pub selected: bool,
    /// Matched a site-rule `remove` selector.
    pub cut: bool,
}

impl Node {
    pub(crate) fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_ref())
    }
}

enum Opened {
    Element,
    Root,
    Leaf,
}

pub(crate) struct Dom {
    pub nodes: Vec<Node>,
    pub text: String,
}

impl Dom {
    /// Copies the parsed page. `is_selected` and `is_cut` tell which elements site rules
    /// picked as the body and which they cut out of it.
    pub(crate) fn from_html(
        html: &Html,
        is_selected: impl Fn(&ElementRef) -> bool,
        is_cut: impl Fn(&ElementRef) -> bool,
    ) -> Dom {
        let mut dom = Dom::with_capacity(html.tree.nodes().len());
        // Arena indices of the open elements, so that closing one can set its `end`.
        let mut open: Vec<u32> = Vec::new();
        let mut cur = Some(html.tree.root());
        while let Some(node) = cur {
            let opened = dom.open(
                node.value(),
                || {
                    let el = ElementRef::wrap(node);
                    (
                        el.as_ref().is_some_and(&is_selected),
                        el.as_ref().is_some_and(&is_cut),
                    )
                },
                open.last().copied().unwrap_or(NONE),
            );
            if let Some(child) = node.first_child() {
                match opened {
                    Opened::Element => {
                        open.push(dom.nodes.len() as u32 - 1);
                        cur = Some(child);
                        continue;
                    }
                    Opened::Root => {
                        cur = Some(child);
                        continue;
                    }
                    Opened::Leaf => {}
                }
            }
            // Leaf (or a node whose children are not copied): move to the next node in
            // document order, closing the elements that end here.
            let mut at = node;
            loop {
                if let Some(next) = at.next_sibling() {
                    cur = Some(next);
                    break;
                }
                match at.parent() {
                    Some(parent) => {
                        if parent.value().is_element() {
                            dom.close(open.pop());
                        }
                        at = parent;
                    }
                    None => {
                        cur = None;
                        break;
                    }
                }
            }
        }
        while let Some(i) = open.pop() {
            dom.close(Some(i));
        }
        dom
    }

    /// Adds one node and says whether its children follow.
    fn open(
        &mut self,
        value: &HtmlNode,
        marks: impl FnOnce() -> (bool, bool),
        parent: u32,
    ) -> Opened {
        match value {
            HtmlNode::Element(el) => {
                self.push_element(el.name(), el.attrs(), parent, marks());
                Opened::Element
            }
            HtmlNode::Text(t) => {
                self.push_text(t, parent);
                Opened::Leaf
            }
            // The document root: its children are copied, but it gets no node of its own.
            HtmlNode::Document | HtmlNode::Fragment => Opened::Root,
            _ => Opened::Leaf,
        }
    }

    pub(crate) fn with_capacity(nodes: usize) -> Dom {
        Dom {
            nodes: Vec::with_capacity(nodes),
            text: String::new(),
        }
    }

    /// Adds an element, keeping the attributes the extractor reads. `marks` says whether
    /// site rules selected it and whether they cut it.
    pub(crate) fn push_element<'a>(
        &mut self,
        name: &str,
        all_attrs: impl Iterator<Item = (&'a str, &'a str)>,
        parent: u32,
        (selected, cut): (bool, bool),
    ) {
        let idx = self.nodes.len() as u32;
        let mut attrs: Vec<(&'static str, Box<str>)> = Vec::new();
        let (mut hidden, mut hidden_attr) = (false, false);
        for (k, v) in all_attrs {
            if let Some(name) = kept_attr(k) {
                attrs.push((name, Box::from(v)));
            } else if k == "hidden" {
                hidden_attr = true;
            } else if k == "aria-hidden" {
                hidden |= v.eq_ignore_ascii_case("true");
            } else if k == "style" {
                hidden |= style_hides(v);
            }
        }
        // React's streaming renderer sends a suspended part of the page (often the whole
        // article) last, in a `<div hidden id="S:N">` that its script moves into place on
        // load: what a reader sees, not hidden text.
        let streamed = || {
            attrs.iter().any(|(k, v)| {
                *k == "id"
                    && v.strip_prefix("S:")
                        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
            })
        };
        hidden |= hidden_attr && !streamed();
        self.nodes.push(Node {
            tag: Tag::from_name(name),
            parent,
            end: idx + 1,
            text: (0, 0),
            attrs,
            removed: false,
            hidden,
            selected,
            cut,
        });
    }

    pub(crate) fn push_text(&mut self, t: &str, parent: u32) {
        let idx = self.nodes.len() as u32;
        let start = self.text.len() as u32;
        self.text.push_str(t);
        self.nodes.push(Node {
            tag: Tag::Text,
            parent,
            end: idx + 1,
            text: (start, self.text.len() as u32),
            attrs: Vec::new(),
            removed: false,
            hidden: false,
            selected: false,
            cut: false,
        });
    }

    /// Ends the element `idx` after the last node added so far.
    pub(crate) fn close(&mut self, idx: Option<u32>) {
        let end = self.nodes.len() as u32;
        let Some(i) = idx else { return };
        let unknown = self.node(i).is_some_and(|n| n.tag == Tag::Unknown);
        // Its children are closed already, so their own tags are settled.
        let holds_block = unknown && {
            let mut c = i + 1;
            let mut found = false;
            while let Some(child) = self.node(c).filter(|_| c < end) {
                if child.tag.is_block() {
                    found = true;
                    break;
                }
                c = child.end.max(c + 1);
            }
            found
        };
        if let Some(n) = self.nodes.get_mut(i as usize) {
            n.end = end;
            if unknown {
                n.tag = if holds_block { Tag::Other } else { Tag::Inline };
            }
        }
    }

    pub(crate) fn node(&self, i: u32) -> Option<&Node> {
        self.nodes.get(i as usize)
    }

    pub(crate) fn text_of(&self, n: &Node) -> &str {
        self.text
            .get(n.text.0 as usize..n.text.1 as usize)
            .unwrap_or("")
    }

    /// Visible text of the subtree at `i`, whitespace collapsed; removed nodes skipped.
    pub(crate) fn subtree_text(&self, i: u32, skip_removed: bool) -> String {
        let mut out = String::new();
        let Some(root) = self.node(i) else {
            return out;
        };
        let mut j = i;
        while j < root.end {
            let Some(n) = self.node(j) else { break };
            if skip_removed && n.removed && j != i {
                j = n.end;
                continue;
            }
            if n.tag == Tag::Text {
                push_collapsed(&mut out, self.text_of(n));
            } else if n.tag.is_block() && !out.ends_with(' ') && !out.is_empty() {
                out.push(' ');
            }
            j += 1;
        }
        let trimmed = out.trim_end().len();
        out.truncate(trimmed);
        out
    }
}

fn style_hides(style: &str) -> bool {
    if style.is_ascii() {
        // The same test on bytes: for ASCII, `char::is_whitespace` is these six bytes
        // (vertical tab included) and lower-casing is per byte.
        let s: Vec<u8> = style
            .bytes()
            .filter(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r'))
            .map(|b| b.to_ascii_lowercase())
            .collect();
        let has = |pat: &[u8]| s.windows(pat.len()).any(|w| w == pat);
        return has(b"display:none") || has(b"visibility:hidden");
    }
    let s: String = style
        .chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect();
    s.contains("display:none") || s.contains("visibility:hidden")
}

/// Appends `text` with each run of whitespace as one space and no leading space.
pub(crate) fn push_collapsed(out: &mut String, text: &str) {
    for c in text.chars() {
        if c.is_whitespace() || c == '\u{200b}' {
            if !out.is_empty() && !out.ends_with(' ') {
                out.push(' ');
            }
        } else {
            out.push(c);
        }
    }
}
