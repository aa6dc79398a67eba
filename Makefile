# kmo-portefeuille: `make demo` runs the demo, `make test` runs the whole test suite.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
KMOP := $(VENV)/bin/kmop
PORT ?= 8000
# The interpreter that creates the virtual environment: the first Python 3.12+ on PATH, then pyenv's.
# KMOP_PYTHON=/path/to/python3.13 overrides (it is checked too).
KMOP_PYTHON ?= $(shell bin/find-python)
PY_OK := import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)

.PHONY: help venv demo test check pytest system-deps bench openapi messages clean

help:
	@echo "make demo   install, migrate, load the demo data and serve on http://127.0.0.1:$(PORT)"
	@echo "make test   install what the tests need and run the quality gates and the whole suite"
	@echo "make bench  run the benchmarks on PostgreSQL (BENCH_DATABASE_URL) and print the figures"

$(VENV)/.installed: requirements/dev.txt requirements/base.txt pyproject.toml
	@if [ -z "$(KMOP_PYTHON)" ] || ! "$(KMOP_PYTHON)" -c '$(PY_OK)' 2>/dev/null; then \
	  echo "No Python 3.12 or newer found on PATH or in pyenv's versions: install one (e.g. pyenv install 3.13)," >&2; \
	  echo "or point KMOP_PYTHON at one." >&2; exit 1; fi
	@if [ -e $(VENV) ] && ! $(PY) -c '$(PY_OK); import pip' 2>/dev/null; then \
	  echo "Rebuilding $(VENV): it is incomplete or has a Python older than 3.12"; rm -rf $(VENV); fi
	@[ -x $(PY) ] || $(KMOP_PYTHON) -m venv $(VENV) || { \
	  echo "Could not create $(VENV) with $(KMOP_PYTHON): install its venv module (Debian: python3-venv)." >&2; \
	  rm -rf $(VENV); exit 1; }
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements/dev.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $@

venv: $(VENV)/.installed

demo: venv
	@# The compiled translations are committed; recompile when msgfmt is there.
	@if command -v msgfmt >/dev/null 2>&1; then $(KMOP) compilemessages --ignore=.venv -v0; fi
	$(KMOP) migrate --no-input -v1
	$(KMOP) seed --scale demo
	KMOP_DEMO=true KMOP_DEBUG=false $(KMOP) runserver --noreload 127.0.0.1:$(PORT)

# Chromium for the browser tests (Playwright drives /usr/bin/chromium) and gettext come from Debian's packages.
system-deps:
	@bin/install-system-deps chromium gettext

check: venv system-deps
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench
	$(VENV)/bin/mypy
	$(KMOP) compilemessages --ignore=.venv -v0
	@git diff --quiet -- 'src/kmop/locale/*.mo' 2>/dev/null || { \
	  echo "The compiled translations (.mo) are out of date: run 'make messages' and commit them" >&2; exit 1; }
	$(KMOP) makemigrations --check --dry-run
	@mkdir -p var
	$(KMOP) spectacular --validate --fail-on-warn --file var/openapi.generated.yaml
	diff -u openapi.yaml var/openapi.generated.yaml || (echo "openapi.yaml is out of date: run 'make openapi'" >&2; exit 1)
	KMOP_ENV=production KMOP_SECRET_KEY=$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(64))') \
	  KMOP_ALLOWED_HOSTS=kmop.example $(KMOP) check --deploy --fail-level WARNING

pytest: venv system-deps
	$(VENV)/bin/pytest -n 2 --dist loadgroup

test: venv system-deps check pytest

openapi: venv
	$(KMOP) spectacular --validate --file openapi.yaml

messages: venv system-deps
	cd src/kmop && ../../$(KMOP) makemessages -l nl -l en --no-location --ignore=migrations
	$(KMOP) compilemessages --ignore=.venv -v0

bench: venv
	$(PY) -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var/*.sqlite3* var/static
