# Studio's commands. The README's quick start is `make lab` and `make test`.
#
#   make lab     install into .venv, then start JupyterLab on examples/ (HOST, PORT, LAB_ARGS)
#   make test    install, then ruff, mypy, pytest on SQLite, and the store tests again on a
#                throwaway PostgreSQL server that it starts and always stops
#   make bench   install the `bench` extra (MLflow), then run every tests/bench/bench_*.py
#                (BENCH_ARGS are passed to each, e.g. BENCH_ARGS=--quick)
#
# Everything goes into a virtual environment of its own (.venv, or VENV=...), reused until
# pyproject.toml changes.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:
MAKEFLAGS += --no-builtin-rules

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PIP_FLAGS ?= --progress-bar off
# Stamps: the environment is reinstalled only when pyproject.toml is newer than these.
INSTALLED := $(VENV)/.studio-installed
BENCH_INSTALLED := $(VENV)/.studio-bench-installed

HOST ?= 127.0.0.1
PORT ?= 8888
LAB_ARGS ?=
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root,)

PYTEST_ARGS ?=
BENCH_ARGS ?=
# What runs a second time against PostgreSQL: the store and the schema.
PG_TESTS ?= tests/tracking/test_store.py tests/tracking/test_service.py tests/db

.PHONY: help install lab test lint typecheck test-sqlite test-postgres bench clean distclean

help:
	@echo "make lab        start JupyterLab with Studio on examples/ (HOST=$(HOST) PORT=$(PORT))"
	@echo "make test       ruff, mypy, pytest on SQLite and the store tests on PostgreSQL"
	@echo "make bench      the benchmarks, side by side with MLflow"
	@echo "make install    only create/refresh the virtual environment $(VENV)"
	@echo "make lint | typecheck | test-sqlite | test-postgres   one step of make test"
	@echo "make clean      remove caches and build output; distclean also removes $(VENV)"

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

$(INSTALLED): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install $(PIP_FLAGS) -e '.[test]'
	touch $@

$(BENCH_INSTALLED): pyproject.toml $(INSTALLED)
	$(BIN)/python -m pip install $(PIP_FLAGS) -e '.[test,bench]'
	touch $@

install: $(INSTALLED)

lab: $(INSTALLED)
	# The store is Studio's default (SQLite under the Jupyter data dir) unless STUDIO_HOME is set.
	cd examples && exec "$(abspath $(BIN))/jupyter" lab --ServerApp.root_dir="$(CURDIR)/examples" \
	  --ServerApp.ip=$(HOST) --ServerApp.port=$(PORT) $(ALLOW_ROOT) $(LAB_ARGS)

# One recipe, so that the steps run in this order even under `make -j`.
test: $(INSTALLED)
	@echo "==> ruff"
	$(BIN)/ruff check .
	@echo "==> mypy"
	$(BIN)/mypy studio
	@echo "==> pytest (SQLite)"
	env -u STUDIO_TEST_DB_URL $(BIN)/pytest $(PYTEST_ARGS)
	@echo "==> pytest (PostgreSQL): $(PG_TESTS)"
	tests/pg_cluster.sh run -- $(BIN)/pytest $(PYTEST_ARGS) $(PG_TESTS)

lint: $(INSTALLED)
	$(BIN)/ruff check .

typecheck: $(INSTALLED)
	$(BIN)/mypy studio

test-sqlite: $(INSTALLED)
	env -u STUDIO_TEST_DB_URL $(BIN)/pytest $(PYTEST_ARGS)

test-postgres: $(INSTALLED)
	tests/pg_cluster.sh run -- $(BIN)/pytest $(PYTEST_ARGS) $(PG_TESTS)

# Each benchmark is a plain script; all of them run, and any failure fails the target.
bench: $(BENCH_INSTALLED)
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
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)
