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
  ``launch_buttons.binderhub_url`` to any BinderHub.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

from docutils import nodes
from sphinx.errors import ExtensionError
from sphinx.util import logging

from nnbook import static_sliders

logger = logging.getLogger(__name__)

# (package in node_modules, folder inside it, name under _static/vendor, files wanted)
VENDORED = [
    (
        "mathjax",
        "es5",
        "mathjax",
        # The combined component, plus what it loads on demand: TeX extensions,
        # the CHTML fonts, the menu and the accessibility tools.
        [
            "tex-mml-chtml.js",
            "input/**/*",
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


def _lock_digest(root: Path) -> str:
    lock = root / "package-lock.json"
    return hashlib.sha256(lock.read_bytes()).hexdigest() if lock.exists() else ""


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
    if app.builder.format != "html":
        return
    root = Path(app.confdir)
    build = Path(app.outdir).parent
    static = vendor(root, build / "static")
    app.config.html_static_path.append(str(static))

    # The frames belong in every HTML build, also without `make`.
    os.environ.setdefault(static_sliders.ENV_VAR, "1")
    mystnb_config = getattr(app.env, "mystnb_config", None)  # myst-nb sets it first
    cache_path = getattr(mystnb_config, "execution_cache_path", "")
    cache = Path(cache_path or build / ".jupyter_cache")
    if not cache.is_absolute():
        cache = root / cache
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
    scripts = context.get("script_files")
    if not scripts:
        return
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


def setup(app):
    """Register the extension with Sphinx."""
    app.add_config_value("nnbook_thebe_server_url", "", "html", types=[str])
    app.add_config_value("nnbook_thebe_server_token", "", "html", types=[str])
    app.connect("builder-inited", _on_builder_inited)
    app.connect("env-get-outdated", _on_env_get_outdated)
    app.connect("doctree-resolved", _on_doctree_resolved, priority=600)
    app.connect("html-page-context", _on_html_page_context, priority=900)
    # Bump env_version when what this extension writes into pages changes: Sphinx
    # then rewrites every page instead of only the changed ones.
    return {
        "parallel_read_safe": True,
        "parallel_write_safe": True,
        "version": "1",
        "env_version": 3,
    }
