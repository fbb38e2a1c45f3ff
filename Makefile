# Two commands set up a fresh machine (only Python 3.10+ and make needed):
#   make demo   — installs ktexplain in .venv and explains a bundled real log
#   make test   — installs the test stack (TensorFlow 2.21 / Keras 3 in .venv, TensorFlow 2.15 /
#                 Keras 2 in .venv-keras2), then lint, type-check and the whole test suite
PYTHON ?= python3
VENV := .venv
K2 := .venv-keras2
PIP_FLAGS := --disable-pip-version-check -q
KERAS2_REQUIREMENTS := "tensorflow-cpu==2.15.1" "keras-tuner==1.4.8" "tensorboard<2.16" \
	"scipy<1.14" "scikit-learn<1.6" "numpy<2" ipython ipykernel nbclient nbformat
DEMO_LOG := fixtures/captured/keras3/seed-conv-filters-zero/run.log \
	fixtures/captured/keras3/seed-input-shape-mismatch/run.log

.PHONY: demo test lint bench fixtures coverage envs clean

$(VENV)/.engine: pyproject.toml
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install $(PIP_FLAGS) -e .
	touch $@

$(VENV)/.test: $(VENV)/.engine pyproject.toml
	$(VENV)/bin/pip install $(PIP_FLAGS) -e ".[test]"
	touch $@

$(K2)/.keras2: pyproject.toml
	test -x $(K2)/bin/python || $(PYTHON) -m venv $(K2)
	$(K2)/bin/pip install $(PIP_FLAGS) $(KERAS2_REQUIREMENTS)
	$(K2)/bin/pip install $(PIP_FLAGS) --no-deps -e .
	$(K2)/bin/pip install $(PIP_FLAGS) rich regex platformdirs
	touch $@

envs: $(VENV)/.test $(K2)/.keras2

demo: $(VENV)/.engine
	$(VENV)/bin/ktexplain --source fixtures/scenarios $(DEMO_LOG)

lint: $(VENV)/.test
	$(VENV)/bin/ruff check ktexplain tests fixtures/generate.py fixtures/scenarios bench scripts
	$(VENV)/bin/ruff format --check ktexplain tests
	$(VENV)/bin/mypy

test: envs lint
	KTEXPLAIN_KERAS2_PYTHON=$(CURDIR)/$(K2)/bin/python $(VENV)/bin/python -m pytest -q -ra

bench: $(VENV)/.engine
	$(VENV)/bin/python bench/run.py

fixtures: envs
	$(VENV)/bin/python fixtures/generate.py

coverage: $(VENV)/.engine
	$(VENV)/bin/python scripts/coverage_table.py --write README.md

clean:
	rm -rf $(VENV) $(K2) .pytest_cache .mypy_cache .ruff_cache *.egg-info
