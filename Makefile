# kmo-portefeuille: `make demo` runs the demo, `make test` runs the whole test suite.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
KMOP := $(VENV)/bin/kmop
PORT ?= 8000
# The interpreter that creates the virtual environment: the first Python 3.12+ on PATH, then pyenv's.
PYTHON ?= $(shell bin/find-python)

.PHONY: help venv demo serve test check pytest pytest-pg browser-deps bench openapi messages clean

help:
	@echo "make demo   install, migrate, load the demo data and serve on http://127.0.0.1:$(PORT)"
	@echo "make test   install what the tests need and run the quality gates and the whole suite"
	@echo "make bench  run the benchmarks on PostgreSQL (DATABASE_URL) and print the figures"

$(VENV)/.installed: requirements/dev.txt requirements/base.txt pyproject.toml
	@if [ -z "$(PYTHON)" ]; then echo "No Python 3.12 or newer found on PATH or in pyenv: install one (e.g. pyenv install 3.13)." >&2; exit 1; fi
	@[ -x $(PY) ] || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements/dev.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $@

venv: $(VENV)/.installed

demo: venv
	$(KMOP) compilemessages --ignore=.venv -v0
	$(KMOP) migrate --no-input -v1
	$(KMOP) seed --scale demo
	KMOP_DEMO=true KMOP_DEBUG=false $(KMOP) runserver --noreload 127.0.0.1:$(PORT)

# Chromium for the browser tests comes from Debian's packages (Playwright drives /usr/bin/chromium).
browser-deps:
	@if ! command -v chromium >/dev/null 2>&1; then \
	  echo "Installing Debian chromium for the browser tests"; \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium; \
	  else sudo apt-get update -qq && sudo apt-get install -y -qq chromium; fi; \
	fi
	@if ! command -v msgfmt >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get install -y -qq gettext; else sudo apt-get install -y -qq gettext; fi; \
	fi

check: venv
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench
	$(VENV)/bin/mypy
	$(KMOP) compilemessages --ignore=.venv -v0
	$(KMOP) makemigrations --check --dry-run
	@mkdir -p var
	$(KMOP) spectacular --validate --fail-on-warn --file var/openapi.generated.yaml
	diff -u openapi.yaml var/openapi.generated.yaml || (echo "openapi.yaml is out of date: run 'make openapi'" >&2; exit 1)
	KMOP_ENV=production KMOP_SECRET_KEY=$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(64))') \
	  KMOP_ALLOWED_HOSTS=kmop.example $(KMOP) check --deploy --fail-level WARNING

pytest: venv browser-deps
	$(VENV)/bin/pytest -n 2 --dist loadgroup

test: venv browser-deps check pytest

openapi: venv
	$(KMOP) spectacular --validate --file openapi.yaml

messages: venv
	cd src/kmop && ../../$(KMOP) makemessages -l nl -l en --no-location --ignore=migrations

bench: venv
	$(PY) -m bench

clean:
	rm -rf $(VENV) var/*.sqlite3* var/static
