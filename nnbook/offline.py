"""A Sphinx extension that makes the built book work with no network.

Listed in ``_config.yml`` (``sphinx.extra_extensions``). It

* copies the JavaScript the pages need (MathJax, the Jupyter widget HTML manager,
  require.js, Thebe) from ``node_modules`` (``npm ci`` fills it from the committed
  ``package-lock.json``; ``make book`` runs it) into ``_build/static/vendor`` and
  serves that folder as a static path, so pages load ``_static/vendor/...``
  instead of a CDN. ``_config.yml`` points ``mathjax_path`` and
  ``nb_ipywidgets_js`` there; this extension points sphinx-thebe there too;
* turns on the static slider frames (:mod:`nnbook.static_sliders`) for the build
  and re-executes every notebook when that setting or the code that draws the
  frames changed, so the execution cache never serves stale outputs;
* lets ``nnbook_thebe_server_url`` send "Live code" to any Jupyter server, and
  ``launch_buttons.binderhub_url`` to any BinderHub;
* executes the notebooks whose outputs are not cached several at once (one kernel
  more than there are CPUs, ``NNBOOK_EXECUTE_JOBS`` to change it; kernels forked
  from a warm process, :mod:`nnbook.warm_kernels`) into the jupyter-cache,
  starting while Sphinx sets up, before it reads them one after another.

It also shapes the pages as readers meet them (``_static/nnbook.css`` and
``_static/nnbook.js`` next to this file): the sidebar buttons that are visible
work, long code and wide equations stay inside a phone's width, "Live code" says
what to do when Binder cannot be reached, each chapter offers its notebook and its
exercise notebook for download, "Check yourself" boxes are named so, citations
read author–year in the text and in the bibliography (with links back to where
each work is cited), pages load neither the 1.5 MB icon script (the theme's
stylesheet already draws the icons with a web font), nor the search index outside
the search page, nor MathJax when they have no math, the icon fonts hold only the
icons the book draws (:mod:`nnbook.icons`), and the PDF build (``make pdf``) shows
each live figure at its starting frame.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import re
import shutil
import time
from collections import Counter
from dataclasses import dataclass
from html import escape
from html.parser import HTMLParser
from pathlib import Path

from docutils import nodes
from pybtex.plugin import register_plugin
from pybtex.style.formatting.unsrt import Style as UnsrtStyle
from pybtex.style.labels import BaseLabelStyle
from sphinx.domains.std import StandardDomain
from sphinx.errors import ExtensionError
from sphinx.util import logging
from sphinxcontrib.bibtex.plugin import register_plugin as register_bibtex_plugin
from sphinxcontrib.bibtex.style.referencing.author_year import AuthorYearReferenceStyle
from sphinxcontrib.bibtex.style.template import node as bibtex_node

from nnbook import icons, static_sliders

logger = logging.getLogger(__name__)

# (package in node_modules, folder inside it, name under _static/vendor, files wanted)
VENDORED = [
    (
        "mathjax",
        "es5",
        "mathjax",
        # The loader (startup.js) and what it loads (_config.yml's
        # mathjax3_config): core, TeX input and its extensions, the CHTML output
        # and fonts, the accessibility tools; the menu when a reader asks for it.
        [
            "startup.js",
            "core.js",
            "input/**/*",
            "output/chtml.js",
            "output/chtml/**/*",
            "ui/**/*",
            "a11y/**/*",
            "sre/**/*",
            "adaptors/**/*",
        ],
    ),
    (
        "@jupyter-widgets/html-manager",
        "dist",
        "html-manager",
        ["embed-amd.js", "*.woff2", "*.woff", "*.ttf", "*.eot", "*.svg"],
    ),
    ("requirejs", "", "requirejs", ["require.js"]),
    ("thebe", "lib", "thebe", ["*.js", "thebe.css"]),
]

# Files whose change alters what a live figure's static rendering looks like.
FRAME_SOURCES = ["sliders.py", "static_sliders.py", "style.py"]
STAMP_NAME = "nnbook-outputs.json"
THEBE_JS = "vendor/thebe/index.js"
REQUIRE_JS = "vendor/requirejs/require.js"
EMBED_JS = "vendor/html-manager/embed-amd.js"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"

HERE = Path(__file__).parent
# The book's own page CSS and JavaScript (served as _static/nnbook.css, .js).
STATIC = HERE / "_static"
# Where each chapter's notebook and exercise notebook are served for download.
DOWNLOADS = "_downloads/notebooks"
# The PDF of the whole book (`make pdf` copies it here) and its LaTeX name.
PDF = "_downloads/neurons-to-attention.pdf"
CHAPTER = re.compile(r"book/(\d\d_[a-z0-9_]+)$")
MATHJAX = "vendor/mathjax/"
CHECK_TITLE = "Check yourself"
# How many notebooks execute at once before the build reads them (default: one
# per CPU); 1 leaves execution to myst-nb, one notebook after another.
JOBS_VAR = "NNBOOK_EXECUTE_JOBS"
BLAS_THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def _lock_digest(root: Path) -> str:
    # The locked versions and the list of files taken from them.
    lock = root / "package-lock.json"
    digest = hashlib.sha256(json.dumps(VENDORED).encode())
    if lock.exists():
        digest.update(lock.read_bytes())
    return digest.hexdigest()


def vendor(root: Path, target: Path) -> Path:
    """Copy the vendored files from ``root/node_modules`` to ``target/vendor``.

    Skips the copy when ``target`` already holds the files for the current
    ``package-lock.json``. Returns ``target``.
    """
    modules = root / "node_modules"
    dest = target / "vendor"
    stamp = dest / ".package-lock.sha256"
    digest = _lock_digest(root)
    if stamp.exists() and stamp.read_text() == digest:
        return target
    missing = [
        package
        for package, *_ in VENDORED
        if not (modules / package / "package.json").exists()
    ]
    if missing:
        raise ExtensionError(
            f"nnbook.offline: {', '.join(missing)} missing from {modules}; run "
            "`npm ci` in the repository root first (`make book` does)"
        )
    if dest.exists():
        shutil.rmtree(dest)
    for package, folder, name, patterns in VENDORED:
        source = modules / package / folder
        for pattern in patterns:
            files = [f for f in source.glob(pattern) if f.is_file()]
            if not files:
                raise ExtensionError(f"nnbook.offline: no {pattern} in {source}")
            for file in files:
                if file.suffix == ".map":
                    continue
                out = dest / name / file.relative_to(source)
                out.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(file, out)
    stamp.write_text(digest)
    return target


def outputs_stamp() -> str:
    """What the executed notebooks' outputs depend on beyond their own code."""
    here = Path(__file__).parent
    digest = hashlib.sha256()
    for name in FRAME_SOURCES:
        digest.update((here / name).read_bytes())
    return json.dumps(
        {"static_frames": static_sliders.enabled(), "sources": digest.hexdigest()}
    )


def _on_builder_inited(app) -> None:
    if app.builder.format not in ("html", "latex"):
        return
    root = Path(app.confdir)
    build = Path(app.outdir).parent
    if app.builder.format == "html":
        static = vendor(root, build / "static")
        app.config.html_static_path.append(str(static))
        app.config.html_static_path.append(str(STATIC))

    # The frames belong in every HTML build, also without `make`; the PDF shows
    # each figure's starting frame.
    os.environ.setdefault(static_sliders.ENV_VAR, "1")
    cache = _cache_path(app)
    stamp = cache / STAMP_NAME
    current = outputs_stamp()
    app.env.nnbook_rerun = stamp.exists() is False or stamp.read_text() != current
    if app.env.nnbook_rerun:
        # jupyter-cache keys on the code cells only: outputs made under another
        # setting, or by older slider code, must not be reused.
        if cache.exists():
            logger.info("nnbook.offline: output settings changed, clearing %s", cache)
            shutil.rmtree(cache)
        cache.mkdir(parents=True, exist_ok=True)
        stamp.write_text(current)
    _start_executing(app)


def _on_env_get_outdated(app, env, added, changed, removed):
    # Re-read (and so re-execute) every notebook when the cache was cleared.
    if getattr(env, "nnbook_rerun", False):
        env.nnbook_rerun = False
        return sorted(env.found_docs - added - changed)
    return []


def thebe_overrides(app) -> dict:
    """Thebe settings beyond sphinx-thebe's: which server "Live code" starts on.

    ``mathjaxUrl: false`` keeps Thebe from fetching MathJax 2 from a CDN (it would
    also clash with the page's MathJax 3): after "Live code" the only host the
    page talks to is the kernel's server. LaTeX in live outputs stays as source.
    """
    common = {"mathjaxUrl": False}
    server = app.config.nnbook_thebe_server_url.strip().rstrip("/")
    if server:
        ws = "ws" + server[len("http") :] if server.startswith("http") else server
        return common | {
            "useBinder": False,
            "requestKernel": True,
            "serverSettings": {
                "baseUrl": server,
                "wsUrl": ws,
                "token": app.config.nnbook_thebe_server_token,
                "appendToken": True,
            },
        }
    launch = app.config.html_theme_options.get("launch_buttons", {})
    binder = (launch.get("binderhub_url") or "https://mybinder.org").rstrip("/")
    return common | {"useBinder": True, "binderOptions": {"binderUrl": binder}}


def _on_doctree_resolved(app, doctree, docname) -> None:
    # Runs after sphinx-thebe has added its config; thebe merges every
    # text/x-thebe-config script on the page, later ones winning.
    has_thebe = any(
        "text/x-thebe-config" in node.astext() for node in doctree.findall(nodes.raw)
    )
    if has_thebe:
        config = json.dumps(thebe_overrides(app))
        doctree.append(
            nodes.raw(
                text=f'<script type="text/x-thebe-config">{config}</script>',
                format="html",
            )
        )


def _on_html_page_context(app, pagename, templatename, context, doctree) -> None:
    # sphinx-thebe hard-codes Thebe's CDN address in an inline script; point it at
    # the vendored copy (still fetched only when a reader clicks "Live code").
    # sphinx-thebe can also register that script twice, and the second copy then
    # throws "Identifier 'THEBE_JS_URL' has already been declared": keep one.
    _edit_header_buttons(context, pagename)
    scripts = context.get("script_files")
    if not scripts:
        return
    if not _page_has_math(context):  # MathJax (0.8 MB) only where there is math
        scripts[:] = [
            s
            for s in scripts
            if MATHJAX not in str(s.filename or "")
            and "window.MathJax" not in getattr(s, "attributes", {}).get("body", "")
        ]
    local = context["pathto"]("_static/" + THEBE_JS, 1)
    # A notebook's widget state makes myst-nb load the widget manager (3.6 MB),
    # but the HTML build shows live figures as static frames: load it only on
    # pages that still display a widget.
    widgets_shown = WIDGET_VIEW in context.get("body", "")
    kept, seen_thebe = [], False
    for script in scripts:
        body = getattr(script, "attributes", {}).get("body", "")
        if not widgets_shown and _is_widget_script(script):
            continue
        if "const THEBE_JS_URL" in body:
            if seen_thebe:
                continue
            seen_thebe = True
            start = body.index('THEBE_JS_URL = "') + len('THEBE_JS_URL = "')
            end = body.index('"', start)
            attributes = dict(script.attributes, body=body[:start] + local + body[end:])
            script = type(script)(
                script.filename, priority=script.priority, **attributes
            )
        if str(script.filename or "").endswith(REQUIRE_JS):
            kept.append(_requirejs_config(script, context["pathto"]))
        kept.append(script)
    scripts[:] = kept


# The widget manager typesets widget labels through MathJax 2's API
# (MathJax.Hub.Queue), which the page's MathJax 3 lacks: without this bridge every
# rendered widget logs "Cannot read properties of undefined (reading 'Queue')".
# MathJax 3 replaces window.MathJax when it loads, so the bridge is re-attached.
MATHJAX2_BRIDGE = """(function () {
  function bridge() {
    var mj = window.MathJax;
    if (mj && !mj.Hub) mj.Hub = {Queue: function (job) {
      var el = job && job[2], mj3 = window.MathJax;
      if (el && mj3.typesetPromise) mj3.typesetPromise([el]).catch(function () {});
    }};
  }
  bridge();
  document.addEventListener("DOMContentLoaded", bridge);
  window.addEventListener("load", bridge);
})();"""


def _is_widget_script(script) -> bool:
    filename = str(script.filename or "")
    kind = script.attributes.get("type", "")
    return filename.endswith((REQUIRE_JS, EMBED_JS)) or kind == WIDGET_STATE


def _requirejs_config(require_js, pathto):
    """An inline script run before require.js on pages with widgets.

    embed-amd.js finds its fonts next to its module's URL, which require.js would
    otherwise guess as ``<page folder>/@jupyter-widgets/html-manager/dist/``.
    A global ``require`` object defined before require.js loads is its config.
    """
    folder = pathto("_static/vendor/html-manager", 1)
    paths = {"@jupyter-widgets/html-manager/dist": folder}
    body = f"var require = {json.dumps({'paths': paths})};\n{MATHJAX2_BRIDGE}"
    return type(require_js)(None, priority=require_js.priority, body=body)


# -- executing the notebooks in parallel -----------------------------------------


def _execute_one(path: str, timeout: int, allow_errors: bool):
    """Run one notebook in its own kernel (in a worker thread); its outputs or error."""
    import nbformat
    from jupyter_cache.executors.utils import single_nb_execution

    from nnbook import warm_kernels

    notebook = nbformat.read(path, as_version=4)
    extra = {}
    if warm_kernels.available():  # started as a fork of a warm process
        extra["kernel_manager_class"] = warm_kernels.WarmKernelManager
    result = single_nb_execution(
        notebook,
        cwd=str(Path(path).parent),
        allow_errors=allow_errors,
        timeout=timeout,
        meta_override=True,
        **extra,
    )
    error = None if result.err is None else f"{type(result.err).__name__}: {result.err}"
    return notebook, result.time, error


def expected_seconds(path: Path) -> float:
    """How long the notebook at ``path`` takes to run, as ``nnbook execute`` last
    measured it (notebook metadata ``nnbook.execution_seconds``); without that,
    its size in MB (a weak proxy)."""
    try:
        notebook = json.loads(Path(path).read_text())
        return float(notebook["metadata"]["nnbook"]["execution_seconds"])
    except (OSError, ValueError, KeyError, TypeError):
        return Path(path).stat().st_size / 1e6


def stale_notebooks(cache, paths: list[Path]) -> list[Path]:
    """The notebooks whose code has no executed copy in the jupyter-cache."""
    import nbformat

    stale = []
    for path in paths:
        try:
            cache.match_cache_notebook(nbformat.read(path, as_version=4))
        except KeyError:
            stale.append(path)
    return stale


def default_workers() -> int:
    """``NNBOOK_EXECUTE_JOBS``, else one more kernel than there are CPUs.

    The extra kernel keeps both cores of a 2-core machine busy to the end: with
    one kernel per core the last notebook ran alone for 6 s of a 62 s execution;
    with three, execution took 60 s (all twelve chapters, measured).
    """
    return int(os.environ.get(JOBS_VAR, "") or (os.cpu_count() or 1) + 1)


class ParallelExecution:
    """The notebooks with no cached outputs, executing in the background.

    Each notebook runs in its own kernel (a process), several at once; the threads
    here only pass messages. :meth:`wait` stores each notebook's outputs in the
    jupyter-cache at ``cache_path`` the way myst-nb's cache mode does, so the
    build then only reads them. A notebook that fails is left out: myst-nb runs it
    again and reports its error as usual. Kernels get one BLAS thread each: the
    kernels already fill the cores, and kernels each running a thread per core
    slowed each other down (the digits chapter took twice as long).
    """

    def __init__(
        self,
        cache_path: Path,
        paths: list[Path],
        timeout: int,
        allow_errors: bool = False,
        workers: int | None = None,
    ):
        from concurrent.futures import ThreadPoolExecutor

        from jupyter_cache import get_cache

        self.started = time.perf_counter()
        self.cache = get_cache(str(cache_path))
        todo = stale_notebooks(self.cache, [Path(p) for p in paths])
        # Longest first so that no kernel is left with a long tail.
        todo.sort(key=lambda p: -expected_seconds(p))
        self.paths = todo
        self.jobs = {}
        self._saved_env = {}
        if not todo:
            return
        for name in BLAS_THREAD_VARS:  # kernels inherit the environment
            if name not in os.environ:
                self._saved_env[name] = None
                os.environ[name] = "1"
        self.pool = ThreadPoolExecutor(
            min(len(todo), workers or default_workers()),
            thread_name_prefix="nnbook-execute",
        )
        self.jobs = {
            self.pool.submit(_execute_one, str(path), timeout, allow_errors): path
            for path in todo
        }

    def wait(self) -> dict[str, float]:
        """Cache each notebook's outputs as it finishes; seconds per notebook."""
        from concurrent.futures import as_completed

        from jupyter_cache.base import CacheBundleIn

        seconds = {}
        if not self.jobs:
            return seconds
        try:
            for job in as_completed(self.jobs):
                path = self.jobs[job]
                try:
                    notebook, took, error = job.result()
                except Exception as crash:  # the client itself failed: myst-nb retries
                    notebook, took = None, 0.0
                    error = f"{type(crash).__name__}: {crash}"
                if error is not None:
                    logger.info(
                        "nnbook.offline: %s failed (%s); myst-nb will report it",
                        path.name,
                        error.splitlines()[0][:200],
                    )
                    continue
                record = self.cache.add_nb_to_project(str(path))
                self.cache.cache_notebook_bundle(
                    CacheBundleIn(
                        notebook, record.uri, data={"execution_seconds": took}
                    ),
                    check_validity=False,
                    overwrite=True,
                )
                seconds[path.name] = took
                # the same words as myst-nb's, which bench.build reads
                logger.info("%s: Executed notebook in %.2f seconds", path, took)
        finally:
            self.pool.shutdown(cancel_futures=True)
            for name in self._saved_env:
                os.environ.pop(name, None)
            self.jobs = {}
        return seconds


def execute_in_parallel(
    cache_path: Path,
    paths: list[Path],
    timeout: int,
    allow_errors: bool = False,
    workers: int | None = None,
) -> dict:
    """Execute the notebooks with no cached outputs, several at once, into the
    jupyter-cache at ``cache_path`` (:class:`ParallelExecution`); seconds per
    notebook."""
    return ParallelExecution(cache_path, paths, timeout, allow_errors, workers).wait()


def _notebooks_to_execute(app, docnames) -> list[Path]:
    config = getattr(app.env, "mystnb_config", None)
    if config is None or config.execution_mode != "cache":
        return []
    paths = []
    for docname in sorted(docnames):
        path = Path(app.env.doc2path(docname))
        if path.suffix == ".ipynb" and not any(
            path.match(pattern) for pattern in config.execution_excludepatterns
        ):
            paths.append(path)
    return paths


def _cache_path(app) -> Path:
    """myst-nb's jupyter-cache folder (myst-nb's config is set by builder-inited)."""
    config = getattr(app.env, "mystnb_config", None)
    cache = Path(
        getattr(config, "execution_cache_path", "")
        or Path(app.outdir).parent / ".jupyter_cache"
    )
    return cache if cache.is_absolute() else Path(app.confdir) / cache


def _start_executing(app) -> None:
    # At builder-inited, seconds before Sphinx reads anything: the notebooks start
    # while Sphinx finishes setting up (the same documents it will find).
    app.nnbook_execution = None
    if default_workers() < 2:
        return  # one at a time: myst-nb executes each as Sphinx reads it
    exclude = (
        app.config.exclude_patterns
        + app.config.templates_path
        + app.builder.get_asset_paths()
    )
    docnames = app.project.discover(exclude, app.config.include_patterns)
    paths = _notebooks_to_execute(app, docnames)
    if len(paths) >= 2:
        config = app.env.mystnb_config
        app.nnbook_execution = ParallelExecution(
            _cache_path(app),
            paths,
            config.execution_timeout,
            config.execution_allow_errors,
        )


def _on_env_before_read_docs(app, env, docnames) -> None:
    # Before Sphinx reads the notebooks one after another, wait for the ones
    # started at builder-inited (and run any it did not foresee): myst-nb then
    # finds each in the cache.
    running = getattr(app, "nnbook_execution", None)
    app.nnbook_execution = None
    started = running.started if running else time.perf_counter()
    done = running.wait() if running else {}
    later = [
        p
        for p in _notebooks_to_execute(app, docnames)
        if not running or p not in running.paths
    ]
    if len(later) >= 2 and default_workers() >= 2:
        config = env.mystnb_config
        done |= execute_in_parallel(
            _cache_path(app),
            later,
            config.execution_timeout,
            config.execution_allow_errors,
        )
    if done:
        logger.info(
            "nnbook.offline: executed %d notebooks in parallel in %.1f s",
            len(done),
            time.perf_counter() - started,
        )


# -- pages as readers meet them --------------------------------------------------


def _on_config_inited(app, config) -> None:
    # The theme writes a <script> for fontawesome.js (1.5 MB) into every page. Its
    # stylesheet already draws every icon the pages use with the Font Awesome web
    # fonts, so the script only redraws them as SVG: serve the theme's own macros
    # without that line (a copy made at build time, so a theme update is followed).
    import pydata_sphinx_theme

    theme = Path(pydata_sphinx_theme.__file__).parent / "theme" / "pydata_sphinx_theme"
    macros = (theme / "static" / "webpack-macros.html").read_text()
    kept = "\n".join(
        line for line in macros.splitlines() if "scripts/fontawesome.js" not in line
    )
    templates = Path(app.outdir).parent / "nnbook-templates"
    if kept.count("\n") == macros.count("\n"):
        logger.info("nnbook.offline: the theme no longer loads fontawesome.js")
    else:
        _write_if_changed(templates / "static" / "webpack-macros.html", kept)
    # Every page also loads the search index (108 kB), for the theme's
    # search-as-you-type, which is off: only search.html needs it.
    options = getattr(config, "html_theme_options", None) or {}
    if not options.get("search_as_you_type"):
        layout = (theme / "layout.html").read_text()
        index = "<script src=\"{{ pathto('searchindex.js', 1) | e }}\"></script>"
        if index in layout:
            _write_if_changed(
                templates / "pydata_sphinx_theme" / "layout.html",
                layout.replace(index, "{# the search index: search.html only #}"),
            )
        else:
            logger.info("nnbook.offline: the theme loads the search index otherwise")
    config.templates_path = [str(templates), *config.templates_path]


def _write_if_changed(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text() != text:
        path.write_text(text)


def chapter_of(docname: str) -> str | None:
    """``01_neurons`` for ``book/01_neurons``; None for pages that are no chapter."""
    match = CHAPTER.match(docname)
    return match.group(1) if match else None


def download_paths(root: Path, chapter: str) -> dict[str, Path]:
    """The chapter's notebooks offered for download, by kind, that exist."""
    found = {
        "chapter": root / "book" / f"{chapter}.ipynb",
        "exercises": root / "exercises" / f"{chapter}.ipynb",
    }
    return {kind: path for kind, path in found.items() if path.exists()}


def _on_doctree_resolved_book(app, doctree, docname) -> None:
    # Every builder: "Check yourself" boxes (sphinx-exercise's unnumbered
    # exercises) are not titled "Exercise", which names the graded ones.
    from sphinx_exercise.nodes import exercise_node, exercise_title

    for box in doctree.findall(exercise_node):
        box["classes"].append("nnbook-check")
        for title in box.findall(exercise_title):
            for text in title.findall(nodes.Text):
                if text.astext().strip() == "Exercise":
                    text.parent.replace(text, nodes.Text(CHECK_TITLE))
                break
    if app.builder.format == "html":
        _add_download_links(app, doctree, docname)
        _add_bibliography_backlinks(app, doctree, docname)
    elif app.builder.format == "latex":
        _live_figures_as_images(app, doctree)


def _add_download_links(app, doctree, docname) -> None:
    # Next to the exercise section's Binder link: the two notebooks, served by
    # the site itself (they work offline; the Binder link does not).
    chapter = chapter_of(docname)
    if not chapter:
        return
    files = download_paths(Path(app.confdir), chapter)
    if not files:
        return
    marker = f"exercises%2F{chapter}.ipynb"
    anchor = next(
        (
            ref
            for ref in doctree.findall(nodes.reference)
            if marker in ref.get("refuri", "")
        ),
        None,
    )
    prefix = "../" * docname.count("/")
    links = []
    if "exercises" in files:
        links.append(
            f'<a class="nnbook-download nnbook-download-exercises" download '
            f'href="{prefix}{DOWNLOADS}/exercises/{chapter}.ipynb">the exercise '
            f"notebook <code>{chapter}.ipynb</code></a>"
        )
    if "chapter" in files:
        links.append(
            f'<a class="nnbook-download nnbook-download-chapter" download '
            f'href="{prefix}{DOWNLOADS}/book/{chapter}.ipynb">this chapter as a '
            f"notebook</a>"
        )
    html = (
        '<p class="nnbook-downloads"><span class="fa-solid fa-download" '
        'aria-hidden="true"></span> Download '
        + " and ".join(links)
        + (" to run them" if len(links) > 1 else " to run it")
        + " in your own Jupyter (no network needed once downloaded).</p>"
    )
    raw = nodes.raw(text=html, format="html")
    if anchor is not None:
        paragraph = anchor
        while paragraph is not None and not isinstance(paragraph, nodes.paragraph):
            paragraph = paragraph.parent
        if paragraph is not None:
            # after what the paragraph introduces ("The exercises:" and its list)
            at = paragraph.parent.index(paragraph) + 1
            if paragraph.astext().rstrip().endswith(":") and at < len(
                paragraph.parent.children
            ):
                at += 1
            paragraph.parent.insert(at, raw)
            return
    # No Binder link in the text: put them at the end of the first section.
    section = next(doctree.findall(nodes.section), None)
    (section or doctree).append(raw)


def _add_bibliography_backlinks(app, doctree, docname) -> None:
    # sphinxcontrib-bibtex links a citation back only within its own page; the
    # book's bibliography is a page of its own, so list where each work is cited.
    domain = app.env.get_domain("cite")
    refs = [ref for ref in domain.citation_refs if ref.docname != docname]
    if not refs:
        return
    titles = app.env.titles
    for citation in doctree.findall(nodes.citation):
        keys = {c.key for c in domain.citations if c.citation_id in citation["ids"]}
        cited = [r for r in refs if keys & {t.key for t in r.targets}]
        if not cited:
            continue
        links, seen = [], Counter()
        for ref in sorted(cited, key=lambda r: r.docname):
            seen[ref.docname] += 1
            title = titles[ref.docname].astext() if ref.docname in titles else ""
            uri = app.builder.get_relative_uri(docname, ref.docname)
            href = f"{uri}#{ref.citation_ref_id}"
            name = escape(title if seen[ref.docname] == 1 else str(seen[ref.docname]))
            links.append(f'<a href="{href}">{name}</a>')
        html = '<p class="nnbook-backlinks">Cited in: ' + ", ".join(links) + "</p>"
        citation.append(nodes.raw(text=html, format="html"))


def _data_uri(uri: str) -> bytes:
    return base64.b64decode(uri.split(",", 1)[1])


def _percent(style: str, name: str) -> float | None:
    match = re.search(rf"(?:^|;)\s*{name}\s*:\s*([0-9.]+)%", style)
    return float(match.group(1)) / 100 if match else None


class _LivePicture(HTMLParser):
    """What a live figure's static rendering shows before any slider moves: its
    picture box (an optional background image) and the image drawn over it."""

    def __init__(self) -> None:
        super().__init__()
        self.inside = False
        self.background = None
        self.image = None  # (src, alt, style)

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        classes = a.get("class", "").split()
        if "nnbook-live-figure" in classes:
            self.inside = True
        if not self.inside:
            return
        found = re.search(
            r"background-image:\s*url\((data:[^)]+)\)", a.get("style", "")
        )
        if found and self.background is None and self.image is None:
            self.background = found.group(1)
        if tag == "img" and self.image is None and a.get("src", "").startswith("data:"):
            self.image = (a["src"], a.get("alt", ""), a.get("style", ""))


def live_figure_start_frame(html_text: str) -> tuple[bytes, str] | None:
    """The PNG a live figure's static HTML shows first, and its alt text; None
    when ``html_text`` is no live figure. An image drawn over a background image
    (left/top/width in percent of the box) is composited onto it."""
    from PIL import Image

    parser = _LivePicture()
    parser.feed(html_text)
    if parser.image is None:
        return None
    src, alt, style = parser.image
    picture = Image.open(io.BytesIO(_data_uri(src))).convert("RGBA")
    if parser.background is not None:
        base = Image.open(io.BytesIO(_data_uri(parser.background))).convert("RGBA")
        left, top = _percent(style, "left") or 0, _percent(style, "top") or 0
        width = _percent(style, "width")
        if width:
            size = round(width * base.width)
            picture = picture.resize(
                (size, round(picture.height * size / picture.width)), Image.LANCZOS
            )
        base.alpha_composite(
            picture, (round(left * base.width), round(top * base.height))
        )
        picture = base
    out = io.BytesIO()
    picture.convert("RGB").save(out, format="PNG")
    return out.getvalue(), alt


class _Table(HTMLParser):
    """The rows of a simple HTML table (a DataFrame's, say): header and body."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[tuple[bool, list[str]]] = []
        self.cell: list[str] | None = None
        self.head = False

    def handle_starttag(self, tag, attrs):
        if tag == "thead":
            self.head = True
        elif tag == "tbody":
            self.head = False
        elif tag == "tr":
            self.rows.append((self.head, []))
        elif tag in ("td", "th") and self.rows:
            self.cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None and self.rows:
            self.rows[-1][1].append(" ".join("".join(self.cell).split()))
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def html_table(html_text: str):
    """A docutils table made from the first HTML table in ``html_text``, or None."""
    if "<table" not in html_text:
        return None
    parser = _Table()
    parser.feed(html_text)
    rows = [r for r in parser.rows if r[1]]
    if not rows:
        return None
    width = max(len(cells) for _, cells in rows)
    group = nodes.tgroup(cols=width)
    group += [nodes.colspec(colwidth=1) for _ in range(width)]
    parts = {True: nodes.thead(), False: nodes.tbody()}
    for is_head, cells in rows:
        row = nodes.row()
        for text in cells + [""] * (width - len(cells)):
            row += nodes.entry("", nodes.paragraph(text=text))
        parts[is_head and not parts[False].children] += row
    if parts[True].children:
        group += parts[True]
    group += parts[False]
    return nodes.table("", group)


def _live_figures_as_images(app, doctree) -> None:
    # The PDF shows each live figure at its starting frame: the picture its
    # static rendering (text/html, chosen for LaTeX by nb_mime_priority_overrides
    # when the output has no image of its own) opens with, written next to the
    # .tex file. An HTML table becomes a table; other HTML has no place in a PDF.
    for raw in list(doctree.findall(nodes.raw)):
        if "html" not in raw.get("format", "").split():
            continue
        text = raw.astext()
        found = live_figure_start_frame(text) if "nnbook-live-figure" in text else None
        if found is not None:
            png, alt = found
            name = f"nnbook-live-{hashlib.sha1(png).hexdigest()[:16]}.png"
            out = Path(app.outdir) / name
            if not out.exists():
                out.write_bytes(png)
            image = nodes.image(uri=name, alt=alt, candidates={"*": name})
            caption = nodes.paragraph(
                text="Interactive figure, shown at its starting values: move its "
                "sliders in the HTML book or in the notebook."
            )
            raw.parent.replace(raw, nodes.container("", image, caption))
            continue
        table = html_table(text)
        if table is not None:
            raw.parent.replace(raw, table)
        elif text.strip().startswith("<") and not re.match(
            r"\s*<(script|style|link|meta)\b", text
        ):  # page machinery (Thebe's settings, say) is no output
            logger.warning(
                "nnbook.offline: an HTML output has no place in the PDF: %s",
                text.strip()[:80],
                location=raw,
            )


def _on_build_finished(app, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    root, out = Path(app.confdir), Path(app.outdir)
    for docname in app.env.found_docs:
        chapter = chapter_of(docname)
        for kind, path in download_paths(root, chapter).items() if chapter else ():
            folder = "book" if kind == "chapter" else "exercises"
            target = out / DOWNLOADS / folder / path.name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
    # The icon fonts cut to the icons the site draws (275 kB -> 5 kB per page),
    # and the theme's stylesheet without the rules of the others.
    for name, (before, after, glyphs) in icons.subset_icon_fonts(out).items():
        kept = "" if glyphs is None else f", {glyphs} icons"
        logger.info(
            "nnbook.offline: %s cut, %d -> %d bytes%s", name, before, after, kept
        )
    pdf = Path(app.outdir).parent / "latex" / Path(PDF).name
    if pdf.exists():  # `make pdf` copies it too; an older one beats a dead link
        (out / PDF).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(pdf, out / PDF)


def _page_has_math(context) -> bool:
    body = context.get("body", "")
    return 'class="math' in body or "\\(" in body or "\\[" in body


def _edit_header_buttons(context, pagename) -> None:
    # The download menu: the book as a PDF for every page, the notebooks on
    # chapters; the browser's print dialog is named for what it is.
    groups = [
        b
        for b in context.get("header_buttons", [])
        if b.get("label") == "download-buttons"
    ]
    if not groups:
        return
    buttons = groups[0]["buttons"]
    pathto = context["pathto"]
    for button in buttons:
        if button.get("label") == "download-pdf-button":
            button["text"] = "print"
            button["tooltip"] = "Print this page (or save it as PDF)"
            button["icon"] = "fas fa-print"
    buttons.append(
        {
            "type": "link",
            "url": pathto(PDF, 1),
            "text": "book .pdf",
            "tooltip": "The whole book as one PDF",
            "icon": "fas fa-file-pdf",
            "label": "download-book-pdf-button",
        }
    )
    chapter = chapter_of(pagename)
    if chapter:
        buttons.append(
            {
                "type": "link",
                "url": pathto(f"{DOWNLOADS}/exercises/{chapter}.ipynb", 1),
                "text": "exercises",
                "tooltip": "This chapter's exercise notebook",
                "icon": "fas fa-pencil",
                "label": "download-exercises-button",
            }
        )


# -- author-year citations -------------------------------------------------------


def _last_names(person) -> str:
    from pybtex.backends.plaintext import Backend
    from pybtex.richtext import Text

    return Text(*person.rich_last_names).render(Backend()) if person else ""


def _remember_plugins() -> None:
    """Make pybtex look each plugin up once.

    ``pybtex.plugin.find_plugin`` reads every installed package's entry points on
    each call (11 ms here) and sphinxcontrib-bibtex calls it for each citation:
    3.5 s of every build. The lookups are remembered, and forgotten whenever a
    plugin is registered.
    """
    import pybtex.plugin as plugin

    if getattr(plugin.find_plugin, "nnbook_remembers", False):
        return
    find, register, found = plugin.find_plugin, plugin.register_plugin, {}

    def find_plugin(plugin_group, name=None, filename=None):
        if filename is not None:
            return find(plugin_group, name, filename)
        key = (plugin_group, name)
        if key not in found:
            found[key] = find(plugin_group, name)
        return found[key]

    def register_plugin(*args, **kwargs):
        found.clear()
        return register(*args, **kwargs)

    find_plugin.nnbook_remembers = True
    plugin.find_plugin, plugin.register_plugin = find_plugin, register_plugin


class AuthorYearLabels(BaseLabelStyle):
    """Labels such as "Rosenblatt, 1958", "Minsky and Papert, 1969",
    "LeCun et al., 1998a": the text's citations and the bibliography's labels are
    the same, and two works of the same authors and year get a and b."""

    def format_labels(self, sorted_entries):
        entries = list(sorted_entries)
        bases = [self.base(entry) for entry in entries]
        counts, seen = Counter(bases), Counter()
        for base in bases:
            if counts[base] > 1:
                seen[base] += 1
                yield f"{base}{'abcdefghijklmnopqrstuvwxyz'[seen[base] - 1]}"
            else:
                yield base

    @staticmethod
    def base(entry) -> str:
        people = entry.persons.get("author") or entry.persons.get("editor") or []
        names = [_last_names(p) for p in people]
        if len(names) >= 3:
            who = f"{names[0]} et al."
        elif len(names) == 2:
            who = f"{names[0]} and {names[1]}"
        else:
            who = names[0] if names else entry.fields.get("title", entry.key)
        return f"{who}, {entry.fields.get('year', 'n.d.')}"


class AuthorYearStyle(UnsrtStyle):
    """pybtex's plain entries, sorted by author and year, labelled author–year."""

    default_label_style = "nnbook_author_year"
    default_sorting_style = "author_year_title"


@bibtex_node
def labelled_year(children, data):
    """The year as the bibliography's label shows it: "1998a" where two works of
    the same authors share a year, else the entry's year."""
    from pybtex.richtext import Text

    label = data["formatted_entry"].label
    return Text(label.rsplit(", ", 1)[-1])


def _with_labelled_year(style):
    """``style`` (an author-year reference style) citing the labelled year."""

    def inner(role_name):
        return _replace_year(type(style).inner(style, role_name))

    style.inner = inner
    return style


def _replace_year(node):
    # pybtex template nodes: swap every ``year`` node for ``labelled_year``
    from sphinxcontrib.bibtex.style.template import year

    if not isinstance(node, type(year)):  # text between the nodes
        return node
    if node.f is year.f:
        return labelled_year
    node.children = [_replace_year(child) for child in node.children]
    return node


@dataclass
class AuthorYearReferences(AuthorYearReferenceStyle):
    """sphinxcontrib-bibtex's author-year citations, "[LeCun et al., 1998a]" and
    "LeCun et al. [1998a]", whose year carries the label's a/b."""

    def __post_init__(self):
        super().__post_init__()
        self.styles[:2] = [_with_labelled_year(s) for s in self.styles[:2]]


register_plugin("pybtex.style.labels", "nnbook_author_year", AuthorYearLabels)
register_plugin("pybtex.style.formatting", "nnbook_author_year", AuthorYearStyle)
register_bibtex_plugin(
    "sphinxcontrib.bibtex.style.referencing", "nnbook_author_year", AuthorYearReferences
)


class NumrefOncePerPage(StandardDomain):
    """Sphinx's standard domain, reading each page a ``{numref}`` points to once per
    build instead of once per reference.

    Sphinx unpickles the target page's whole doctree for every numbered reference
    to find the figure or equation there; the book's 70 references cost 1.3 s of
    each build. Resolving one only reads the doctree, so one copy serves them all.
    """

    def _resolve_numref_xref(self, env, *args, **kwargs):
        memo = self.__dict__.setdefault("_nnbook_doctrees", {})
        read = env.get_doctree

        def get_doctree(docname):
            if docname not in memo:
                memo[docname] = read(docname)
            return memo[docname]

        env.get_doctree = get_doctree  # for this call only
        try:
            return super()._resolve_numref_xref(env, *args, **kwargs)
        finally:
            del env.get_doctree


def setup(app):
    """Register the extension with Sphinx."""
    app.add_domain(NumrefOncePerPage, override=True)
    app.add_config_value("nnbook_thebe_server_url", "", "html", types=[str])
    app.add_config_value("nnbook_thebe_server_token", "", "html", types=[str])
    app.connect("config-inited", _on_config_inited)
    app.connect("builder-inited", _on_builder_inited)
    app.connect("env-get-outdated", _on_env_get_outdated)
    app.connect("env-before-read-docs", _on_env_before_read_docs)
    app.connect("doctree-resolved", _on_doctree_resolved, priority=600)
    app.connect("doctree-resolved", _on_doctree_resolved_book, priority=700)
    app.connect("html-page-context", _on_html_page_context, priority=900)
    app.connect("build-finished", _on_build_finished)
    app.add_css_file("nnbook.css", priority=900)
    app.add_js_file("nnbook.js", priority=900)
    _remember_plugins()
    # Bump env_version when what this extension writes into pages changes: Sphinx
    # then rewrites every page instead of only the changed ones.
    return {
        "parallel_read_safe": True,
        "parallel_write_safe": True,
        "version": "2",
        "env_version": 4,
    }
