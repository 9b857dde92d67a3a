"""The built book as a reader meets it, on a desktop and on a phone.

Serves ``_build/html`` on 127.0.0.1 and opens it in headless Chromium (as
``test_browser.py`` does) at 1366x900 and at 390x844 with a device scale factor
of 2, and checks: the chapter list and the page contents open from the buttons a
reader sees; no page is wider than the screen; a display equation wider than
the column scrolls in its own box and shows that it does; each chapter's
notebooks download from the site itself; "Live code" with no network ends in a
message; figures are sharp (at least 2 image pixels per CSS pixel); search
snippets show no TeX source; every icon a page draws is in the (cut) icon fonts
the site serves; and each chapter page, with everything it loads, stays under
3 MB (1.5 MB gzipped). No request may leave the host.
"""

from __future__ import annotations

import json
import time
from urllib.parse import urlsplit

import pytest
from browsing import CHROMIUM_FLAGS, chromium_executable, serve
from test_browser import HTML, PAGES, PageReport, watch

pytestmark = pytest.mark.skipif(
    not PAGES, reason=f"no built book in {HTML}: run `make book` (make test does)"
)

DEVICES = {
    "desktop": {"viewport": {"width": 1366, "height": 900}, "device_scale_factor": 1},
    "phone": {
        "viewport": {"width": 390, "height": 844},
        "device_scale_factor": 2,
        "is_mobile": True,
        "has_touch": True,
    },
}
CHAPTERS = [p for p in PAGES if p.startswith("book/") and p[5:7].isdigit()]
# The pages a reader reads (not the root redirect).
CONTENT = [p for p in PAGES if p.startswith("book/")]
LIVE_CODE_SECONDS = 15


@pytest.fixture(scope="module")
def server():
    with serve(HTML) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="playwright is in requirements.txt"
    )
    executable = chromium_executable()
    with sync_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_FLAGS
        )
        yield chromium
        chromium.close()


@pytest.fixture(scope="module", params=list(DEVICES))
def device(request, browser):
    """A fresh browser context sized as a desktop or a phone."""
    context = browser.new_context(**DEVICES[request.param])
    context.set_default_timeout(20_000)
    yield request.param, context
    context.close()


def open_page(context, url: str):
    """A page at ``url`` with requests off the host refused; math typeset."""
    page = context.new_page()
    report = PageReport(url)
    watch(page, report)
    page.goto(url, wait_until="load")
    page.evaluate(
        """async () => {
          if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
            await MathJax.startup.promise;
          }
          if (window.nnbookMarkWideEquations) window.nnbookMarkWideEquations();
        }"""
    )
    return page, report


# Runs in the page: how wide it is, and every display equation's box.
LAYOUT = """() => {
  const width = window.innerWidth;
  const equations = Array.from(
    document.querySelectorAll('.bd-article mjx-container[display="true"]')
  ).map((box) => {
    const style = getComputedStyle(box);
    const rect = box.getBoundingClientRect();
    return {
      tex: (box.getAttribute("aria-label") || box.textContent).slice(0, 60),
      overflows: box.scrollWidth > box.clientWidth + 1,
      overflowX: style.overflowX,
      cue: style.backgroundImage.includes("gradient")
           && box.classList.contains("nnbook-scroll-x")
           && box.tabIndex === 0,
      right: rect.right,
      width: rect.width,
    };
  });
  const wide = Array.from(document.querySelectorAll(".bd-article *"))
    .filter((el) => el.getBoundingClientRect().right > width + 1)
    .slice(0, 5)
    .map((el) => el.tagName + "." + el.className + ": " + el.textContent.slice(0, 50));
  return {
    width, scrollWidth: document.documentElement.scrollWidth, equations, wide,
  };
}"""


@pytest.fixture(scope="module")
def layouts(server, device):
    """Each page's layout on this device."""
    name, context = device
    seen = {}
    for page_name in CONTENT:
        page, report = open_page(context, f"{server}/{page_name}")
        seen[page_name] = page.evaluate(LAYOUT) | {"external": report.external_requests}
        page.close()
    return name, seen


@pytest.mark.parametrize("page_name", CONTENT)
def test_no_page_is_wider_than_the_screen(layouts, page_name):
    device, seen = layouts
    layout = seen[page_name]
    assert layout["scrollWidth"] <= layout["width"], (
        f"{device}: {page_name} is {layout['scrollWidth']} px wide on a "
        f"{layout['width']} px screen; too wide: {layout['wide']}"
    )


@pytest.mark.parametrize("page_name", CONTENT)
def test_wide_equations_scroll_in_their_box_and_show_it(layouts, page_name):
    device, seen = layouts
    layout = seen[page_name]
    for equation in layout["equations"]:
        assert equation["right"] <= layout["width"] + 1, (device, equation)
        if equation["overflows"]:
            assert equation["overflowX"] in ("auto", "scroll"), (device, equation)
            assert equation["cue"], f"{device}: no scroll cue on {equation}"
    assert layout["external"] == []


def test_some_equation_overflows_on_a_phone_so_the_check_above_bites(layouts):
    device, seen = layouts
    overflowing = sum(e["overflows"] for s in seen.values() for e in s["equations"])
    if device == "phone":
        assert overflowing > 0, "no wide equation found: the overflow check is idle"


def visible(page, selector: str):
    """The one element matching ``selector`` that a reader can see."""
    matches = page.locator(selector)
    shown = [
        matches.nth(i) for i in range(matches.count()) if matches.nth(i).is_visible()
    ]
    assert len(shown) == 1, f"{len(shown)} visible {selector}"
    return shown[0]


def test_the_chapter_list_opens_from_the_visible_button(server, device):
    name, context = device
    page, report = open_page(context, f"{server}/book/02_layers.html")
    chapter_link = "a.reference.internal[href$='03_activations.html']"
    button = visible(page, ".primary-toggle")
    if name == "phone":
        assert not page.locator(f"#pst-primary-sidebar {chapter_link}").is_visible()
        button.click()
        dialog = page.locator("#pst-primary-sidebar-modal")
        page.wait_for_function(
            "() => document.querySelector('#pst-primary-sidebar-modal').open"
        )
        assert dialog.locator(chapter_link).first.is_visible()
        page.keyboard.press("Escape")
        page.wait_for_function(
            "() => !document.querySelector('#pst-primary-sidebar-modal').open"
        )
    else:
        sidebar = page.locator("#pst-primary-sidebar")
        assert sidebar.locator(chapter_link).first.is_visible()
        button.click()  # hides the chapter list
        page.wait_for_timeout(400)
        assert not sidebar.locator(chapter_link).first.is_visible()
        visible(page, ".primary-toggle").click()  # and brings it back
        page.wait_for_timeout(400)
        assert sidebar.locator(chapter_link).first.is_visible()
    page.close()
    assert report.console_errors == []


def test_the_page_contents_open_from_the_visible_button(server, device):
    name, context = device
    page, report = open_page(context, f"{server}/book/02_layers.html")
    section = "a.nav-link[href='#batches-many-examples-in-one-product']"
    buttons = page.locator(".secondary-toggle")
    shown = [
        buttons.nth(i) for i in range(buttons.count()) if buttons.nth(i).is_visible()
    ]
    if name == "desktop" and not shown:
        # a wide screen shows the contents beside the text, with no button
        assert page.locator(f"#pst-secondary-sidebar {section}").is_visible()
    else:
        assert len(shown) == 1
        shown[0].click()
        page.wait_for_function(
            "() => document.querySelector('#pst-secondary-sidebar-modal').open"
        )
        assert page.locator(f"#pst-secondary-sidebar-modal {section}").is_visible()
    page.close()
    assert report.console_errors == []


@pytest.mark.parametrize(
    "page_name", [p for p in CHAPTERS if not p.startswith("book/00")]
)
def test_each_chapter_offers_its_notebooks_for_download_next_to_binder(
    server, browser, page_name
):
    context = browser.new_context()
    page, report = open_page(context, f"{server}/{page_name}")
    stem = page_name.split("/")[-1].removesuffix(".html")
    paragraph = page.locator("p.nnbook-downloads")
    assert paragraph.count() == 1
    # next to the paragraph with the exercise notebook's Binder link (after the
    # list that paragraph introduces, if any)
    before = paragraph.locator("xpath=preceding-sibling::p[1]")
    assert before.locator(f"a[href*='exercises%2F{stem}.ipynb']").count() == 1
    between = paragraph.locator("xpath=preceding-sibling::*[1]").evaluate(
        "(el) => el.tagName"
    )
    assert between in ("P", "UL", "OL", "DIV"), between
    for kind, folder in (("exercises", "exercises"), ("chapter", "book")):
        link = paragraph.locator(f"a.nnbook-download-{kind}")
        href = link.evaluate("(a) => a.href")
        assert urlsplit(href).path.endswith(f"/{folder}/{stem}.ipynb")
        assert link.get_attribute("download") is not None
        response = page.request.get(href)
        assert response.status == 200, href
        assert json.loads(response.body())["nbformat"] == 4
    menu = page.locator("a.dropdown-item[href*='neurons-to-attention.pdf']")
    assert menu.count() == 1
    page.close()
    context.close()
    assert report.external_requests == []


def test_live_code_offline_ends_in_a_readable_message(server, browser):
    context = browser.new_context()
    page, report = open_page(context, f"{server}/book/01_neurons.html")
    page.click("button[aria-label='Launch interactive content']")
    started = time.monotonic()
    page.click("button.btn-launch-thebe")  # "Live Code"; Binder is unreachable
    message = page.locator(".nnbook-thebe-message")
    message.wait_for(state="visible", timeout=LIVE_CODE_SECONDS * 1000)
    took = time.monotonic() - started
    page.wait_for_timeout(1500)  # Thebe keeps reporting "launching": still hidden?
    text = message.inner_text()
    notebook = message.locator("a", has_text="notebook").get_attribute("href")
    status = page.locator(".thebe-launch-button").inner_text()
    fetched = page.request.get(f"{server}/book/{notebook}")
    page.close()
    context.close()
    assert took < LIVE_CODE_SECONDS
    assert "offline" in text and "sliders" in text and "Binder" in text, text
    assert "not available offline" in status
    assert fetched.status == 200
    assert {urlsplit(u).hostname for u in report.external_requests} <= {"mybinder.org"}


# Runs in the page: every figure image's pixels per displayed CSS pixel, and its
# shown shape (width / height of its content box) over its own.
DENSITY = """() => Array.from(document.querySelectorAll(
    '.bd-article .cell_output img, .bd-article figure img, .nnbook-live-figure img'))
  .filter((img) => img.getBoundingClientRect().width > 0 && img.naturalWidth > 0)
  .map((img) => {
    const style = getComputedStyle(img);
    const px = (side) => (parseFloat(style["padding" + side]) || 0)
      + (parseFloat(style["border" + side + "Width"]) || 0);
    const box = img.getBoundingClientRect();
    const width = box.width - px("Left") - px("Right");
    const height = box.height - px("Top") - px("Bottom");
    return {
      src: img.getAttribute("src").slice(0, 60),
      density: img.naturalWidth / width,
      shape: (width / height) / (img.naturalWidth / img.naturalHeight),
      shown: Math.round(width),
    };
  })"""


def test_figures_have_2x_density_and_keep_their_shape(server, device):
    # Squeezing a figure into a phone's column without its height following
    # raised its density while halving its width: both are checked.
    name, context = device
    blurry, squeezed = [], []
    for page_name in CHAPTERS:
        page, _ = open_page(context, f"{server}/{page_name}")
        for image in page.evaluate(DENSITY):
            if image["density"] < 1.98:
                blurry.append((page_name, round(image["density"], 2), image["shown"]))
            if abs(image["shape"] - 1) > 0.02:
                squeezed.append((page_name, round(image["shape"], 2), image["src"]))
        page.close()
    assert blurry == [], f"{len(blurry)} images below 2x on {name}: {blurry[:3]}"
    assert squeezed == [], f"{len(squeezed)} images out of shape on {name}: {squeezed[:3]}"


def test_search_snippets_show_no_tex_source(server, browser):
    context = browser.new_context()
    page, report = open_page(context, f"{server}/search.html?q=weighted+sum")
    page.wait_for_selector("#search-results ul.search li p.context", timeout=20_000)
    page.wait_for_timeout(500)
    snippets = page.locator("#search-results p.context").all_inner_texts()
    page.close()
    context.close()
    assert snippets
    raw = [
        s for s in snippets if any(t in s for t in ("\\(", "\\[", "\\mathbf", "\\frac"))
    ]
    assert raw == [], raw[:2]


# Runs in the page: every icon drawn with a Font Awesome font, as code points.
ICONS = """() => {
  const found = [];
  for (const el of document.querySelectorAll("body *")) {
    for (const pseudo of ["::before", "::after"]) {
      const style = getComputedStyle(el, pseudo);
      const family = style.fontFamily || "";
      const content = style.content || "";
      if (!family.includes("Font Awesome") || !content.startsWith('"')) continue;
      for (const ch of JSON.parse(content)) {
        found.push({
          point: ch.codePointAt(0), family, weight: style.fontWeight,
          where: el.tagName + "." + el.className,
        });
      }
    }
  }
  return found;
}"""


def served_icon_fonts() -> dict[str, set[int]]:
    """The code points of each icon font the site serves."""
    ttlib = pytest.importorskip("fontTools.ttLib", reason="fonttools is required")
    folder = HTML / "_static" / "vendor" / "fontawesome" / "webfonts"
    return {
        path.stem: set(ttlib.TTFont(path).getBestCmap())
        for path in folder.glob("*.woff2")
    }


def test_every_icon_a_page_draws_is_in_the_icon_fonts_served(server, browser):
    # One screen size: a phone hides some icons but draws none that a desktop lacks.
    context = browser.new_context(**DEVICES["desktop"])
    fonts = served_icon_fonts()
    # the fonts are cut to what the book uses (nnbook.icons): far fewer than 1,900
    assert 10 < len(fonts["fa-solid-900"]) < 200, len(fonts["fa-solid-900"])
    missing, drawn = [], 0
    for page_name in ["book/index.html", *CHAPTERS, "search.html"]:
        if not (HTML / page_name).exists():
            continue
        page, _ = open_page(context, f"{server}/{page_name}")
        for icon in page.evaluate(ICONS):
            if icon["point"] < 0xE000:
                continue  # a ligature or plain text, not an icon
            drawn += 1
            if "Brands" in icon["family"]:
                font = "fa-brands-400"
            else:
                font = "fa-solid-900" if int(icon["weight"]) >= 600 else "fa-regular-400"
            if icon["point"] not in fonts[font]:
                missing.append((page_name, font, hex(icon["point"]), icon["where"][:60]))
        page.close()
    context.close()
    assert drawn > 20, drawn  # the header's icons at least
    assert missing == [], missing[:5]


def test_each_chapter_page_with_all_it_loads_stays_light(browser):
    import sys
    from pathlib import Path

    root = str(Path(__file__).resolve().parents[1])
    if root not in sys.path:  # bench/ is a folder of the repository, not installed
        sys.path.insert(0, root)
    from bench.build import loaded_weights

    rows = loaded_weights(HTML, CHAPTERS, browser=browser)
    heavy = [
        (r["page"], round(r["bytes"] / 1e6, 2), round(r["gzip_bytes"] / 1e6, 2))
        for r in rows
        if r["bytes"] >= 3_000_000 or r["gzip_bytes"] >= 1_500_000
    ]
    assert heavy == [], heavy
    assert all(r["remote"] == [] for r in rows)
    # the measure sees the slider pictures: the heaviest page loads well over 1 MB
    assert rows[0]["bytes"] > 1_000_000
