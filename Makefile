# Everything a newcomer needs: `make run`, `make test`. Each target installs what it uses.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
CDK := npx --no-install cdk
# jsii warns loudly on Node 20 at every synth; the CDK still works on it.
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
# The simulator's port for `make demo`.
DEMO_PORT ?= 8765

.PHONY: run test demo synth deploy destroy lint bench cost clean venv node

$(STAMP): requirements.txt requirements-dev.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Python 3.11 or newer is needed")'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $(STAMP)

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $(NODE_STAMP)

venv: $(STAMP)
node: $(NODE_STAMP)

## One check against the live endpoints (set ANTHROPIC_API_KEY to probe the API too).
## Its exit status is the check's: 0 operational, 1 warning, 2 critical, 3 unknown.
run: $(STAMP)
	@$(PY) -m functions.monitor check

## Every test: unit, integration (simulator + moto server), infra (synth, cdk-nag, cfn-lint, deploy to moto).
test: $(STAMP) $(NODE_STAMP)
	$(PY) -m pytest

## Watch an outage unfold against the simulator: first failure, confirmation, recovery.
demo: $(STAMP)
	$(PY) tests/demo.py --port $(DEMO_PORT)

synth: $(STAMP) $(NODE_STAMP)
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(CDK) synth --quiet $(CONTEXT)

deploy: $(STAMP) $(NODE_STAMP)
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(CDK) deploy --all $(CONTEXT)

destroy: $(STAMP) $(NODE_STAMP)
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(CDK) destroy --all $(CONTEXT)

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy functions infra

bench: $(STAMP)
	$(PY) tests/bench/run.py

cost: $(STAMP)
	$(PY) -m functions.monitor cost

clean:
	rm -rf $(VENV) node_modules cdk.out .monitor .pytest_cache .mypy_cache .ruff_cache
