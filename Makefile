# Two commands for a new user: `make demo` and `make test`. Everything installs into .venv.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test browser bench lint format sample-data clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/analyzer demo

test: $(STAMP) browser
	$(PY) -m pytest -n 2 --dist loadgroup

# The browser tests need Debian's Chromium: installed when we may (root), else one line says
# which tests will skip and how to get them (tests/test_make_browser.py keeps the list whole).
BROWSER_TESTS := tests/report/test_report_browser.py tests/report/test_report_history.py tests/report/test_phone_charts.py tests/app/test_app_browser.py tests/analysis/test_cannot_judge.py
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing Debian's chromium for the browser tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "chromium is not installed, so the browser tests in $(BROWSER_TESTS) will skip; get them with: sudo apt-get install chromium (or make browser as root), then make test"; \
	  fi; }

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
