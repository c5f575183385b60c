# teletriage — `make demo` and `make test` need only python3 and make.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp

.PHONY: demo test bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/teletriage demo

test: $(STAMP)
	$(PY) -m pytest

bench: $(STAMP)
	$(PY) -m benchmarks.qrs
	$(PY) -m benchmarks.screen
	$(PY) -m benchmarks.lab
	$(PY) -m benchmarks.compress --n 200
	$(PY) -m benchmarks.month

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
