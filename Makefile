# FairDesk developer commands. `make run` and `make test` work on a machine that has never
# seen the project: they create .venv, install everything, then do their job.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DEMO_DIR ?= build/demo-data
export QT_QPA_PLATFORM ?= $(if $(DISPLAY),xcb,offscreen)

.PHONY: run test lint typecheck layers pytest bench screenshots installer hq clean

$(STAMP): pyproject.toml installer/linux/system-deps.sh
	sh installer/linux/system-deps.sh $(if $(CI),--test,$(if $(filter test,$(MAKECMDGOALS)),--test,))
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/fairdesk --data-dir $(DEMO_DIR) demo
	$(VENV)/bin/fairdesk --data-dir $(DEMO_DIR)

lint: $(STAMP)
	$(VENV)/bin/ruff check fairdesk ui sync bundle tests
	$(VENV)/bin/ruff format --check fairdesk ui sync bundle tests

typecheck: $(STAMP)
	$(VENV)/bin/mypy

layers: $(STAMP)
	$(VENV)/bin/lint-imports

# Two workers: most tests wait on a subprocess, a socket or the disk, so two share a 2-core
# machine well (the whole suite 26 -> 13 min here). Every test keeps its own folders, servers
# and ports, so they may run in any order, side by side.
pytest: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -p no:cacheprovider -q -n 2

test: lint typecheck layers pytest

bench: $(STAMP)
	mkdir -p build/bench
	for f in tests/bench/bench_*.py; do echo "== $$f"; QT_QPA_PLATFORM=offscreen $(PY) $$f || exit 1; done

screenshots: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m ui.screenshots build/screenshots

hq: $(STAMP)
	$(VENV)/bin/fairdesk-hq serve

installer: $(STAMP)
	$(PY) -m pip install -q -e '.[installer]'
	sh installer/linux/build.sh

installer-check: installer
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -p no:cacheprovider -q -s tests/installer/frozen_check.py

clean:
	rm -rf build dist .mypy_cache .ruff_cache
