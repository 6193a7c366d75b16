# Two commands for a new user: `make demo` and `make test`. Everything installs into .venv.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test bench lint format sample-data clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/analyzer demo

test: $(STAMP)
	$(PY) -m pytest -n 2 --dist loadgroup

bench: $(STAMP)
	$(PY) -m pip install --quiet -e '.[test,bench]'
	$(PY) benchmarks/run.py

lint: $(STAMP)
	$(VENV)/bin/ruff check analyzer tests benchmarks
	$(VENV)/bin/ruff format --check analyzer tests benchmarks

format: $(STAMP)
	$(VENV)/bin/ruff format analyzer tests benchmarks
	$(VENV)/bin/ruff check --fix analyzer tests benchmarks

sample-data: $(STAMP)
	$(PY) -m analyzer simulate-sample-data --out sample_data

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
