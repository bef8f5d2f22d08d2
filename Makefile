# madoguchi — `make run` starts the desk with demo data; `make test` runs every check.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
RUN_STAMP  := $(VENV)/.installed-run
TEST_STAMP := $(VENV)/.installed-test

.PHONY: run test lint typecheck unit faults browser system-deps bench bytecode i18n clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(RUN_STAMP): pyproject.toml | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(TEST_STAMP): pyproject.toml | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(RUN_STAMP)

# Byte-compile the package, as installing it from a wheel does. Where the environment
# sets PYTHONDONTWRITEBYTECODE, Python would otherwise compile every module from source
# again at each start of the command line (about half a second).
bytecode: $(RUN_STAMP)
	@env -u PYTHONDONTWRITEBYTECODE $(BIN)/python -m compileall -q src/madoguchi

## Start the desk on SQLite with demo data at http://127.0.0.1:8000
run: $(RUN_STAMP) bytecode
	$(BIN)/madoguchi serve --demo

## Lint, type-check, layer contracts and the whole test suite
test: $(TEST_STAMP) system-deps lint typecheck unit

lint: $(TEST_STAMP)
	$(BIN)/ruff check src tests bench tools fuzz
	$(BIN)/ruff format --check src tests bench tools fuzz
	$(BIN)/lint-imports

typecheck: $(TEST_STAMP)
	$(BIN)/mypy

unit: $(TEST_STAMP) bytecode
	$(BIN)/pytest

## Fault tests only (worker kill, upload interruption, database reconnect; PostgreSQL and Redis)
faults: $(TEST_STAMP) bytecode
	$(BIN)/pytest tests/faults

## Debian packages the tests need (chromium for the browser tests)
system-deps:
	@bash tools/system-deps.sh

## Benchmarks: figures are printed, never asserted
bench: $(TEST_STAMP) bytecode
	$(BIN)/python bench/run_all.py

## Refresh the message catalogues and list untranslated messages
i18n: $(TEST_STAMP)
	$(BIN)/python tools/i18n_update.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
