"""`python -m detente.warm` (run by the Makefile's install step) leaves numba's cache holding the
exact signatures that real runs look up, so a fresh process compiles nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("numba")

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": str(ROOT / "src")}

# a fresh process runs both compiled engines on a real scenario file and reports numba's misses
PROBE = """
import json
from detente.models import exchange_fast, smp_fast
from detente.runtime import negotiate
from detente.scenario import load_scenario
s = load_scenario("scenarios/bdm1994-emissions.yaml")
negotiate(s, "smp", {"engine": "compiled"})
negotiate(s, "exchange", {"engine": "compiled"}, draws=3)
print(json.dumps({f.__name__: sum(f.stats.cache_misses.values())
                  for f in (smp_fast.run_one, exchange_fast.run_round)}))
"""


def test_warm_caches_the_signatures_real_runs_use():
    warm = subprocess.run([sys.executable, "-m", "detente.warm"], cwd=ROOT, env=ENV,
                          capture_output=True, text=True, timeout=600)
    assert warm.returncode == 0, warm.stderr
    # outside a terminal: one plain line per step as it starts and as it ends
    lines = warm.stderr.splitlines()
    assert any(ln.startswith("[1/2] compiling smp") and ln.endswith("...") for ln in lines)
    assert any(ln.startswith("[2/2] compiling exchange") and " done in " in ln for ln in lines)
    probe = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=ENV,
                           capture_output=True, text=True, timeout=600)
    assert probe.returncode == 0, probe.stderr
    assert json.loads(probe.stdout) == {"run_one": 0, "run_round": 0}
