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


def main():
    base, out, pages = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    os.makedirs(out, exist_ok=True)
    report = {"console_errors": [], "outside": [], "too_wide": [], "screenshots": [],
              "search": None, "skip_link_first": None}
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
            context.close()
        browser.close()
    print(json.dumps(report))


if __name__ == "__main__":
    main()
