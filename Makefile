# flowc — two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-dev

.PHONY: run test lint typecheck unit bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Editable installs of both distributions, redone when either pyproject.toml changes:
# the runtime (runtime/, with the serve, semantic and temporal extras) first, so that the
# compiler's requirement flowc-runtime[serve]==0.1.0 is met by it and never looked up on an index.
# torch comes first, pinned to the CPU build that lies on this kind of machine's
# disk (pip's find-links): the semantic extra would otherwise pull a CUDA build.
$(STAMP): pyproject.toml runtime/pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e './runtime[serve,semantic,temporal]'
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## run: compile an example flow and run one call end to end (local booking API, no network)
run: $(STAMP)
	$(BIN)/python examples/run_demo.py

## test: every check CI runs — unit and end-to-end tests, ruff, mypy --strict
test: unit lint typecheck

unit: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check compiler runtime grammar tests examples

# mypy cannot follow setuptools' editable import hook, so it checks the packages
# through a tree of symlinks that gives the folders their import names. runtime/ is
# also a project folder: the copies an in-tree `pip wheel ./runtime` leaves in
# runtime/build/ are not modules of flowc_runtime.
typecheck: $(STAMP)
	mkdir -p build/typecheck
	ln -sfn ../../compiler build/typecheck/flowc
	ln -sfn ../../runtime build/typecheck/flowc_runtime
	MYPYPATH=build/typecheck $(BIN)/mypy --strict --exclude 'flowc_runtime/(build|dist)/' \
		-p flowc -p flowc_runtime

## bench: speed and memory benchmarks (not part of `make test`)
bench: $(STAMP)
	$(BIN)/python -m tests.benchmarks

clean:
	rm -rf $(VENV) build dist *.egg-info .mypy_cache .ruff_cache .pytest_cache
	rm -rf runtime/build runtime/dist runtime/*.egg-info
