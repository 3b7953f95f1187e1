# chainwatch — the two commands a newcomer runs: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
export CHAINWATCH_DATA_DIR ?= $(CURDIR)/data
STAMP  := $(VENV)/.installed

# Debian packages: Chromium for the browser tests, CJK fonts and Pango for PDF reports, gettext
# for the English catalogue. Installed with apt-get when missing (as root, as on CI).
DEBIAN_PACKAGES := chromium fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0 gettext

BENCH_SCALE ?= national

.PHONY: demo test install assets lint format clean help system-deps bench bench-quick

help:
	@echo "make demo   start chainwatch on the embedded demo database at http://$(HOST):$(PORT)"
	@echo "make test   run the whole test suite (SQLite, and PostgreSQL when CHAINWATCH_TEST_DATABASE_URL is set)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install -q -e ".[test]"
	@touch $(STAMP)

install: $(STAMP)

system-deps:
	@missing=""; for p in $(DEBIAN_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			echo "installing Debian packages:$$missing"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
		else \
			echo "missing Debian packages:$$missing — run: sudo apt-get install$$missing"; exit 1; \
		fi; \
	fi

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

assets: node_modules/.package-lock.json
	npm run --silent build

demo: install assets
	@mkdir -p $(CHAINWATCH_DATA_DIR)
	$(BIN)/chainwatch migrate --noinput -v 0
	$(BIN)/chainwatch load-pack
	$(BIN)/chainwatch load-sample
	$(BIN)/chainwatch demo-admin
	@echo ""
	@echo "chainwatch 已启动 / is serving at http://$(HOST):$(PORT)/  (Ctrl-C to stop)"
	$(BIN)/chainwatch serve --host $(HOST) --port $(PORT)

lint: install
	$(BIN)/ruff check src tests benchmarks

format: install
	$(BIN)/ruff format src tests benchmarks

test: install assets system-deps
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/pytest
	CHAINWATCH_E2E=1 $(BIN)/pytest tests/e2e
	@if [ -n "$$CHAINWATCH_TEST_DATABASE_URL" ]; then \
		echo "== the suite again on $$CHAINWATCH_TEST_DATABASE_URL =="; \
		CHAINWATCH_DATABASE_URL="$$CHAINWATCH_TEST_DATABASE_URL" $(BIN)/pytest && \
		CHAINWATCH_DATABASE_URL="$$CHAINWATCH_TEST_DATABASE_URL" CHAINWATCH_E2E=1 $(BIN)/pytest tests/e2e; \
	fi

# Benchmarks: build (or reuse) the synthetic data set under data/bench/ and write BENCHMARKS.md;
# PostgreSQL too when CHAINWATCH_BENCH_POSTGRES_URL or CHAINWATCH_TEST_DATABASE_URL is set.
bench: install
	$(BIN)/python -m benchmarks.run --scale $(BENCH_SCALE)

bench-quick: install
	$(BIN)/python -m benchmarks.run --quick --output data/bench/BENCHMARKS-quick.md

clean:
	rm -rf $(VENV) node_modules src/chainwatch/web/static_build/vendor
