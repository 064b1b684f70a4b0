# imagecache-harness — the two commands are `make run` and `make test`;
# both set up everything they need (venv, simulator build, Docker engine).

PYTHON      ?= python3
VENV        := .venv
PY          := $(VENV)/bin/python
STAMP       := $(VENV)/.installed
WITH_DOCKER := tools/with-docker-engine
# Extra pytest arguments, e.g. make test PYTEST_ARGS='-k teardown -x'
PYTEST_ARGS ?=
# Implementations the scenarios run against: make run IMPLS="refimpl original"
IMPLS       ?= refimpl
IMPL_ARGS    = $(foreach impl,$(IMPLS),--impl $(impl))

.PHONY: help setup vcsim image test run lint clean _test-in-engine _run-in-engine

help:
	@echo "make test    the project's tests (both simulator backends), lint, leak check"
	@echo "make run     the scenario suite against refimpl, in parallel, report in reports/"
	@echo "make setup   venv in $(VENV) with the project installed (editable)"
	@echo "make vcsim   build the simulator binary (cached; rebuilt when sources/pin change)"
	@echo "make image   build the simulator's Docker image FROM scratch"
	@echo "make lint    ruff"
	@echo "make clean   remove the venv, caches and reports"

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]' --config-settings editable_mode=compat
	@touch $@

vcsim: setup
	$(PY) -m sim build

image: vcsim
	$(WITH_DOCKER) $(PY) -m sim image

lint: setup
	$(PY) -m ruff check .

# The engine wrapper starts dockerd when none answers and stops it afterwards.
test: lint vcsim
	$(WITH_DOCKER) $(MAKE) --no-print-directory _test-in-engine

_test-in-engine:
	@if [ -z "$$IMAGECACHE_DOCKER_ERROR" ]; then $(PY) -m sim image; fi
	$(PY) -m pytest -n auto --impl refimpl --impl original $(PYTEST_ARGS)
	$(PY) -m sim ps --check-leaks

# The main job: every scenario against refimpl on the built-in simulator
# (Docker when an engine answers, else a process), with a report.
REPORTS := reports
run: vcsim
	$(WITH_DOCKER) $(MAKE) --no-print-directory _run-in-engine

_run-in-engine:
	@if [ -z "$$IMAGECACHE_DOCKER_ERROR" ]; then $(PY) -m sim image; fi
	@mkdir -p $(REPORTS)
	$(PY) -m pytest scenarios -n auto -q $(IMPL_ARGS) --junitxml=$(REPORTS)/scenarios.xml \
		--scenario-report=$(REPORTS) $(PYTEST_ARGS)
	$(PY) -m sim ps --check-leaks

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache reports *.egg-info
	rm -rf "$${IMAGECACHE_HARNESS_CACHE:-$${XDG_CACHE_HOME:-$$HOME/.cache}/imagecache-harness}"
