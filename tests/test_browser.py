"""The built HTML book works in a real browser with no network.

Serves ``_build/html`` (``make test`` builds it first) on 127.0.0.1, opens every
page in Debian's Chromium driven headless by Playwright, and checks what a reader
gets: typeset math, loaded images with alt text, headings in order, sliders that
move the figure with the keyboard and no kernel, no console errors, and not a
single request leaving the host. Each page is visited once; the tests below read
what that visit recorded.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from browsing import CHROMIUM_FLAGS, chromium_executable, serve
from conftest import BOOK, ROOT

# NNBOOK_HTML: test another build of the site (e.g. one made with --path-output).
HTML = Path(os.environ.get("NNBOOK_HTML") or ROOT / "_build" / "html")
MAX_PAGE_BYTES = 3_000_000
WIDGET_VIEW = "script[type='application/vnd.jupyter.widget-view+json']"


def built_pages() -> list[str]:
    """Every HTML page of the built book, relative to _build/html."""
    if not HTML.is_dir():
        return []
    return sorted(
        path.relative_to(HTML).as_posix()
        for path in HTML.rglob("*.html")
        if not path.relative_to(HTML).parts[0].startswith("_")
    )


PAGES = built_pages()
pytestmark = pytest.mark.skipif(
    not PAGES, reason=f"no built book in {HTML}: run `make book` (make test does)"
)


@dataclass
class PageReport:
    """What one visit to a page saw."""

    name: str
    external_requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    math: dict = field(default_factory=dict)
    broken_images: list[str] = field(default_factory=list)
    images_without_alt: list[str] = field(default_factory=list)
    headings: list[int] = field(default_factory=list)
    widgets: dict = field(default_factory=dict)
    live_figures: list[dict] = field(default_factory=list)


@pytest.fixture(scope="module")
def server():
    with serve(HTML) as url:
        yield url


@pytest.fixture(scope="module")
def browser_context():
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="playwright is in requirements.txt"
    )
    executable = chromium_executable()
    with tempfile.TemporaryDirectory() as profile, sync_api.sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            profile,  # a fresh --user-data-dir for every run
            executable_path=executable,
            headless=True,
            args=CHROMIUM_FLAGS,
        )
        context.set_default_timeout(20_000)
        yield context
        context.close()


def _is_loopback(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("data", "blob", "about") or parts.hostname == "127.0.0.1"


def watch(page, report: PageReport) -> None:
    """Record non-loopback requests (and refuse them) and console errors."""

    def route(route):
        if _is_loopback(route.request.url):
            route.continue_()
        else:
            report.external_requests.append(route.request.url)
            route.abort()

    page.route("**/*", route)
    page.on(
        "console",
        lambda message: (
            message.type == "error"
            and report.console_errors.append(f"{message.text} @ {message.location}")
        ),
    )
    page.on("pageerror", lambda error: report.console_errors.append(str(error)))


# Runs in the page: math typeset, images, alt text, headings, widgets, live figures.
INSPECT = (
    """async () => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    await MathJax.startup.promise;
  }
  const article = document.querySelector("article.bd-article") || document.body;
  const prose = article.cloneNode(true);
  prose.querySelectorAll("pre, code, script, style, mjx-container, .highlight")
       .forEach((el) => el.remove());
  const text = prose.textContent;
  const images = Array.from(document.images);
  return {
    math: {
      sources: article.querySelectorAll(".math").length,
      typeset: article.querySelectorAll("mjx-container").length,
      raw: ["$$", "\\\\(", "\\\\[", "\\\\begin{"].filter((m) => text.includes(m)),
    },
    broken: images.filter((i) => !(i.complete && i.naturalWidth > 0))
                  .map((i) => i.src.slice(0, 120)),
    noAlt: Array.from(article.querySelectorAll("img"))
                .filter((i) => !(i.getAttribute("alt") || "").trim())
                .map((i) => i.src.slice(0, 120)),
    headings: Array.from(article.querySelectorAll("h1, h2, h3, h4, h5, h6"))
                   .map((h) => Number(h.tagName[1])),
    widgets: {
      views: document.querySelectorAll(`"""
    + WIDGET_VIEW
    + """`).length,
      rendered: document.querySelectorAll(".jupyter-widgets.widget-container, "
        + ".jupyter-widgets.widget-box, .jupyter-widgets.widget-inline-hbox").length,
    },
  };
}"""
)


# Runs in the page: what a live figure shows now (its images and their boxes).
PICTURE = """(figure) => Array.from(
    figure.querySelectorAll("img, [style*='background']"))
  .map((el) => (el.getAttribute("src") || "") + "|" + (el.getAttribute("style") || ""))
  .join("\\n")"""


def move_sliders(page) -> list[dict]:
    """Move every slider of every static live figure with the keyboard."""
    results = []
    figures = page.locator(".nnbook-live-figure")
    for f in range(figures.count()):
        figure = figures.nth(f)
        image = figure.locator("img").first
        result = {"inputs": 0, "labelled": 0, "unchanged": [], "broken": []}
        inputs = figure.locator("input[type=range]")
        result["inputs"] = inputs.count()
        for i in range(inputs.count()):
            slider = inputs.nth(i)
            if slider.evaluate("(el) => el.labels.length > 0"):
                result["labelled"] += 1
            before = figure.evaluate(PICTURE)
            slider.focus()
            low = float(slider.get_attribute("min") or 0)
            high = float(slider.get_attribute("max") or 100)
            step = float(slider.get_attribute("step") or 1)
            steps = max(1, round((high - low) / step))
            at_top = abs(float(slider.input_value()) - high) < step / 2
            key = "ArrowLeft" if at_top else "ArrowRight"
            changed = False
            for _ in range(steps):  # some value of this slider must change the picture
                slider.press(key)
                if figure.evaluate(PICTURE) != before:
                    changed = True
                    break
            if not changed:
                label = slider.evaluate("(el) => el.labels[0]?.innerText || el.id")
                result["unchanged"].append(label)
            if not image.evaluate("(el) => el.complete && el.naturalWidth > 0"):
                result["broken"].append(i)
        results.append(result)
    return results


@pytest.fixture(scope="module")
def reports(server, browser_context) -> dict[str, PageReport]:
    collected = {}
    for name in PAGES:
        report = PageReport(name)
        page = browser_context.new_page()
        watch(page, report)
        page.goto(f"{server}/{name}", wait_until="load")
        if 'http-equiv="refresh"' in (HTML / name).read_text().lower():
            # a redirect page (the root index.html): check where it leads
            start = page.url
            page.wait_for_url(lambda url, start=start: url != start)
            page.wait_for_load_state("load")
        if page.locator(WIDGET_VIEW).count():
            # the widget manager renders after load; give it a moment
            page.wait_for_function(
                "() => document.querySelectorAll('.jupyter-widgets').length > 0",
                timeout=15_000,
            )
        seen = page.evaluate(INSPECT)
        report.math = seen["math"]
        report.broken_images = seen["broken"]
        report.images_without_alt = seen["noAlt"]
        report.headings = seen["headings"]
        report.widgets = seen["widgets"]
        report.live_figures = move_sliders(page)
        page.close()
        collected[name] = report
    return collected


@pytest.mark.parametrize("name", PAGES)
def test_no_request_leaves_the_host(reports, name):
    assert reports[name].external_requests == []


@pytest.mark.parametrize("name", PAGES)
def test_math_is_typeset_and_no_raw_tex_is_left(reports, name):
    math = reports[name].math
    if math["sources"]:
        assert math["typeset"] >= math["sources"], math
    assert math["raw"] == [], f"raw TeX delimiters in the page text: {math['raw']}"


@pytest.mark.parametrize("name", PAGES)
def test_every_image_loads(reports, name):
    assert reports[name].broken_images == []


@pytest.mark.parametrize("name", PAGES)
def test_every_image_has_alt_text(reports, name):
    assert reports[name].images_without_alt == []


@pytest.mark.parametrize("name", PAGES)
def test_headings_start_at_h1_and_skip_no_level(reports, name):
    levels = reports[name].headings
    if levels:
        assert levels[0] == 1, levels
        jumps = [(a, b) for a, b in zip(levels, levels[1:], strict=False) if b > a + 1]
        assert jumps == [], f"heading levels jump in {levels}"


@pytest.mark.parametrize("name", PAGES)
def test_no_console_errors(reports, name):
    assert reports[name].console_errors == []


@pytest.mark.parametrize("name", PAGES)
def test_widgets_render(reports, name):
    widgets = reports[name].widgets
    if widgets["views"]:
        assert widgets["rendered"] >= widgets["views"], widgets


@pytest.mark.parametrize("name", PAGES)
def test_pages_stay_under_3_mb(name):
    assert (HTML / name).stat().st_size < MAX_PAGE_BYTES


def chapters_with_sliders() -> list[str]:
    return sorted(
        f"book/{path.stem}.html"
        for path in BOOK.glob("[0-9][0-9]_*.ipynb")
        if "live_figure(" in path.read_text()
        and (HTML / "book" / f"{path.stem}.html").exists()
    )


@pytest.mark.parametrize("name", chapters_with_sliders())
def test_each_slider_moves_its_figure_with_the_keyboard_and_no_kernel(reports, name):
    figures = reports[name].live_figures
    assert figures, "the chapter's sliders have no static rendering in the book"
    for figure in figures:
        assert figure["inputs"] > 0
        assert figure["labelled"] == figure["inputs"], "every slider needs a label"
        assert figure["unchanged"] == [], "these sliders never change the picture"
        assert figure["broken"] == []


def test_live_code_loads_thebe_from_the_book_not_a_cdn(server, browser_context):
    page = browser_context.new_page()
    report = PageReport("live code")
    watch(page, report)
    local = []
    page.on("request", lambda request: local.append(request.url))
    page.goto(f"{server}/book/01_neurons.html", wait_until="load")
    assert not any("/vendor/thebe/" in url for url in local), (
        "Thebe loads only on click"
    )
    page.click("button[aria-label='Launch interactive content']")
    page.click("button.btn-launch-thebe")  # "Live Code"
    page.wait_for_function("() => typeof window.thebe !== 'undefined'")
    page.wait_for_timeout(500)  # let it try to reach its server
    page.close()
    assert any(url.endswith("/_static/vendor/thebe/index.js") for url in local)
    # Connecting to a kernel is the only thing that may leave the host: Binder here.
    elsewhere = [
        url
        for url in report.external_requests
        if urlsplit(url).hostname != "mybinder.org"
    ]
    assert elsewhere == []


def test_chapter_pages_offer_binder_colab_and_live_code(server, browser_context):
    page = browser_context.new_page()
    watch(page, PageReport("launch"))
    page.goto(f"{server}/book/01_neurons.html", wait_until="load")
    links = page.eval_on_selector_all("a[href]", "(links) => links.map((a) => a.href)")
    buttons = page.locator("button.launch-thebe, [onclick*='initThebe']").count()
    page.close()
    assert any(link.startswith("https://mybinder.org/v2/gh/") for link in links)
    assert any(
        link.startswith("https://colab.research.google.com/github/") for link in links
    )
    assert buttons > 0
