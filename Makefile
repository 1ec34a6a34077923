# Everything a newcomer needs, on a machine with only Python 3.11+.
#   make run    create .venv, install, migrate SQLite, load divisions and demo, serve
#   make test   ruff, then pytest on SQLite and PostgreSQL and in Debian's Chromium
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMP := $(VENV)/.installed
LOCALE := web/locale
CATALOGUE := $(LOCALE)/zh_Hans/LC_MESSAGES/messages.po

.PHONY: run setup test test-fast test-browser lint format messages readme bench clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { \
	  echo "Python 3.11 or newer is needed; try: make PYTHON=python3.11 $(MAKECMDGOALS)"; \
	  exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

setup: $(STAMP)
	$(BIN)/python -m server setup

run: setup
	@echo "Serving at http://127.0.0.1:$(PORT)  (demo logins in README.md; password demo1234)"
	PORT=$(PORT) $(BIN)/python -m server serve --port $(PORT)

# Local runs skip PostgreSQL, Redis or Chromium with a message when they are
# missing; CI sets TEST_REQUIRE_ALL=1 (see .ci/run) so that they fail instead.
test: lint
	$(BIN)/python -m pytest -p no:cacheprovider

test-fast: $(STAMP)
	$(BIN)/python -m pytest -p no:cacheprovider -m "not browser" -x -q

test-browser: $(STAMP)
	$(BIN)/python -m pytest -p no:cacheprovider -m browser

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Re-extract translatable strings and merge them into the Chinese catalogue
# (created on the first run). Then translate the new empty entries in $(CATALOGUE).
messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -o $(LOCALE)/messages.pot \
	  --no-location --omit-header --sort-output .
	@if [ -f $(CATALOGUE) ]; then \
	  $(BIN)/pybabel update -i $(LOCALE)/messages.pot -d $(LOCALE) -D messages \
	    --no-fuzzy-matching --omit-header; \
	else \
	  $(BIN)/pybabel init -i $(LOCALE)/messages.pot -d $(LOCALE) -D messages \
	    -l zh_Hans; \
	fi

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) var .pytest_cache test-artifacts

# Regenerate the settings table in README.md from server/settings.py.
readme: $(STAMP)
	$(BIN)/python -m tests.readme_settings
