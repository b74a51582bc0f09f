"""`python -m detente.warm` (run by the Makefile's install step) leaves numba's cache holding the
exact signatures that real runs look up, so a fresh process compiles nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("numba")

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": str(ROOT / "src")}

EXCHANGE_PROBE = """
import sys
from detente.models import exchange_fast
from detente.runtime import negotiate
from detente.scenario import load_scenario
r = negotiate(load_scenario("tests/fixtures/decide/copenhagen.csv"), "exchange",
              {"engine": "compiled", "p": 0.5, "repetitions": 4})
print(exchange_fast.PREBUILT is not None, "numba" in sys.modules,
      *(repr(float(v)) for v in r.output.forecast.ravel()))
"""


def test_warm_builds_an_exchange_round_equal_to_numbas_loops():
    """The prebuilt exchange round loads without numba and gives the just-in-time loops'
    numbers, random Equal Gain draws included (numba's generator, seeded the same way)."""
    warm = subprocess.run([sys.executable, "-m", "detente.warm"], cwd=ROOT, env=ENV,
                          capture_output=True, text=True, timeout=600)
    assert warm.returncode == 0, warm.stderr
    runs = [subprocess.run([sys.executable, "-c", EXCHANGE_PROBE], cwd=ROOT, text=True,
                           env={**ENV, "DETENTE_EXCHANGE_AOT": switch}, capture_output=True,
                           timeout=600) for switch in ("1", "0")]
    assert all(r.returncode == 0 for r in runs), [r.stderr for r in runs]
    prebuilt, jit = (r.stdout.split() for r in runs)
    assert prebuilt[:2] == ["True", "False"] and jit[:2] == ["False", "True"]
    assert prebuilt[2:] == jit[2:] and len(prebuilt) > 3


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


COUPLED_PROBE = """
import sys
from detente.analysis.compare import simulate_summary, war_options
from detente.scenario import load_scenario
from detente.war import coupled_fast
weeks = []
fight = coupled_fast.fight
coupled_fast.fight = lambda *a: weeks.append(a[2]) or fight(*a)  # the loops ran, every week
s = simulate_summary(load_scenario("scenarios/ukraine-2025.yaml"), None, (), 500, 0,
                     war_options({}))
print(coupled_fast.PREBUILT is not None and len(weeks) >= 104, "numba" in sys.modules,
      s["end_mode"]["exhaustion_U"])
"""


@pytest.mark.parametrize(("probe", "expected"), [
    (EUM_PROBE, "7.0"),  # the reference forecast: round 10 median 7.0
    (SMP_PROBE, "27"),  # KTAB's number of turns on SOE-Pol-Comp
    (WAR_PROBE, "0.972"),  # the numpy kernel's P(agreement at week 52), seed 0, 500 runs
    (COUPLED_PROBE, "0.118"),  # the numpy steps' share of runs ending in U's exhaustion
], ids=["eum", "smp", "war", "coupled"])
def test_warm_builds_rounds_that_load_without_numba(probe, expected):
    """After warming, a run takes the prebuilt eum round, smp turns, §5 war weeks or the coupled
    kernel's week of fighting and never
    imports numba (its import and cache load cost half a second to a second), with the
    reference result."""
    warm = subprocess.run([sys.executable, "-m", "detente.warm"], cwd=ROOT, env=ENV,
                          capture_output=True, text=True, timeout=600)
    assert warm.returncode == 0, warm.stderr
    run = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=ENV,
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["True", "False", expected]
