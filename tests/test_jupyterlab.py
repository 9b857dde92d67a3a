"""The notebooks read and run right in a real JupyterLab, as a learner meets them.

Starts JupyterLab (installed by requirements.txt, with jupyterlab-myst) on
127.0.0.1 with a token and a random port, over a copy of the course's notebooks,
and drives it with Debian's Chromium through Playwright:

- every chapter, as stored (before anything runs), shows the numbers its prose
  quotes and no raw MyST (roles, directives, glue names), and its check-yourself
  answers are hidden until opened;
- every chapter runs top to bottom ("Run All Cells") with no error output and
  every widget displayed; moving a slider with the keyboard changes its image;
- an exercise notebook says PASSED for a right answer and NOT YET, with the
  expected and obtained values, for a wrong one.

Every process the test starts is stopped at the end.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest
from browsing import CHROMIUM_FLAGS, chromium_executable
from conftest import BOOK, EXERCISES, SOLUTIONS, chapter_notebooks

from nnbook import exercises
from nnbook.release import BEGIN, END

pytest.importorskip("jupyterlab", reason="JupyterLab is installed by requirements.txt")
playwright = pytest.importorskip("playwright.sync_api")

BIN = Path(sys.executable).parent
# What MyST source looks like when a renderer did not understand it.
RAW_MYST = re.compile(
    r"\{(eval|glue|glue:text|cite|cite:p|cite:t|numref|doc|ref|math)\}`"
    r"|```\{|:::\{|\]\(#[a-z]|^\([a-z0-9-]+\)=$",
    re.MULTILINE,
)
SETTINGS = {
    # Render every cell, not only those on screen, so the page text is complete.
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {
        "windowingMode": "none"
    },
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false"
    },
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def answer_source(cell) -> str:
    return "\n".join(
        line for line in cell.source.splitlines() if line.strip() not in (BEGIN, END)
    )


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A running JupyterLab over a copy of book/ and exercises/, and its URL."""
    root = tmp_path_factory.mktemp("lab")
    shutil.copytree(BOOK, root / "book")
    shutil.copytree(EXERCISES, root / "exercises")
    settings = root.parent / (root.name + "-settings")
    for name, value in SETTINGS.items():
        path = settings / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(value))
    port, token = free_port(), secrets.token_hex(16)
    env = dict(
        os.environ,
        JUPYTER_CONFIG_DIR=str(root.parent / (root.name + "-config")),
        JUPYTER_RUNTIME_DIR=str(root.parent / (root.name + "-runtime")),
        PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    )
    log = open(root.parent / (root.name + "-jupyter.log"), "w")
    server = subprocess.Popen(
        [
            str(BIN / "jupyter"),
            "lab",
            "--no-browser",
            "--allow-root",
            "--ip=127.0.0.1",
            f"--port={port}",
            f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={root}",
            f"--LabApp.user_settings_dir={settings}",
            "--ServerApp.disable_check_xsrf=False",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=1)
                break
            except OSError:
                if server.poll() is not None:
                    pytest.fail("JupyterLab exited: see " + log.name)
                time.sleep(0.5)
        else:
            pytest.fail("JupyterLab did not start within 60 s")
        yield {"base": base, "token": token, "root": root}
    finally:
        os.killpg(server.pid, 15)
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, 9)
        log.close()


@pytest.fixture(scope="module")
def browser():
    with playwright.sync_playwright() as driver:
        browser = driver.chromium.launch(
            executable_path=chromium_executable(), headless=True, args=CHROMIUM_FLAGS
        )
        yield browser
        browser.close()


def open_notebook(browser, lab, path: str):
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    # A workspace of its own, so JupyterLab does not reopen earlier notebooks.
    workspace = secrets.token_hex(6)
    page.goto(
        f"{lab['base']}/lab/workspaces/{workspace}/tree/{path}?token={lab['token']}"
    )
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
    # The kernel is ready when the status bar says Idle.
    page.wait_for_function(
        "() => document.body.innerText.includes('| Idle')", timeout=60_000
    )
    return page


def markdown_text(page) -> str:
    """The rendered text of every Markdown cell, once rendering has settled."""
    read = (
        "() => Array.from(document.querySelectorAll('.jp-MarkdownCell'))"
        ".map(e => e.innerText).join('\\n')"
    )
    text, deadline = "", time.monotonic() + 30
    while time.monotonic() < deadline:
        time.sleep(1.0)
        again = page.evaluate(read)
        if again == text and text:
            return text
        text = again
    return text


def run_all(page, timeout: float = 150) -> None:
    """Run All Cells, then wait until no cell is queued or running.

    A folded cell (``jupyter.source_hidden``) shows no prompt, so only the prompts
    that are shown are read; every one of them must carry an execution count.
    """
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name=re.compile("^Run All Cells")).click()
    deadline = time.monotonic() + timeout
    prompts: list[str] = []
    time.sleep(1)
    while time.monotonic() < deadline:
        prompts = page.evaluate(
            "() => Array.from(document.querySelectorAll("
            "'.jp-CodeCell .jp-InputPrompt')).map(e => e.innerText.trim())"
            ".filter(t => t.length > 0)"
        )
        idle = page.evaluate("() => document.body.innerText.includes('| Idle')")
        if idle and prompts and all(re.fullmatch(r"\[\d+\]:", p) for p in prompts):
            return
        time.sleep(0.5)
    pytest.fail(f"cells still running or not run after {timeout} s: {prompts}")


def output_text(page) -> str:
    return page.evaluate(
        "() => Array.from(document.querySelectorAll('.jp-OutputArea-output'))"
        ".map(e => e.innerText).join('\\n')"
    )


CHAPTERS = [p.name for p in chapter_notebooks()]


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_stored_chapter_reads_right_in_jupyterlab(lab, browser, chapter):
    page = open_notebook(browser, lab, f"book/{chapter}")
    try:
        text = markdown_text(page)
        raw = sorted(set(m.group(0) for m in RAW_MYST.finditer(text)))
        assert not raw, f"raw MyST visible in JupyterLab: {raw}"
        notebook = nbformat.read(BOOK / chapter, as_version=4)
        for cell in notebook.cells:
            for item in cell.metadata.get("user_expressions", []):
                shown = item["result"]["data"]["text/plain"].strip("'\"")
                assert shown in text, f"quoted value {shown!r} not shown"
        # A check-yourself answer is in a closed dropdown: its text is not visible.
        for details in page.query_selector_all(".jp-MarkdownCell details"):
            assert details.get_attribute("open") is None
    finally:
        page.close()


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_runs_in_jupyterlab_and_its_sliders_move(lab, browser, chapter):
    page = open_notebook(browser, lab, f"book/{chapter}")
    try:
        run_all(page)
        outputs = output_text(page)
        assert "Traceback" not in outputs and "Error displaying widget" not in outputs
        assert not page.query_selector_all(
            ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.error']"
        )
        sliders = page.query_selector_all(".widget-slider .noUi-handle")
        notebook = nbformat.read(BOOK / chapter, as_version=4)
        uses_sliders = any("live_figure(" in c.source for c in notebook.cells)
        assert bool(sliders) == uses_sliders
        if sliders:
            box = (
                sliders[0]
                .evaluate_handle("h => h.closest('.jp-OutputArea-output')")
                .as_element()
            )
            image = box.query_selector("img")
            before = image.get_attribute("src")
            sliders[0].focus()
            page.keyboard.press("ArrowRight")
            page.wait_for_function(
                "([img, old]) => img.getAttribute('src') !== old",
                arg=[image, before],
                timeout=10_000,
            )
    finally:
        page.close()


def test_exercise_notebook_gives_passed_and_not_yet_in_jupyterlab(lab, browser):
    name = "01_neurons.ipynb"
    solution = nbformat.read(SOLUTIONS / name, as_version=4)
    notebook = nbformat.read(EXERCISES / name, as_version=4)
    right = {c.id: answer_source(c) for c in solution.cells}
    answers = [
        c
        for c in notebook.cells
        if c.cell_type == "code"
        and c.metadata.get("nnbook", {}).get("role") == "answer"
    ]
    functions = [
        c
        for c in answers
        if exercises.get(c.metadata["nnbook"]["exercise"]).is_function
    ]
    good, bad = functions[0], functions[1]
    good.source = right[good.id]
    wrong = exercises.get(bad.metadata["nnbook"]["exercise"])
    bad.source = f"def {wrong.answer}(*args, **kwargs):\n    return 12345.0"
    nbformat.write(notebook, lab["root"] / "exercises" / name)
    page = open_notebook(browser, lab, f"exercises/{name}")
    try:
        run_all(page)
        outputs = output_text(page)
        good_number = good.metadata["nnbook"]["exercise"]
        assert re.search(rf"Exercise {re.escape(good_number)} .*PASSED", outputs)
        assert re.search(rf"Exercise {re.escape(wrong.number)} .*NOT YET", outputs)
        assert "expected" in outputs and "obtained 12345" in outputs
    finally:
        page.close()
