//! Generic article finding: drop page furniture, score containers Readability-style and
//! pick the best one together with the siblings that belong to it.
//!
//! Every pass is a loop over the pre-ordered arena, so the cost is linear in the page size
//! and independent of its nesting depth.

use url::Url;

use super::dom::{Dom, NONE, Node, Tag};
use super::patterns::{
    UNLIKELY_ROLES, class_id, class_weight, is_comment_named, is_furniture_id, is_unlikely,
};

/// Elements that are never article text.
fn always_removed(tag: Tag) -> bool {
    matches!(
        tag,
        Tag::Aside
            | Tag::Button
            | Tag::Canvas
            | Tag::Dialog
            | Tag::Embed
            | Tag::Head
            | Tag::Iframe
            | Tag::Input
            | Tag::Link
            | Tag::Menu
            | Tag::Meta
            | Tag::Nav
            | Tag::Noscript
            | Tag::Object
            | Tag::Option
            | Tag::RubyText
            | Tag::Script
            | Tag::Select
            | Tag::Style
            | Tag::Svg
            | Tag::Template
            | Tag::Textarea
            | Tag::Title
    )
}

/// Per-node figures, computed bottom-up over what was not removed.
pub(crate) struct Stats {
    /// Non-whitespace characters of text.
    pub text: Vec<u32>,
    /// Of which inside links.
    pub link: Vec<u32>,
    pub commas: Vec<u32>,
    pub paragraphs: Vec<u32>,
    pub images: Vec<u32>,
    pub items: Vec<u32>,
    /// Text whose nearest block ancestor is this node (its "own" paragraph text).
    pub own_text: Vec<u32>,
    pub own_commas: Vec<u32>,
}

impl Stats {
    pub(crate) fn link_density(&self, i: usize) -> f32 {
        let t = self.text.get(i).copied().unwrap_or(0);
        if t == 0 {
            return 0.0;
        }
        self.link.get(i).copied().unwrap_or(0) as f32 / t as f32
    }
}

/// Whether an element says it is the page's article: `<main>`, `<article>` or
/// `itemprop="articleBody"`. A reader's comment marked up as an `<article>` (WordPress does)
/// is not the page's.
fn declares_article(node: &Node) -> bool {
    node.tag == Tag::Main
        || (node.tag == Tag::Article
            && !is_comment_named(&class_id(node.attr("class"), node.attr("id"))))
        || node
            .attr("itemprop")
            .is_some_and(|p| p.eq_ignore_ascii_case("articleBody"))
}

/// The folders of a page's address that read like furniture names ("newsletter" in
/// `/newsletter/foundational-fitness`, "promo" in `/promo/…`): on that page they name what
/// the page is, so its container may carry them.
pub(crate) fn url_sections(url: Option<&Url>) -> Vec<String> {
    let Some(segments) = url.and_then(|u| u.path_segments()) else {
        return Vec::new();
    };
    let mut folders: Vec<&str> = segments.filter(|s| !s.is_empty()).collect();
    folders.pop();
    folders
        .into_iter()
        .take(8)
        .map(str::to_ascii_lowercase)
        .filter(|s| s.len() >= 4 && s.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'))
        .filter(|s| is_unlikely(s))
        .collect()
}

/// Marks furniture as removed. With `strict` off, class/id patterns are not used (the
/// retry when the strict pass found too little). `sections` are [`url_sections`].
pub(crate) fn mark_removed(dom: &mut Dom, strict: bool, sections: &[String]) {
    let n = dom.nodes.len();
    // Whether a subtree holds an element that declares itself the article.
    let mut holds_article = vec![false; n];
    for i in (0..n).rev() {
        let Some(node) = dom.nodes.get(i) else {
            continue;
        };
        let flag = declares_article(node) || holds_article.get(i).copied().unwrap_or(false);
        if let Some(h) = holds_article.get_mut(i) {
            *h = flag;
        }
        if flag
            && node.parent != NONE
            && let Some(h) = holds_article.get_mut(node.parent as usize)
        {
            *h = true;
        }
    }
    // Whether a node lies inside an <article> or <main>: a <header> there opens the
    // content (its title, byline, lead), or is a page builder's name for a section of it,
    // and is no site header.
    let mut in_content = vec![false; n];
    for i in 0..n {
        let Some(node) = dom.nodes.get(i) else { break };
        let parent = node.parent as usize;
        let inside = dom.nodes.get(parent).is_some_and(|p| {
            matches!(p.tag, Tag::Article | Tag::Main)
                || in_content.get(parent).copied().unwrap_or(false)
        });
        if let Some(f) = in_content.get_mut(i) {
            *f = inside;
        }
    }
    // Text bytes before each node in document order: a subtree's text is the difference
    // across its range.
    let mut text_before = Vec::with_capacity(n + 1);
    let mut total = 0usize;
    for node in &dom.nodes {
        text_before.push(total);
        let shown = node.tag == Tag::Text
            && dom.node(node.parent).is_none_or(|p| {
                !matches!(
                    p.tag,
                    Tag::Script | Tag::Style | Tag::Template | Tag::Title | Tag::Noscript
                )
            });
        if shown {
            total += dom.text_of(node).trim().len();
        }
    }
    text_before.push(total);
    // Furniture is never most of a page: a container whose class or id reads like a
    // sidebar or a menu ("inline-and-sidebar-container" around the whole article), or a
    // `<form>` or `<footer>` by its tag, that holds most of the page's text is the page.
    let most_text = |i: usize, end: usize| {
        let own = text_before.get(end.min(n)).copied().unwrap_or(total)
            - text_before.get(i).copied().unwrap_or(0);
        own * 2 > total
    };
    let mut i = 0usize;
    while i < n {
        let Some(node) = dom.nodes.get(i) else { break };
        let tag = node.tag;
        if tag == Tag::Text {
            i += 1;
            continue;
        }
        let protected = matches!(tag, Tag::Html | Tag::Body | Tag::Article | Tag::Main)
            || holds_article.get(i).copied().unwrap_or(false);
        // Readers may write more than the author: a comment thread is furniture whatever
        // its share of the text.
        let holds_most = most_text(i, node.end as usize)
            && !is_comment_named(&class_id(node.attr("class"), node.attr("id")));
        // A header, footer or form that is part of the page's text, not furniture around
        // it: the article's own header, or a `<form>` around the whole page (ASP.NET).
        let page_part = protected
            || (tag == Tag::Header && in_content.get(i).copied().unwrap_or(false))
            || holds_most;
        let remove = node.cut
            || node.hidden
            || (always_removed(tag) && !misused_container(tag, &holds_article, i, strict))
            || (matches!(tag, Tag::Header | Tag::Footer | Tag::Form) && !page_part)
            || (strict && !protected && !holds_most && {
                // A heading's id is an anchor for links into the page, made from its
                // words ("nav_tips", "ad-spending-2024"), not a name for its part of the
                // page: only its class says what it is. So is a section's id made from its
                // heading (docutils, pandoc).
                let anchor = |id: &str| {
                    matches!(tag, Tag::H(_))
                        || (is_unlikely(&id.to_lowercase()) && anchors_heading(dom, i, id))
                };
                let id = node.attr("id").filter(|id| !anchor(id));
                let mut ci = class_id(node.attr("class"), id);
                // A heading is a header by nature: "header-anchor-post" (Substack) or
                // "et_pb_module_header" (Divi) names what it is, not the site's header.
                if matches!(tag, Tag::H(_)) {
                    ci = ci.replace("header", " ");
                }
                (is_unlikely(&ci) && !sections.iter().any(|w| ci.contains(w.as_str())))
                    || is_furniture_id(id)
                    || node
                        .attr("role")
                        .is_some_and(|r| UNLIKELY_ROLES.binary_search(&r).is_ok())
            });
        let end = node.end as usize;
        if remove {
            if let Some(node) = dom.nodes.get_mut(i) {
                node.removed = true;
            }
            i = end.max(i + 1);
        } else {
            i += 1;
        }
    }
}

/// Whether `id` is the slug of the first heading inside element `i` ("sharing-with-a-
/// single-developer" on a section opening with "Sharing with a single developer").
fn anchors_heading(dom: &Dom, i: usize, id: &str) -> bool {
    let words = |s: &str| -> Vec<String> {
        s.split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect()
    };
    let slug = words(id);
    if slug.len() < 2 {
        return false;
    }
    let end = dom.nodes.get(i).map_or(i, |n| n.end as usize);
    let Some(h) = (i + 1..end.min(i + 40))
        .find(|&j| dom.nodes.get(j).is_some_and(|n| matches!(n.tag, Tag::H(_))))
    else {
        return false;
    };
    words(&dom.subtree_text(h as u32, false)).starts_with(&slug)
}

/// A container that is furniture by its tag but wraps the article here: an `<aside>`,
/// `<nav>`, `<menu>` or `<dialog>` holding the page's `<article>` or `<main>` (an unclosed
/// `<aside>` banner at the top of the body swallows the whole page), or, on the retry after
/// the strict pass found too little, any `<aside>`.
fn misused_container(tag: Tag, holds_article: &[bool], i: usize, strict: bool) -> bool {
    matches!(tag, Tag::Aside | Tag::Nav | Tag::Menu | Tag::Dialog)
        && (holds_article.get(i).copied().unwrap_or(false) || (!strict && tag == Tag::Aside))
}

/// Whether an element has a sibling of its kind and class (an article written as a run of
/// `<section class="blog-section">`, or as two blocks of columns), whose text belongs
/// together.
fn repeated_section(dom: &Dom, i: usize) -> bool {
    // The section the siblings resemble may be a few one-child wrappers up
    // (`<div class="block-columns"><div class="columns">…`).
    let i = outermost_wrapper(dom, i);
    let Some(node) = dom.nodes.get(i) else {
        return false;
    };
    let Some(class) = node.attr("class").filter(|c| !c.trim().is_empty()) else {
        return false;
    };
    let parent = node.parent as usize;
    element_children(dom, parent)
        .filter(|&c| c != i)
        .filter_map(|c| dom.nodes.get(c))
        .any(|c| c.tag == node.tag && c.attr("class") == Some(class))
}

/// The outermost of the wrappers around `i` that each hold nothing else: what stands in
/// `i`'s place among its siblings.
fn outermost_wrapper(dom: &Dom, mut i: usize) -> usize {
    while let Some(n) = dom.nodes.get(i)
        && n.parent != NONE
        && element_children(dom, n.parent as usize).nth(1).is_none()
    {
        i = n.parent as usize;
    }
    i
}

/// Nearest ancestor-or-self that is a block (inline wrappers are looked through).
fn block_of(dom: &Dom) -> Vec<u32> {
    let mut out = Vec::with_capacity(dom.nodes.len());
    for (i, node) in dom.nodes.iter().enumerate() {
        let inline = node.tag == Tag::Text || !node.tag.is_block();
        let b = if inline && node.parent != NONE {
            out.get(node.parent as usize).copied().unwrap_or(i as u32)
        } else {
            i as u32
        };
        out.push(b);
    }
    out
}

pub(crate) fn stats(dom: &Dom) -> Stats {
    let n = dom.nodes.len();
    let mut s = Stats {
        text: vec![0; n],
        link: vec![0; n],
        commas: vec![0; n],
        paragraphs: vec![0; n],
        images: vec![0; n],
        items: vec![0; n],
        own_text: vec![0; n],
        own_commas: vec![0; n],
    };
    let blocks = block_of(dom);
    // Text and own text: one forward pass over text nodes outside removed subtrees.
    let mut i = 0usize;
    while i < n {
        let Some(node) = dom.nodes.get(i) else { break };
        if node.removed {
            i = (node.end as usize).max(i + 1);
            continue;
        }
        if node.tag == Tag::Text {
            let (mut chars, mut commas) = (0u32, 0u32);
            for c in dom.text_of(node).chars() {
                chars += u32::from(!c.is_whitespace());
                commas += u32::from(matches!(c, ',' | '،' | '、' | '，'));
            }
            if let Some(v) = s.text.get_mut(i) {
                *v = chars;
            }
            if let Some(v) = s.commas.get_mut(i) {
                *v = commas;
            }
            let b = blocks.get(i).copied().unwrap_or(NONE) as usize;
            if let Some(v) = s.own_text.get_mut(b) {
                *v += chars;
            }
            if let Some(v) = s.own_commas.get_mut(b) {
                *v += commas;
            }
        }
        i += 1;
    }
    // Sums bottom-up; removed nodes add nothing to their parents.
    for i in (0..n).rev() {
        let Some(node) = dom.nodes.get(i) else {
            continue;
        };
        if node.removed {
            continue;
        }
        match node.tag {
            Tag::A => {
                let t = s.text.get(i).copied().unwrap_or(0);
                if let Some(v) = s.link.get_mut(i) {
                    *v = t;
                }
            }
            // A div holding its own run of text is a paragraph too: many templates (and
            // blog editors) write paragraphs as divs with spans and `<br>`s.
            Tag::P | Tag::Div | Tag::Section
                if node.tag == Tag::P || s.own_text.get(i).copied().unwrap_or(0) >= 50 =>
            {
                if let Some(v) = s.paragraphs.get_mut(i) {
                    *v += 1;
                }
            }
            Tag::Img => {
                if let Some(v) = s.images.get_mut(i) {
                    *v += 1;
                }
            }
            Tag::Li => {
                if let Some(v) = s.items.get_mut(i) {
                    *v += 1;
                }
            }
            _ => {}
        }
        let p = node.parent as usize;
        if node.parent == NONE {
            continue;
        }
        for arr in [
            &mut s.text,
            &mut s.link,
            &mut s.commas,
            &mut s.paragraphs,
            &mut s.images,
            &mut s.items,
        ] {
            let v = arr.get(i).copied().unwrap_or(0);
            if let Some(pv) = arr.get_mut(p) {
                *pv += v;
            }
        }
    }
    s
}

fn tag_base(tag: Tag) -> f32 {
    match tag {
        Tag::Div | Tag::Article | Tag::Main | Tag::Section => 5.0,
        Tag::Pre | Tag::Td | Tag::Blockquote => 3.0,
        Tag::Address | Tag::Ol | Tag::Ul | Tag::Dl | Tag::Dd | Tag::Dt | Tag::Li | Tag::Form => {
            -3.0
        }
        Tag::H(_) | Tag::Th => -5.0,
        _ => 0.0,
    }
}

fn weight(dom: &Dom, i: usize) -> f32 {
    dom.nodes.get(i).map_or(0.0, |n| {
        let mut w = class_weight(&class_id(n.attr("class"), n.attr("id")));
        if n.attr("itemprop")
            .is_some_and(|p| p.eq_ignore_ascii_case("articleBody"))
        {
            w += 25.0;
        }
        w
    })
}

/// Picks the article: the best-scoring container and its qualifying siblings, in document
/// order. Empty when the page has no paragraph text at all.
pub(crate) fn pick(dom: &Dom, st: &Stats) -> Vec<u32> {
    let n = dom.nodes.len();
    let mut score = vec![0f32; n];
    let mut is_cand = vec![false; n];
    let mut any = false;
    let mut i = 0usize;
    while i < n {
        let Some(node) = dom.nodes.get(i) else { break };
        if node.removed {
            i = (node.end as usize).max(i + 1);
            continue;
        }
        i += 1;
        let own = st.own_text.get(i - 1).copied().unwrap_or(0);
        if own < 25
            || !node.tag.is_block()
            || matches!(
                node.tag,
                Tag::Li | Tag::H(_) | Tag::Th | Tag::Dt | Tag::Figcaption | Tag::Address
            )
        {
            continue;
        }
        let commas = st.own_commas.get(i - 1).copied().unwrap_or(0) as f32;
        let points = 1.0 + commas + (own as f32 / 100.0).min(3.0);
        // A real paragraph feeds its container; a container with loose text feeds itself.
        let mut at = if matches!(node.tag, Tag::P | Tag::Pre | Tag::Td | Tag::Blockquote) {
            node.parent
        } else {
            (i - 1) as u32
        };
        for level in 0..5u32 {
            if at == NONE {
                break;
            }
            let Some(anc) = dom.node(at) else { break };
            if matches!(anc.tag, Tag::Html) {
                break;
            }
            let a = at as usize;
            if !is_cand.get(a).copied().unwrap_or(true) {
                if let Some(s) = score.get_mut(a) {
                    *s = tag_base(anc.tag) + weight(dom, a);
                }
                if let Some(c) = is_cand.get_mut(a) {
                    *c = true;
                }
            }
            let div = match level {
                0 => 1.0,
                1 => 2.0,
                l => l as f32 * 3.0,
            };
            if let Some(s) = score.get_mut(a) {
                *s += points / div;
            }
            any = true;
            at = anc.parent;
        }
    }
    if !any {
        return Vec::new();
    }
    for (i, s) in score.iter_mut().enumerate() {
        if is_cand.get(i).copied().unwrap_or(false) {
            *s *= 1.0 - st.link_density(i);
        }
    }
    let mut cands: Vec<usize> = (0..n)
        .filter(|&i| is_cand.get(i).copied().unwrap_or(false))
        .collect();
    cands.sort_by(|&a, &b| {
        let (sa, sb) = (
            score.get(a).copied().unwrap_or(0.0),
            score.get(b).copied().unwrap_or(0.0),
        );
        sb.total_cmp(&sa)
    });
    let Some(&first) = cands.first() else {
        return Vec::new();
    };
    let sc = |i: usize| score.get(i).copied().unwrap_or(0.0);
    let mut top = first;
    let top_score = sc(top);
    let parent_of = |i: usize| dom.nodes.get(i).map_or(NONE, |n| n.parent);
    let is_body = |i: u32| {
        dom.node(i)
            .is_none_or(|n| matches!(n.tag, Tag::Body | Tag::Html))
    };

    // Several near-equal candidates under one ancestor: the article is split, take the ancestor.
    // Only candidates beside the top one count: its own ancestors and descendants score
    // close to it simply because they hold the same text.
    let top_end = dom.nodes.get(top).map_or(top, |n| n.end as usize);
    let related = |c: usize| {
        (c > top && c < top_end)
            || (c < top && dom.nodes.get(c).is_some_and(|n| n.end as usize > top))
    };
    let alternatives: Vec<usize> = cands
        .iter()
        .skip(1)
        .take(4)
        .copied()
        .filter(|&c| top_score > 0.0 && sc(c) / top_score >= 0.75 && !related(c))
        .collect();
    if alternatives.len() >= 3 {
        let mut p = parent_of(top);
        while p != NONE && !is_body(p) {
            let Some(pn) = dom.node(p) else { break };
            let inside = alternatives
                .iter()
                .filter(|&&c| c > p as usize && c < pn.end as usize)
                .count();
            if inside >= 3 {
                top = p as usize;
                break;
            }
            p = pn.parent;
        }
    }
    // A parent that scores better than its child holds more of the article.
    let mut last = sc(top);
    let threshold = last / 3.0;
    let mut p = parent_of(top);
    while p != NONE && !is_body(p) {
        let pu = p as usize;
        if !is_cand.get(pu).copied().unwrap_or(false) {
            p = parent_of(pu);
            continue;
        }
        let ps = sc(pu);
        if ps < threshold {
            break;
        }
        if ps > last {
            top = pu;
            break;
        }
        last = ps;
        p = parent_of(pu);
    }
    // An only child says nothing its parent does not; nor does a wrapper that adds little
    // text to it (a section's heading around the section's paragraphs), and the wrapper is
    // what its sibling sections look like.
    let text_of = |i: usize| st.text.get(i).copied().unwrap_or(0) as u64;
    loop {
        let p = parent_of(top);
        if p == NONE || is_body(p) {
            break;
        }
        let thin = text_of(p as usize) * 100 <= text_of(top) * 115
            && st.link_density(p as usize) <= st.link_density(top) + 0.1
            && repeated_section(dom, p as usize);
        if element_children(dom, p as usize).count() != 1 && !thin {
            break;
        }
        top = p as usize;
    }

    let top_score = sc(top).max(top_score);
    let parent = parent_of(top);
    if parent == NONE {
        return vec![top as u32];
    }
    let threshold = (top_score * 0.2).max(10.0);
    let top_class = dom
        .nodes
        .get(top)
        .and_then(|n| n.attr("class"))
        .unwrap_or("");
    let mut picked = Vec::new();
    for c in element_children(dom, parent as usize) {
        if c == top {
            picked.push(c as u32);
            continue;
        }
        let Some(cn) = dom.nodes.get(c) else { continue };
        let same_class = !top_class.is_empty() && cn.attr("class") == Some(top_class);
        let bonus = if same_class { top_score * 0.2 } else { 0.0 };
        let ok = if is_teaser_grid(dom, st, c) {
            false
        } else if is_cand.get(c).copied().unwrap_or(false) && sc(c) + bonus >= threshold {
            true
        } else if same_class && st.link_density(c) < 0.25 {
            // Built like the article's own box: a part of it without paragraphs (a table,
            // a list of steps).
            st.text.get(c).copied().unwrap_or(0) > 0
        } else if matches!(cn.tag, Tag::P | Tag::Div | Tag::Blockquote | Tag::Pre) {
            let len = st.text.get(c).copied().unwrap_or(0);
            let ld = st.link_density(c);
            if len > 80 {
                ld < 0.25
            } else if len > 0 && ld == 0.0 {
                let text = dom.subtree_text(c as u32, true);
                text.ends_with('.') || text.contains(". ")
            } else {
                false
            }
        } else {
            false
        };
        if ok {
            picked.push(c as u32);
        }
    }
    picked
}

/// Indices of the non-removed element children of `i`.
fn element_children(dom: &Dom, i: usize) -> impl Iterator<Item = usize> + '_ {
    let end = dom.nodes.get(i).map_or(0, |n| n.end as usize);
    let mut j = i + 1;
    std::iter::from_fn(move || {
        while j < end {
            let k = j;
            let node = dom.nodes.get(k)?;
            j = (node.end as usize).max(k + 1);
            if node.tag != Tag::Text && !node.removed {
                return Some(k);
            }
        }
        None
    })
}

/// Readability's conditional cleaning: inside the picked content, drop containers that look
/// like link lists, image galleries or widgets rather than prose.
pub(crate) fn clean(dom: &mut Dom, st: &Stats, roots: &[u32]) {
    let announced_before = announced_links_before(dom, st);
    for &root in roots {
        let end = dom.node(root).map_or(0, |n| n.end as usize);
        let mut i = root as usize + 1;
        while i < end {
            let Some(node) = dom.nodes.get(i) else { break };
            let next = (node.end as usize).max(i + 1);
            if node.removed {
                i = next;
                continue;
            }
            let checked = matches!(
                node.tag,
                Tag::Div | Tag::Section | Tag::Ul | Tag::Ol | Tag::Table | Tag::Other | Tag::Dl
            );
            if checked && should_drop(dom, st, &announced_before, i) {
                if let Some(node) = dom.nodes.get_mut(i) {
                    node.removed = true;
                }
                i = next;
            } else {
                i += 1;
            }
        }
    }
}

fn should_drop(dom: &Dom, st: &Stats, announced_before: &[u32], i: usize) -> bool {
    let get = |v: &Vec<u32>| v.get(i).copied().unwrap_or(0);
    let w = weight(dom, i);
    let text = get(&st.text);
    if w < 0.0 && text < 1000 {
        return true;
    }
    if is_teaser_grid(dom, st, i) {
        return true;
    }
    let tag = dom.nodes.get(i).map_or(Tag::Other, |n| n.tag);
    let is_list = matches!(tag, Tag::Ul | Tag::Ol | Tag::Dl);
    if is_list && announced(dom, st, i) {
        return false;
    }
    // Announced lists are the prose's own links (a post listing the patches it sent), not a
    // box of links beside it: the block is judged by its other links.
    let announced_links = announced_before
        .get(dom.nodes.get(i).map_or(0, |n| n.end as usize))
        .zip(announced_before.get(i + 1))
        .map_or(0, |(after, before)| after.saturating_sub(*before));
    let ld = if text == 0 {
        0.0
    } else {
        get(&st.link).saturating_sub(announced_links) as f32 / text as f32
    };
    if get(&st.commas) >= 10 || (text > 1000 && ld < 0.5) {
        return false;
    }
    let p = get(&st.paragraphs) as f32;
    let img = get(&st.images) as f32;
    let li = get(&st.items) as f32;
    // A list of linked names, each with words of its own about the name, is prose; a list
    // of headlines with their dates is not (25 characters an item: more than a date and
    // time).
    let own_text_per_item = text.saturating_sub(get(&st.link)) as f32 / li.max(1.0);
    // A run of pictures is a gallery unless real paragraphs stand between them (photo
    // stories interleave both).
    (img > 1.0 && p / img < 0.5 && !(p >= 2.0 && text >= 250))
        || (!is_list && li > p + 100.0)
        || (!is_list && text < 25 && img == 0.0 && !holds_heading(dom, i))
        // Readability drops a box a fifth linked; prose that links its sources gets there.
        || (w < 25.0 && !is_list && ld > 0.3)
        || (w < 25.0 && is_list && ld > 0.5 && !(ld <= 0.9 && own_text_per_item >= 25.0))
        || (w >= 25.0 && ld > 0.5)
}

/// Whether list `i` follows a short line of prose that announces it ("Many patches were
/// sent for review:"): such a list continues the sentence, however many of its items link.
fn announced(dom: &Dom, st: &Stats, i: usize) -> bool {
    // A list alone in its wrapper (`<div class="ulist"><ul>`) follows what the wrapper follows.
    let Some(prev) = previous_element(dom, outermost_wrapper(dom, i)) else {
        return false;
    };
    let len = st.text.get(prev).copied().unwrap_or(0);
    if len == 0 || len > 400 || st.link_density(prev) > 0.5 {
        return false;
    }
    dom.subtree_text(prev as u32, true)
        .trim_end()
        .ends_with(':')
}

/// Link characters of announced lists (see [`announced`]) before each node in document
/// order, so a subtree's share is the difference across its range: one pass, whatever the
/// nesting, instead of a walk below every block judged.
fn announced_links_before(dom: &Dom, st: &Stats) -> Vec<u32> {
    let n = dom.nodes.len();
    let mut before = Vec::with_capacity(n + 1);
    let mut total = 0u32;
    // The end of the announced list being counted: lists inside it are already counted.
    let mut inside_until = 0usize;
    for (j, node) in dom.nodes.iter().enumerate() {
        before.push(total);
        if j >= inside_until
            && !node.removed
            && matches!(node.tag, Tag::Ul | Tag::Ol)
            && announced(dom, st, j)
        {
            total = total.saturating_add(st.link.get(j).copied().unwrap_or(0));
            inside_until = node.end as usize;
        }
    }
    before.push(total);
    before
}

/// The nearest element sibling before `i` that is not removed: the child of `i`'s parent
/// holding the node just before `i`, or the one before that.
fn previous_element(dom: &Dom, i: usize) -> Option<usize> {
    let parent = dom.nodes.get(i)?.parent;
    if parent == NONE {
        return None;
    }
    let mut k = i;
    loop {
        k = k.checked_sub(1).filter(|&k| k > parent as usize)?;
        while let Some(n) = dom.nodes.get(k)
            && n.parent != parent
        {
            k = n.parent as usize;
        }
        let node = dom.nodes.get(k)?;
        if node.tag != Tag::Text && !node.removed {
            return Some(k);
        }
    }
}

/// A grid of teasers for other pages ("most popular", "more stories"): at least three
/// element children built alike (same tag and class), each short, each linking away and
/// each led by a picture or a linked headline. Prose never repeats one shape like this, so
/// the test holds whatever the site calls the block and whatever its language.
pub(crate) fn is_teaser_grid(dom: &Dom, st: &Stats, i: usize) -> bool {
    // A child's shape is its tag and class. Per shape: how many children have it, and how
    // many of those are teasers. A heading or a "more" link beside the grid is a different
    // shape and is allowed.
    type Shape<'a> = (Tag, Option<&'a str>);
    let mut shapes: Vec<(Shape, u32, u32)> = Vec::new();
    let mut total = 0u32;
    for c in element_children(dom, i) {
        let Some(cn) = dom.nodes.get(c) else { continue };
        let text = st.text.get(c).copied().unwrap_or(0);
        let link = st.link.get(c).copied().unwrap_or(0);
        let images = st.images.get(c).copied().unwrap_or(0);
        if text == 0 && images == 0 {
            continue;
        }
        total += 1;
        // List items that open with a linked phrase are how prose lists cite sources,
        // so in a list only pictured items count as teasers. A pictured card is a teaser
        // when its words are mostly the link or an excerpt of meta-description length; a
        // card with a paragraph of its own (a product the article reviews, with a "buy"
        // button) is content.
        let pictured_teaser = images > 0 && (link * 10 >= text || text.saturating_sub(link) < 250);
        let linked = link > 0 && (pictured_teaser || (link * 4 >= text && cn.tag != Tag::Li));
        // A pictured teaser may carry a longer excerpt than a bare headline.
        let short = text < if images > 0 { 600 } else { 300 };
        let teaser = u32::from(linked && short && cn.tag != Tag::P);
        let here = (cn.tag, cn.attr("class"));
        if let Some(s) = shapes.iter_mut().find(|s| s.0 == here) {
            s.1 += 1;
            s.2 += teaser;
        } else if shapes.len() < 8 {
            shapes.push((here, 1, teaser));
        } else {
            return false;
        }
    }
    shapes
        .iter()
        .any(|&(_, n, teasers)| teasers >= 3 && teasers == n && n + 2 >= total)
}

/// The article's own container, when the picked blocks are only part of it: the nearest
/// element around all of them that declares the article (or has `role="main"`), if it
/// holds at least twice their text and is not mostly links, or half as much again in
/// prose. Pages built from boxes of one shape each (a listicle's entries, a guide's
/// sections, a ranking's rows) score one box far above the rest; the page's own markup
/// says where the article ends.
pub(crate) fn semantic_container(dom: &Dom, st: &Stats, roots: &[u32]) -> Option<u32> {
    let text_of = |i: usize| st.text.get(i).copied().unwrap_or(0) as u64;
    let (&first, &last) = (roots.first()?, roots.last()?);
    let mut a = dom.node(first)?.parent;
    let container = loop {
        let n = dom.node(a)?;
        if matches!(n.tag, Tag::Body | Tag::Html) {
            return None;
        }
        let semantic = declares_article(n)
            || n.attr("role")
                .is_some_and(|r| r.eq_ignore_ascii_case("main"));
        if semantic && n.end > last && !n.removed {
            break a as usize;
        }
        a = n.parent;
    };
    let links_of = |i: usize| st.link.get(i).copied().unwrap_or(0) as u64;
    let kept: u64 = roots.iter().map(|&r| text_of(r as usize)).sum();
    let kept_links: u64 = roots.iter().map(|&r| links_of(r as usize)).sum();
    let whole = text_of(container);
    // Half as much again is enough when what it adds is prose (under 8% of it linked): a
    // teaser or two beside a short article would add links.
    let added = whole.saturating_sub(kept);
    let added_links = links_of(container).saturating_sub(kept_links);
    let ok = if whole >= kept * 2 {
        st.link_density(container) <= 0.3
    } else {
        whole * 2 >= kept * 3 && added_links * 100 <= added * 8
    };
    ok.then_some(container as u32)
}

/// A box around a subheading is short, but the heading is the article's.
fn holds_heading(dom: &Dom, i: usize) -> bool {
    let end = dom.nodes.get(i).map_or(i, |n| n.end as usize);
    dom.nodes
        .get(i + 1..end)
        .is_some_and(|ns| ns.iter().any(|n| matches!(n.tag, Tag::H(_)) && !n.removed))
}
