# honestmeter — the README's two commands are `make run` and `make test`; both install what they need.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
DEMO_MERCHANTS ?= 2000
# Debian packages: HarfBuzz's subsetter and a CJK font for PDFs (WeasyPrint); Chromium for browser tests.
RUNTIME_DEBS := libharfbuzz-subset0 libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-cjk
TEST_DEBS := chromium
# Building the draw's C scorer (honestmeter/inspections/_drawscore.c, OpenSSL's SHA-256): without them the
# install still succeeds and draws run the pure-Python path, identical but some fifty times slower.
BUILD_DEBS := gcc libssl-dev
# Pure cores (no Flask, no SQLAlchemy) are held to mypy --strict.
PURE_CORES := honestmeter/merchants/uscc.py honestmeter/instruments/cycle.py honestmeter/instruments/importing.py \
	honestmeter/scans.py honestmeter/clock.py honestmeter/errors.py honestmeter/ledger/merkle.py \
	honestmeter/ledger/canonical.py honestmeter/ledger/checkpoint.py honestmeter/ledger/bundle.py \
	honestmeter/tables.py honestmeter/inspections/codes.py honestmeter/inspections/tasks/netcontent.py \
	honestmeter/inspections/tasks/instrument_check.py honestmeter/inspections/results/workdays.py honestmeter/storage.py \
	honestmeter/inspections/draw.py honestmeter/scoring.py honestmeter/chinatime.py honestmeter/roles.py \
	honestmeter/merchants/initials.py

.PHONY: install install-dev run test lint translations system-deps test-system-deps clean

install: $(VENV)/.installed node_modules/.installed honestmeter/translations/en/LC_MESSAGES/messages.mo system-deps

install-dev: install $(VENV)/.installed-dev test-system-deps

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip wheel setuptools

# Re-installs only when pyproject.toml changes, so repeated `make` calls are quick and idempotent.
$(VENV)/.installed: pyproject.toml honestmeter/inspections/_drawscore.c | $(VENV)/bin/python
	@scripts/ensure-debs $(BUILD_DEBS)
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

node_modules/.installed: package.json package-lock.json
	@# `npm ci` rejects a lock file without the other platforms' optional anvil binaries (npm 11), so install by
	@# the exact pins in package.json and the lock file instead.
	npm install --no-audit --no-fund --loglevel=error
	touch $@

honestmeter/translations/en/LC_MESSAGES/messages.mo: honestmeter/translations/en/LC_MESSAGES/messages.po | $(VENV)/.installed
	$(BIN)/pybabel compile --use-fuzzy -d honestmeter/translations >/dev/null

system-deps:
	@scripts/ensure-debs $(RUNTIME_DEBS)

test-system-deps:
	@scripts/ensure-debs $(TEST_DEBS)

run: install
	$(BIN)/honestmeter db upgrade
	$(BIN)/honestmeter demo-data --if-empty --merchants $(DEMO_MERCHANTS)
	$(BIN)/honestmeter serve --host $(HOST) --port $(PORT)

# TEST_DATABASE_URL=postgresql://… runs the same suite on PostgreSQL; unset, it runs on SQLite.
test: install-dev lint
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check honestmeter tests bench scripts
	$(BIN)/lint-imports --no-cache
	$(BIN)/mypy
	$(BIN)/mypy --strict --follow-imports=silent $(PURE_CORES)

translations: $(VENV)/.installed-dev
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k N_ -k ValidationFailed -k PermissionDenied \
		-k NotFound -k InvalidTransition -k DomainError --no-location --sort-output \
		--project honestmeter --copyright-holder "honestmeter contributors" -o honestmeter/translations/messages.pot . >/dev/null
	$(BIN)/pybabel update -i honestmeter/translations/messages.pot -d honestmeter/translations --no-fuzzy-matching

clean:
	rm -rf $(VENV) node_modules .pytest_cache .mypy_cache .ruff_cache
