"""Where a command's time goes, start-up included (issue 14): each case runs in a fresh process
that times its stages one after the other, in CPU seconds (steadier than wall time on a shared
machine) and wall seconds.

Run: ``python benchmarks/bench_startup.py [--runs 100000] [--repeat 5]``. Cases: ``detente
--help``; the BDM replication row (``detente run scenarios/bdm1994-emissions.yaml -m eum --json``)
and ``detente validate scenarios/ukraine-2025.yaml``, each also as a whole process (best of
``--repeat``, wall and CPU); the section-5 war (``tests/fixtures/war-2025.yaml``, 100,000 runs
x 104 weeks); smp on KTAB's dummyData-a080 (read from ``../shared/reference/ktab`` or
``$DETENTE_SHARED_DIR``, skipped when absent). Detente's sources are byte-compiled first, as an
installed package's are (this machine sets ``PYTHONDONTWRITEBYTECODE``, which would otherwise
recompile them in every process).

``detente run`` is timed as it runs: without typer (``detente.cli.direct``). Last, the commands
the peers benchmark times (``benchmarks/peers.py``), each as a whole process
as the console script runs it, beside the start-up floor (Python with numpy, pydantic and one
model class, PyYAML and typer: no detente code), and what each spends above that floor.
"""

from __future__ import annotations

import argparse
import compileall
import math
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("DETENTE_SHARED_DIR", ROOT.parent / "shared"))
A080 = SHARED / "reference" / "ktab" / "dummyData-a080.csv"

PRELUDE = """
import sys, time
_last = [0.0, time.perf_counter()]  # the first lap's CPU is the interpreter's start
def lap(label):
    c, w = time.process_time(), time.perf_counter()
    print(f"  {label:40s} {c - _last[0]:7.3f} {w - _last[1]:7.3f}")
    _last[:] = [c, w]
lap("interpreter start")
"""

HELP = """
import typer; lap("import typer")
import detente.cli as cli; lap("import detente.cli (every command)")
import io, contextlib
with contextlib.redirect_stdout(io.StringIO()):
    try:
        cli.app(["--help"], prog_name="detente")
    except SystemExit:
        pass
lap("build the commands, print the help")
"""

COMMAND = """
import typer; lap("import typer")
from detente.cli import dispatching; lap("import detente.cli (every command)")
argv = {argv!r}
only = dispatching(argv)
import typer.main
command = typer.main.get_command(only); lap("build the one command")
from detente.scenario import load_scenario; lap("import the scenario schema (pydantic)")
sc = load_scenario(argv[1]); lap("read and validate the scenario")
import io, contextlib
with contextlib.redirect_stdout(io.StringIO()):
    try:
        command(argv, prog_name="detente")
    except SystemExit:
        pass
lap("the command: options, the scenario again, run, print")
"""

RUN = """
import detente.cli as cli
cli._start_up()  # as main: one BLAS thread, the collector paused until the scenario is read
from detente.cli import direct, plugins
plugins.skip_empty_scan(), plugins.defer_plugin_loader(); lap("import detente.cli (no typer)")
argv = {argv!r}
kwargs = direct.plain_run_arguments(argv[1:]); lap("read the arguments (no typer app)")
import numpy; lap("import numpy")
import pydantic; from pydantic import BaseModel; lap("import pydantic")
import yaml; lap("import PyYAML")
from detente.scenario import load_scenario; lap("import the scenario schema")
sc = load_scenario(argv[1]); lap("read, validate (Scenario's validator)")
import detente.runtime, detente.compile, detente.results, detente.jsonout
lap("import the runtime")
from detente.cli import run_negotiation
import io, contextlib
with contextlib.redirect_stdout(io.StringIO()):
    run_negotiation(**kwargs)
lap("run's body: read again, run, print")
print("  typer imported:", "typer" in sys.modules, "| importlib.metadata imported:",
      "importlib.metadata" in sys.modules, "| numpy.random imported:",
      "numpy.random" in sys.modules, "| numpy.ma imported:", "numpy.ma" in sys.modules)
"""

WAR = """
import numpy; lap("import numpy")
import detente.cli; lap("import typer, detente.cli")
from detente.scenario import load_scenario; lap("import the scenario schema (pydantic)")
from detente.analysis.compare import simulate_summary, war_options
from detente.compile import compile_war
from detente.jsonout import dumps; lap("import analysis, runtime, war kernel")
sc = load_scenario({path!r}); lap("read and validate the scenario")
compile_war(sc, None, (), {runs}, 0); lap("compile {runs:,} runs (timed apart)")
summary = simulate_summary(sc, None, (), {runs}, 0, war_options())
lap("compile + kernel + summary")
dumps(summary, indent=2); lap("JSON")
"""

SMP = """
import numpy; lap("import numpy")
import detente.cli; lap("import typer, detente.cli")
from detente.scenario import load_scenario; lap("import the scenario schema (pydantic)")
from detente.runtime import negotiate
from detente.jsonout import dumps; lap("import runtime")
sc = load_scenario({path!r}); lap("read and validate the scenario")
r = negotiate(sc, "smp"); lap("first run (the prebuilt turns load)")
r = negotiate(sc, "smp"); lap("second run (the model alone)")
print("  numba imported:", "numba" in sys.modules)
negotiate(sc, "smp", {{"engine": "numpy"}}); lap("the numpy engine, same case")
dumps(r.to_dict(), indent=2); lap("JSON")
"""


def stages(title: str, code: str) -> None:
    print(f"{title}\n  {'stage':40s} {'CPU s':>7s} {'wall s':>7s}")
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    out = subprocess.run([sys.executable, "-c", PRELUDE + code], env=env, cwd=ROOT,
                         capture_output=True, text=True, check=True)
    print(out.stdout, end="")


def whole(argv: list[str], repeat: int) -> str:
    """Best of ``repeat`` fresh ``detente ARGV`` processes: wall and CPU seconds."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    best = (math.inf, math.inf)
    for _ in range(repeat):
        start = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "detente.cli", *argv], cwd=ROOT, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _, _, usage = os.wait4(proc.pid, 0)
        best = min(best, (time.perf_counter() - start, usage.ru_utime + usage.ru_stime))
    return f"  whole process, best of {repeat}: {best[0]:.3f} s wall, {best[1]:.3f} s CPU"


FLOOR = ("import numpy, pydantic, yaml, typer\n"
         "class M(pydantic.BaseModel):\n    x: int")
# what `detente run` with plain arguments imports before any of its own code: no typer (it runs
# without building the typer app), pydantic's plugin loader deferred (no importlib.metadata),
# one BLAS thread and the collector paused while it imports (detente.cli._start_up)
RUN_FLOOR = ("import gc, os\ngc.disable()\nos.environ['PYDANTIC_DISABLE_PLUGINS'] = '1'\n"
             "os.environ['OPENBLAS_NUM_THREADS'] = '1'\n"
             "from detente.cli.plugins import defer_plugin_loader\ndefer_plugin_loader()\n"
             "import numpy, pydantic, yaml\nclass M(pydantic.BaseModel):\n    x: int\n"
             "gc.freeze()")


def timed(cmd: list[str], repeat: int) -> tuple[float, float]:
    """Best of ``repeat`` fresh processes ``cmd``: (wall, CPU) seconds."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    best = (math.inf, math.inf)
    for _ in range(repeat):
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        if status != 0:
            raise SystemExit(f"failed: {' '.join(cmd)}")
        best = min(best, (time.perf_counter() - start, usage.ru_utime + usage.ru_stime))
    return best


def peer_commands() -> dict[str, list[str]]:
    """The peers benchmark's detente commands (the war rows are left to it: seconds each)."""
    from peers import widened_emissions

    rows = {"BDM replication (eum, one solve)":
            ["run", "scenarios/bdm1994-emissions.yaml", "-m", "eum", "--json"],
            "eum, 10,000 draws, preset schelling":
            ["run", str(widened_emissions()), "-m", "eum", "--draws", "10000", "-O",
             "preset=schelling", "--json"],
            "exchange, cop21": ["run", "tests/fixtures/decide/cop21.csv", "-m", "exchange",
                                "--json"]}
    if A080.exists():
        rows["smp, KTAB dummyData-a080"] = ["run", str(A080), "-m", "smp", "--json"]
    return rows


def against_floor(repeat: int) -> None:
    floor = timed([sys.executable, "-c", FLOOR], repeat)
    run_floor = timed([sys.executable, "-c", RUN_FLOOR], repeat)
    print(f"whole processes, best of {repeat} (wall s, CPU s; above the floor without typer)\n"
          f"  {'start-up floor (no detente code)':40s} {floor[0]:7.3f} {floor[1]:7.3f}\n"
          f"  {'  as run starts (no typer, one BLAS thread)':40s} {run_floor[0]:7.3f} "
          f"{run_floor[1]:7.3f}")
    for work, argv in peer_commands().items():
        wall, cpu = timed([sys.executable, "-c", "from detente.cli import main; main()", *argv],
                          repeat)
        print(f"  {work:40s} {wall:7.3f} {cpu:7.3f}   {wall - run_floor[0]:+.3f} "
              f"{cpu - run_floor[1]:+.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    compileall.compile_dir(ROOT / "src", quiet=1)
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    stages("detente --help", HELP)
    print(whole(["--help"], args.repeat))
    for argv in (["run", "scenarios/bdm1994-emissions.yaml", "-m", "eum", "--json"],
                 ["validate", "scenarios/ukraine-2025.yaml"]):
        stages("detente " + " ".join(argv), (RUN if argv[0] == "run" else COMMAND)
               .format(argv=argv))
        print(whole(argv, args.repeat))
    war = ROOT / "tests" / "fixtures" / "war-2025.yaml"
    stages(f"war, {war.name}, {args.runs:,} runs", WAR.format(path=str(war), runs=args.runs))
    if A080.exists():
        stages("smp, KTAB dummyData-a080", SMP.format(path=str(A080)))
    else:
        print(f"smp: skipped ({A080} is absent)")
    against_floor(args.repeat)


if __name__ == "__main__":
    main()
