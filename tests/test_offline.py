"""nnbook.offline: vendored scripts, and the widget manager only where needed."""

from __future__ import annotations

from types import SimpleNamespace

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
