"""nnbook.offline: vendored scripts, and the widget manager only where needed."""

from __future__ import annotations

import os
import subprocess
import sys
from types import SimpleNamespace

import pytest
from sphinx.builders.html._assets import _JavaScript

from nnbook import offline

THEBE_BODY = 'const THEBE_JS_URL = "https://unpkg.com/thebe@0.8.2/lib/index.js"'


def page_scripts(body: str):
    scripts = [
        _JavaScript(None, body=THEBE_BODY),
        _JavaScript(None, body=THEBE_BODY),  # sphinx-thebe can register it twice
        _JavaScript(None, type=offline.WIDGET_STATE, body="{}"),
        _JavaScript(offline.REQUIRE_JS),
        _JavaScript(offline.EMBED_JS),
    ]
    context = {
        "script_files": scripts,
        "body": body,
        "pathto": lambda path, resource: "../" + path,
    }
    offline._on_html_page_context(None, "book/x", "page.html", context, None)
    return context["script_files"]


def test_thebe_comes_from_the_book_and_is_declared_once():
    scripts = page_scripts("<p>text</p>")
    thebe = [s for s in scripts if "THEBE_JS_URL" in s.attributes.get("body", "")]
    assert len(thebe) == 1
    assert '"../_static/vendor/thebe/index.js"' in thebe[0].attributes["body"]


def test_pages_without_a_widget_view_skip_the_widget_manager():
    names = [str(s.filename) for s in page_scripts("<p>static frames only</p>")]
    assert not any(
        name.endswith((offline.REQUIRE_JS, offline.EMBED_JS)) for name in names
    )


def test_pages_with_a_widget_view_load_it_locally_with_require_config_first():
    scripts = page_scripts(f'<script type="{offline.WIDGET_VIEW}">{{}}</script>')
    names = [str(s.filename) for s in scripts]
    require = names.index(offline.REQUIRE_JS)
    assert offline.EMBED_JS in names
    config = scripts[require - 1].attributes["body"]
    assert '"../_static/vendor/html-manager"' in config and "MathJax" in config


def test_thebe_goes_to_a_jupyter_server_when_one_is_configured():
    config = SimpleNamespace(
        nnbook_thebe_server_url="https://hub.example.org/user/me/",
        nnbook_thebe_server_token="secret",
        html_theme_options={},
    )
    settings = offline.thebe_overrides(SimpleNamespace(config=config))
    assert settings["useBinder"] is False
    assert settings["serverSettings"]["baseUrl"] == "https://hub.example.org/user/me"
    assert settings["serverSettings"]["wsUrl"] == "wss://hub.example.org/user/me"
    assert settings["mathjaxUrl"] is False


def test_thebe_uses_the_configured_binderhub_otherwise():
    config = SimpleNamespace(
        nnbook_thebe_server_url="",
        nnbook_thebe_server_token="",
        html_theme_options={
            "launch_buttons": {"binderhub_url": "https://binder.uni.edu/"}
        },
    )
    settings = offline.thebe_overrides(SimpleNamespace(config=config))
    assert settings["binderOptions"]["binderUrl"] == "https://binder.uni.edu"


# -- pages as readers meet them ---------------------------------------------------

import base64  # noqa: E402
import io  # noqa: E402
import re  # noqa: E402
from pathlib import Path  # noqa: E402

from conftest import ROOT, python_notebook  # noqa: E402
from docutils import nodes  # noqa: E402
from docutils.utils import new_document  # noqa: E402
from pybtex.database import Entry, Person  # noqa: E402

SITE = Path(os.environ.get("NNBOOK_HTML") or ROOT / "_build" / "html")


def entry(key, authors, year):
    found = Entry("article", fields={"title": key, "year": year})
    found.key = key
    found.persons["author"] = [Person(a) for a in authors]
    return found


def test_labels_are_author_year_with_a_and_b_for_the_same_authors_and_year():
    entries = [
        entry("x", ["LeCun, Yann", "Bottou, Léon", "Bengio, Yoshua"], "1998"),
        entry("y", ["LeCun, Yann", "Bottou, Léon", "Orr, Genevieve"], "1998"),
        entry("z", ["Minsky, Marvin", "Papert, Seymour"], "1969"),
        entry("w", ["Rosenblatt, Frank"], "1958"),
    ]
    labels = list(offline.AuthorYearLabels().format_labels(entries))
    assert labels == [
        "LeCun et al., 1998a",
        "LeCun et al., 1998b",
        "Minsky and Papert, 1969",
        "Rosenblatt, 1958",
    ]


def test_check_yourself_boxes_are_not_titled_exercise():
    from sphinx_exercise.nodes import exercise_node, exercise_title

    document = new_document("test")
    title = exercise_title()
    title += nodes.Text("Exercise")
    box = exercise_node()
    box += title
    document += box
    app = SimpleNamespace(builder=SimpleNamespace(format="text"))
    offline._on_doctree_resolved_book(app, document, "book/01_neurons")
    assert title.astext() == offline.CHECK_TITLE
    assert "nnbook-check" in box["classes"]


def test_the_exercise_section_gets_download_links_after_its_binder_link(tmp_path):
    (tmp_path / "book").mkdir()
    (tmp_path / "exercises").mkdir()
    (tmp_path / "book" / "01_neurons.ipynb").write_text("{}")
    (tmp_path / "exercises" / "01_neurons.ipynb").write_text("{}")
    document = new_document("test")
    section = nodes.section()
    paragraph = nodes.paragraph()
    paragraph += nodes.reference(
        text="on Binder",
        refuri="https://mybinder.org/v2/gh/x?labpath=exercises%2F01_neurons.ipynb",
    )
    listed = nodes.bullet_list()
    section += [paragraph, nodes.paragraph(text="after")]
    document += section
    app = SimpleNamespace(confdir=str(tmp_path))
    offline._add_download_links(app, document, "book/01_neurons")
    added = section.children[1]
    # a paragraph ending "The exercises:" keeps its list: the links come after it
    paragraph += nodes.Text(" The exercises:")
    section.remove(added)
    section.insert(1, listed)
    offline._add_download_links(app, document, "book/01_neurons")
    assert section.children[1] is listed and isinstance(section.children[2], nodes.raw)
    assert isinstance(added, nodes.raw)
    assert 'href="../_downloads/notebooks/exercises/01_neurons.ipynb"' in added.astext()
    assert 'href="../_downloads/notebooks/book/01_neurons.ipynb"' in added.astext()


def test_pages_without_math_load_no_mathjax():
    def scripts():
        return [
            _JavaScript("vendor/mathjax/startup.js"),
            _JavaScript(None, body="window.MathJax = {}"),
            _JavaScript("doctools.js"),
        ]

    context = {
        "script_files": scripts(),
        "body": "<p>no math here</p>",
        "pathto": lambda path, resource: "../" + path,
    }
    offline._on_html_page_context(None, "book/index", "page.html", context, None)
    assert [str(s.filename) for s in context["script_files"]] == ["doctools.js"]
    context["script_files"] = scripts()
    context["body"] = '<span class="math notranslate">\\(x\\)</span>'
    offline._on_html_page_context(None, "book/index", "page.html", context, None)
    assert len(context["script_files"]) == 3


def test_the_theme_macros_lose_only_the_fontawesome_script(tmp_path):
    config = SimpleNamespace(templates_path=["_templates"])
    app = SimpleNamespace(outdir=str(tmp_path / "html"))
    offline._on_config_inited(app, config)
    macros = Path(config.templates_path[0]) / "static" / "webpack-macros.html"
    text = macros.read_text()
    assert "fontawesome.js" not in text
    assert "pydata-sphinx-theme.js" in text and "bootstrap.js" in text
    assert config.templates_path[1:] == ["_templates"]


def png_uri(size, colour):
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format="PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


def test_the_pdf_gets_a_live_figures_first_picture_composited():
    from PIL import Image

    html = (
        '<div class="nnbook-live-figure"><div class="nnbook-live-picture" '
        f'style="background-image:url({png_uri((100, 50), "white")})">'
        f'<img src="{png_uri((20, 10), "red")}" alt="w = 1" '
        'style="left:50%;top:20%;width:20%"></div></div>'
    )
    png, alt = offline.live_figure_start_frame(html)
    picture = Image.open(io.BytesIO(png)).convert("RGB")
    assert alt == "w = 1" and picture.size == (100, 50)
    assert picture.getpixel((55, 15)) == (255, 0, 0)  # the patch, where it belongs
    assert picture.getpixel((10, 10)) == (255, 255, 255)
    assert offline.live_figure_start_frame("<p>not a figure</p>") is None


def test_an_html_table_output_becomes_a_table_in_the_pdf():
    table = offline.html_table(
        "<table><thead><tr><th>q</th><th>exact</th></tr></thead>"
        "<tbody><tr><td>a</td><td>1/2</td></tr><tr><td>b</td></tr></tbody></table>"
    )
    assert isinstance(table, nodes.table)
    assert [r.astext().split() for r in table.findall(nodes.row)] == [
        ["q", "exact"],
        ["a", "1/2"],
        ["b"],
    ]


def test_notebooks_run_in_parallel_into_the_cache_myst_nb_reads(tmp_path, monkeypatch):
    import nbformat
    from jupyter_cache import get_cache

    for name in offline.BLAS_THREAD_VARS:
        monkeypatch.delenv(name, raising=False)
    paths = []
    for i in range(3):
        notebook = python_notebook(
            f"print({i} + 40)", "import os; print(os.environ['OPENBLAS_NUM_THREADS'])"
        )
        paths.append(tmp_path / f"n{i}.ipynb")
        nbformat.write(notebook, paths[-1])
    done = offline.execute_in_parallel(tmp_path / "cache", paths, timeout=60, workers=2)
    assert sorted(done) == ["n0.ipynb", "n1.ipynb", "n2.ipynb"]
    cache = get_cache(str(tmp_path / "cache"))
    for i, path in enumerate(paths):
        # the same lookup myst-nb's cache mode makes
        record = cache.match_cache_notebook(nbformat.read(path, as_version=4))
        _, merged = cache.merge_match_into_notebook(nbformat.read(path, as_version=4))
        assert record is not None
        assert merged.cells[0].outputs[0]["text"] == f"{i + 40}\n"
        assert merged.cells[1].outputs[0]["text"] == "1\n"  # one BLAS thread each
    assert offline.stale_notebooks(cache, paths) == []
    # the build's own environment is left as it was
    assert not any(name in os.environ for name in offline.BLAS_THREAD_VARS)


def test_a_failing_notebook_is_left_for_myst_nb_to_report(tmp_path):
    import nbformat

    paths = []
    for i, code in enumerate(["1 / 0", "print('fine')"]):
        paths.append(tmp_path / f"n{i}.ipynb")
        nbformat.write(python_notebook(code), paths[-1])
    done = offline.execute_in_parallel(tmp_path / "cache", paths, timeout=60)
    assert list(done) == ["n1.ipynb"]
    from jupyter_cache import get_cache

    cache = get_cache(str(tmp_path / "cache"))
    assert offline.stale_notebooks(cache, paths) == paths[:1]


def test_execution_uses_one_kernel_more_than_cpus_unless_told(monkeypatch):
    monkeypatch.delenv(offline.JOBS_VAR, raising=False)
    assert offline.default_workers() == (os.cpu_count() or 1) + 1
    monkeypatch.setenv(offline.JOBS_VAR, "1")
    assert offline.default_workers() == 1


@pytest.mark.parametrize(
    "command, says",
    [
        (["nnbook.jb", "--version"], "Jupyter Book"),  # what `make book` runs
        (["nnbook.cli", "grade", "--help"], "usage: nnbook grade"),
    ],
)
def test_commands_start_without_the_iri_grammars(command, says):
    # without rfc3987_syntax's 1 s import (nnbook.fast_start)
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", *command],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert says in result.stdout
    took = {}  # module -> cumulative import microseconds
    for line in result.stderr.splitlines():
        if line.startswith("import time:") and line.count("|") == 2:
            _, cumulative, name = line.split("|")
            if cumulative.strip().isdigit():
                took[name.strip()] = int(cumulative)
    assert "jsonschema" in took  # the import it speeds up did happen
    # tried and refused at once, where loading it takes about a second
    assert took.get("rfc3987_syntax", 0) < 50_000


# -- the built site: citations ---------------------------------------------------

needs_site = pytest.mark.skipif(
    not (SITE / "book" / "bibliography.html").exists(),
    reason=f"no built book in {SITE}: run `make book` (make test does)",
)
LABEL = re.compile(r'<span class="label"><span class="fn-bracket">\[</span>(.*?)<span')
CITE = re.compile(
    r'<a class="reference internal" href="bibliography\.html#([^"]+)"[^>]*>(.*?)</a>'
)


@needs_site
def test_citations_in_the_text_match_the_bibliography_and_link_back():
    bibliography = (SITE / "book" / "bibliography.html").read_text()
    labels = LABEL.findall(bibliography)
    assert labels and len(labels) == len(set(labels)), "two works share a label"
    by_id = dict(
        re.findall(
            r'<div class="citation" id="([^"]+)"[^>]*>\s*<span class="label">'
            r'<span class="fn-bracket">\[</span>(.*?)<span',
            bibliography,
        )
    )
    cited = 0
    for page in sorted((SITE / "book").glob("[0-9][0-9]_*.html")):
        for target, text in CITE.findall(page.read_text()):
            plain = re.sub(r"<[^>]+>", "", text)
            label = by_id[target]
            # "[LeCun et al., 1998a]" in the text, or "LeCun et al. [1998a]"
            assert plain == label or label.endswith(plain), (page.name, plain, label)
            cited += 1
    assert cited > 0
    backlinks = re.findall(
        r'<p class="nnbook-backlinks">Cited in: (.*?)</p>', bibliography
    )
    assert len(backlinks) == len(labels)
    for href in re.findall(r'href="([^"]+)"', " ".join(backlinks)):
        page, anchor = href.split("#")
        assert f'id="{anchor}"' in (SITE / "book" / page).read_text(), href


@needs_site
def test_check_yourself_boxes_are_named_so_on_every_page():
    checks = 0
    for page in sorted((SITE / "book").glob("[0-9][0-9]_*.html")):
        text = page.read_text()
        titles = re.findall(r'<p class="admonition-title">(.*?)</p>', text, re.S)
        plain = [" ".join(re.sub(r"<[^>]+>", "", t).split()) for t in titles]
        assert "Exercise" not in plain, page.name
        checks += sum(t.startswith(offline.CHECK_TITLE) for t in plain)
    assert checks > 0


@needs_site
def test_no_page_loads_the_icon_script_and_math_only_where_there_is_math():
    for page in sorted(SITE.rglob("*.html")):
        if "_static" in page.parts:
            continue
        text = page.read_text()
        assert "scripts/fontawesome.js" not in text, page
        if "vendor/mathjax/" in text:
            assert 'class="math' in text, f"{page} loads MathJax for no math"


def test_numbered_references_read_each_target_page_once(monkeypatch):
    from sphinx.domains.std import StandardDomain

    reads = []

    class Env:
        def get_doctree(self, docname):
            reads.append(docname)
            return SimpleNamespace(name=docname)

    def resolve(self, env, fromdocname, *rest):
        # what Sphinx's numref resolution does: read the target page's doctree
        return [env.get_doctree(fromdocname).name, env.get_doctree("other").name]

    monkeypatch.setattr(StandardDomain, "_resolve_numref_xref", resolve)
    domain = object.__new__(offline.NumrefOncePerPage)
    env = Env()
    for _ in range(3):
        assert domain._resolve_numref_xref(env, "page") == ["page", "other"]
    assert reads == ["page", "other"]
    assert "get_doctree" not in vars(env)  # the environment is left as it was
