"""Drives headless Chromium through `warta serve`'s pages (issue 17): each page at 375 and
1280 px wide, screenshotted; console errors, requests leaving loopback and pages wider than
the screen collected; the search form used as a person would. Prints one JSON object.

Usage: python3 drive.py BASE_URL OUT_DIR PAGES_JSON   (PAGES_JSON: [["name", "/path"], ...])
Called by tests/it/browser.rs, which checks what it prints."""

import json
import os
import sys
from urllib.parse import urlparse

from playwright.sync_api import sync_playwright

LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}

# What a keyboard can reach: the elements Tab should stop at, in the page's own terms.
FOCUSABLE = """() => [...document.querySelectorAll(
  'a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex]')]
  // checkVisibility: not inside a closed <details>, whose content keeps its boxes.
  .filter(e => !e.disabled && e.tabIndex >= 0 && e.checkVisibility())
  .map((e, i) => { e.dataset.kw = String(i); return i; }).length"""

# The focused element: which one, its name as a screen reader would have it (roughly), and
# whether focus shows without colour (an outline of some width).
FOCUSED = """() => {
  const e = document.activeElement;
  if (!e || e === document.body) return null;
  const s = getComputedStyle(e);
  const label = e.labels && e.labels.length ? e.labels[0].innerText : '';
  const img = e.querySelector && e.querySelector('img[alt], svg[aria-label]');
  const name = (e.getAttribute('aria-label') || label || e.innerText || e.value
                || e.title || (img && (img.alt || img.getAttribute('aria-label'))) || '').trim();
  const r = e.getBoundingClientRect();
  return {kw: e.dataset.kw || null, tag: e.tagName.toLowerCase(), name: name.slice(0, 60),
          outline: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2,
          shown: r.width > 0 && r.height > 0 && r.right > 0 && r.bottom > 0
                 && r.left < innerWidth};
}"""

# Semantics a screen reader relies on: a language, one h1, landmarks, a label for every
# control, a text alternative for every image and chart.
SEMANTICS = """() => {
  const problems = [];
  if (!document.documentElement.lang) problems.push('no lang on <html>');
  const h1 = document.querySelectorAll('h1').length;
  if (h1 !== 1) problems.push(h1 + ' h1 elements');
  if (!document.querySelector('main')) problems.push('no <main>');
  if (!document.querySelector('nav')) problems.push('no <nav>');
  for (const c of document.querySelectorAll('input:not([type=hidden]):not([type=submit]), select, textarea'))
    if (!(c.labels && c.labels.length) && !c.getAttribute('aria-label'))
      problems.push('unlabelled ' + c.tagName.toLowerCase() + ' ' + (c.name || ''));
  for (const i of document.querySelectorAll('img'))
    if (!i.hasAttribute('alt')) problems.push('img without alt: ' + i.src);
  for (const s of document.querySelectorAll('svg'))
    if (!s.getAttribute('aria-label') && !s.querySelector('title') && s.getAttribute('aria-hidden') !== 'true')
      problems.push('svg without a text alternative');
  return problems;
}"""


def keyboard_walk(page, name):
    """Tabs through the whole page: every focusable element reached once, in order, each
    with a name and a visible outline. Returns the problems found (empty when none)."""
    count = page.evaluate(FOCUSABLE)
    problems, reached = [], []
    page.evaluate("document.activeElement && document.activeElement.blur()")
    # A date field takes a Tab for each of its parts: the same element again is not a wrap.
    for _ in range(min(count, 400) * 4 + 1):
        page.keyboard.press("Tab")
        f = page.evaluate(FOCUSED)
        if f is not None and reached and f["kw"] == reached[-1]:
            continue
        if f is None or f["kw"] in reached:
            break  # past the last element: focus left the document or wrapped round
        reached.append(f["kw"])
        if not f["name"]:
            problems.append(f"{name}: a focusable {f['tag']} without a name")
        if not f["outline"]:
            problems.append(f"{name}: no visible focus on {f['tag']} '{f['name']}'")
        if not f["shown"]:
            problems.append(f"{name}: focus on {f['tag']} '{f['name']}' off screen")
    if len(reached) < count:
        missed = page.evaluate("""reached => [...document.querySelectorAll('[data-kw]')]
            .filter(e => !reached.includes(e.dataset.kw))
            .map(e => e.tagName.toLowerCase() + ' ' + (e.innerText || e.name || '').trim().slice(0, 30))""",
                               reached)
        problems.append(f"{name}: Tab reached {len(reached)} of {count} elements, not {missed}")
    return problems, len(reached)


def main():
    base, out, pages = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    os.makedirs(out, exist_ok=True)
    report = {"console_errors": [], "outside": [], "too_wide": [], "screenshots": [],
              "search": None, "skip_link_first": None,
              "keyboard": [], "tab_stops": {}, "semantics": [], "keyboard_search": None}
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=os.environ.get("WARTA_CHROMIUM", "/usr/bin/chromium"),
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync"])
        for width in (375, 1280):
            # A phone set to Indonesian, a desktop set to English (Accept-Language follows).
            locale = "id-ID" if width == 375 else "en-US"
            context = browser.new_context(viewport={"width": width, "height": 800}, locale=locale)
            page = context.new_page()
            page.on("console", lambda m, w=width: m.type == "error" and report["console_errors"].append(
                {"width": w, "url": page.url, "text": m.text}))
            page.on("pageerror", lambda e, w=width: report["console_errors"].append(
                {"width": w, "url": page.url, "text": str(e)}))
            page.on("request", lambda r: urlparse(r.url).hostname not in LOOPBACK
                    and report["outside"].append(r.url))
            for name, path in pages:
                page.goto(base + path, wait_until="networkidle")
                shot = os.path.join(out, f"{name}-{width}.png")
                page.screenshot(path=shot, full_page=True)
                report["screenshots"].append(shot)
                wide = page.evaluate("document.documentElement.scrollWidth > window.innerWidth + 1")
                if wide:
                    report["too_wide"].append({"width": width, "page": name})
                if width == 1280:
                    report["semantics"] += [f"{name}: {p}" for p in page.evaluate(SEMANTICS)]
                    problems, stops = keyboard_walk(page, name)
                    report["keyboard"] += problems
                    report["tab_stops"][name] = stops
            if width == 375:
                # Keyboard first: the first Tab reaches the skip link.
                page.goto(base + "/", wait_until="networkidle")
                page.keyboard.press("Tab")
                report["skip_link_first"] = page.evaluate(
                    "document.activeElement && document.activeElement.className")
                # The search form, as a person uses it: the menu, the words, Enter.
                page.goto(base + "/", wait_until="networkidle")
                page.get_by_role("link", name="Cari").click()
                page.get_by_label("Kata kunci").fill("banjir")
                page.get_by_label("Urutan").select_option("relevance")
                with page.expect_navigation():
                    page.get_by_label("Kata kunci").press("Enter")
                report["search"] = {
                    "url": page.url,
                    "results": page.locator("ol.hits li").count(),
                    "marked": page.locator("ol.hits mark").count(),
                    "first": page.locator("ol.hits h3").first.inner_text()
                    if page.locator("ol.hits h3").count() else None,
                }
            if width == 1280:
                # The search without a mouse: skip link, the words, Enter, then a facet
                # reached by Tab and followed with Enter.
                page.goto(base + "/search", wait_until="networkidle")
                page.keyboard.press("Tab")
                page.keyboard.press("Enter")
                page.keyboard.press("Tab")
                page.keyboard.type("banjir")
                with page.expect_navigation():
                    page.keyboard.press("Enter")
                after_query = page.url
                facet = None
                for _ in range(200):
                    page.keyboard.press("Tab")
                    if page.evaluate("!!(document.activeElement && document.activeElement.closest('.facets'))"):
                        facet = page.evaluate("document.activeElement.getAttribute('href')")
                        break
                if facet:
                    with page.expect_navigation():
                        page.keyboard.press("Enter")
                report["keyboard_search"] = {"after_query": after_query, "facet": facet,
                                             "after_facet": page.url,
                                             "results": page.locator("ol.hits li").count()}
            context.close()
        browser.close()
    print(json.dumps(report))


if __name__ == "__main__":
    main()
