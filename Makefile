# One command per job; `make ci` is the whole of .ci/run after the system packages.
# Every tool runs from the locked environment through uv (see pyproject.toml for their settings).

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-builtin-rules

UV ?= uv
RUN := $(UV) run --frozen --all-extras

.PHONY: help setup fix lint test check bench bench-human bench-api ci run

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-8s %s\n", $$1, $$2}'

setup: ## install the locked environment with every extra (the web bundle build joins here later)
	$(UV) sync --frozen --all-extras

fix: ## format and apply safe autofixes
	$(RUN) ruff format .
	$(RUN) ruff check --fix .

lint: ## formatting, lint rules, types, import contracts (all run; fails if any failed)
	@failed=""; \
	for step in "ruff format --check ." "ruff check ." "mypy" "lint-imports"; do \
	  echo "+ $(RUN) $$step"; $(RUN) $$step || failed="$$failed [$$step]"; \
	done; \
	if [ -n "$$failed" ]; then echo "lint failed:$$failed"; exit 1; fi

test: ## the whole suite on SQLite, then every database test again on PostgreSQL
	LOCKGATE_TEST_DB=sqlite $(RUN) pytest
	LOCKGATE_TEST_DB=postgresql $(RUN) pytest -m "integration or postgres"

check: lint ## lint, then the tests that need no server
	$(RUN) pytest -m "not integration and not e2e and not postgres"

bench: ## engine throughput on SQLite against the disk's commit floor (bench/; figures, never a gate)
	$(RUN) python -m bench engine

bench-human: ## a server with 10,000 runs waiting for a person: memory, inbox, approval latency (figures)
	$(RUN) python -m bench human

bench-api: ## a server with 100,000 runs: listing latency and throughput, webhook to first step (figures)
	$(RUN) python -m bench api

ci: setup lint test ## what .ci/run runs

EXAMPLES := $(foreach f,$(sort $(wildcard examples/*.yaml)),--example $(f))

run: setup ## start the server (SQLite in ./.lockgate, local executor) with the example pipelines loaded
	$(RUN) lockgate serve $(EXAMPLES)
