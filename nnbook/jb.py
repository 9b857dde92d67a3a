"""``python -m nnbook.jb ARGS``: Jupyter Book's own command line (``jupyter-book
ARGS``), a second faster to start (:mod:`nnbook.fast_start`). ``make book`` and
``make bench`` build through it.
"""

from __future__ import annotations

from nnbook.fast_start import skip_iri_grammars


def main(argv: list[str] | None = None) -> None:
    skip_iri_grammars()
    from jupyter_book.cli.main import main as jupyter_book

    jupyter_book(args=argv, prog_name="jupyter-book")


if __name__ == "__main__":
    main()
