# Two commands set everything up on a fresh machine with Python 3.11:
#   make book   build the HTML book into _build/html and its PDF (make html, make pdf)
#   make test   run the whole test suite (builds the book first)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: book html pdf texlive test release sandbox clean bench

$(STAMP): requirements.txt requirements-test.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt -r requirements-test.txt
	touch $(STAMP)

# The book serves MathJax, the widget manager, require.js and Thebe itself (no CDN):
# npm fetches the versions pinned in package-lock.json; nnbook.offline copies them.
NODE_STAMP := node_modules/.package-lock.json

$(NODE_STAMP): package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund

book: html pdf

html: $(STAMP) $(NODE_STAMP)
	$(BIN)/python -m nnbook.jb build . --warningiserror --keep-going

# The whole book as one PDF (XeLaTeX, with the notebooks' outputs cached by
# `make html`: about 50 s from scratch for 8 chapters, 15 s when _build/latex is
# there), served by the HTML book as _downloads/$(PDF_NAME) and linked from
# every page's download menu. Skipped, saying so, without XeLaTeX.
PDF_NAME := neurons-to-attention.pdf
TEX_PACKAGES := texlive-xetex texlive-latex-extra texlive-fonts-recommended latexmk \
  fonts-freefont-otf tex-gyre poppler-utils

pdf: $(STAMP) $(NODE_STAMP) texlive
	@if command -v xelatex >/dev/null && command -v latexmk >/dev/null; then \
	  $(BIN)/python -m nnbook.jb build . --builder pdflatex --warningiserror --keep-going \
	  && mkdir -p _build/html/_downloads \
	  && cp _build/latex/$(PDF_NAME) _build/html/_downloads/$(PDF_NAME); \
	else echo "XeLaTeX/latexmk not installed: no PDF (make texlive as root installs them)"; fi

# XeLaTeX, latexmk and the fonts for the PDF, poppler-utils for its test.
# Installing needs root; without them `make pdf` skips the PDF and its test skips.
texlive:
	@{ command -v xelatex && command -v latexmk && command -v pdftotext; } >/dev/null \
	  || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
	  && (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	      --no-install-recommends $(TEX_PACKAGES)) >/dev/null 2>&1; } \
	  || echo "XeLaTeX not installed (as root: apt-get install $(TEX_PACKAGES))"

test: book sandbox
	$(BIN)/python -m pytest tests book solutions --nbval --nbval-current-env
	$(BIN)/python -m pytest exercises --nbval-lax --nbval-current-env

# bubblewrap makes `nnbook grade`'s sandbox stronger; without it the grader uses
# util-linux unshare and says so. Installing needs root; nothing fails without it.
sandbox:
	@command -v bwrap >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
	  && (apt-get update -qq && apt-get install -y -qq bubblewrap) >/dev/null 2>&1; } \
	  || echo "bubblewrap not installed: nnbook grade will use unshare"

release: $(STAMP)
	$(BIN)/nnbook release

clean:
	rm -rf _build

# The speed table (build, chapters on 1 CPU, sliders, grading, page weight); not
# part of `make test`. BENCH_ARGS=--quick for a smoke test. Writes _build/bench/.
bench: $(STAMP) $(NODE_STAMP) sandbox
	$(BIN)/python -m bench $(BENCH_ARGS)
