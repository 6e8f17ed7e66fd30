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

.PHONY: help setup test lint typecheck unit model lock bench demo clean

help:
	@echo "make demo   - deploy users.yaml to the local FinSpace emulator (sets everything up)"
	@echo "make test   - ruff, mypy and the whole test suite (sets everything up)"
	@echo "make lint   - ruff and mypy only"
	@echo "make bench  - benchmarks (emulator throughput)"
	@echo "make model  - re-extract the finspace-data model from the botocore wheel"

$(STAMP): requirements.txt requirements-dev.txt lambda_handler/requirements.txt constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt -c constraints.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --upgrade \
		--target $(OLDEST_DIR) botocore==$(OLDEST_BOTOCORE)
	touch $@

setup: $(STAMP)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

test: lint
	OLDEST_BOTOCORE_PATH=$(OLDEST_DIR) $(VENV)/bin/pytest

unit: $(STAMP)
	$(VENV)/bin/pytest tests/unit

model: $(STAMP)
	$(PY) scripts/fetch_model.py

lock: $(STAMP)
	(echo "# Every transitive dependency pinned (regenerate with 'make lock')."; \
	 $(VENV)/bin/pip freeze --exclude-editable) > constraints.txt

bench: $(STAMP)
	$(PY) -m benchmarks.emulator_throughput

demo: $(STAMP)
	@echo "make demo arrives with the GitOps issue: it will deploy users.yaml through cdk synth,"
	@echo "the CloudFormation driver and the real handler against the local emulator."
	$(PY) -m finspace_local.emulator --help

clean:
	rm -rf $(VENV) cdk.out node_modules .local
