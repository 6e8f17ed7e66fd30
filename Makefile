# The README's commands. Everything installs into .venv (and node_modules) from the registries.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# The oldest botocore the handler supports; the tests build a client with it too.
OLDEST_BOTOCORE := 1.34.145
OLDEST_DIR := $(VENV)/oldest-botocore
LAMBDA_PY := $(VENV)/lambda-py313/bin/python
LAMBDA_BOTO3 := 1.44.8
# The oldest versions the distribution declares (requirements-oldest.txt): the tests synthesize with them.
OLDEST_CDK_DIR := $(VENV)/oldest-cdk
# A working Python 3.13 (PATH, or pyenv's versions), if the machine has one.
PY313 := $(shell for p in python3.13 $$(ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.13*/bin/python3.13 \
	2>/dev/null); do $$p -c '' 2>/dev/null && echo $$p && break; done)

# The Lambda asset's bytecode is compiled by a Python of the runtime's version (finspace_constructs/_assemble.py).
ifneq ($(PY313),)
export FINSPACE_LAMBDA_PYTHON ?= $(PY313)
endif

export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20

.PHONY: deploy docs help setup test lint unit model lock bench bench-scale bench-harm demo demo-diff demo-destroy synth diff clean dist

help:
	@echo "make demo         - deploy users.yaml to the local FinSpace emulator (sets everything up)"
	@echo "make demo-diff    - the next local deploy's plan (read-only)"
	@echo "make demo-destroy - destroy the local users stack"
	@echo "make test         - ruff, mypy and the whole test suite (sets everything up)"
	@echo "make unit         - the unit tests only"
	@echo "make lint         - ruff and mypy only"
	@echo "make setup        - the virtual environments, wheelhouse and node_modules, from the registries"
	@echo "make synth        - cdk synth of app.py (USERS_FILE=...), offline"
	@echo "make diff         - cdk diff against a real account (needs AWS credentials)"
	@echo "make deploy       - cdk deploy --all to a real account (needs AWS credentials)"
	@echo "make bench        - benchmarks (emulator throughput, synthesis ms per user, cold start vs crhelper)"
	@echo "make bench-scale  - N users deployed, updated, destroyed under throttling (SCALE_ARGS=...)"
	@echo "make bench-harm   - the do-no-harm invariants over many random sequences (HARM_ARGS=...)"
	@echo "make model        - re-extract the finspace-data model (the operations the project calls) from the botocore wheel"
	@echo "make docs         - regenerate users.schema.json and the README's users file reference"
	@echo "make dist         - build the wheel (Lambda asset included) into dist/, offline"
	@echo "make lock         - re-pin every transitive dependency into constraints.txt"
	@echo "make clean        - remove the virtual environments, node_modules, cdk.out and the local state"

NODE_STAMP := node_modules/.installed
WHEELHOUSE := $(VENV)/wheelhouse

$(STAMP): requirements.txt requirements-dev.txt lambda_handler/requirements.txt constraints.txt requirements-oldest.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt -c constraints.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --upgrade \
		--target $(OLDEST_DIR) botocore==$(OLDEST_BOTOCORE)
	# The Lambda runtime's Python (3.13) with the newest boto3, where the machine has it.
	if [ -n "$(PY313)" ]; then \
		test -x $(LAMBDA_PY) || $(PY313) -m venv $(VENV)/lambda-py313; \
		$(LAMBDA_PY) -m pip install --quiet --disable-pip-version-check boto3==$(LAMBDA_BOTO3) -c constraints.txt; fi
	# The Lambda asset's wheels, so that synthesis bundles without the network.
	$(PY) -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
		-d $(WHEELHOUSE) -r lambda_handler/requirements.txt
	# The distribution's dependencies too: the tests install the built wheel into a fresh venv offline.
	$(PY) -m pip download --quiet --disable-pip-version-check --only-binary=:all: \
		-d $(WHEELHOUSE) -r requirements.txt -c constraints.txt
	test -x $(OLDEST_CDK_DIR)/bin/python || $(PYTHON) -m venv $(OLDEST_CDK_DIR)
	$(OLDEST_CDK_DIR)/bin/pip install --quiet --disable-pip-version-check -r requirements-oldest.txt
	touch $@

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

setup: $(STAMP) $(NODE_STAMP)

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

test: lint
	OLDEST_BOTOCORE_PATH=$(OLDEST_DIR) OLDEST_CDK_PYTHON=$(CURDIR)/$(OLDEST_CDK_DIR)/bin/python $(VENV)/bin/pytest

unit: setup
	$(VENV)/bin/pytest tests/unit

# The distribution's wheel, its Lambda asset assembled from the wheelhouse (hatch_build.py).
dist: $(STAMP)
	FINSPACE_REQUIRE_BYTECODE=1 PIP_NO_INDEX=1 $(PY) -m pip wheel --quiet --no-deps --no-build-isolation -w dist .

docs: $(STAMP)
	$(PY) scripts/users_reference.py

model: $(STAMP)
	$(PY) scripts/fetch_model.py

lock: $(STAMP)
	(echo "# Every transitive dependency pinned (regenerate with 'make lock')."; \
	 $(VENV)/bin/pip freeze --exclude-editable) > constraints.txt

# `cdk synth` of app.py: offline, no AWS credentials needed (`cdk diff` needs them).
CDK := PATH=$(CURDIR)/$(VENV)/bin:$$PATH node_modules/.bin/cdk
synth: setup
	$(CDK) synth --no-notices --no-version-reporting -q -c usersFile=$(USERS_FILE)
	@echo "templates in cdk.out/"

diff: setup
	$(CDK) diff --no-notices -c usersFile=$(USERS_FILE)

# Real AWS: needs credentials (the CI workflow assumes a role through OIDC) and a bootstrapped account.
deploy: setup
	$(CDK) deploy --all --no-notices --require-approval never -c usersFile=$(USERS_FILE)

# N users deployed, 10% updated, destroyed, under throttling (README: Scale). Override with e.g.
# make bench-scale SCALE_ARGS="--users 500 --rate 10 --burst 10 --error-rate 0.15 --containers 64 --runs 3"
SCALE_ARGS ?= --users 500 --rate 10 --burst 10 --containers 64
bench-scale: setup
	$(PY) -m benchmarks.scale $(SCALE_ARGS)

# The do-no-harm invariants over many long random sequences (the suite runs a short guard of it).
HARM_ARGS ?= --examples 200 --steps 15
bench-harm: setup
	$(PY) -m benchmarks.harm $(HARM_ARGS)

bench: $(STAMP)
	$(PY) -m benchmarks.emulator_throughput
	$(PY) -m benchmarks.synth_per_user
	$(PY) -m benchmarks.cold_start

# USERS_FILE=path/to/users.yaml make demo  deploys another users file.
USERS_FILE ?= users.yaml
demo: setup
	$(PY) -m finspace_users deploy --users-file $(USERS_FILE)

demo-diff: setup
	$(PY) -m finspace_users diff --users-file $(USERS_FILE)

demo-destroy: setup
	$(PY) -m finspace_users destroy

clean:
	rm -rf $(VENV) cdk.out node_modules .local
