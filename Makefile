# imagecache-harness — the two commands are `make run` and `make test`;
# both set up everything they need (venv, simulator build, Docker engine).

PYTHON      ?= python3
VENV        := .venv
NOVA_VENV   := .nova-venv
NOVA_STAMP  := $(NOVA_VENV)/.installed
PY          := $(VENV)/bin/python
STAMP       := $(VENV)/.installed
WITH_DOCKER := tools/with-docker-engine
# Extra pytest arguments, e.g. make test PYTEST_ARGS='-k teardown -x'
PYTEST_ARGS ?=
# Implementations the scenarios run against, separated by ';' (a spec may
# hold spaces): make run IMPLS="refimpl;mine=cmd:./my-impl --flag"
IMPLS       ?= refimpl
# The recipes that wrap a make in the engine call it by path, not as
# $(MAKE): make -n would otherwise run that line, and start an engine.
SUBMAKE     := $(MAKE)

.PHONY: help setup nova-env browser vcsim image test run conformance replay race explore sweep \
	mutants \
	lint clean \
	_test-in-engine _run-in-engine

help:
	@echo "make test    the project's tests (both simulator backends), lint, leak check"
	@echo "make run     the scenario suite against refimpl, in parallel, report in reports/"
	@echo "make setup   venv in $(VENV) with the project installed (editable)"
	@echo "make vcsim   build the simulator binary (cached; rebuilt when sources/pin change)"
	@echo "make nova-env  venv in $(NOVA_VENV) with upstream nova 34.0.0 (for --impl nova)"
	@echo "make conformance  the scenarios against refimpl, the original and upstream Nova"
	@echo "make replay SCENARIO=f.yaml IMPL=original [SEED=n] [ZONE=UTC-08:00]   replay one run"
	@echo "make race SCENARIO=f.yaml IMPL=original BUDGET=120   search seeds of a contention scenario"
	@echo "make explore IMPL=refimpl BUDGET=120 [SEED=n] [MODE=all|sequential|contention|sweeps]"
	@echo "make sweep SCENARIO=f.yaml IMPL=refimpl [BUDGET=s]   every fault at every call of a scenario"
	@echo "make mutants every mutant killed by the explorer within its budget (~15 min)"
	@echo "make image   build the simulator's Docker image FROM scratch"
	@echo "make lint    ruff, and lint-imports (imports flow down only, no cycles)"
	@echo "make clean   remove the venv, caches and reports"

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]' --config-settings editable_mode=compat
	@touch $@

# Upstream Nova, unmodified, in a venv of its own: reached through the
# protocol by harness/peers/nova_serve.py (--impl nova).
nova-env: $(NOVA_STAMP)

$(NOVA_STAMP):
	$(PYTHON) -m venv $(NOVA_VENV)
	$(NOVA_VENV)/bin/pip install -q --upgrade pip
	$(NOVA_VENV)/bin/pip install -q "nova[vmware]==34.0.0" "pyvmomi==9.1.1.0"
	@touch $@

vcsim: setup
	$(PY) -m sim build

# The conformance page is checked in a real browser: Debian's chromium,
# installed when missing (as root, or with password-less sudo).
SUDO := $(if $(filter 0,$(shell id -u)),,sudo -n)
browser:
	@command -v chromium >/dev/null || { \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null 2>&1 || \
		{ $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null 2>&1 && \
		  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null; }; }

image: vcsim
	$(WITH_DOCKER) $(PY) -m sim image

lint: setup
	$(PY) -m ruff check .
	$(VENV)/bin/lint-imports --no-cache

# The engine wrapper starts dockerd when none answers and stops it afterwards.
test: lint vcsim nova-env browser
	$(WITH_DOCKER) $(SUBMAKE) --no-print-directory _test-in-engine

_test-in-engine:
	@if [ -z "$$IMAGECACHE_DOCKER_ERROR" ]; then $(PY) -m sim image; fi
	IMAGECACHE_REQUIRE_NOVA=1 IMAGECACHE_REQUIRE_BROWSER=1 $(PY) -m pytest -n auto --impl refimpl --impl original \
		-m "not long_search" $(PYTEST_ARGS)
	@# Marks are UTC whatever the host's zone: refimpl's own tests again in UTC+05:30.
	TZ=IST-5:30 $(PY) -m pytest tests/refimpl -n auto -q -p no:cacheprovider --vcsim=process
	$(PY) -m sim ps --check-leaks

REPORTS := reports

# The main job: every scenario against refimpl on the built-in simulator
# (Docker when an engine answers, else a process), with a report.
run: vcsim
	$(WITH_DOCKER) $(SUBMAKE) --no-print-directory _run-in-engine

_run-in-engine:
	@if [ -z "$$IMAGECACHE_DOCKER_ERROR" ]; then $(PY) -m sim image; fi
	@mkdir -p $(REPORTS)
	impls='$(IMPLS)'; IFS=';'; set --; for impl in $$impls; do set -- "$$@" --impl "$$impl"; \
		done; unset IFS; $(PY) -m pytest scenarios -n auto -q "$$@" \
		--junitxml=$(REPORTS)/scenarios.xml --scenario-report=$(REPORTS) $(PYTEST_ARGS)
	$(PY) -m sim ps --check-leaks

# Replay one run (imagecache-harness replay: what every failure prints), or
# search the seeds of a contention scenario for a violation.
SEED   ?=
IMPL   ?= original
BUDGET ?= 120
ZONE   ?=
SCHEDULE ?=
replay: vcsim
	@test -n "$(SCENARIO)" || { echo "usage: make replay SCENARIO=f.yaml IMPL=original [SEED=n] [ZONE=z]" >&2; exit 2; }
	$(PY) -m harness.explore replay $(SCENARIO) --impl "$(IMPL)" $(if $(SEED),--seed $(SEED)) \
		$(if $(ZONE),--zone $(ZONE)) $(if $(SCHEDULE),--schedule $(SCHEDULE)) --reports $(REPORTS)

race: vcsim
	@test -n "$(SCENARIO)" || { echo "usage: make race SCENARIO=scenarios/contention/x.yaml IMPL=original BUDGET=120" >&2; exit 2; }
	$(PY) -m harness.contention.search $(SCENARIO) --impl "$(IMPL)" --budget $(BUDGET) \
		$(if $(SEED),--seed $(SEED)) $(if $(SCHEDULE),--schedule $(SCHEDULE))

# The explorer: a search for bugs nobody wrote a scenario for (generated
# scenarios against the model, generated races), spread over xdist workers;
# and a sweep of one scenario with every fault at every call.
MODE ?= all
explore: vcsim
	$(PY) -m pytest harness/explore -p no:cacheprovider -n auto --explore "$(IMPL)" \
		--explore-budget $(BUDGET) --explore-seed $(or $(SEED),1) --explore-mode $(MODE) \
		--scenario-report=$(REPORTS) $(PYTEST_ARGS)

sweep: vcsim
	@test -n "$(SCENARIO)" || { echo "usage: make sweep SCENARIO=scenarios/x.yaml IMPL=refimpl [BUDGET=s]" >&2; exit 2; }
	$(PY) -m pytest $(SCENARIO) -p no:cacheprovider -n auto --sweep --impl "$(IMPL)" \
		$(if $(filter command line,$(origin BUDGET)),--sweep-budget $(BUDGET)) \
		--scenario-report=$(REPORTS) $(PYTEST_ARGS)

# Every mutant killed by the explorer within its stated budget, the long
# searches included (make test runs the quick ones): about 15 min on 2 cores.
mutants: vcsim
	$(PY) -m pytest tests/harness/test_mutants.py -n auto -p no:cacheprovider $(PYTEST_ARGS)

# Every implementation side by side, with the report.
conformance: vcsim nova-env
	$(WITH_DOCKER) $(SUBMAKE) --no-print-directory _run-in-engine IMPLS="refimpl;original;nova"

clean:
	rm -rf $(VENV) $(NOVA_VENV) .pytest_cache .ruff_cache reports *.egg-info
	rm -rf "$${IMAGECACHE_HARNESS_CACHE:-$${XDG_CACHE_HOME:-$$HOME/.cache}/imagecache-harness}"
