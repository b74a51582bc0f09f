"""`python -m detente.warm` (run by the Makefile's install step) leaves numba's cache holding the
exact signatures that real runs look up, so a fresh process compiles nothing."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("numba")

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": str(ROOT / "src")}

# a fresh process runs the exchange model's compiled engine on a real scenario file and reports
# numba's misses
PROBE = """
import json
from detente.models import exchange_fast
from detente.runtime import negotiate
from detente.scenario import load_scenario
s = load_scenario("scenarios/bdm1994-emissions.yaml")
negotiate(s, "exchange", {"engine": "compiled"}, draws=3)
print(json.dumps({f.__name__: sum(f.stats.cache_misses.values())
                  for f in (exchange_fast.run_round,)}))
"""


def test_warm_caches_the_signatures_real_runs_use():
    warm = subprocess.run([sys.executable, "-m", "detente.warm"], cwd=ROOT, env=ENV,
                          capture_output=True, text=True, timeout=600)
    assert warm.returncode == 0, warm.stderr
    # outside a terminal: one plain line per step as it starts and as it ends
    # (smp and eum steps build their prebuilt modules when missing or out of date)
    lines = warm.stderr.splitlines()
    assert any(re.match(r"\[\d/\d\] compiling exchange", ln) and ln.endswith("...")
               for ln in lines)
    assert any(re.match(r"\[\d/\d\] compiling exchange", ln) and " done in " in ln
               for ln in lines)
    probe = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=ENV,
                           capture_output=True, text=True, timeout=600)
    assert probe.returncode == 0, probe.stderr
    assert json.loads(probe.stdout) == {"run_round": 0}


EUM_PROBE = """
import sys
from detente.models import eum_fast
from detente.runtime import negotiate
from detente.scenario import load_scenario
r = negotiate(load_scenario("scenarios/bdm1994-emissions.yaml"), "eum")
forecast = round(float(r.output.forecast[0, 0]), 4)
print(eum_fast.PREBUILT is not None, "numba" in sys.modules, forecast)
"""


SMP_PROBE = """
import sys
from detente.models import smp
from detente.runtime import negotiate
from detente.scenario import load_scenario
r = negotiate(load_scenario("tests/fixtures/ktab/SOE-Pol-Comp.csv"), "smp")
print(smp.prebuilt() is not None, "numba" in sys.modules, int(r.trajectory.turns[0]))
"""


WAR_PROBE = """
import sys
from detente.analysis.compare import simulate_summary, war_options
from detente.scenario import load_scenario
from detente.war import fast
s = simulate_summary(load_scenario("scenarios/ukraine-2025.yaml"), None, (), 500, 0,
                     war_options({"variant": "smith-stam"}))
print(fast.PREBUILT is not None, "numba" in sys.modules, s["p_agreement"]["52"])
"""


@pytest.mark.parametrize(("probe", "expected"), [
    (EUM_PROBE, "7.0"),  # the reference forecast: round 10 median 7.0
    (SMP_PROBE, "27"),  # KTAB's number of turns on SOE-Pol-Comp
    (WAR_PROBE, "0.972"),  # the numpy kernel's P(agreement at week 52), seed 0, 500 runs
], ids=["eum", "smp", "war"])
def test_warm_builds_rounds_that_load_without_numba(probe, expected):
    """After warming, a run takes the prebuilt eum round, smp turns or §5 war weeks and never
    imports numba (its import and cache load cost half a second to a second), with the
    reference result."""
    warm = subprocess.run([sys.executable, "-m", "detente.warm"], cwd=ROOT, env=ENV,
                          capture_output=True, text=True, timeout=600)
    assert warm.returncode == 0, warm.stderr
    run = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=ENV,
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["True", "False", expected]
