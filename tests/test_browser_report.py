"""The class report (``report.html``) works offline in a real browser.

Debian's Chromium, driven headless by Playwright, opens the report of a synthetic
class (with hostile student text in it) straight from disk and checks that its
figures draw, that no request leaves the page, that nothing a student wrote runs
or loads, and that the text is readable in light and in dark mode.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
from browsing import CHROMIUM_FLAGS, chromium_executable
from test_classreport import (
    HOSTILE,
    broken,
    function_exercises,
    hand_in,
    hostile_class,
    unreadable,
)

from nnbook.grading import classreport, notebook

ROOT = Path(__file__).resolve().parents[1]

# Runs in the page: what the figures drew, the images, the colours of the page.
INSPECT = """() => {
  const figures = Array.from(document.querySelectorAll("figure svg")).map((svg) => {
    const box = svg.getBoundingClientRect();
    const drawn = (r) => r.getBoundingClientRect().width > 0
                      && r.getBoundingClientRect().height > 0;
    const bars = Array.from(svg.querySelectorAll("rect")).filter(drawn);
    return { id: svg.getAttribute("aria-labelledby"), width: box.width,
             height: box.height, bars: bars.length,
             label: svg.querySelector("title") ? svg.querySelector("title").textContent
                                               : "" };
  });
  const style = getComputedStyle(document.body);
  const tick = document.querySelector("svg text");
  const bar = document.querySelector("svg rect.bar");
  return {
    figures,
    images: document.images.length,
    scripts: document.scripts.length,
    pwned: window.pwned === 1,
    text: document.body.innerText,
    color: style.color,
    background: style.backgroundColor,
    tick: tick ? getComputedStyle(tick).fill : "",
    bar: bar ? getComputedStyle(bar).fill : "",
  };
}"""


def luminance(css: str) -> float:
    """Relative luminance (WCAG 2) of an ``rgb(...)`` colour."""
    numbers = css[css.index("(") + 1 : css.index(")")].split(",")[:3]
    channels = []
    for value in (float(v) / 255 for v in numbers):
        channels.append(
            value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4
        )
    red, green, blue = channels
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast(one: str, two: str) -> float:
    """WCAG contrast ratio of two CSS colours."""
    high, low = sorted((luminance(one), luminance(two)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.fixture(scope="module")
def report_page() -> tuple[Path, classreport.ClassSummary]:
    """report.html of a class with every outcome and hostile text in it."""
    release = notebook.load_release(ROOT / "exercises" / "01_neurons.ipynb")
    first, second = release.exercises[:2]
    functions = function_exercises(release)
    results = [hand_in(release, "stu-right")]
    results += [
        hand_in(release, f"stu-diag-{k}", {e.number: f"diagnosis-{k}"})
        for e in functions[:1]
        for k in range(len(e.diagnoses))
    ]
    results.append(
        hand_in(release, "stu-wrong", {n: "wrong" for n in release.exercises})
    )
    results.append(
        hand_in(release, "stu-blank", {n: "blank" for n in release.exercises})
    )
    results.append(broken(release, "stu-crash", first, "crashed"))
    results.append(broken(release, "stu-loop", second, "timeout"))
    results.append(unreadable(release, "stu-garbage"))
    results += hostile_class(release)
    folder = Path(tempfile.mkdtemp(prefix="nnbook-report-"))
    html_path, _ = classreport.write_report(folder, release, results)
    yield html_path, classreport.summarise(release, results)
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def visits(report_page) -> dict[str, dict]:
    """One visit per colour scheme: what the page showed and every request."""
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="playwright is in requirements.txt"
    )
    html_path, _ = report_page
    url = html_path.as_uri()
    seen: dict[str, dict] = {}
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=chromium_executable(), headless=True, args=CHROMIUM_FLAGS
        )
        try:
            for scheme in ("light", "dark"):
                page = browser.new_page(color_scheme=scheme)
                requests: list[str] = []
                errors: list[str] = []
                page.on("request", lambda r, requests=requests: requests.append(r.url))
                page.on(
                    "console",
                    lambda m, errors=errors: (
                        m.type == "error" and errors.append(m.text)
                    ),
                )
                page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
                page.goto(url, wait_until="load")
                seen[scheme] = page.evaluate(INSPECT)
                seen[scheme]["requests"] = requests
                seen[scheme]["errors"] = errors
                page.close()
        finally:
            browser.close()
    return seen


def test_only_the_file_itself_is_requested(visits, report_page) -> None:
    html_path, _ = report_page
    for seen in visits.values():
        assert seen["requests"] == [html_path.as_uri()]
        assert seen["errors"] == []  # a blocked load would show here too


def test_figures_draw_one_bar_per_score_and_one_row_per_exercise(
    visits, report_page
) -> None:
    _, summary = report_page
    figures = {f["id"]: f for f in visits["light"]["figures"]}
    scores = figures["scores-title scores-desc"]
    outcomes = figures["outcomes-title outcomes-desc"]
    for figure in (scores, outcomes):
        assert figure["width"] > 200 and figure["height"] > 100
    filled = [n for _, n in classreport.histogram(summary.scores, summary.max_points)]
    assert scores["bars"] == sum(n > 0 for n in filled)
    segments = sum(
        entry.count(o) > 0 for entry in summary.exercises for o in classreport.OUTCOMES
    )
    assert outcomes["bars"] == segments + len(classreport.OUTCOMES)  # + legend


def test_student_text_is_shown_as_text_and_nothing_of_it_runs(visits) -> None:
    seen = visits["light"]
    assert seen["images"] == 0 and seen["scripts"] == 0 and not seen["pwned"]
    assert HOSTILE[:30] in seen["text"]  # shown, as text


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_text_and_figures_are_readable_in_light_and_dark_mode(visits, scheme):
    seen = visits[scheme]
    assert contrast(seen["color"], seen["background"]) >= 7
    assert contrast(seen["tick"], seen["background"]) >= 7
    assert contrast(seen["bar"], seen["background"]) >= 3
    dark = luminance(seen["background"]) < 0.2
    assert dark == (scheme == "dark")
