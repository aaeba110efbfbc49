# evalkit — set-up and checks. `make demo` and `make test` work on a fresh machine.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip --disable-pip-version-check -q

.PHONY: demo test test-fast lint lab samples clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(PIP) install -e .
	touch $@

$(VENV)/.installed-lab: pyproject.toml | $(BIN)/python
	$(PIP) install -e ".[lab]"
	touch $@ $(VENV)/.installed

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(PIP) install -e ".[dev]"
	touch $@ $(VENV)/.installed $(VENV)/.installed-lab

## demo: install evalkit and run the demo evaluation on data_samples/
demo: $(VENV)/.installed
	$(BIN)/evalkit demo --out demo_out

## test: install the dev extras and run the linter, the import contract and the whole test suite
test: $(VENV)/.installed-dev
	.ci/install-browser.sh || test -z "$$CI"
	$(BIN)/ruff check evalkit tests benchmarks data_samples
	$(BIN)/lint-imports --no-cache
	$(BIN)/python -m pytest -q -p no:cacheprovider

## test-fast: unit, reference and property tests not marked slow (under 2 minutes)
test-fast: $(VENV)/.installed-dev
	$(BIN)/python -m pytest -q -p no:cacheprovider -m "not slow" tests/unit tests/reference tests/property

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check evalkit tests benchmarks data_samples
	$(BIN)/lint-imports --no-cache

## lab: open JupyterLab where both templates/ and the course in notebooks/ are reachable
lab: $(VENV)/.installed-lab
	$(BIN)/jupyter lab --ServerApp.root_dir="$(CURDIR)" $$([ "$$(id -u)" = 0 ] && echo --allow-root)

## samples: regenerate data_samples/ (deterministic)
samples: $(VENV)/.installed
	$(BIN)/python data_samples/make_samples.py

clean:
	rm -rf $(VENV) demo_out test-artifacts .pytest_cache .ruff_cache
