//! The page parsed by html5ever straight into a [`Dom`], without scraper's tree in between.
//!
//! html5ever's tree builder does the spec's work (implied tags, foster parenting, the
//! adoption agency); this sink only keeps the tree it asks for. It follows scraper's sink
//! move for move (text merged into a text sibling on append and insert, never on reparent;
//! a template's contents as a fragment under it; attributes sorted by name), so the
//! flattened result is the [`Dom`] that [`Dom::from_html`] makes from scraper's parse.
//! Building scraper's tree and then copying it cost a tenth of the extraction.

use std::borrow::Cow;
use std::cell::{Ref, RefCell};

use html5ever::tendril::StrTendril;
use html5ever::tree_builder::{ElementFlags, NodeOrText, QuirksMode, TreeSink};
use html5ever::{Attribute, QualName};

use super::dom::{Dom, NONE};

const HTML_NS: &str = "http://www.w3.org/1999/xhtml";

enum Kind {
    Document,
    /// A template's contents: its children belong to the template.
    Fragment,
    Element {
        name: QualName,
        attrs: Vec<Attribute>,
    },
    Text(StrTendril),
    /// Comments, doctypes, processing instructions: not copied, but they keep the text
    /// nodes on either side of them apart.
    Other,
}

struct PNode {
    parent: u32,
    first: u32,
    last: u32,
    prev: u32,
    next: u32,
    kind: Kind,
}

struct Tree {
    nodes: Vec<PNode>,
    /// Named for `elem_name` on a handle that is not an element, which the tree builder
    /// never asks for.
    no_name: QualName,
}

impl Tree {
    fn get(&self, i: u32) -> Option<&PNode> {
        self.nodes.get(i as usize)
    }

    fn get_mut(&mut self, i: u32) -> Option<&mut PNode> {
        self.nodes.get_mut(i as usize)
    }

    fn add(&mut self, kind: Kind) -> u32 {
        let i = self.nodes.len() as u32;
        self.nodes.push(PNode {
            parent: NONE,
            first: NONE,
            last: NONE,
            prev: NONE,
            next: NONE,
            kind,
        });
        i
    }

    fn detach(&mut self, i: u32) {
        let Some(n) = self.get(i) else { return };
        let (parent, prev, next) = (n.parent, n.prev, n.next);
        if parent == NONE {
            return;
        }
        match self.get_mut(prev) {
            Some(p) => p.next = next,
            None => {
                if let Some(p) = self.get_mut(parent) {
                    p.first = next;
                }
            }
        }
        match self.get_mut(next) {
            Some(nx) => nx.prev = prev,
            None => {
                if let Some(p) = self.get_mut(parent) {
                    p.last = prev;
                }
            }
        }
        if let Some(n) = self.get_mut(i) {
            n.parent = NONE;
            n.prev = NONE;
            n.next = NONE;
        }
    }

    fn append(&mut self, parent: u32, child: u32) {
        self.detach(child);
        let Some(last) = self.get(parent).map(|p| p.last) else {
            return;
        };
        if let Some(c) = self.get_mut(child) {
            c.parent = parent;
            c.prev = last;
        }
        match self.get_mut(last) {
            Some(l) => l.next = child,
            None => {
                if let Some(p) = self.get_mut(parent) {
                    p.first = child;
                }
            }
        }
        if let Some(p) = self.get_mut(parent) {
            p.last = child;
        }
    }

    fn insert_before(&mut self, sibling: u32, child: u32) {
        self.detach(child);
        let Some((parent, prev)) = self.get(sibling).map(|s| (s.parent, s.prev)) else {
            return;
        };
        if let Some(c) = self.get_mut(child) {
            c.parent = parent;
            c.prev = prev;
            c.next = sibling;
        }
        if let Some(s) = self.get_mut(sibling) {
            s.prev = child;
        }
        match self.get_mut(prev) {
            Some(p) => p.next = child,
            None => {
                if let Some(p) = self.get_mut(parent) {
                    p.first = child;
                }
            }
        }
    }

    /// Adds `text` to the text node `at`, if it is one.
    fn merge_text(&mut self, at: u32, text: &StrTendril) -> bool {
        match self.get_mut(at) {
            Some(PNode {
                kind: Kind::Text(t),
                ..
            }) => {
                t.push_tendril(text);
                true
            }
            _ => false,
        }
    }
}

pub(crate) struct Sink {
    tree: RefCell<Tree>,
}

/// Parses `html` into the extractor's arena.
pub(crate) fn parse(html: StrTendril) -> Dom {
    let sink = Sink {
        tree: RefCell::new(Tree {
            nodes: vec![PNode {
                parent: NONE,
                first: NONE,
                last: NONE,
                prev: NONE,
                next: NONE,
                kind: Kind::Document,
            }],
            no_name: QualName::new(None, HTML_NS.into(), "".into()),
        }),
    };
    super::tokenize::parse_tendril(sink, html)
}

impl TreeSink for Sink {
    type Handle = u32;
    type Output = Dom;
    type ElemName<'a> = Ref<'a, QualName>;

    fn finish(self) -> Dom {
        flatten(&self.tree.into_inner())
    }

    fn parse_error(&self, _msg: Cow<'static, str>) {}

    fn get_document(&self) -> u32 {
        0
    }

    fn elem_name<'a>(&'a self, target: &'a u32) -> Ref<'a, QualName> {
        Ref::map(self.tree.borrow(), |t| match t.get(*target) {
            Some(PNode {
                kind: Kind::Element { name, .. },
                ..
            }) => name,
            _ => &t.no_name,
        })
    }

    fn create_element(&self, name: QualName, mut attrs: Vec<Attribute>, _: ElementFlags) -> u32 {
        let template = &*name.local == "template" && &*name.ns == HTML_NS;
        attrs.sort_unstable_by(|a, b| a.name.cmp(&b.name));
        let mut tree = self.tree.borrow_mut();
        let el = tree.add(Kind::Element { name, attrs });
        if template {
            let contents = tree.add(Kind::Fragment);
            tree.append(el, contents);
        }
        el
    }

    fn create_comment(&self, _text: StrTendril) -> u32 {
        self.tree.borrow_mut().add(Kind::Other)
    }

    fn create_pi(&self, _target: StrTendril, _data: StrTendril) -> u32 {
        self.tree.borrow_mut().add(Kind::Other)
    }

    fn append(&self, parent: &u32, child: NodeOrText<u32>) {
        let mut tree = self.tree.borrow_mut();
        match child {
            NodeOrText::AppendNode(c) => tree.append(*parent, c),
            NodeOrText::AppendText(text) => {
                let last = tree.get(*parent).map_or(NONE, |p| p.last);
                if !tree.merge_text(last, &text) {
                    let t = tree.add(Kind::Text(text));
                    tree.append(*parent, t);
                }
            }
        }
    }

    fn append_based_on_parent_node(&self, element: &u32, prev: &u32, child: NodeOrText<u32>) {
        let has_parent = self
            .tree
            .borrow()
            .get(*element)
            .is_some_and(|n| n.parent != NONE);
        if has_parent {
            self.append_before_sibling(element, child);
        } else {
            self.append(prev, child);
        }
    }

    fn append_doctype_to_document(&self, _: StrTendril, _: StrTendril, _: StrTendril) {
        let mut tree = self.tree.borrow_mut();
        let d = tree.add(Kind::Other);
        tree.append(0, d);
    }

    fn get_template_contents(&self, target: &u32) -> u32 {
        self.tree.borrow().get(*target).map_or(*target, |n| n.first)
    }

    fn same_node(&self, x: &u32, y: &u32) -> bool {
        x == y
    }

    fn set_quirks_mode(&self, _mode: QuirksMode) {}

    fn append_before_sibling(&self, sibling: &u32, new_node: NodeOrText<u32>) {
        let mut tree = self.tree.borrow_mut();
        if let NodeOrText::AppendNode(n) = new_node {
            tree.detach(n);
        }
        let Some((parent, prev)) = tree.get(*sibling).map(|s| (s.parent, s.prev)) else {
            return;
        };
        if parent == NONE {
            return;
        }
        match new_node {
            NodeOrText::AppendNode(n) => tree.insert_before(*sibling, n),
            NodeOrText::AppendText(text) => {
                if !tree.merge_text(prev, &text) {
                    let t = tree.add(Kind::Text(text));
                    tree.insert_before(*sibling, t);
                }
            }
        }
    }

    fn add_attrs_if_missing(&self, target: &u32, new: Vec<Attribute>) {
        let mut tree = self.tree.borrow_mut();
        let Some(PNode {
            kind: Kind::Element { attrs, .. },
            ..
        }) = tree.get_mut(*target)
        else {
            return;
        };
        for attr in new {
            if let Err(at) = attrs.binary_search_by(|a| a.name.cmp(&attr.name)) {
                attrs.insert(at, attr);
            }
        }
    }

    fn remove_from_parent(&self, target: &u32) {
        self.tree.borrow_mut().detach(*target);
    }

    fn reparent_children(&self, node: &u32, new_parent: &u32) {
        let mut tree = self.tree.borrow_mut();
        let mut child = tree.get(*node).map_or(NONE, |n| n.first);
        while child != NONE {
            let next = tree.get(child).map_or(NONE, |c| c.next);
            tree.append(*new_parent, child);
            child = next;
        }
    }
}

/// The tree in document order, as [`Dom::from_html`] copies scraper's: elements and text
/// only, a template's contents under the template.
fn flatten(tree: &Tree) -> Dom {
    let mut dom = Dom::with_capacity(tree.nodes.len());
    let mut open: Vec<u32> = Vec::new();
    let mut cur = tree.get(0).map_or(NONE, |d| d.first);
    while let Some(node) = tree.get(cur) {
        let parent = open.last().copied().unwrap_or(NONE);
        let descend = match &node.kind {
            Kind::Element { name, attrs } => {
                dom.push_element(
                    &name.local,
                    attrs.iter().map(|a| (&*a.name.local, &*a.value)),
                    parent,
                    (false, false),
                );
                if node.first != NONE {
                    open.push(dom.nodes.len() as u32 - 1);
                }
                true
            }
            Kind::Text(t) => {
                dom.push_text(t, parent);
                false
            }
            Kind::Document | Kind::Fragment => true,
            Kind::Other => false,
        };
        if descend && node.first != NONE {
            cur = node.first;
            continue;
        }
        // Next in document order, closing the elements that end here.
        let mut at = cur;
        cur = NONE;
        while let Some(n) = tree.get(at) {
            if n.next != NONE {
                cur = n.next;
                break;
            }
            at = n.parent;
            if let Some(PNode {
                kind: Kind::Element { .. },
                ..
            }) = tree.get(at)
            {
                dom.close(open.pop());
            }
        }
    }
    while let Some(i) = open.pop() {
        dom.close(Some(i));
    }
    dom
}
