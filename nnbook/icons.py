"""The icon fonts a built book serves, cut down to the icons its pages use.

The theme ships Font Awesome's solid, regular and brands web fonts whole (275 kB
for the two a page loads) while the book shows about thirty icons. After an HTML
build, :func:`subset_icon_fonts` rewrites the fonts in the site's
``_static/vendor/fontawesome/webfonts`` to hold only the glyphs the site can
draw:

* every ``fa-NAME`` class named in a page or a script of the site, mapped to its
  code point through the theme stylesheet's ``.fa-NAME:before{content:"\\f0c9"}``
  rules, and
* every private-use character any other stylesheet rule draws (the theme's
  admonition and dropdown icons, ``--pst-icon-*``).

It also drops the stylesheet's rules for the icons no page uses (86 kB). Fonts and
stylesheet are always cut from the theme package's own files, so a page that starts
using a new icon gets it at the next build. ``tests/test_browser_reader.py`` checks
in Chromium that every icon a page draws is in the fonts served.
"""

from __future__ import annotations

import re
from pathlib import Path

FONT_FOLDER = Path("_static") / "vendor" / "fontawesome" / "webfonts"
THEME_CSS = Path("_static") / "styles" / "pydata-sphinx-theme.css"
# A CSS rule: selectors, then its declarations.
RULE = re.compile(r"([^{}]+)\{([^{}]*)\}")
FA_BEFORE = re.compile(r"\.(fa-[a-z0-9-]+):{1,2}before")
CONTENT = re.compile(r"""content:\s*["']\\([0-9a-fA-F]{4,5})["']""")
ESCAPE = re.compile(r"\\([eEfF][0-9a-fA-F]{3})\b")
PRIVATE_USE = re.compile("[\ue000-\uf8ff]")
CLASS_NAME = re.compile(r"\bfa-[a-z0-9]+(?:-[a-z0-9]+)*")
VENDOR = "_static/vendor/"  # copied third-party files


def icon_code_points(css: str) -> dict[str, int]:
    """``fa-NAME`` -> code point, from the stylesheet's ``:before`` content rules."""
    found = {}
    for selectors, body in RULE.findall(css):
        match = CONTENT.search(body)
        if not match:
            continue
        for name in FA_BEFORE.findall(selectors):
            found[name] = int(match.group(1), 16)
    return found


def drawn_by_other_rules(css: str) -> set[int]:
    """Private-use code points that rules other than ``.fa-NAME:before`` draw."""
    points = set()
    for selectors, body in RULE.findall(css):
        if FA_BEFORE.search(selectors) and all(
            FA_BEFORE.fullmatch(s.strip()) for s in selectors.split(",")
        ):
            continue
        points |= {ord(c) for c in PRIVATE_USE.findall(body)}
        points |= {int(h, 16) for h in ESCAPE.findall(body)}
    return points


def _site_files(site: Path, suffixes: tuple[str, ...]):
    for path in site.rglob("*"):
        if path.suffix in suffixes and path.is_file():
            yield path


def used_names(site: Path) -> set[str]:
    """Every ``fa-NAME`` class named in the site's pages and its own scripts."""
    names = set()
    for path in _site_files(Path(site), (".html", ".js")):
        if VENDOR in path.as_posix():
            continue  # copied third-party scripts (MathJax, the widget manager)
        names |= set(CLASS_NAME.findall(path.read_text(errors="replace")))
    return names


def used_code_points(site: Path, theme_css: str | None = None) -> set[int]:
    """Every icon code point the site at ``site`` can draw (see the module doc).
    ``theme_css``: the theme's stylesheet as the package ships it (default)."""
    site = Path(site)
    if theme_css is None:
        theme_css = theme_stylesheet().read_text()
    points_by_name = icon_code_points(theme_css)
    names = used_names(site)
    points = {points_by_name[n] for n in names if n in points_by_name}
    points |= drawn_by_other_rules(theme_css)
    for path in _site_files(site, (".css",)):
        if VENDOR in path.as_posix() or path.name == THEME_CSS.name:
            continue
        points |= drawn_by_other_rules(path.read_text(errors="replace"))
    return points


def pruned_stylesheet(theme_css: str, names: set[str]) -> str:
    """``theme_css`` without the ``.fa-NAME:before`` rules of icons not in ``names``
    (1,900 rules, 86 kB, of which the book uses about thirty)."""

    def keep(match) -> str:
        selectors = match.group(1)
        parts = [s.strip() for s in selectors.split(",")]
        if not all(FA_BEFORE.fullmatch(s) for s in parts):
            return match.group(0)
        if set(FA_BEFORE.findall(selectors)) & names:
            return match.group(0)
        return ""

    return RULE.sub(keep, theme_css)


def _theme_static() -> Path:
    import pydata_sphinx_theme

    theme = Path(pydata_sphinx_theme.__file__).parent / "theme" / "pydata_sphinx_theme"
    return theme / "static"


def theme_fonts() -> Path:
    """The folder of the theme package's own Font Awesome web fonts."""
    return _theme_static() / "vendor" / "fontawesome" / "webfonts"


def theme_stylesheet() -> Path:
    """The theme package's own stylesheet (icon rules for every Font Awesome icon)."""
    return _theme_static() / "styles" / THEME_CSS.name


def subset_icon_fonts(site: Path, source: Path | None = None) -> dict[str, tuple]:
    """Rewrite the site's ``.woff2`` icon fonts to the glyphs it uses, and its copy
    of the theme's stylesheet without the rules of the icons it does not use.

    Returns file name -> (bytes before, bytes after, glyphs kept). Each font is cut
    from ``source`` (the theme's fonts by default) and the stylesheet from the
    theme's own, never from a cut copy.
    """
    from fontTools import subset
    from fontTools.ttLib import TTFont

    site = Path(site)
    source = Path(source) if source else theme_fonts()
    target = site / FONT_FOLDER
    theme_css = theme_stylesheet().read_text()
    wanted = used_code_points(site, theme_css)
    report = {}
    served = site / THEME_CSS
    if served.is_file():
        pruned = pruned_stylesheet(theme_css, used_names(site))
        served.write_text(pruned)
        report[THEME_CSS.name] = (len(theme_css), len(pruned), None)
    for original in sorted(source.glob("*.woff2")):
        out = target / original.name
        if not out.parent.is_dir():
            continue
        font = TTFont(original)
        keep = sorted(wanted & set(font.getBestCmap()))
        options = subset.Options()
        options.flavor = "woff2"
        options.layout_features = ["*"]
        options.name_IDs = ["*"]  # the licence and names travel with the font
        options.notdef_outline = True
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=keep)
        subsetter.subset(font)
        font.flavor = "woff2"
        font.save(out)
        report[original.name] = (original.stat().st_size, out.stat().st_size, len(keep))
    return report
