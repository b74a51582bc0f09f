# Two commands do all set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
UV     := $(VENV)/.uv/bin/uv
STAMP  := $(VENV)/.installed
DEMO_STAMP := $(VENV)/.installed-demo

.PHONY: demo test lint bench clean browser docs

# install EXTRAS[,UV-FLAGS]: the package with those extras into $(VENV). uv installs the same
# wheels from the same registry several times faster than pip (the first `make demo` is mostly
# install); where uv cannot be had, plain venv + pip does the same work.
define install
	@if { test -x $(UV) || PIP_ROOT_USER_ACTION=ignore \
	        $(PYTHON) -m pip install --quiet --target $(VENV)/.uv uv; } && \
	    { test -x $(BIN)/python || $(UV) venv --quiet --seed --allow-existing \
	        --python $(PYTHON) $(VENV); } && \
	    $(UV) pip install --quiet $(2) --python $(BIN)/python -e '.[$(1)]'; then :; else \
	  echo "uv not available: installing with pip"; \
	  test -x $(BIN)/python || $(PYTHON) -m venv $(VENV); \
	  $(BIN)/python -m pip install --quiet --upgrade pip && \
	  $(BIN)/python -m pip install --quiet -e '.[$(1)]'; fi
endef

# detente's own modules byte-compiled once: the install is editable, so pip's bytecode step does
# not cover src/, and where PYTHONDONTWRITEBYTECODE is set (as on our CI machines) every command
# would otherwise compile ~30 modules again at start-up (about 0.1-0.2 s each time).
compile_src = $(BIN)/python -m compileall -q -j 0 src

# Everything `make test` needs (every extra, byte-compiled as pip does), with numba's loops
# compiled once, so the first run starts warm. It covers the demo's extra too.
$(STAMP): pyproject.toml
	$(call install,dev,--compile-bytecode)
	$(compile_src)
	$(BIN)/python -m detente.warm
	touch $(STAMP) $(DEMO_STAMP)

# Only what the demo runs (no numba: the demo's models run without compiled loops).
$(DEMO_STAMP): pyproject.toml
	$(call install,demo)
	$(compile_src)
	touch $(DEMO_STAMP)

demo: $(DEMO_STAMP)
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
