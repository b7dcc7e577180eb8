# Set-up happens on first use: a virtual environment in .venv with the package
# (editable), its test tools and its documentation tools, installed under
# constraints.txt.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: demo test lint docs clean

$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e ".[test,docs]"
	touch $@

demo: $(VENV)/.installed
	$(PY) -m sklearn_rec demo

lint: $(VENV)/.installed
	$(PY) -m ruff check sklearn_rec tests benchmarks examples
	$(PY) -m ruff format --check sklearn_rec tests benchmarks examples

test: lint
	$(PY) -m pytest

# HTML in docs/_build/html; warnings are errors. Runs the gallery examples.
docs: $(VENV)/.installed
	$(PY) -m sphinx -W --keep-going -b html docs docs/_build/html

clean:
	rm -rf $(VENV) build *.egg-info docs/_build docs/generated docs/auto_examples \
		docs/sg_execution_times.rst
