# Studio's commands. The README's quick start is `make lab` and `make test`.
#
#   make lab        install into .venv (the JupyterLab extension is built on the way), then
#                   start JupyterLab on examples/ (HOST, PORT, LAB_ARGS)
#   make test       install, then ruff, mypy, Prettier and ESLint (JupyterLab's extension-template
#                   configuration), the TypeScript check and Jest, pytest on SQLite
#                   (browser tests in Debian's Chromium included, installed if missing), and
#                   every test that touches a store again on a throwaway PostgreSQL server
#                   that it starts and always stops (this run goes in the background from
#                   the start, beside the checks and the SQLite run: two cores); the
#                   browser tests save their screenshots
#                   outside the work tree ($TMPDIR/studio-screenshots, or STUDIO_SCREENSHOTS)
#   make screenshots  only the browser tests, saving their screenshots into
#                   tests/browser/screenshots: the README's images, refreshed to be committed
#   make bench      install the `bench` extra (MLflow; FLAML, LightGBM, XGBoost and the
#                   penguins for the AutoML bench), then run every tests/bench/bench_*.py
#                   (BENCH_ARGS are passed to each, e.g. BENCH_ARGS=--quick): among them the
#                   series figures beside MLflow and the million-point migration, each on SQLite
#                   and on a throwaway PostgreSQL server, and studio.automl beside FLAML
#                   (tests/bench/README.md)
#   make api-types  regenerate labextension/openapi.json and the TypeScript types made from it
#
# Everything goes into a virtual environment of its own (.venv, or VENV=...), reused until
# pyproject.toml or the frontend's package.json / package-lock.json change. `pip install -e`
# builds the extension (npm install, then the build, through hatch-jupyter-builder), and
# `jupyter-builder develop` links .venv's copy to studio/labextension, so JupyterLab serves
# this checkout's build; a change under labextension/src, style or schema rebuilds it.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:
MAKEFLAGS += --no-builtin-rules

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
ABS_BIN := $(abspath $(BIN))
PIP_FLAGS ?= --progress-bar off
# Stamps: the environment is reinstalled only when its inputs are newer than these.
INSTALLED := $(VENV)/.studio-installed
BENCH_INSTALLED := $(VENV)/.studio-bench-installed

# The frontend: the build lands in studio/labextension; jupyter-builder (a Python command from
# the virtual environment) must be on PATH for npm's build scripts.
NPM ?= npm
NPM_ENV := PATH="$(ABS_BIN):$$PATH"
LABEXT_BUILT := studio/labextension/package.json
LABEXT_LINK := $(VENV)/share/jupyter/labextensions/jupyter-studio
LABEXT_INPUTS := labextension/package.json labextension/package-lock.json
LABEXT_SOURCES := $(shell find labextension/src labextension/style labextension/schema -type f \
                    -not -path '*/__tests__/*' 2>/dev/null) \
                  labextension/package.json labextension/tsconfig.json
NODE_MODULES := labextension/node_modules/.package-lock.json

# The browser tests drive Debian's Chromium (never a browser that Playwright downloads).
CHROMIUM := /usr/bin/chromium

HOST ?= 127.0.0.1
PORT ?= 8888
LAB_ARGS ?=
comma := ,
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root,)

PYTEST_ARGS ?=
JEST_ARGS ?=
BENCH_ARGS ?=
# What runs a second time against PostgreSQL: every test, a new file included, except these,
# which touch no store (or only SQLite's): the browser tests and the example notebooks stay on
# SQLite. Inside the run, tests of SQLite itself skip (tests/databases.py: sqlite_only).
PG_IGNORE ?= tests/browser tests/test_examples.py tests/test_labextension.py \
             tests/test_extension.py tests/test_api_types.py tests/test_openapi.py \
             tests/test_public_api.py tests/test_config.py tests/tracking/test_search.py \
             tests/tracking/test_downsample.py tests/jobs/test_local_executor.py \
             tests/jobs/test_proctree.py tests/jobs/test_runner.py \
             tests/tracking/test_models_files.py tests/tracking/test_signature.py \
             tests/registry/test_uri_gates.py tests/registry/test_batch.py \
             tests/serving/test_scoring.py tests/serving/test_capture.py \
             tests/serving/test_fuzz_invocations.py tests/serving/test_batcher.py \
             tests/serving/test_router.py tests/serving/test_shadow.py \
             tests/serving/test_asgi_loading.py tests/serving/test_auth.py
PG_TESTS ?= tests $(addprefix --ignore=,$(PG_IGNORE))
# The browser tests run in a pytest of their own: Playwright's sync API keeps an event loop
# running for the rest of the session, and pytest-jupyter's loop fixtures of every later test
# fail when they close theirs ("Cannot close a running event loop").
BROWSER_TESTS ?= tests/browser
# Tests that mostly wait for the wall clock (a real every-minute schedule): `make test` runs
# them beside the browser tests and the PostgreSQL run, where they cost no time of their own.
CLOCK_TESTS ?= tests/jobs/test_scheduler_cron.py
# The README's images; elsewhere the browser tests save screenshots outside the work tree.
README_SCREENSHOTS := tests/browser/screenshots

.PHONY: help install build lab test lint typecheck test-frontend test-sqlite test-browser \
        format test-postgres screenshots api-types bench clean distclean

help:
	@echo "make lab        start JupyterLab with Studio on examples/ (HOST=$(HOST) PORT=$(PORT))"
	@echo "make test       ruff, mypy, tsc and Jest, pytest on SQLite (browser tests included)"
	@echo "                and every store-touching test again on PostgreSQL"
	@echo "                (screenshots: $${TMPDIR:-/tmp}/studio-screenshots or STUDIO_SCREENSHOTS)"
	@echo "make screenshots  refresh the README's screenshots in $(README_SCREENSHOTS) (to commit)"
	@echo "make bench      the benchmarks, side by side with MLflow (and FLAML for AutoML)"
	@echo "make install    only create/refresh the virtual environment $(VENV) (builds the extension)"
	@echo "make build      rebuild the JupyterLab extension if its sources changed"
	@echo "make api-types  regenerate labextension/openapi.json and labextension/src/api/schema.ts"
	@echo "make format     rewrite the frontend's sources with Prettier and ESLint's fixes"
	@echo "make lint | typecheck | test-frontend | test-sqlite | test-postgres   one step of make test"
	@echo "make test-browser   only the browser tests (part of test-sqlite)"
	@echo "make clean      remove caches and build output; distclean also removes $(VENV) and node_modules"

$(BIN)/python:
	@if ! $(PYTHON) -m venv $(VENV); then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "==> $(PYTHON) cannot make a virtual environment; installing python3-venv"; \
	    rm -rf $(VENV); \
	    apt-get update -qq; \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv; \
	    $(PYTHON) -m venv $(VENV); \
	  else \
	    echo "error: $(PYTHON) -m venv failed; install python3-venv" >&2; exit 1; \
	  fi; \
	fi

# pip install -e EXTRAS, then link .venv's copy of the extension to studio/labextension.
# The link goes first: pip would otherwise remove and write the installed files through it.
define install_editable
	if [ -L "$(LABEXT_LINK)" ]; then rm "$(LABEXT_LINK)"; fi
	$(BIN)/python -m pip install $(PIP_FLAGS) -e '.[$(1)]'
	$(NPM_ENV) $(BIN)/jupyter-builder develop --overwrite .
endef

# The editable build skips npm when studio/labextension is newer than labextension/src, so
# remove it: a new package.json or lock file then gets `npm install` and a full build.
$(INSTALLED): pyproject.toml $(LABEXT_INPUTS) | $(BIN)/python
	@echo "==> install into $(VENV), building the JupyterLab extension   [$$(date +%T)]"
	command -v $(NPM) >/dev/null || { echo "error: $(NPM) not found: install Node.js 20 and npm" >&2; exit 1; }
	rm -rf studio/labextension
	$(call install_editable,test)
	touch $@

$(BENCH_INSTALLED): pyproject.toml $(INSTALLED)
	$(call install_editable,test$(comma)bench)
	touch $@

# Rebuild (development build, as the editable install makes) when a source is newer than the
# build. On a fresh install the build was just made by pip, and the check finds nothing newer.
$(LABEXT_BUILT): $(LABEXT_SOURCES) | $(INSTALLED)
	@if [ ! -e $(NODE_MODULES) ] || [ labextension/package-lock.json -nt $(NODE_MODULES) ]; then \
	  echo "==> npm install (labextension)"; \
	  cd labextension && $(NPM) install --no-audit --no-fund; \
	fi
	@if [ ! -e $@ ] || [ -n "$$(find $(LABEXT_SOURCES) -newer $@ -print -quit)" ]; then \
	  echo "==> npm run build (labextension)"; \
	  cd labextension && $(NPM_ENV) $(NPM) run build; \
	  touch "$(CURDIR)/$@"; \
	fi

install: $(INSTALLED)

build: $(LABEXT_BUILT)

# Never deleted by .DELETE_ON_ERROR: it is the system's.
.PRECIOUS: $(CHROMIUM)
$(CHROMIUM):
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "==> installing Debian's chromium for the browser tests   [$$(date +%T)]"; \
	  apt-get update -qq; \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else \
	  echo "error: $(CHROMIUM) is missing: install Debian's package (apt-get install chromium)" >&2; \
	  exit 1; \
	fi
	test -x $@

# The store is Studio's default (SQLite under the Jupyter data dir) unless STUDIO_HOME is set.
lab: $(LABEXT_BUILT)
	cd examples && exec "$(ABS_BIN)/jupyter" lab --ServerApp.root_dir="$(CURDIR)/examples" \
	  --ServerApp.ip=$(HOST) --ServerApp.port=$(PORT) $(ALLOW_ROOT) $(LAB_ARGS)

# One shell, so that the steps run in this order even under `make -j`, and so that the
# PostgreSQL run, which goes in the background from the start (two cores: the checks and the
# SQLite run mostly keep one busy), is stopped with its server whatever step fails.
test: $(LABEXT_BUILT) $(CHROMIUM)
	@logs=$$(mktemp -d); status=0; \
	stop_background() { \
	  for pid in $$(jobs -p); do kill -TERM "$$pid" 2>/dev/null || true; done; \
	  wait; rm -rf "$$logs"; \
	}; \
	trap stop_background EXIT; \
	echo "==> in the background: pytest (PostgreSQL)   [$$(date +%T)]"; \
	tests/pg_cluster.sh run -- $(BIN)/pytest $(PYTEST_ARGS) $(PG_TESTS) \
	  > "$$logs/postgresql.log" 2>&1 & postgresql=$$!; \
	echo "==> ruff   [$$(date +%T)]"; \
	$(BIN)/ruff check .; \
	echo "==> mypy   [$$(date +%T)]"; \
	$(BIN)/mypy studio; \
	echo "==> prettier, eslint   [$$(date +%T)]"; \
	(cd labextension && $(NPM) run --silent lint:check); \
	echo "==> tsc   [$$(date +%T)]"; \
	(cd labextension && npx tsc --noEmit -p .); \
	echo "==> jest   [$$(date +%T)]"; \
	(cd labextension && npx jest --ci $(JEST_ARGS)); \
	echo "==> pytest (SQLite)   [$$(date +%T)]"; \
	env -u STUDIO_TEST_DB_URL $(BIN)/pytest $(PYTEST_ARGS) --ignore=$(BROWSER_TESTS) \
	  $(addprefix --ignore=,$(CLOCK_TESTS)); \
	echo "==> side by side: the browser tests in Chromium (SQLite) and the tests that wait" \
	  "for the wall clock; PostgreSQL's run goes on   [$$(date +%T)]"; \
	env -u STUDIO_TEST_DB_URL $(BIN)/pytest $(PYTEST_ARGS) $(CLOCK_TESTS) \
	  > "$$logs/clock.log" 2>&1 & clock=$$!; \
	env -u STUDIO_TEST_DB_URL $(BIN)/pytest $(PYTEST_ARGS) $(BROWSER_TESTS) || status=1; \
	wait $$clock || status=1; \
	echo "==> pytest (SQLite): $(CLOCK_TESTS)"; \
	cat "$$logs/clock.log"; \
	wait $$postgresql || status=1; \
	echo "==> pytest (PostgreSQL): tests, except $(PG_IGNORE)   [$$(date +%T)]"; \
	cat "$$logs/postgresql.log"; \
	exit $$status
	@echo "==> make test passed   [$$(date +%T)]"

lint: $(LABEXT_BUILT)
	$(BIN)/ruff check .
	cd labextension && $(NPM) run --silent lint:check

# Rewrite the frontend's sources as Prettier and ESLint's fixes would have them.
format: $(LABEXT_BUILT)
	cd labextension && $(NPM) run --silent lint

typecheck: $(INSTALLED)
	$(BIN)/mypy studio

test-frontend: $(LABEXT_BUILT)
	cd labextension && npx tsc --noEmit -p .
	cd labextension && npx jest --ci $(JEST_ARGS)

test-sqlite: $(LABEXT_BUILT) $(CHROMIUM)
	env -u STUDIO_TEST_DB_URL $(BIN)/pytest $(PYTEST_ARGS) --ignore=$(BROWSER_TESTS)
	env -u STUDIO_TEST_DB_URL $(BIN)/pytest $(PYTEST_ARGS) $(BROWSER_TESTS)

test-browser: $(LABEXT_BUILT) $(CHROMIUM)
	env -u STUDIO_TEST_DB_URL $(BIN)/pytest $(PYTEST_ARGS) $(BROWSER_TESTS)

# The only target that writes into the work tree's screenshots (README_SCREENSHOTS).
screenshots: $(LABEXT_BUILT) $(CHROMIUM)
	env -u STUDIO_TEST_DB_URL STUDIO_SCREENSHOTS="$(CURDIR)/$(README_SCREENSHOTS)" \
	  $(BIN)/pytest $(PYTEST_ARGS) $(BROWSER_TESTS)

test-postgres: $(INSTALLED)
	tests/pg_cluster.sh run -- $(BIN)/pytest $(PYTEST_ARGS) $(PG_TESTS)

# The REST API's document, generated from the wire models, and the TypeScript types generated
# from it; tests/test_api_types.py fails when either is stale.
api-types: $(INSTALLED)
	$(BIN)/studio openapi --output labextension/openapi.json
	cd labextension && npx openapi-typescript openapi.json -o src/api/schema.ts

# Each benchmark is a plain script; all of them run, and any failure fails the target.
bench: $(BENCH_INSTALLED) $(LABEXT_BUILT) $(CHROMIUM)
	@shopt -s nullglob; \
	scripts=(tests/bench/bench_*.py); \
	if [ $${#scripts[@]} -eq 0 ]; then echo "error: no tests/bench/bench_*.py to run" >&2; exit 1; fi; \
	failed=(); \
	for script in "$${scripts[@]}"; do \
	  echo "==> $$script"; \
	  PYTHONPATH="$(CURDIR)$${PYTHONPATH:+:$$PYTHONPATH}" $(BIN)/python "$$script" $(BENCH_ARGS) || failed+=("$$script"); \
	done; \
	if [ $${#failed[@]} -gt 0 ]; then echo "error: failed: $${failed[*]}" >&2; exit 1; fi

clean:
	rm -rf build dist .mypy_cache .ruff_cache .pytest_cache ./*.egg-info
	rm -rf studio/labextension labextension/lib labextension/tsconfig.tsbuildinfo
	find . -path ./$(VENV) -prune -o -path ./labextension/node_modules -prune \
	  -o -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV) labextension/node_modules
