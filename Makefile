# Two commands do all set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint bench clean browser

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m detente.demo

# The browser tests drive Debian's chromium (Playwright's own browser download cannot be reached).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	  apt-get install -y -qq --no-install-recommends chromium >/dev/null; }

# The ledger tests also run against a throwaway PostgreSQL server that .ci/with-postgres starts.
test: $(STAMP) browser
	.ci/with-postgres $(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks docs

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_negotiation.py
	$(BIN)/python benchmarks/bench_war.py
	$(BIN)/python benchmarks/bench_smp.py
	$(BIN)/python benchmarks/bench_exchange.py
	$(BIN)/python benchmarks/bench_runtime.py
	$(BIN)/python benchmarks/bench_forecast.py

clean:
	rm -rf $(VENV) build dist src/*.egg-info .pytest_cache
