# Teamaround developer tasks. Everything runs inside .venv at the repo root,
# which is created (and kept in sync with pyproject.toml) on demand.

SHELL := /bin/bash
.DEFAULT_GOAL := test

PY ?= python3
PORT ?= 3000

VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip --disable-pip-version-check
RUNTIME_STAMP := $(VENV)/.installed-runtime
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: venv run test lint fmt bench clean

# --- virtualenv --------------------------------------------------------------

$(BIN)/python:
	@echo "==> Creating $(VENV) with $(PY) ($$($(PY) --version 2>&1))"
	@$(PY) -m venv $(VENV) || { rm -rf $(VENV); \
		echo "error: '$(PY) -m venv' failed (on Debian/Ubuntu: apt-get install python3-venv)" >&2; \
		exit 1; }
	$(PIP) install --progress-bar off --upgrade pip

venv: $(BIN)/python

$(RUNTIME_STAMP): pyproject.toml | $(BIN)/python
	@echo "==> Installing teamaround (runtime) into $(VENV)"
	$(PIP) install --progress-bar off -e .
	@touch $@

$(DEV_STAMP): pyproject.toml | $(BIN)/python
	@echo "==> Installing teamaround[dev] into $(VENV)"
	$(PIP) install --progress-bar off -e '.[dev]'
	@touch $@ $(RUNTIME_STAMP)

# --- tasks -------------------------------------------------------------------

run: $(RUNTIME_STAMP)
	$(BIN)/teamaround db upgrade
	$(BIN)/teamaround serve --port $(PORT)

# Runs every step even if an earlier one fails, prints a summary, and exits
# non-zero if any step failed.
test: $(DEV_STAMP)
	@failed=0; summary=""; \
	step() { \
		local name="$$1"; shift; \
		echo; echo "==> $$name"; echo "    $$*"; \
		local began=$$SECONDS; \
		if "$$@"; then result=PASS; else result=FAIL; failed=$$((failed + 1)); fi; \
		summary+="$$(printf '  %s  %-52s %4ss' "$$result" "$$name" "$$((SECONDS - began))")"$$'\n'; \
	}; \
	step "Lint (ruff check)" $(BIN)/ruff check . ; \
	step "Format (ruff format --check)" $(BIN)/ruff format --check . ; \
	step "Type check (mypy)" $(BIN)/mypy ; \
	step "Test suite on SQLite" $(BIN)/pytest --db=sqlite ; \
	step "Test suite on PostgreSQL 15 (throwaway cluster)" $(BIN)/pytest --db=postgresql ; \
	echo; echo "==> Summary"; printf '%s' "$$summary"; \
	if [ "$$failed" -ne 0 ]; then \
		echo "==> FAILED: $$failed step(s) failed"; exit 1; \
	else \
		echo "==> OK: ruff, ruff format, mypy, pytest on SQLite and PostgreSQL 15 all passed"; \
	fi

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

fmt: $(DEV_STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(DEV_STAMP)
	@if [ -f bench/run.py ]; then \
		$(BIN)/python bench/run.py; \
	else \
		echo "bench/run.py not found; nothing to run"; \
	fi

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis build dist *.egg-info
	rm -f teamaround.db teamaround.db-*
	find . -path ./.git -prune -o -type d -name __pycache__ -prune -exec rm -rf {} +
