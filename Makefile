# Set-up happens on first use: a virtual environment in .venv with the package
# (editable), its test tools and its documentation tools, installed under
# constraints.txt.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: demo test lint docs dist test-wheel test-min clean

$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e ".[test,docs]"
	touch $@

demo: $(VENV)/.installed
	$(PY) -m sklearn_rec demo

lint: $(VENV)/.installed
	$(PY) -m ruff check sklearn_rec tests benchmarks examples .ci
	$(PY) -m ruff format --check sklearn_rec tests benchmarks examples .ci
	$(PY) -m mypy

test: lint
	$(PY) -m pytest

# The sdist and wheel in dist/: metadata checked, and every tracked file of
# sklearn_rec/ in both.
dist: $(VENV)/.installed
	rm -rf dist
	$(PY) -m build --quiet --outdir dist .
	$(PY) -m twine check --strict dist/*
	$(PY) .ci/check_dist.py dist

# The test suite against the wheel as users install it (not editable), in a
# fresh .venv-wheel, run from a folder outside the checkout so that the
# installed package is the one imported; its doctests too.
test-wheel: dist
	rm -rf .venv-wheel
	$(PYTHON) -m venv .venv-wheel
	.venv-wheel/bin/python -m pip install --quiet --upgrade pip
	.venv-wheel/bin/python -m pip install --quiet -c constraints.txt "$$(ls dist/*.whl)[test]"
	cd "$$(mktemp -d)" && $(CURDIR)/.venv-wheel/bin/python -c \
		"import sklearn_rec; assert 'site-packages' in sklearn_rec.__file__, sklearn_rec.__file__"
	cd "$$(mktemp -d)" && $(CURDIR)/.venv-wheel/bin/python -m pytest \
		--rootdir $(CURDIR) -c $(CURDIR)/pyproject.toml $(CURDIR)/tests --pyargs sklearn_rec

# The test suite at the lowest versions pyproject.toml admits, pinned in
# constraints-min.txt, in a fresh .venv-min.
test-min:
	rm -rf .venv-min
	$(PYTHON) -m venv .venv-min
	.venv-min/bin/python -m pip install --quiet --upgrade pip
	.venv-min/bin/python -m pip install --quiet -c constraints-min.txt -e ".[test]"
	.venv-min/bin/python -m pytest

# HTML in docs/_build/html; warnings are errors. Runs the gallery examples.
docs: $(VENV)/.installed
	$(PY) -m sphinx -W --keep-going -b html docs docs/_build/html

clean:
	rm -rf $(VENV) .venv-wheel .venv-min build dist *.egg-info docs/_build docs/generated docs/auto_examples \
		docs/sg_execution_times.rst
