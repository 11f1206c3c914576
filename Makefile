# Everything a newcomer needs: `make run`, `make test`. Each target installs what it uses.
# `make` (or `make help`) lists the targets.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
MONITOR := $(PY) -m functions.monitor
STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
CDK := npx --no-install cdk
# jsii warns loudly on Node 20 at every synth; the CDK still works on it.
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
# The simulator's port for `make demo`, `make simulate` and `make check-sim`.
DEMO_PORT ?= 8765
# The scenario `make simulate` starts with (see `make simulate ARGS=--help`).
SCENARIO ?= healthy
# Runs against the simulator keep their own history, apart from live checks.
SIM_DB ?= .monitor/simulated.sqlite3
# Extra arguments for check, history, simulate and cost, e.g. ARGS=--json.
ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help run check check-sim history mute simulate cost demo demo-regions test lint bench replay synth bootstrap deploy \
	destroy clean venv node

help: ## List the targets (this).
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  make %-10s %s\n", $$1, $$2}' \
		$(MAKEFILE_LIST)
	@echo "Variables: ARGS (extra arguments), DEMO_PORT ($(DEMO_PORT)), SCENARIO,"
	@echo "CONTEXT (-c name=value for synth/deploy/destroy). Details: README.md, docs/."

$(STAMP): requirements.txt requirements-dev.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Python 3.11 or newer is needed")'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $(STAMP)

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $(NODE_STAMP)

venv: $(STAMP) ## Create .venv and install the Python dependencies.
node: $(NODE_STAMP) ## Install the pinned CDK command-line tool (npm).

# make itself can only exit 0 or 2, so a failing check also prints its own status.
define passthrough
	@$(1); status=$$?; [ $$status -eq 0 ] || \
		printf '%s\n' "(the check exited $$status; make reports every failure as 2." \
		" For the exact status: $(MONITOR) check)" >&2; exit $$status
endef

run: $(STAMP) ## One check against the live endpoints (set ANTHROPIC_API_KEY to probe the API).
	$(call passthrough,$(MONITOR) check $(ARGS))

check: $(STAMP) ## The same; ARGS=--json prints one JSON object.
	$(call passthrough,$(MONITOR) check $(ARGS))

check-sim: $(STAMP) ## One check against `make simulate` (its own history: SIM_DB).
	$(call passthrough,STATUS_PAGE_URL=http://127.0.0.1:$(DEMO_PORT) \
		ANTHROPIC_BASE_URL=http://127.0.0.1:$(DEMO_PORT) ANTHROPIC_API_KEY=sim-key \
		TABLE_NAME= TOPIC_ARN= LOCAL_DB_PATH=$(SIM_DB) $(MONITOR) check $(ARGS))

history: $(STAMP) ## What the store holds; e.g. ARGS="--since 7d".
	@$(MONITOR) history $(ARGS)

mute: $(STAMP) ## Mute notifications for planned work; ARGS='--for 2h --reason "key rotation"' or ARGS=--off.
	@$(MONITOR) mute $(ARGS)

simulate: $(STAMP) ## Local fake status page + API on DEMO_PORT (SCENARIO=healthy); Ctrl-C stops.
	@$(MONITOR) simulate --port $(DEMO_PORT) --scenario $(SCENARIO) $(ARGS)

cost: $(STAMP) ## Monthly cost estimate; e.g. ARGS="--models claude-haiku-5-5,claude-sonnet-5-5".
	@$(MONITOR) cost $(ARGS)

demo: $(STAMP) ## Watch an outage unfold against the simulator, first failure to recovery.
	@$(PY) tests/demo.py --port $(DEMO_PORT)

demo-regions: $(STAMP) ## Three regions on loopback: one failing alone, then all.
	@$(PY) -m functions.simulator.regions

test: $(STAMP) $(NODE_STAMP) ## Every test: unit, integration, infra (installs everything first).
	$(PY) -m pytest

lint: $(STAMP) ## ruff (lint and format check) and mypy.
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy functions infra

bench: $(STAMP) ## Measure overhead, scale, cold start, memory, cost (docs/PERFORMANCE.md), then replay.
	$(PY) tests/bench/run.py
	$(PY) tests/bench/replay.py

replay: $(STAMP) ## Replay outage timelines minute by minute: signal targets, docs/SIGNAL.md.
	$(PY) tests/bench/replay.py

synth: $(STAMP) $(NODE_STAMP) ## Synthesise the CloudFormation templates (CONTEXT="-c name=value").
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(CDK) synth --quiet $(CONTEXT)

bootstrap: $(STAMP) $(NODE_STAMP) ## Prepare your account and region for the CDK, once (cdk bootstrap).
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(CDK) bootstrap $(CONTEXT)

deploy: $(STAMP) $(NODE_STAMP) ## Deploy to the AWS account of your credentials (see README).
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(CDK) deploy --all $(CONTEXT)

destroy: $(STAMP) $(NODE_STAMP) ## Delete the stacks, without prompting (table and key parameter stay).
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(CDK) destroy --all --force $(CONTEXT)

clean: ## Remove .venv, node_modules, build output and the local history.
	rm -rf $(VENV) node_modules cdk.out build .monitor .pytest_cache .mypy_cache .ruff_cache
