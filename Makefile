# One entry point for developers and CI: `make demo`, `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck unit docs conformance clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[all,test,docs]'
	touch $(STAMP)

demo: $(STAMP)  ## Run the quickstart example against its own local server.
	$(BIN)/python examples/quickstart.py

lint: $(STAMP)  ## ruff lint and format check.
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)  ## mypy --strict on the package.
	$(BIN)/mypy

unit: $(STAMP)  ## The whole pytest suite (starts its own Redis and DynamoDB servers).
	$(BIN)/python -m pytest

docs: $(STAMP)  ## Build the docs site; any warning is an error.
	$(BIN)/python -m sphinx -W --keep-going -q -b html docs docs/_build/html

CONFORMANCE_NPM := conformance/node_modules/.package-lock.json
$(CONFORMANCE_NPM): conformance/package-lock.json
	cd conformance && npm ci --no-audit --no-fund --loglevel=error

# The pinned npm release of the suite; docs/http-headers.md has the figures for the current one.
conformance: $(STAMP) $(CONFORMANCE_NPM)  ## cache-tests.fyi against CachedSession(cache_control=True).
	$(BIN)/python conformance/run.py --min-required 130 --min-optimal 62

test: lint typecheck docs unit conformance  ## Everything CI runs.

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
