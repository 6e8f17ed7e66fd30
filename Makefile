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

# Node.js 26, the Active LTS, from node_modules (package.json pins it: npm on any Node.js installs it
# from the npm registry): every recipe finds it first on PATH, so the CDK CLI and jsii (the tests, synth,
# pdoc) run on it whatever node the machine has. npm itself runs on the machine's own PATH.
SYSTEM_PATH := $(PATH)
export PATH := $(CURDIR)/node_modules/.bin:$(PATH)
# jsii 1.142.0, the newest release, lists Node.js 22 and 24 and calls 26 "untested" (it predates 26's LTS);
# the whole suite passes on 26. Only that banner is silenced, not an end-of-life one.
export JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION := 1

.PHONY: deploy docs help setup setup-deploy test lint unit model lock bench bench-scale bench-harm demo demo-diff demo-destroy synth diff clean dist api-docs

help:
	@echo "make demo         - deploy users.yaml to the local FinSpace emulator (sets everything up)"
	@echo "make demo-diff    - the next local deploy's plan (read-only)"
	@echo "make demo-destroy - destroy the local users stack"
	@echo "make test         - ruff, mypy and the whole test suite (sets everything up)"
	@echo "make unit         - the unit tests only"
	@echo "make lint         - ruff, mypy and zizmor (the GitHub workflows) only"
	@echo "make setup        - the virtual environments, wheelhouse and node_modules, from the registries"
	@echo "make setup-deploy - only what synth, diff and deploy need: .venv with requirements.txt, node_modules"
	@echo "make synth        - cdk synth of app.py (USERS_FILE=...), offline"
	@echo "make diff         - cdk diff --method=template against a real account (needs AWS credentials)"
	@echo "make deploy       - cdk deploy --all to a real account (needs AWS credentials)"
	@echo "make bench        - benchmarks (emulator throughput, synthesis ms per user, cold start vs crhelper)"
	@echo "make bench-scale  - N users deployed, updated, destroyed under throttling (SCALE_ARGS=...)"
	@echo "make bench-harm   - the do-no-harm invariants over many random sequences (HARM_ARGS=...)"
	@echo "make model        - re-extract the finspace-data model (the operations the project calls) from the botocore wheel"
	@echo "make docs         - regenerate users.schema.json and the README's users file reference"
	@echo "make dist         - build the wheel (Lambda asset included) into dist/, offline"
	@echo "make api-docs     - the constructs' API reference from their docstrings (pdoc) into build/api/"
	@echo "make lock         - re-pin every transitive dependency into constraints.txt"
	@echo "make clean        - remove the virtual environments, node_modules, cdk.out, build/ and the local state"

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

# npm on the machine's PATH: npm ci replaces node_modules, the Node.js 26 there included.
$(NODE_STAMP): package.json package-lock.json
	PATH="$(SYSTEM_PATH)" npm ci --no-audit --no-fund --loglevel=error
	touch $@

setup: $(STAMP) $(NODE_STAMP)

# What synth, diff and deploy need, and no more (the CI example's diff and deploy jobs): the app's own
# requirements and the pinned CDK CLI; without the wheelhouse, bundling fetches crhelper from PyPI.
DEPLOY_STAMP := $(VENV)/.installed-deploy
$(DEPLOY_STAMP): requirements.txt constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt -c constraints.txt
	touch $@

setup-deploy: $(DEPLOY_STAMP) $(NODE_STAMP)

# zizmor audits the workflows offline; medium and high findings fail.
WORKFLOWS := $(wildcard .github/workflows/*.yml) $(wildcard examples/github-actions/*.yml)
lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(VENV)/bin/zizmor --offline --no-progress --min-severity=medium $(WORKFLOWS)

test: lint
	OLDEST_BOTOCORE_PATH=$(OLDEST_DIR) OLDEST_CDK_PYTHON=$(CURDIR)/$(OLDEST_CDK_DIR)/bin/python $(VENV)/bin/pytest

unit: setup
	$(VENV)/bin/pytest tests/unit

# The distribution's wheel, its Lambda asset assembled from the wheelhouse (hatch_build.py).
dist: $(STAMP)
	FINSPACE_REQUIRE_BYTECODE=1 PIP_NO_INDEX=1 $(PY) -m pip wheel --quiet --no-deps --no-build-isolation -w dist .

docs: $(STAMP)
	$(PY) scripts/users_reference.py

# The API reference of the constructs, from their docstrings (not committed; CI builds it, each release
# publishes it). pdoc imports the modules, so jsii starts: PDOC_ALLOW_EXEC lets it.
API_DOCS_DIR ?= build/api
api-docs: $(STAMP) $(NODE_STAMP)
	rm -rf $(API_DOCS_DIR)
	PDOC_ALLOW_EXEC=1 $(PY) -m pdoc --docformat restructuredtext --no-show-source -o $(API_DOCS_DIR) \
		finspace_constructs finspace_constructs.users_app finspace_constructs.users_file
	@echo "API reference in $(API_DOCS_DIR)/index.html"

model: $(STAMP)
	$(PY) scripts/fetch_model.py

lock: $(STAMP)
	(echo "# Every transitive dependency pinned (regenerate with 'make lock')."; \
	 $(VENV)/bin/pip freeze --exclude-editable) > constraints.txt

# `cdk synth` of app.py: offline, no AWS credentials needed (`cdk diff` needs them).
CDK := PATH=$(CURDIR)/$(VENV)/bin:$$PATH node_modules/.bin/cdk
synth: setup-deploy
	$(CDK) synth --no-notices --no-version-reporting -q -c usersFile=$(USERS_FILE)
	@echo "templates in cdk.out/"

# Against the deployed templates only (no change set): what the CI example's diff role may do
# (examples/iam/diff-role.yaml); the CLI falls back to these credentials when it cannot assume CDK's lookup role.
diff: setup-deploy
	$(CDK) diff --no-notices --method=template -c usersFile=$(USERS_FILE)

# Real AWS: needs credentials (the CI workflow assumes a role through OIDC) and a bootstrapped account.
deploy: setup-deploy
	$(CDK) deploy --all --no-notices --require-approval never -c usersFile=$(USERS_FILE)

# N users deployed, 10% updated, destroyed, under throttling (README: Scale). Override with e.g.
# make bench-scale SCALE_ARGS="--users 500 --rate 10 --burst 10 --error-rate 0.15 --containers 64 --runs 3"
# By default the provider's reserved concurrency (10), without and with Lambda's queue intervals, side by side.
SCALE_ARGS ?= --users 500 --rate 10 --burst 10 --containers 10 --queue both
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
	rm -rf $(VENV) cdk.out node_modules .local build
