# Two commands set up a fresh machine (only Python 3.10+ and make needed):
#   make demo   — installs ktexplain in .venv and explains a bundled real log
#   make test   — installs the test stack (TensorFlow 2.21 / Keras 3 in .venv, TensorFlow 2.15 /
#                 Keras 2 in .venv-keras2), then lint, type-check and the whole test suite
PYTHON ?= python3
VENV := .venv
K2 := .venv-keras2
JAX := .venv-jax
TORCH := .venv-torch
PIP_FLAGS := --disable-pip-version-check -q
KERAS2_REQUIREMENTS := "tensorflow-cpu==2.15.1" "keras-tuner==1.4.8" "tensorboard<2.16" \
	"scipy<1.14" "scikit-learn<1.6" "numpy<2" ipython ipykernel nbclient nbformat
# Keras 3 on the JAX and torch backends (dialects `jax`, `torch`), for `make fixtures` only: the
# tests read the captured output and need neither JAX, torch nor these environments.
# keras-tuner 1.4.8 imports six without declaring it (TensorFlow brings it elsewhere).
JAX_REQUIREMENTS := "jax[cpu]==0.10.2" "keras==3.15.1" "keras-tuner==1.4.8" \
	"scipy" "scikit-learn" "numpy" six ipython ipykernel nbclient nbformat
# torch 2.13.0 is a CPU build (about 190 MB); a plain `torch` from PyPI pulls GBs of CUDA.
TORCH_REQUIREMENTS := "torch==2.13.0" "keras==3.15.1" "keras-tuner==1.4.8" \
	"scipy" "scikit-learn" "numpy" six ipython ipykernel nbclient nbformat
DEMO_LOG := fixtures/captured/keras3/seed-conv-filters-zero/run.log \
	fixtures/captured/keras3/seed-input-shape-mismatch/run.log

.PHONY: demo test lint bench fixtures coverage envs envs-jax envs-torch clean dist score catalogue

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

$(JAX)/.jax: pyproject.toml
	test -x $(JAX)/bin/python || $(PYTHON) -m venv $(JAX)
	$(JAX)/bin/pip install $(PIP_FLAGS) $(JAX_REQUIREMENTS)
	$(JAX)/bin/pip install $(PIP_FLAGS) --no-deps -e .
	$(JAX)/bin/pip install $(PIP_FLAGS) rich regex platformdirs
	touch $@

$(TORCH)/.torch: pyproject.toml
	test -x $(TORCH)/bin/python || $(PYTHON) -m venv $(TORCH)
	$(TORCH)/bin/pip install $(PIP_FLAGS) $(TORCH_REQUIREMENTS)
	$(TORCH)/bin/pip install $(PIP_FLAGS) --no-deps -e .
	$(TORCH)/bin/pip install $(PIP_FLAGS) rich regex platformdirs
	touch $@

envs: $(VENV)/.test $(K2)/.keras2

# Optional: `make envs-jax` / `make envs-torch` before `make fixtures` also capture those dialects.
envs-jax: $(JAX)/.jax
envs-torch: $(TORCH)/.torch

demo: $(VENV)/.engine
	$(VENV)/bin/ktexplain --source fixtures/scenarios $(DEMO_LOG)

lint: $(VENV)/.test
	$(VENV)/bin/ruff check ktexplain tests fixtures/generate.py fixtures/scenarios bench scripts
	$(VENV)/bin/ruff format --check ktexplain tests
	$(VENV)/bin/mypy

test: envs lint
	KTEXPLAIN_KERAS2_PYTHON=$(CURDIR)/$(K2)/bin/python $(VENV)/bin/python -m pytest -q -ra

bench: $(VENV)/.test
	$(VENV)/bin/python bench/run.py
	$(VENV)/bin/python bench/attribution.py
	$(VENV)/bin/python bench/check.py

fixtures: envs
	$(VENV)/bin/python fixtures/generate.py

# The real-error corpus figures (needs ../shared/corpus; --part dev|holdout for the halves).
score: $(VENV)/.engine
	$(PYTHON) scripts/corpus.py

coverage: $(VENV)/.engine
	$(VENV)/bin/python scripts/coverage_table.py --write docs/coverage.md

# The versioned message catalogue, mined from released wheels (kept outside the repository, in
# /work/wheels or WHEELS=...; missing ones are downloaded).
WHEELS ?= /work/wheels
catalogue: $(VENV)/.engine
	$(VENV)/bin/python scripts/mine_catalogue.py --wheels $(WHEELS) --download --delete-wheels
	$(VENV)/bin/python scripts/catalogue_coverage.py --write

# A wheel in dist/, installable anywhere with `pip install dist/ktexplain-*.whl`.
DIST ?= dist
dist: $(VENV)/.engine
	rm -f $(DIST)/ktexplain-*.whl
	$(VENV)/bin/pip wheel $(PIP_FLAGS) --no-deps -w $(DIST) .

clean:
	rm -rf $(VENV) $(K2) $(JAX) $(TORCH) .pytest_cache .mypy_cache .ruff_cache *.egg-info dist build
