"""Static slider figures work in a real browser, inside a real myst-nb page.

Builds a one-page book with Sphinx and myst-nb (the book's own theme and mime
priorities) from a notebook holding two toy live figures, as a book build stores
them: a two-slider figure that reports an outcome, and a five-slider figure with
presets. Each code cell carries ``mystnb.figure`` metadata, as chapters do, and the
text refers to the figures with ``{numref}``. Debian's Chromium, driven headless by
Playwright, then checks what a reader gets at desktop and phone sizes: numbered,
captioned, centred figures; every keyboard step moves by the declared step and
changes the picture; presets switch whole parameter sets; the live region states
the outcome; touch targets are at least 44 px tall and nothing overflows a phone.

Set ``NNBOOK_SCREENSHOTS=<folder>`` to keep screenshots of both sizes there.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import matplotlib.pyplot as plt
import nbformat
import numpy as np
import pytest
from browsing import CHROMIUM_FLAGS, chromium_executable

from nnbook import static_sliders
from nnbook.sliders import live_figure

SIZES = {"desktop": (1366, 900, 1), "phone": (390, 844, 2)}
CONF = """
project = "sliders"
extensions = ["myst_nb"]
html_theme = "sphinx_book_theme"
nb_execution_mode = "off"
nb_mime_priority_overrides = [("html", "text/html", 5)]
myst_enable_extensions = ["dollarmath"]
numfig = True
html_context = {"default_mode": "auto"}
exclude_patterns = ["_build"]
"""


def line_figure():
    """Two sliders; the update reports the line's slope and intercept."""
    fig, ax = plt.subplots(figsize=(5, 2.6))
    xs = np.linspace(-1, 1, 30)
    (line,) = ax.plot(xs, xs)
    ax.set(ylim=(-6, 6))
    title = ax.set_title(" ")

    def update(w, b):
        line.set_ydata(w * xs + b)
        title.set_text(f"w = {w:g}, b = {b:g}")
        return f"slope {w:g}, crosses zero at x = {-b / w:.2f}" if w else "flat line"

    return live_figure(
        fig,
        update,
        {"w": (-2, 2, 0.5, 1.0), "b": (-2, 2, 0.5, 0.0)},
        description="a line w x + b",
    )


def network_figure():
    """Five sliders: presets set all of them, two vary in the book."""
    fig, ax = plt.subplots(figsize=(5, 2.6))
    xs = np.linspace(-1, 1, 40)
    (curve,) = ax.plot(xs, xs)
    ax.set(ylim=(-4, 4))

    def update(a, b, c, d, e):
        curve.set_ydata(a * np.tanh(b * xs + c) + d * xs + e)
        return f"value at x = 1: {a * np.tanh(b + c) + d + e:.2f}"

    sliders = {name: (-3, 3, 0.5, 1.0) for name in "abcde"}
    presets = {
        "steep": {"a": 2, "b": 3, "c": 0},
        "shifted": {"c": 1, "e": -1},
    }
    return live_figure(
        fig,
        update,
        sliders,
        description="a tanh curve with five parameters",
        static={"presets": presets, "vary": ["d", "e"]},
    )


def sweep_figure():
    """Five sliders and no ``static=``: too many for a grid, each moves alone."""
    fig, ax = plt.subplots(figsize=(4, 2))
    xs = np.linspace(-1, 1, 40)
    (curve,) = ax.plot(xs, xs)
    ax.set(ylim=(-12, 12))

    def update(a, b, c, d, e):
        curve.set_ydata(a + b * xs + c * xs**2 + d * xs**3 + e * xs**4)

    sliders = {name: (-2, 2, 0.25, 0.0) for name in "abcde"}
    return live_figure(fig, update, sliders, description="a quartic")


def figure_cell(bundle: dict, name: str, caption: str):
    bundle.pop("application/vnd.jupyter.widget-view+json", None)  # no widget state
    cell = nbformat.v4.new_code_cell(f"{name}  # the chapter's code would be here")
    cell.metadata["mystnb"] = {"figure": {"name": name, "caption": caption}}
    cell.outputs = [
        nbformat.v4.new_output("execute_result", data=bundle, execution_count=1)
    ]
    return cell


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    """A one-page book with both figures, built as the real book is."""
    os.environ[static_sliders.ENV_VAR] = "1"
    page_bytes, static_sliders._page_bytes = static_sliders._page_bytes, 0  # a new page
    try:
        figures = [
            (
                line_figure(),
                "fig-toy-line",
                "A line whose slope $w$ and intercept $b$ move with the sliders.",
            ),
            (
                network_figure(),
                "fig-toy-presets",
                "A curve with five parameters: "
                "presets set them all, two move in the book.",
            ),
            (sweep_figure(), "fig-toy-sweep", "A quartic: one slider at a time."),
        ]
        bundles = [live._repr_mimebundle_() for live, _, _ in figures]
        cells = [
            nbformat.v4.new_markdown_cell(
                "# Sliders\n\nSee {numref}`fig-toy-line` and {numref}`fig-toy-presets`."
            ),
            *(
                figure_cell(bundle, name, caption)
                for bundle, (_, name, caption) in zip(bundles, figures, strict=True)
            ),
        ]
    finally:
        del os.environ[static_sliders.ENV_VAR]
        static_sliders._page_bytes = page_bytes
    source = tmp_path_factory.mktemp("book")
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(notebook, source / "index.ipynb")
    (source / "conf.py").write_text(CONF)
    out = source / "_build"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "sphinx",
            "-q",
            "-W",
            "-b",
            "html",
            str(source),
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    return {"page": (out / "index.html").as_uri(), "bundles": bundles}


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    executable = chromium_executable()
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_FLAGS
        )
        yield browser
        browser.close()


@pytest.fixture(scope="module", params=list(SIZES))
def page(request, book, browser):
    width, height, scale = SIZES[request.param]
    context = browser.new_context(
        viewport={"width": width, "height": height}, device_scale_factor=scale
    )
    context.set_default_timeout(20_000)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    # This toy build loads MathJax from a CDN; the machine is offline, and the
    # figures must not need it: refuse every request that leaves the disk.
    page.route(
        "**/*",
        lambda route: (
            route.continue_()
            if route.request.url.startswith(("file:", "data:"))
            else route.abort()
        ),
    )
    page.goto(book["page"], wait_until="load")
    page.errors = errors
    page.size_name = request.param
    folder = os.environ.get("NNBOOK_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{folder}/sliders-{request.param}.png", full_page=True)
    yield page
    context.close()


def figures(page):
    return page.locator(".nnbook-live-figure")


def state(figure):
    """The picture's src and alt, the live region's text and every input's value."""
    return figure.evaluate(
        """(root) => ({
          src: root.querySelector('.nnbook-live-picture img').src,
          alt: root.querySelector('.nnbook-live-picture img').alt,
          status: root.querySelector('[aria-live]').textContent,
          values: Array.from(root.querySelectorAll('input[type=range]'))
                       .map((i) => Number(i.value)),
        })"""
    )


def test_each_figure_is_numbered_captioned_and_referenced(page):
    names = ["fig-toy-line", "fig-toy-presets", "fig-toy-sweep"]
    for number, name in enumerate(names, start=1):
        figure = page.locator(f"figure#{name}")
        assert figure.locator(".nnbook-live-figure").count() == 1
        caption = figure.locator("figcaption").inner_text()
        assert caption.startswith(f"Fig. {number}")
        if name == "fig-toy-sweep":
            continue  # the text refers to the first two only
        link = page.locator(f"a[href='#{name}']").first
        assert link.inner_text().strip() == f"Fig. {number}"


def test_every_keyboard_step_moves_by_the_declared_step_and_changes_the_picture(page):
    for f in range(figures(page).count()):
        figure = figures(page).nth(f)
        inputs = figure.locator("input[type=range]")
        for i in range(inputs.count()):
            slider = inputs.nth(i)
            low, high, step = (
                float(slider.get_attribute(a)) for a in ("min", "max", "step")
            )
            slider.focus()
            slider.press("Home")
            seen = [state(figure)]
            for _ in range(round((high - low) / step)):
                slider.press("ArrowRight")
                seen.append(state(figure))
            values = [s["values"][i] for s in seen]
            assert np.allclose(np.diff(values), step), values
            assert values[0] == pytest.approx(low) and values[-1] == pytest.approx(high)
            srcs = [s["src"] for s in seen]
            unchanged = [
                values[k] for k in range(len(srcs) - 1) if srcs[k] == srcs[k + 1]
            ]
            assert unchanged == [], (
                f"steps from these values change nothing: {unchanged}"
            )
            # the picture's alt text and the live region state the outcome
            assert all(s["status"] and s["status"] in s["alt"] for s in seen)
            assert len({s["status"] for s in seen}) > 1


def test_the_note_says_where_the_book_steps_differ_from_the_code(page):
    for f in range(figures(page).count()):
        figure = figures(page).nth(f)
        note = figure.locator(".nnbook-live-note")
        text = note.inner_text() if note.count() else ""
        for slider in figure.locator("input[type=range]").all():
            step, code = (
                slider.get_attribute("step"),
                slider.get_attribute("data-code-step"),
            )
            if float(step) != float(code):
                assert f"steps of {static_sliders._label(float(step))}" in text
        if figure.locator(".nnbook-live-presets").count():
            assert "set by the presets" in text


def test_presets_switch_every_parameter_and_the_picture(page):
    figure = figures(page).nth(1)
    buttons = figure.locator(".nnbook-live-presets button")
    assert buttons.all_inner_texts() == ["start", "steep", "shifted"]
    buttons.nth(0).click()  # the sliders' starting values, whatever ran before
    first = state(figure)
    assert first["values"] == [1, 1]
    buttons.nth(2).click()  # "shifted": c = 1, e = -1
    shifted = state(figure)
    assert buttons.nth(2).get_attribute("aria-pressed") == "true"
    assert buttons.nth(0).get_attribute("aria-pressed") == "false"
    assert shifted["src"] != first["src"]
    assert shifted["values"][1] == -1  # e, the second varying slider
    assert "c = 1" in figure.locator(".nnbook-live-fixed").inner_text()
    # moving a slider keeps the preset's other parameters
    slider = figure.locator("input[type=range]").first
    slider.focus()
    slider.press("ArrowRight")
    assert "c = 1" in state(figure)["alt"]
    buttons.nth(0).click()
    assert state(figure)["src"] == first["src"]


def test_with_too_many_sliders_each_moves_alone_and_says_so(page):
    figure = figures(page).nth(2)
    assert (
        "moving one returns the others"
        in figure.locator(".nnbook-live-note").inner_text()
    )
    first, second = figure.locator("input[type=range]").all()[:2]
    first.focus()
    first.press("Home")
    moved = state(figure)["values"]
    second.focus()
    second.press("ArrowRight")
    after = state(figure)["values"]
    assert after[0] == 0.0 != moved[0]  # the first went back to its start
    assert after[1] != moved[1]


def test_figures_are_centred_tidy_and_touchable(page):
    width = page.viewport_size["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    for f in range(figures(page).count()):
        figure = figures(page).nth(f)
        box = figure.bounding_box()
        parent = figure.evaluate(
            "(el) => el.closest('figure').getBoundingClientRect().toJSON()"
        )
        left, right = (
            box["x"] - parent["x"],
            parent["x"] + parent["width"] - (box["x"] + box["width"]),
        )
        assert abs(left - right) <= 2, (left, right)
        inputs = figure.locator("input[type=range]")
        rows = {}
        for i in range(inputs.count()):
            b = inputs.nth(i).bounding_box()
            assert b["height"] >= 44
            rows.setdefault(round(b["y"]), []).append(round(b["width"]))
        widths = [w for row in rows.values() for w in row]
        assert max(widths) - min(widths) <= 2, "sliders of uneven widths: ragged rows"
        if page.size_name == "phone":
            assert all(len(row) == 1 for row in rows.values())
        for button in figure.locator("button").all():
            assert button.bounding_box()["height"] >= 44


def test_pictures_are_sharp_and_the_page_has_no_errors(page):
    ratios = page.evaluate(
        """() => Array.from(document.querySelectorAll('.nnbook-live-picture img'))
                 .map((i) => i.naturalWidth / i.getBoundingClientRect().width)"""
    )
    assert ratios and min(ratios) >= 1.99
    assert [e for e in page.errors if not e.startswith("Failed to load resource")] == []


def test_the_payload_has_no_identical_neighbours(book):
    # every adjacent pair anywhere in the grid, not only the lines the test walks
    for bundle in book["bundles"]:
        html = bundle["text/html"]
        marker = '<script type="application/json">'
        start = html.index(marker) + len(marker)
        data = json.loads(html[start : html.index("</script>", start)])
        assert data["identical_steps"] == 0, data["description"]
