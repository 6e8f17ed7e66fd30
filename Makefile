# The README's commands. Everything installs into .venv (and node_modules) from the registries.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# The oldest botocore the handler supports; the tests build a client with it too.
OLDEST_BOTOCORE := 1.34.145
OLDEST_DIR := $(VENV)/oldest-botocore

export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION := 1
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20

.PHONY: help setup test lint unit model lock bench demo demo-destroy synth diff clean

help:
	@echo "make demo   - deploy users.yaml to the local FinSpace emulator (sets everything up)"
	@echo "make test   - ruff, mypy and the whole test suite (sets everything up)"
	@echo "make lint   - ruff and mypy only"
	@echo "make synth  - cdk synth of app.py (ENVIRONMENT_ID=...), offline"
	@echo "make bench  - benchmarks (emulator throughput)"
	@echo "make model  - re-extract the finspace-data model from the botocore wheel"

NODE_STAMP := node_modules/.installed
WHEELHOUSE := $(VENV)/wheelhouse

$(STAMP): requirements.txt requirements-dev.txt lambda_handler/requirements.txt constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt -c constraints.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --upgrade \
		--target $(OLDEST_DIR) botocore==$(OLDEST_BOTOCORE)
	# The Lambda asset's wheels, so that synthesis bundles without the network.
	$(PY) -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
		-d $(WHEELHOUSE) -r lambda_handler/requirements.txt
	touch $@

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

setup: $(STAMP) $(NODE_STAMP)

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

test: lint
	OLDEST_BOTOCORE_PATH=$(OLDEST_DIR) $(VENV)/bin/pytest

unit: setup
	$(VENV)/bin/pytest tests/unit

model: $(STAMP)
	$(PY) scripts/fetch_model.py

lock: $(STAMP)
	(echo "# Every transitive dependency pinned (regenerate with 'make lock')."; \
	 $(VENV)/bin/pip freeze --exclude-editable) > constraints.txt

# `cdk synth` of app.py: offline, no AWS credentials needed. ENVIRONMENT_ID selects the environment.
ENVIRONMENT_ID ?= finspace-local
CDK := PATH=$(CURDIR)/$(VENV)/bin:$$PATH node_modules/.bin/cdk
synth: setup
	$(CDK) synth --no-notices --no-version-reporting -q -c environmentId=$(ENVIRONMENT_ID)
	@echo "templates in cdk.out/"

diff: setup
	$(CDK) diff --no-notices -c environmentId=$(ENVIRONMENT_ID)

bench: $(STAMP)
	$(PY) -m benchmarks.emulator_throughput

# DEMO_USERS=a@example.com,b@example.com make demo  to change the declared users.
demo: setup
	$(PY) -m finspace_local.demo $(if $(DEMO_USERS),--users $(DEMO_USERS),)

demo-destroy: setup
	$(PY) -m finspace_local.demo --destroy

clean:
	rm -rf $(VENV) cdk.out node_modules .local
