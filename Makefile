# Skolehylde. `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help

.PHONY: help
help: ## list the targets
	@grep -hE '^[a-z][a-z-]*:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

.PHONY: install
install: $(STAMP) ## create .venv (if missing) and install the project with its dev tools

.PHONY: run
run: $(STAMP) ## set up, migrate, load demo data and serve on http://127.0.0.1:8000
	$(BIN)/skolehylde db upgrade
	$(BIN)/skolehylde demo
	$(BIN)/skolehylde serve --host $(HOST) --port $(PORT)

.PHONY: lint
lint: $(STAMP) ## ruff check and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

.PHONY: typecheck
typecheck: $(STAMP) ## mypy (strict on learning_goals/ and the ports)
	$(BIN)/mypy learning_goals server catalogue

.PHONY: test
test: lint typecheck $(STAMP) ## set up, then lint, type-check and run the whole suite (SQLite and PostgreSQL, schemathesis)
	$(BIN)/python -m pytest --cov --cov-report=term:skip-covered

.PHONY: bench
bench: $(STAMP) ## run the benchmarks (prints JSON; several minutes)
	$(BIN)/python bench/goals.py
	$(BIN)/python bench/search_port.py
	$(BIN)/python bench/search.py
	$(BIN)/python bench/purchases.py

.PHONY: format
format: $(STAMP) ## apply ruff's formatting and safe fixes
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

.PHONY: clean
clean: ## remove the venv, caches and local data
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .coverage
