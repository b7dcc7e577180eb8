# Set-up happens on first use: a virtual environment in .venv with the package
# (editable) and its test tools, installed under constraints.txt.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: demo test lint clean

$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e ".[test]"
	touch $@

demo: $(VENV)/.installed
	$(PY) -m sklearn_rec demo

lint: $(VENV)/.installed
	$(PY) -m ruff check sklearn_rec tests benchmarks examples
	$(PY) -m ruff format --check sklearn_rec tests benchmarks examples

test: lint
	$(PY) -m pytest

clean:
	rm -rf $(VENV) build *.egg-info
