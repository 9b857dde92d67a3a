# Two commands set everything up on a fresh machine with Python 3.11:
#   make book   build the HTML book into _build/html
#   make test   run the whole test suite (builds the book first)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: book test release sandbox clean bench

$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $(STAMP)

# The book serves MathJax, the widget manager, require.js and Thebe itself (no CDN):
# npm fetches the versions pinned in package-lock.json; nnbook.offline copies them.
NODE_STAMP := node_modules/.package-lock.json

$(NODE_STAMP): package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund

book: $(STAMP) $(NODE_STAMP)
	$(BIN)/jupyter-book build . --warningiserror --keep-going

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
