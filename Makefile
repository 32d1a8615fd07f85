# IndustryOS developer entry points. `make run` and `make test` are the two commands a
# newcomer needs; both set up what they need first and are quick when nothing changed.
# The interpreter the venv is made from: the distribution's /usr/bin/python3 when it is
# 3.11 or newer and can make venvs (Debian builds it with PGO and LTO, linked statically:
# it runs the node with ~11 % less CPU per message than a default pyenv build, see
# docs/architecture.md, Benchmarks), else the first python3 on PATH. Another one:
# `make clean && make PYTHON=/path/to/python3 setup`.
PYTHON ?= $(shell /usr/bin/python3 -c 'import sys, ensurepip; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1 && echo /usr/bin/python3 || echo python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# An existing venv is kept whatever it was made from (a deliberate PYTHON=... included); say
# so when that is not the interpreter this Makefile would pick, since it costs speed.
REAL_PATH := import os, sys; print(os.path.realpath(sys._base_executable))
VENV_FROM := $(shell test -x $(BIN)/python && $(BIN)/python -c '$(REAL_PATH)' 2>/dev/null)
WANTED := $(shell $(PYTHON) -c '$(REAL_PATH)' 2>/dev/null)
ifneq ($(VENV_FROM),)
ifneq ($(VENV_FROM),$(WANTED))
$(warning $(VENV) was made from $(VENV_FROM), not $(WANTED); `make clean setup` rebuilds it)
endif
endif

.PHONY: setup run test lint typecheck check bench clean

# The web UI (ui/): dependencies when the lock file changes, a build when a source changes;
# Debian's Chromium for the browser tests (installed once, as root, by `make test` only).
UI_SOURCES := $(shell find ui/src ui/public -type f 2>/dev/null) ui/index.html ui/package.json ui/vite.config.ts $(wildcard ui/tsconfig*.json)
UI_MODULES := ui/node_modules/.package-lock.json
UI_BUILD := ui/dist/index.html
CHROMIUM := /usr/bin/chromium

setup: $(STAMP) $(UI_BUILD)
	$(BIN)/python -m compileall -q industryos

$(UI_MODULES): ui/package-lock.json
	cd ui && npm ci --no-audit --no-fund
	touch $@

$(UI_BUILD): $(UI_MODULES) $(UI_SOURCES)
	cd ui && npm run build

$(CHROMIUM):
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	# tb-mqtt-client's tb-paho-mqtt-client writes its own fork over the `paho` package;
	# the tests drive devices with upstream paho-mqtt, so reinstall it last, explicitly.
	$(BIN)/python -m pip install --quiet --force-reinstall --no-deps "paho-mqtt==$$($(BIN)/python -c 'import importlib.metadata as m; print(m.version("paho-mqtt"))')"
	touch $(STAMP)

run: setup
	$(BIN)/industryos run

lint: setup
	$(BIN)/ruff check industryos tests bench

typecheck: setup
	$(BIN)/mypy industryos tests

check: lint typecheck

# Three pytest workers on two cores: most tests wait on sockets, databases and browsers,
# so a third worker keeps both cores busy: the suite runs in about half the time of one.
# Browser tests form one group, run in turn on one worker (see tests/ui/conftest.py).
test: check $(CHROMIUM)
	cd ui && npx vitest run
	$(BIN)/pytest -q -n 3 --dist loadgroup

# The node suite (issue 7): start, ingest vs Mosquitto, ingest on PostgreSQL, 5k msg/s
# latency, idle connections, kill -9 cycles; one summary table at the end (a few
# minutes). Micro benchmarks
# (ts_write, queue_append, mqtt_publish, device_publish, rule_engine) run on their own.
bench: setup
	$(BIN)/python bench/ws_fanout.py
	$(BIN)/python bench/summary.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
	find industryos tests bench -name __pycache__ -type d -prune -exec rm -rf {} +
