"""Book build time (clean and incremental) and the weight of the built pages.

Usage::

    .venv/bin/python -m bench.build [--reps 3] [--chapter 01_neurons]
    .venv/bin/python -m bench.build --site _build/html   # page weight only

The build never touches the work tree's own ``_build``: the book's files are
copied to a temporary folder (``node_modules`` linked, not copied) and built
there with ``jupyter-book build --path-output`` and the flags and environment of
``make book``. A *clean* build starts with no ``_build`` at all (so an empty
Jupyter cache: every notebook executes); an *incremental* build follows it after
one code cell of one chapter, in the copy, got a new comment line (jupyter-cache
keys on the code, so that chapter runs again; the others come from the cache).

The PDF build (``make pdf``: ``--builder pdflatex``) is timed once after the
first clean build, with the notebooks' outputs cached as ``make book`` has them.

Page weight, two ways. As Chromium loads it (:func:`loaded_weights`): every
response a chapter page receives until the network is idle (MathJax's on-demand
parts included), body bytes, and gzip's size for text. From the files
(:func:`site_weights`): for each HTML page of the site, the page plus every file of the
site it references (stylesheets, scripts, images, icons, and what those
stylesheets reference in turn: fonts, images), each file counted once per page.
Files that scripts load on demand (MathJax's fonts and extensions, Thebe) cannot
be seen by reading the page and are not counted; neither is anything from
another host (listed apart: an offline book should have none).
"""

from __future__ import annotations

import argparse
import functools
import gzip
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import nbformat

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
# What is not part of the book's sources: never copied into the build folder.
SKIP = {
    ".git",
    ".venv",
    "_build",
    "node_modules",
    ".ruff_cache",
    ".pytest_cache",
    "__pycache__",
    "grading-out",
    ".ipynb_checkpoints",
}
EXECUTED = re.compile(r"([^/\s]+\.ipynb): Executed notebook in ([0-9.]+) seconds")
EDIT_MARK = "# nnbook bench: incremental-build edit"


def copy_sources(dest: Path, root: Path = ROOT) -> Path:
    """The book's sources as they are now (committed or not), copied to ``dest``."""

    def ignore(folder: str, names: list[str]) -> list[str]:
        return [n for n in names if n in SKIP or n.endswith(".egg-info")]

    shutil.copytree(root, dest, ignore=ignore, symlinks=True)
    if (root / "node_modules").is_dir():  # read only by nnbook.offline: link it
        (dest / "node_modules").symlink_to(root / "node_modules")
    return dest


def build_command(source: Path, out: Path) -> list[str]:
    """``make book``'s command, with the output in ``out``."""
    return [
        str(BIN / "python"),
        "-m",
        "nnbook.jb",
        "build",
        str(source),
        "--path-output",
        str(out),
        "--warningiserror",
        "--keep-going",
    ]


def _run_logged(command: list[str], source: Path, log: Path) -> tuple[float, int]:
    """Run ``command`` in ``source`` with its output in ``log``: seconds, exit code.

    PYTHONPATH: the copy's nnbook, not the editable install's live work tree, so
    an edit made elsewhere during the benchmark cannot change what is built.
    """
    env = dict(
        os.environ,
        PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        PYTHONPATH=os.pathsep.join(
            p for p in [str(source), os.environ.get("PYTHONPATH", "")] if p
        ),
    )
    started = time.perf_counter()
    with open(log, "w") as handle:
        code = subprocess.call(
            command, stdout=handle, stderr=subprocess.STDOUT, env=env, cwd=source
        )
    return time.perf_counter() - started, code


def run_build(source: Path, out: Path, log: Path) -> dict:
    """One build; its seconds, exit code and log file."""
    seconds, code = _run_logged(build_command(source, out), source, log)
    executed = {
        Path(name).stem: float(time_s)
        for name, time_s in EXECUTED.findall(Path(log).read_text(errors="replace"))
    }
    return {
        "seconds": seconds,
        "exit_code": code,
        "log": str(log),
        # myst-nb's own count, kernel start-up included: the rest is Sphinx
        "executed_seconds": executed,
    }


def pdf_command(source: Path, out: Path) -> list[str]:
    """``make pdf``'s command, with the output in ``out``."""
    return [*build_command(source, out), "--builder", "pdflatex"]


def run_pdf_build(source: Path, out: Path, log: Path) -> dict:
    """One PDF build (the outputs already cached), or why none ran."""
    if not (shutil.which("xelatex") and shutil.which("latexmk")):
        return {"seconds": None, "skipped": "XeLaTeX/latexmk not installed"}
    seconds, code = _run_logged(pdf_command(source, out), source, log)
    pdf = out / "_build" / "latex" / "neurons-to-attention.pdf"
    return {
        "seconds": seconds,
        "exit_code": code,
        "log": str(log),
        "pdf_bytes": pdf.stat().st_size if pdf.exists() else None,
    }


def edit_code_cell(notebook_path: Path, tag: str) -> str:
    """Append a comment line to the chapter's last code cell (a copy, never the
    real notebook); returns the cell's id."""
    notebook = nbformat.read(notebook_path, as_version=4)
    cell = [c for c in notebook.cells if c.cell_type == "code"][-1]
    cell.source = cell.source.rstrip("\n") + f"\n{EDIT_MARK} {tag}"
    nbformat.write(notebook, notebook_path)
    return str(cell.get("id", ""))


def time_builds(
    reps: int,
    chapter: str,
    workdir: Path,
    toc_files: list[str] | None = None,
    log=None,
    with_pdf: bool = True,
) -> dict:
    """``reps`` times: a clean build, then an incremental one; medians and runs.
    After the first clean build, the PDF build once (``with_pdf``).

    ``toc_files`` (quick mode) keeps only those chapters in the copy's ``_toc.yml``.
    """
    source = copy_sources(workdir / "src")
    if toc_files is not None:
        trim_toc(source / "_toc.yml", toc_files)
    out = workdir / "out"
    clean, incremental = [], []
    pdf = {"seconds": None, "skipped": "not run"}
    for rep in range(reps):
        shutil.rmtree(out, ignore_errors=True)
        clean.append(run_build(source, out, workdir / f"clean-{rep}.log"))
        if log:
            log(
                f"  clean build {rep + 1}/{reps}: {clean[-1]['seconds']:.1f} s "
                f"(exit {clean[-1]['exit_code']})"
            )
        if rep == 0 and with_pdf:
            pdf = run_pdf_build(source, out, workdir / "pdf.log")
            if log and pdf["seconds"] is not None:
                log(f"  PDF build: {pdf['seconds']:.1f} s (exit {pdf['exit_code']})")
        edit_code_cell(source / "book" / f"{chapter}.ipynb", f"{rep}-{time.time()}")
        incremental.append(run_build(source, out, workdir / f"incremental-{rep}.log"))
        if log:
            log(
                f"  incremental build {rep + 1}/{reps}: "
                f"{incremental[-1]['seconds']:.1f} s "
                f"(exit {incremental[-1]['exit_code']})"
            )
    return {
        "clean_seconds": statistics.median(r["seconds"] for r in clean),
        "incremental_seconds": statistics.median(r["seconds"] for r in incremental),
        "clean_runs": clean,
        "incremental_runs": incremental,
        "pdf": pdf,
        "edited_chapter": chapter,
        "site": str(out / "_build" / "html"),
        "failed": [r["log"] for r in clean + incremental if r["exit_code"] != 0],
        "notebooks_executed": len(list((source / "book").glob("*.ipynb")))
        if toc_files is None
        else len(toc_files),
    }


def trim_toc(toc: Path, keep: list[str]) -> None:
    """Drop every ``- file: book/...`` entry of ``_toc.yml`` not in ``keep``."""
    lines = toc.read_text().splitlines(keepends=True)
    out = []
    for line in lines:
        match = re.match(r"\s*- file: (\S+)", line)
        if match and match.group(1) not in keep:
            continue
        out.append(line)
    # A part left with no chapters is invalid: remove "caption/chapters:" pairs
    # followed by nothing.
    text = "".join(out)
    text = re.sub(
        r"  - caption: [^\n]*\n(    numbered: [^\n]*\n)?    chapters:\n"
        r"(?=  - caption|\Z)",
        "",
        text,
    )
    toc.write_text(text)


# -- page weight ---------------------------------------------------------------

NOT_PAGES = {"_static", "_sources", "node_modules", "_images"}
LOADED_RELS = {
    "stylesheet",
    "icon",
    "shortcut",
    "preload",
    "modulepreload",
    "apple-touch-icon",
    "manifest",
}
CSS_URL = re.compile(r"""url\(\s*['"]?([^'")]+)['"]?\s*\)|@import\s+['"]([^'"]+)['"]""")


class _References(HTMLParser):
    """The URLs a page makes the browser fetch as it loads."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "link" and LOADED_RELS & set(a.get("rel", "").lower().split()):
            self.urls.append(a.get("href", ""))
        elif tag in (
            "script",
            "img",
            "iframe",
            "embed",
            "source",
            "video",
            "audio",
            "track",
            "input",
        ):
            self.urls.append(a.get("src", ""))
        elif tag == "object":
            self.urls.append(a.get("data", ""))
        if "srcset" in a:
            self.urls += [
                part.split()[0] for part in a["srcset"].split(",") if part.strip()
            ]
        if "style" in a:
            self.urls += [m[0] or m[1] for m in CSS_URL.findall(a["style"])]

    def handle_data(self, data: str) -> None:
        pass


FONT_FACE = re.compile(r"@font-face\s*{[^}]*}", re.IGNORECASE)


def css_references(text: str) -> list[str]:
    """What a stylesheet makes the browser fetch: every url() and @import, except
    that an ``@font-face`` rule counts only its first source (a browser fetches
    one format of a font, the first it supports, and stylesheets list woff2 first).
    """
    urls = []
    for block in FONT_FACE.findall(text):
        found = CSS_URL.findall(block)
        if found:
            urls.append(found[0][0] or found[0][1])
    rest = FONT_FACE.sub("", text)
    return urls + [m[0] or m[1] for m in CSS_URL.findall(rest)]


def _local(url: str, base: Path, site: Path) -> Path | None | str:
    """A referenced file inside the site, None (inline/empty), or the URL if remote."""
    url = url.strip()
    if not url or url.startswith(("data:", "#", "javascript:", "about:")):
        return None
    parts = urlsplit(url)
    if parts.scheme or url.startswith("//"):
        return url
    path = unquote(parts.path)
    if not path:
        return None
    target = (site / path.lstrip("/")) if path.startswith("/") else (base / path)
    return target.resolve()


def page_weight(page: Path, site: Path) -> dict:
    """Bytes of one page and of everything it loads from the site, by kind."""
    site = site.resolve()
    files: dict[Path, int] = {page.resolve(): page.stat().st_size}
    remote: set[str] = set()
    missing: set[str] = set()
    parser = _References()
    parser.feed(page.read_text(errors="replace"))
    queue = [(u, page.parent) for u in parser.urls]
    while queue:
        url, base = queue.pop()
        target = _local(url, base, site)
        if target is None:
            continue
        if isinstance(target, str):
            remote.add(target)
            continue
        if target in files:
            continue
        if not target.is_file():
            missing.add(str(target))
            continue
        files[target] = target.stat().st_size
        if target.suffix == ".css":
            queue += [
                (url, target.parent)
                for url in css_references(target.read_text(errors="replace"))
            ]
    kinds: dict[str, int] = {}
    for path, size in files.items():
        kind = _kind(path)
        kinds[kind] = kinds.get(kind, 0) + size
    largest = sorted(files.items(), key=lambda item: -item[1])[:5]
    return {
        "page": str(page.relative_to(site)),
        "bytes": sum(files.values()),
        # what a server that compresses text sends (fonts and PNGs are compressed)
        "gzip_bytes": sum(_gzip_size(p) for p in files),
        "files": len(files),
        "by_kind": kinds,
        "largest_files": [
            [str(p.relative_to(site)) if p.is_relative_to(site) else str(p), s]
            for p, s in largest
        ],
        "remote": sorted(remote),
        "missing": sorted(missing),
    }


@functools.cache
def _gzip_size(path: Path) -> int:
    if path.suffix.lower() in {
        ".png",
        ".jpg",
        ".jpeg",
        ".gif",
        ".webp",
        ".woff2",
        ".woff",
    }:
        return path.stat().st_size
    return len(gzip.compress(path.read_bytes(), compresslevel=6))


def _kind(path: Path) -> str:
    suffix = path.suffix.lower()
    for kind, suffixes in {
        "html": {".html"},
        "css": {".css"},
        "js": {".js", ".mjs"},
        "images": {".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".ico"},
        "fonts": {".woff", ".woff2", ".ttf", ".eot", ".otf"},
    }.items():
        if suffix in suffixes:
            return kind
    return "other"


def site_weights(site: Path) -> list[dict]:
    """Every page's weight, heaviest first (pages the book's own: not those of
    copied static folders)."""
    site = Path(site).resolve()
    pages = [
        p
        for p in site.rglob("*.html")
        if not NOT_PAGES & set(p.relative_to(site).parts)
    ]
    return sorted((page_weight(p, site) for p in pages), key=lambda r: -r["bytes"])


TEXT_TYPES = ("text/", "javascript", "json", "svg", "xml")


def loaded_weights(
    site: Path, pages: list[str] | None = None, browser=None
) -> list[dict]:
    """Each page's weight as Chromium loads it, heaviest first.

    Serves ``site`` on 127.0.0.1, opens each page (default: the chapter pages,
    ``book/*.html``) in a fresh headless Chromium context (of ``browser``, a
    Playwright browser, or one started here), waits for the load, MathJax's
    typesetting and an idle network, and adds up every response body (requests to
    other hosts are refused and listed). ``gzip_bytes`` counts text responses as
    gzip compresses them and the rest (images, fonts) as they are.
    """
    from bench.serving import CHROMIUM_FLAGS, serve

    site = Path(site).resolve()
    if pages is None:
        pages = sorted(p.relative_to(site).as_posix() for p in site.glob("book/*.html"))
    with serve(site) as base:
        if browser is not None:
            results = [_loaded_weight(browser, base, name) for name in pages]
        else:
            from playwright.sync_api import sync_playwright

            with sync_playwright() as pw:
                browser = pw.chromium.launch(
                    executable_path=shutil.which("chromium") or "/usr/bin/chromium",
                    headless=True,
                    args=CHROMIUM_FLAGS,
                )
                results = [_loaded_weight(browser, base, name) for name in pages]
                browser.close()
    return sorted(results, key=lambda r: -r["bytes"])


def _loaded_weight(browser, base: str, name: str) -> dict:
    """One page's weight as ``browser`` loads it from the server at ``base``."""
    context = browser.new_context()
    page = context.new_page()
    seen, remote = [], []

    def route(route):
        url = route.request.url
        if urlsplit(url).hostname == "127.0.0.1":
            route.continue_()
        else:
            remote.append(url)
            route.abort()

    page.route("**/*", route)
    page.on("response", lambda response: seen.append(response))
    page.goto(f"{base}/{name}", wait_until="load")
    page.evaluate(
        "async () => { if (window.MathJax && MathJax.startup "
        "&& MathJax.startup.promise) await MathJax.startup.promise; }"
    )
    page.wait_for_load_state("networkidle")
    total = packed = 0
    files = []
    for response in seen:
        try:
            body = response.body()
        except Exception:  # a redirect or an aborted request: no body
            continue
        kind = response.headers.get("content-type", "")
        total += len(body)
        text = any(t in kind for t in TEXT_TYPES)
        packed += len(gzip.compress(body, 6)) if text else len(body)
        files.append([urlsplit(response.url).path, len(body)])
    context.close()
    return {
        "page": name,
        "bytes": total,
        "gzip_bytes": packed,
        "requests": len(files),
        "largest_files": sorted(files, key=lambda f: -f[1])[:5],
        "remote": sorted(set(remote)),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument(
        "--chapter",
        default="01_neurons",
        help="the chapter whose code cell the incremental build edits",
    )
    parser.add_argument("--site", type=Path, help="only weigh the pages of this site")
    parser.add_argument(
        "--loaded",
        action="store_true",
        help="also weigh the chapter pages as Chromium loads them",
    )
    args = parser.parse_args(argv)
    site = args.site
    if site is None:
        workdir = Path(tempfile.mkdtemp(prefix="nnbook-bench-build-"))
        result = time_builds(args.reps, args.chapter, workdir, log=print)
        print(
            f"clean build {result['clean_seconds']:.1f} s, incremental "
            f"{result['incremental_seconds']:.1f} s; logs and site in {workdir}"
        )
        site = Path(result["site"])
    for row in site_weights(site)[:5]:
        print(
            f"{row['page']:<40} {row['bytes'] / 1e6:7.2f} MB  {row['files']} files  "
            + ", ".join(f"{k} {v / 1e6:.2f}" for k, v in sorted(row["by_kind"].items()))
        )
    if args.loaded:
        print("as Chromium loads them:")
        for row in loaded_weights(site):
            print(
                f"{row['page']:<40} {row['bytes'] / 1e6:7.2f} MB  "
                f"{row['gzip_bytes'] / 1e6:5.2f} MB gzipped  {row['requests']} requests"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
