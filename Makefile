# Two commands on a fresh machine (Python 3.11 + pip): `make dev` starts everything, `make test` tests everything.
BOOTSTRAP_PYTHON ?= python3
ifndef PYTHON  # the interpreter of .venv: an optimized build where the machine has one (tools/pick_python.py)
PYTHON := $(shell $(BOOTSTRAP_PYTHON) tools/pick_python.py)
endif
UV_VERSION := 0.13.8
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: install bytecode browser dev demo test lint typecheck check bench catalog clean

$(UV):
	$(BOOTSTRAP_PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet "uv==$(UV_VERSION)"

# Bytecode is compiled here because nothing else may write it (PYTHONDONTWRITEBYTECODE=1 on this machine): without
# it every process — each service, CLI call, test worker and schemathesis run — compiles all it imports again
# (11-13 s of CPU to import three services' apps, 6 s with bytecode). Our own sources: `bytecode`, before each run.
$(VENV)/.installed: $(UV) $(TOOLS)/venv-python uv.lock pyproject.toml libs/common/pyproject.toml $(wildcard services/*/pyproject.toml)
	@echo "o2c: .venv on $$($(PYTHON) -c 'import sys; print(sys.executable, sys.version.split()[0])')"
	$(UV) sync --locked --compile-bytecode --python $(PYTHON)
	touch $@

# Rewritten only when the chosen interpreter changes, so that .venv is then built again on the new one.
$(TOOLS)/venv-python: FORCE | $(UV)
	@echo "$(PYTHON)" | cmp -s - $@ || echo "$(PYTHON)" > $@

.PHONY: FORCE
FORCE:

install: $(VENV)/.installed

bytecode: install  ## compile what changed in libs/, services/ and src/ (incremental)
	$(VENV)/bin/python -m compileall -q -j 0 libs/common/src $(wildcard services/*/src) src

# The review pages' browser tests (tests/browser) drive Debian's chromium headless: installed here when missing
# (as root, or through sudo), never downloaded by a driver package.
CHROMIUM := /usr/bin/chromium
$(CHROMIUM):
	$(if $(filter 0,$(shell id -u)),,sudo) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(if $(filter 0,$(shell id -u)),,sudo) apt-get install -y -qq chromium

browser: $(CHROMIUM)  ## headless Chromium for the review-page tests

dev: bytecode  ## start PostgreSQL, the broker and the four services (Ctrl-C stops them)
	$(VENV)/bin/o2c dev $(ARGS)

demo: bytecode  ## the same, with demo data
	$(VENV)/bin/o2c dev --demo $(ARGS)

TEST_WORKERS ?= 2
test: bytecode browser  ## the whole test suite against real PostgreSQL and the real broker (TEST_WORKERS=0: one process)
	$(VENV)/bin/pytest $(if $(filter-out 0,$(TEST_WORKERS)),-n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder) $(ARGS)

lint: install  ## ruff, and no feature folder importing one that imports it back
	$(VENV)/bin/ruff check .
	$(VENV)/bin/python tools/import_cycles.py

typecheck: install
	$(VENV)/bin/mypy libs/common/src services/*/src src

check: lint typecheck test

bench: bytecode  ## throughput and freshness figures (see docs/performance.md)
	$(VENV)/bin/python -m bench $(ARGS)

catalog: install  ## regenerate docs/events from the event registry
	$(VENV)/bin/python -m o2c_common.events.catalog

clean:
	rm -rf $(VENV) $(TOOLS) .pytest_cache .mypy_cache .ruff_cache
