# Everything runs inside .venv in the repository root, created on first use.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin

# Local PostgreSQL for the storage tests; they skip without a server unless
# QUIZBOT_REQUIRE_POSTGRES=1 (set by .ci/run).
export QUIZBOT_TEST_POSTGRES_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test

.PHONY: run test lint bench install install-dev clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

run: $(VENV)/.installed
	$(BIN)/quizbot init
	$(BIN)/quizbot run

# Two workers (pytest-xdist): most of the suite waits on processes, sockets and timers.
test: $(VENV)/.installed-dev
	$(BIN)/python -m pytest -n 2

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/mypy

bench: $(VENV)/.installed-dev
	$(BIN)/python -m bench.throughput
	$(BIN)/python -m bench.status_scale
	$(BIN)/python -m bench.fanout
	$(BIN)/python -m bench.digest_scale
	$(BIN)/python -m bench.fanout_statements

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
