# Two commands do all set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint bench clean browser docs

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m detente.warm    # compile numba's loops once, so the first run starts warm
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m detente.demo

# The browser tests drive Debian's chromium (Playwright's own browser download cannot be reached).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	  apt-get install -y -qq --no-install-recommends chromium >/dev/null; }

# The documentation site, warnings as errors (the model and scenario references are generated
# from the option declarations and the JSON Schema by docs/site/hooks.py).
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet -d build/site

# The ledger tests also run against a throwaway PostgreSQL server that .ci/with-postgres starts.
test: $(STAMP) browser docs
	.ci/with-postgres $(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks docs examples

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_negotiation.py
	$(BIN)/python benchmarks/bench_war.py
	$(BIN)/python benchmarks/bench_smp.py
	$(BIN)/python benchmarks/bench_exchange.py
	$(BIN)/python benchmarks/bench_runtime.py
	$(BIN)/python benchmarks/bench_forecast.py

clean:
	rm -rf $(VENV) build dist src/*.egg-info .pytest_cache
