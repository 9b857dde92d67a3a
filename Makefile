# Two commands set everything up on a fresh machine with Python 3.11:
#   make book   build the HTML book into _build/html
#   make test   run the whole test suite (builds the book first)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: book test release lint clean

$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $(STAMP)

book: $(STAMP)
	$(BIN)/jupyter-book build . --warningiserror --keep-going

test: book
	$(BIN)/python -m pytest tests book solutions --nbval --nbval-current-env
	$(BIN)/python -m pytest exercises --nbval-lax --nbval-current-env

release: $(STAMP)
	$(BIN)/nnbook release

clean:
	rm -rf _build
