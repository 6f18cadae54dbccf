# Siaga: the README's two commands are `make run` and `make test`; the rest are helpers.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HTMX := web/siaga_web/static/vendor/htmx.min.js
AXE := node_modules/axe-core/axe.min.js
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run run-sso test test-citus bench-citus install install-dev assets system-packages lint typecheck bench clean messages lock image

run: install assets ## install, migrate SQLite, seed the demo province, serve
	$(BIN)/siaga db upgrade
	$(BIN)/siaga demo seed
	# The demo's healthy devices keep beating while the server runs (stopped with it).
	$(BIN)/siaga demo heartbeats --url http://$(HOST):$(PORT) & sender=$$!; \
	trap "kill $$sender 2>/dev/null" EXIT INT TERM; \
	$(BIN)/siaga serve --host $(HOST) --port $(PORT)

test: install-dev assets system-packages ## lint, types, then pytest on SQLite + PostgreSQL, real Keycloak + Chromium
	infra/test/run.sh $(PYTEST_ARGS)

run-sso: install assets ## like `make run`, signing in through a local Keycloak
	infra/keycloak/run-sso.sh

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# requirements.lock pins every version CI tested (constraints: only what is needed is installed).
$(VENV)/.installed: pyproject.toml requirements.lock | $(BIN)/python
	$(BIN)/pip install --quiet -c requirements.lock -e '.[sqlite]'
	touch $@

$(VENV)/.installed-dev: pyproject.toml requirements.lock | $(BIN)/python
	$(BIN)/pip install --quiet -c requirements.lock -e '.[dev]'
	touch $@ $(VENV)/.installed

lock: ## pin the newest versions pyproject.toml allows into requirements.lock (then make test)
	rm -rf var/lock-venv && $(PYTHON) -m venv var/lock-venv
	var/lock-venv/bin/pip install --quiet --upgrade pip
	var/lock-venv/bin/pip install --quiet -e '.[dev]'
	{ sed -n '1,3p' requirements.lock; var/lock-venv/bin/pip freeze --exclude-editable; } > requirements.lock.new
	mv requirements.lock.new requirements.lock && rm -rf var/lock-venv

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# htmx comes from its npm package, served by Siaga itself (no CDN at run time); axe-core (a
# devDependency, never served) is what the accessibility tests inject into the pages.
assets: $(HTMX) $(AXE)
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@
$(AXE): node_modules/.installed
$(HTMX): node_modules/.installed
	mkdir -p $(dir $@)
	cp node_modules/htmx.org/dist/htmx.min.js $@

system-packages: ## the Debian packages the tests use (PostgreSQL, Chromium, buildah...)
	infra/ensure-system-packages.sh

image: ## the container image localhost/siaga:dev (Containerfile; see infra/compose/README.md)
	infra/image/build.sh $(IMAGE_TAG)

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

typecheck:
	$(BIN)/mypy

# Not part of `make test`: Citus (issue 18) is built from a source tarball, see infra/citus/README.md.
# test_citus_operations.py last: it adds a worker to the cluster.
CITUS_TESTS ?= tests/platform/test_citus.py tests/platform/test_citus_domains.py \
	tests/platform/test_row_level_security.py tests/platform/test_tenant_wall.py \
	tests/platform/test_citus_operations.py
test-citus: install-dev ## the tenant wall on a throwaway Citus cluster (coordinator + 2 workers)
	@rc=0; infra/citus/install.sh || rc=$$?; \
	if [ $$rc = 4 ] || [ $$rc = 5 ]; then echo "test-citus: skipped, Citus is not installed and cannot be built here (no CITUS_SOURCE_TARBALL, or not root; see infra/citus/README.md)"; exit 0; fi; \
	[ $$rc = 0 ] || exit $$rc; \
	SIAGA_REQUIRE_SERVICES=1 infra/citus/with-citus-cluster.sh var/citus $(BIN)/pytest $(CITUS_TESTS) -q $(PYTEST_ARGS)

bench-citus: install-dev assets system-packages ## the province/national pages and heartbeats on a throwaway Citus cluster (not part of make test)
	SIAGA_BENCH=1 infra/ensure-system-packages.sh
	infra/citus/install.sh
	BENCH_TOTAL=$${BENCH_TOTAL:-1000000} BENCH_BIG=$${BENCH_BIG:-200000} BENCH_LETTERS=$${BENCH_LETTERS:-50000} \
	  infra/citus/with-citus-cluster.sh var/citusbench $(BIN)/python -m benchmarks.rollup_bench
	infra/citus/with-citus-cluster.sh var/citusbench $(BIN)/python -m benchmarks.heartbeats_bench

bench: install-dev assets system-packages ## benchmarks on a throwaway PostgreSQL (not part of make test)
	SIAGA_BENCH=1 infra/ensure-system-packages.sh  # wrk drives the heartbeat load
	infra/postgres/with-throwaway.sh var/pgbench $(BIN)/python -m benchmarks.applications_bench
	infra/postgres/with-throwaway.sh var/pgbench $(BIN)/python -m benchmarks.heartbeats_bench
	infra/postgres/with-throwaway.sh var/pgbench $(BIN)/python -m benchmarks.stock_bench
	infra/postgres/with-throwaway.sh var/pgbench $(BIN)/python -m benchmarks.letters_bench
	infra/postgres/with-throwaway.sh var/pgbench $(BIN)/python -m benchmarks.rollup_bench
	infra/postgres/with-throwaway.sh var/pgbench $(BIN)/python -m benchmarks.heartbeat_storage_bench
	infra/postgres/with-throwaway.sh var/pgbench $(BIN)/python -m benchmarks.alerts_bench

clean:
	rm -rf $(VENV) node_modules var $(HTMX)

messages: install-dev ## refresh the English catalog from the templates and code
	mkdir -p var
	$(BIN)/pybabel extract -F babel.cfg -o var/messages.pot --no-location .
	$(BIN)/pybabel update -i var/messages.pot -d web/siaga_web/locale -l en
