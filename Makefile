# openbss — developer entry points. Everything runs inside the locked environment (.venv/)
# through `uv run --frozen`; `make setup` creates it.
#
#   make setup   uv (installed with pip if missing), `uv sync --frozen --all-extras` (the tests use
#                every extra, e.g. Spark), the CTK runner's npm packages
#   make demo    setup, then scripts/demo.sh: seed the demo province, mediate and rate a month of its
#                traffic, bill the month, PDF invoices, a summary of the bill run; print an API key
#                and example calls, serve (OPENBSS_DEMO_SERVE=0 stops before serving)
#   make test    setup, then the whole suite (SQLite and PostgreSQL, CTKs, schemathesis)
#   make test-fast  the inner loop: SQLite only, no CTKs, Spark, outside clients or slow tests
#   make lint    ruff check, ruff format --check, mypy, import-linter, models vs migrations
#   make fmt     ruff format + ruff check --fix
#   make serve   migrate, then serve on $(HOST):$(PORT)
#   make bench   every script in benchmarks/

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
# Recursive on purpose: re-evaluated after `setup` may have installed uv with pip.
UV = $(shell command -v uv 2>/dev/null || echo "$(PYTHON) -m uv")
RUN = $(UV) run --frozen
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=
# xdist works with the fixtures (each worker has its own SQLite files, PostgreSQL databases and
# ports; --dist loadfile keeps module-scoped servers to one start). The suite spends much of its
# time waiting on servers, subprocesses and PostgreSQL, so two workers beat one process even on
# a 2-core machine (the whole suite: 19 min against 39 min in one process).
# PYTEST_WORKERS=0 runs it in one process.
PYTEST_WORKERS ?= 2
XDIST = $(if $(filter-out 0,$(PYTEST_WORKERS)),-n $(PYTEST_WORKERS) --dist loadfile)
CTK_DIR := tests/ctk
CTK_STAMP := $(CTK_DIR)/node_modules/.package-lock.json

.PHONY: help setup uv venv ctk-deps demo test test-fast lint fmt serve bench

help:
	@sed -n 's/^#   make /make /p' $(MAKEFILE_LIST)

uv:
	@command -v uv >/dev/null 2>&1 || $(PYTHON) -m uv --version >/dev/null 2>&1 || { \
		echo "installing uv with pip"; \
		$(PYTHON) -m pip install --quiet uv \
		|| $(PYTHON) -m pip install --quiet --break-system-packages uv; }

venv: uv
	$(UV) sync --frozen --all-extras

# npm ci only when the lock file changed since the last install.
$(CTK_STAMP): $(CTK_DIR)/package-lock.json $(CTK_DIR)/package.json
	npm ci --prefix $(CTK_DIR) --no-audit --no-fund
	@touch $@

ctk-deps:
	@if command -v npm >/dev/null 2>&1; then \
		$(MAKE) --no-print-directory $(CTK_STAMP); \
	else \
		echo "npm not found: the TMF CTK tests will be skipped (install Node.js 20 and npm)"; \
	fi

setup: venv ctk-deps

demo: setup
	OPENBSS="$(RUN) openbss" scripts/demo.sh
	@key=$$($(RUN) openbss auth create-key --role admin --province GD --label demo); \
	echo; \
	echo "API key (admin, province GD) — shown once:"; \
	echo "  export KEY=$$key"; \
	echo; \
	echo "Try:"; \
	echo "  curl -s -H \"Authorization: Bearer \$$KEY\" 'http://$(HOST):$(PORT)/tmf-api/party/v4/individual?limit=2'"; \
	echo "  curl -s -H \"Authorization: Bearer \$$KEY\" 'http://$(HOST):$(PORT)/tmf-api/customerManagement/v4/customer?limit=2'"; \
	echo "  curl -s -H \"Authorization: Bearer \$$KEY\" 'http://$(HOST):$(PORT)/tmf-api/accountManagement/v4/billingAccount?limit=2'"; \
	echo "  curl -s -H \"Authorization: Bearer \$$KEY\" 'http://$(HOST):$(PORT)/tmf-api/productCatalogManagement/v4/productOffering?limit=2'"; \
	echo "  curl -s -H \"Authorization: Bearer \$$KEY\" 'http://$(HOST):$(PORT)/tmf-api/productInventory/v4/product?limit=2'"; \
	echo "  curl -s -H \"Authorization: Bearer \$$KEY\" 'http://$(HOST):$(PORT)/tmf-api/productOrderingManagement/v4/productOrder?limit=2'"; \
	echo "  curl -s -H \"Authorization: Bearer \$$KEY\" 'http://$(HOST):$(PORT)/tmf-api/customerBillManagement/v4/customerBill?limit=2'"; \
	echo "  OpenAPI: http://$(HOST):$(PORT)/docs"; \
	echo "  $(RUN) openbss billing show BILLNO     (a bill number from the summary)"; \
	echo "  $(RUN) openbss billing pdf BILLNO      (its PDF invoice)"; \
	echo
	@if [ "$${OPENBSS_DEMO_SERVE:-1}" = "0" ]; then \
		echo "OPENBSS_DEMO_SERVE=0: not serving (make serve starts the API)"; \
	else \
		echo "serving on http://$(HOST):$(PORT) — Ctrl-C stops"; \
		$(RUN) openbss serve --host $(HOST) --port $(PORT); \
	fi

test: setup
	$(RUN) pytest -q $(XDIST) $(PYTEST_ARGS)

# One domain fast: make test-fast PYTEST_ARGS=tests/service/test_rating_runs.py
test-fast: venv
	$(RUN) pytest -q -m "not (postgres or ctk or spark or external or slow)" $(PYTEST_ARGS)

lint: venv
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) mypy
	$(RUN) lint-imports
	@tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	OPENBSS_DATABASE_URL="sqlite:///$$tmp/check.db" OPENBSS_DATA_DIR="$$tmp" $(RUN) openbss db check

fmt: venv
	$(RUN) ruff format .
	$(RUN) ruff check --fix .

serve: venv
	$(RUN) openbss db upgrade
	$(RUN) openbss serve --host $(HOST) --port $(PORT)

bench: venv
	@shopt -s nullglob; scripts=(benchmarks/*.py); \
	if [ $${#scripts[@]} -eq 0 ]; then echo "no benchmarks in benchmarks/"; exit 0; fi; \
	for script in "$${scripts[@]}"; do \
		echo "== $$script"; \
		$(RUN) python "$$script"; \
	done
