"""detente against every peer, side by side, whole process (issue 14). Run:
``nice .venv/bin/python benchmarks/peers.py [--repeat 3] [--only exchange,eum-1,...]``.

For each row of the issue's table the peer and detente run in turn (peer, detente, peer,
detente, ...; best of ``--repeat``, one pair only when a peer run takes longer than
``LONG_S``; ``--all-pairs`` runs every pair of the exchange row), each as a fresh process
started with ``subprocess``, so start-up, imports, reading the input and writing the output
are all in the time. Wall time is what a user waits for; the
CPU time of the child (user + system, from ``os.wait4``) is printed beside it because on a
shared machine it is the steadier of the two; ratios use wall time of the best run. Peak memory
is the child's maximum resident set.

Peers' code never enters this repository. ``DETENTE_PEERS_DIR`` names a folder with checkouts
(default: a temporary folder, cloned into from GitHub at run time when that is reachable):

* ``decide-exchange-model/`` (foarsitter/decide-exchange-model; needs its dependencies: set
  ``DETENTE_DECIDE_PYTHON`` to an interpreter that has them, default
  ``$DETENTE_PEERS_DIR/venv-decide/bin/python``; its CLI wants the versions its pyproject pins,
  e.g. ``pip install typesystem==0.2.5 typer==0.20 structlog==25.5 peewee==3.18.3 pandas
  matplotlib``, without its GUI's PyQt6: a newer typesystem fails on its first actor),
* ``schelling/`` (hamzagul07/schelling; run with this interpreter, ``src`` on the path),
* ``bdm-scholz-expected-utility-model/`` (dmasad/...; its ``'rU'`` file mode needs Python 3.10
  or older: ``DETENTE_BDM_PYTHON``, default the newest of ``python3.10`` ... ``python3.6`` on the
  path or under pyenv's ``versions/``, see :func:`old_python`),
* KTAB's ``smpc``: ``DETENTE_KTAB_SMPC`` names it (or a wrapper with its arguments), else
  ``$DETENTE_PEERS_DIR/smpc-run.sh`` if present; ``bash benchmarks/ktab.sh`` builds it (C++,
  about a minute) and writes that wrapper, which runs it as a user would, SQLite database
  included.

A peer that cannot run falls back to the wall time in ``../shared/reference/*/README.md`` (the
row says so); a row whose inputs are absent is skipped. Inputs come from ``tests/fixtures``,
``scenarios`` and ``../shared/reference`` (``DETENTE_SHARED_DIR`` names another ``shared``).

The second table is the floating-point work per second of the kernels, in process, against
the peak of a numpy matrix product measured in the same run on the same cores. Flop counts are
counted from the kernels' formulas (see ``eum_flops`` and ``exchange_flops``), not measured by
hardware counters (none are available on this machine).
"""

from __future__ import annotations

import argparse
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("DETENTE_SHARED_DIR", ROOT.parent / "shared")) / "reference"
EMISSIONS = ROOT / "scenarios" / "bdm1994-emissions.yaml"
FLAGSHIP = ROOT / "scenarios" / "ukraine-2025.yaml"
COP21 = ROOT / "tests" / "fixtures" / "decide" / "cop21.csv"
A080 = SHARED / "ktab" / "dummyData-a080.csv"
LONG_S = 15.0  # a peer run longer than this is not repeated (the total stays a few minutes)
REPOS = {"decide-exchange-model": "foarsitter/decide-exchange-model",
         "schelling": "hamzagul07/schelling",
         "bdm-scholz-expected-utility-model": "dmasad/bdm-scholz-expected-utility-model"}
# wall times from ../shared/reference/*/README.md (quiet machine) for peers that cannot run
REFERENCE_S = {"decide cop21": 27.7, "KTAB a080": 85.0, "BDM replication": 5.4}


@dataclass
class Run:
    wall: float
    cpu: float
    rss_mb: float
    out: str


def run(cmd: list[str], env: dict[str, str] | None = None, cwd: Path | None = None) -> Run:
    """One process: wall time, CPU time (user + system) and peak resident memory."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=cwd,
                            env={**os.environ, **(env or {})}, text=True)
    out = proc.stdout.read() if proc.stdout else ""
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd[:3]} exited with {proc.returncode}")
    return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, out)


def in_turn(peer: list[str] | None, ours: list[str], repeat: int, peer_env=None, peer_cwd=None,
            our_env=None, long_s: float = LONG_S) -> tuple[Run | None, Run]:
    """Peer and detente in turn (A B A B ...), the best (least disturbed) run of each."""
    peers, mine = [], []
    for _ in range(repeat):
        if peer is not None:
            peers.append(run(peer, peer_env, peer_cwd))
        mine.append(run(ours, our_env))
        if peers and peers[-1].wall > long_s:
            break
    best = lambda runs: min(runs, key=lambda r: r.wall) if runs else None  # noqa: E731
    return best(peers), best(mine)


def detente(*args: str) -> list[str]:
    """``detente ARGS`` as the console script runs it (``main``: one command built, not all)."""
    return [sys.executable, "-c", "from detente.cli import main; main()", *args]


OUR_ENV = {"PYTHONPATH": str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")}


def compile_sources() -> None:
    """Byte-compile detente's sources first, as installing a package does: with
    ``PYTHONDONTWRITEBYTECODE`` set (this machine sets it) every run would otherwise compile
    detente's modules again, 0.1-0.2 s of each small command."""
    import compileall

    compileall.compile_dir(ROOT / "src", quiet=1)

# model-call-only drivers: the best of many calls after a warm-up, in ms, and the rounds run
DETENTE_EUM_CALL = """
import time
from detente.compile import compile_scenario
from detente.models.eum import EUMModel, eum_options
from detente.scenario import load_scenario
batch, model = compile_scenario(load_scenario({path!r})), EUMModel()
opts = eum_options({{"preset": "schelling"}})
model.run(batch, opts)
best = min(-time.perf_counter() + (model.run(batch, opts), time.perf_counter())[1]
           for _ in range(300))
print(best * 1e3, int(model.run(batch, opts).turns[0]))
"""
SCHELLING_CALL = """
import json, time
from schelling.schemas.question import GameSpec
from schelling.solver.model import run
game = GameSpec.model_validate(json.loads(open({path!r}).read()))
run(game)
best = min(-time.perf_counter() + (run(game), time.perf_counter())[1] for _ in range(300))
print(best * 1e3, run(game).rounds_executed)
"""
SCHELLING_DRAWS = """
import json
from schelling.mc.monte_carlo import run_monte_carlo
from schelling.schemas.question import GameSpec
game = GameSpec.model_validate(json.loads(open({path!r}).read()))
print(run_monte_carlo(game, n_draws={draws}, seed=0).median_distribution.mean())
"""


def peers_dir() -> Path | None:
    """The checkouts: DETENTE_PEERS_DIR, else shallow clones into a temporary folder."""
    given = os.environ.get("DETENTE_PEERS_DIR")
    if given:
        return Path(given)
    if shutil.which("git") is None:
        return None
    folder = Path(tempfile.mkdtemp(prefix="detente-peers-"))
    for name, repo in REPOS.items():
        try:
            subprocess.run(["git", "clone", "-q", "--depth", "1", f"https://github.com/{repo}",
                            str(folder / name)], timeout=60, check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        except (subprocess.SubprocessError, OSError):
            print(f"  (could not clone {repo}; its row falls back to the reference figure)")
    return folder


@dataclass
class Row:
    work: str
    peer: str
    ours: str
    ratio: float | None
    goal: str
    met: bool | None
    cpu_ratio: float | None = None
    note: str = ""  # printed under the table (where the time goes, the gap's cause)


def fmt_s(r: Run | None) -> str:
    return "-" if r is None else f"{r.wall:.2f} s ({r.cpu:.2f} CPU, {r.rss_mb:.0f} MB)"


def python_with(module: str, env_name: str, default: str | None) -> str | None:
    """An interpreter for a peer: the env var, else the default if it exists and imports."""
    exe = os.environ.get(env_name) or default
    if not exe or not (Path(exe).exists() or shutil.which(exe)):
        return None
    ok = subprocess.run([exe, "-c", f"import {module}"], capture_output=True).returncode == 0
    return exe if ok else None


def old_python() -> str | None:
    """The newest Python 3.6-3.10 here that runs (the BDM replication's ``'rU'`` mode is gone in
    3.11): ``python3.X`` on the path, else pyenv's ``$PYENV_ROOT/versions/3.X.*/bin/python``
    (default ``~/.pyenv``; pyenv's shim on the path fails when that version is not selected)."""
    versions = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    for minor in range(10, 5, -1):
        found = [shutil.which(f"python3.{minor}"),
                 *map(str, sorted(versions.glob(f"3.{minor}.*/bin/python"), reverse=True))]
        for exe in filter(None, found):
            if subprocess.run([exe, "-c", "import csv"], capture_output=True).returncode == 0:
                return exe
    return None


def row_eum_call(peers: Path | None, repeat: int) -> Row:
    game = peers / "schelling" / "tests" / "fixtures" / "emission_standards.json" if peers \
        else None
    ours = [sys.executable, "-c", DETENTE_EUM_CALL.format(path=str(EMISSIONS))]
    peer = None
    if game is not None and game.exists():
        peer = [sys.executable, "-c", SCHELLING_CALL.format(path=str(game))]
    env = {"PYTHONPATH": str(peers / "schelling" / "src")} if peers else None
    best_peer, best_ours = None, None
    for _ in range(repeat):  # A B A B: keep the best model-call time of each
        if peer is not None:
            p = run(peer, env).out.split()
            best_peer = min(best_peer or (1e9, 0), (float(p[0]), int(p[1])))
        o = run(ours, OUR_ENV).out.split()
        best_ours = min(best_ours or (1e9, 0), (float(o[0]), int(o[1])))
    ours_txt = f"{best_ours[0]:.2f} ms ({best_ours[1]} rounds)"
    if best_peer is None:
        return Row("eum, emissions, one solve, model call", "schelling absent", ours_txt, None,
                   ">= 3x per round", None)
    ratio = (best_peer[0] / best_peer[1]) / (best_ours[0] / best_ours[1])
    return Row("eum, emissions, one solve, model call (preset schelling)",
               f"schelling {best_peer[0]:.2f} ms ({best_peer[1]} rounds)", ours_txt, ratio,
               ">= 3x per round", ratio >= 3)


# schelling's emission_standards_widened.json: Germany's and France's positions triangular
WIDENED = {"DE": (2.0, 4.0, 7.0), "FR": (8.0, 10.0, 12.0)}


def widened_emissions() -> Path:
    """The emissions case with the two uncertain positions of schelling's widened fixture (its
    scale widened to 2-12 to hold them), so both tools sample the same inputs; a temporary file."""
    import yaml

    doc = yaml.safe_load(EMISSIONS.read_text())
    doc["issues"][0].update(low=2, high=12)
    for stance in doc["stances"]:
        if stance["actor"] in WIDENED:
            lo, mode, hi = WIDENED[stance["actor"]]
            stance["position"] = {"value": mode, "dist": "triangular", "lo": lo, "mode": mode,
                                  "hi": hi, "assumption": "widened as schelling's fixture"}
    path = Path(tempfile.mkdtemp(prefix="detente-bench-")) / "emissions-widened.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def row_eum_draws(peers: Path | None, repeat: int, draws: int = 10_000,
                  preset: str = "schelling") -> Row:
    game = peers / "schelling" / "tests" / "fixtures" / "emission_standards_widened.json" \
        if peers else None
    ours = detente("run", str(widened_emissions()), "-m", "eum", "--draws", str(draws),
                   "-O", f"preset={preset}", "--json")
    peer = None
    if game is not None and game.exists() and preset == "schelling":
        peer = [sys.executable, "-c", SCHELLING_DRAWS.format(path=str(game), draws=draws)]
    env = {"PYTHONPATH": str(peers / "schelling" / "src")} if peers else None
    p, o = in_turn(peer, ours, repeat, peer_env=env, our_env=OUR_ENV)
    goal = "< 0.6 s, < 200 MB"
    met = o.wall < 0.6 and o.rss_mb < 200
    rounds = "to a stable median" if preset == "schelling" else "10 rounds"
    return Row(f"eum, emissions widened as schelling's, {draws:,} draws, preset {preset} "
               f"({rounds})", "schelling " + fmt_s(p) if peer else "(no peer run)",
               fmt_s(o), p.wall / o.wall if p else None, goal + " (>= 40x)", met,
               p.cpu / o.cpu if p else None, phases(f"eum draws ({preset})", ours[3:], repeat))


# Where one command's wall time goes, in a fresh process: the interpreter's own start-up and
# exit (the parent's wall time less the time the driver measures inside), all imports (the CLI's
# and the command's lazy ones), then each named phase less the imports it ran. A phase is a
# function wrapped by its dotted name as its module is imported; nested calls of the same phase
# count once; "other" is the rest (option parsing, building the command, summaries, warnings).
PHASES = {"read": ("detente.scenario:load_scenario",),
          "compile": ("detente.compile:compile_scenario", "detente.runtime:_war_inputs"),
          "kernel": ("detente.runtime:run_payload", "detente.war.stacked:simulate_stacked"),
          "json": ("detente.cli:print_json",),
          "render": ("detente.report:render_report",)}
DETENTE_PHASES = """
import builtins, importlib.abc, importlib.util, os, sys, time
t0 = time.perf_counter()
spent, depth, plain_import = {{"imports": 0.0}}, {{}}, builtins.__import__
def timed_import(*args, **kwargs):  # every import, the command's lazy ones too, once at the top
    depth["import"] = depth.get("import", 0) + 1
    start = time.perf_counter()
    try:
        return plain_import(*args, **kwargs)
    finally:
        depth["import"] -= 1
        if not depth["import"]:
            spent["imports"] += time.perf_counter() - start
builtins.__import__ = timed_import
def timed(name, fn):  # a phase's time, less the imports it ran
    def call(*args, **kwargs):
        depth[name] = depth.get(name, 0) + 1
        start, imported = time.perf_counter(), spent["imports"]
        try:
            return fn(*args, **kwargs)
        finally:
            depth[name] -= 1
            if not depth[name]:
                spent[name] = (spent.get(name, 0.0) + time.perf_counter() - start
                               - (spent["imports"] - imported))
    return call
hooks = {{}}
for name, targets in {phases!r}.items():
    for target in targets:
        module, attr = target.split(":")
        hooks.setdefault(module, []).append((attr, name))
def wrap(module):
    for attr, name in hooks.pop(module.__name__, ()):
        setattr(module, attr, timed(name, getattr(module, attr)))
class Wrapping(importlib.abc.MetaPathFinder):  # a phase's module is wrapped once it is imported,
    def find_spec(self, fullname, path, target=None):  # so the driver imports nothing more
        if fullname not in hooks:
            return None
        sys.meta_path.remove(self)
        try:
            spec = importlib.util.find_spec(fullname)
        finally:
            sys.meta_path.insert(0, self)
        run_module = spec.loader.exec_module
        def exec_module(module):
            run_module(module)
            wrap(module)
        spec.loader.exec_module = exec_module
        return spec
sys.meta_path.insert(0, Wrapping())
import detente.cli as cli
sys.argv, out = ["detente", *{args!r}], sys.stdout
sys.stdout = open(os.devnull, "w")
try:
    cli.main()
except SystemExit:
    pass
total = time.perf_counter() - t0
spent["other"] = total - sum(spent.values())
out.write(" ".join(f"{{k}}={{v:.3f}}" for k, v in spent.items()) + f" total={{total:.3f}}")
"""


def phases(label: str, args: list[str], repeat: int) -> str:
    """Where the wall time of ``detente ARGS`` goes (the fastest of ``repeat`` fresh processes):
    a line for the notes under the table, so each gap is stated with its cause."""
    code = DETENTE_PHASES.format(phases=PHASES, args=args)
    runs = [run([sys.executable, "-c", code], OUR_ENV) for _ in range(repeat)]
    best = min(runs, key=lambda r: r.wall)
    spent = {k: float(v) for k, v in (item.split("=") for item in best.out.split())}
    inside = spent.pop("total")
    parts = ", ".join(f"{k} {v:.2f}" for k, v in spent.items() if v >= 0.005)
    return (f"{label}: {best.wall:.2f} s wall = interpreter start-up and exit "
            f"{best.wall - inside:.2f}, {parts} (s; phases of the fastest of {repeat} fresh "
            "processes)")


def row_exchange(peers: Path | None, repeat: int, all_pairs: bool = False) -> Row:
    ours = detente("run", str(COP21), "-m", "exchange", "--json")
    repo = peers / "decide-exchange-model" if peers else None
    python = python_with("peewee, typesystem, structlog, typer, pandas", "DETENTE_DECIDE_PYTHON",
                         str(peers / "venv-decide" / "bin" / "python") if peers else None)
    if repo is None or not repo.exists() or python is None:
        _, o = in_turn(None, ours, repeat, our_env=OUR_ENV)
        ratio = REFERENCE_S["decide cop21"] / o.wall
        return Row("exchange, cop21, 1 repetition, decimal engine",
                   f"decide {REFERENCE_S['decide cop21']} s (reference README, not run)",
                   fmt_s(o), ratio, ">= 50x", ratio >= 50, REFERENCE_S["decide cop21"] / o.cpu,
                   phases("exchange", ours[3:], repeat))
    out = Path(tempfile.mkdtemp(prefix="decide-out-"))
    peer = [python, "-m", "decide.cli", "--input-file", str(COP21), "--model", "equal",
            "--iterations", "10", "--repetitions", "1", "--output-dir", str(out)]
    p, o = in_turn(peer, ours, repeat, peer_env={"PYTHONPATH": str(repo),
                                                 "MPLBACKEND": "Agg"}, peer_cwd=out,
                   our_env=OUR_ENV, long_s=math.inf if all_pairs else LONG_S)
    shutil.rmtree(out, ignore_errors=True)
    ratio = p.wall / o.wall if p else None
    return Row("exchange, cop21, 1 repetition, decimal engine", "decide " + fmt_s(p), fmt_s(o),
               ratio, ">= 50x", ratio is not None and ratio >= 50, p.cpu / o.cpu if p else None,
               phases("exchange", ours[3:], repeat))


def built_smpc() -> str | None:
    """``$DETENTE_PEERS_DIR/smpc-run.sh``, the wrapper ``benchmarks/ktab.sh`` writes, if it is
    there."""
    given = os.environ.get("DETENTE_PEERS_DIR")
    wrapper = Path(given) / "smpc-run.sh" if given else None
    return str(wrapper) if wrapper is not None and os.access(wrapper, os.X_OK) else None


def row_smp(repeat: int) -> Row | None:
    if not A080.exists():
        return None
    ours = detente("run", str(A080), "-m", "smp", "--json")
    smpc = os.environ.get("DETENTE_KTAB_SMPC") or built_smpc()
    peer = [smpc, "--csv", str(A080), "--logmin"] if smpc else None
    p, o = in_turn(peer, ours, repeat, our_env=OUR_ENV)
    peer_s = p.wall if p else REFERENCE_S["KTAB a080"]
    label = ("KTAB " + fmt_s(p)) if p else (f"KTAB {peer_s} s (reference README; not built: "
                                           "bash benchmarks/ktab.sh)")
    # a reference figure is a quiet run's wall time, about its CPU time: set against ours
    return Row("smp, KTAB dummyData-a080", label, fmt_s(o), peer_s / o.wall, ">= 300x",
               peer_s / o.wall >= 300, (p.cpu if p else peer_s) / o.cpu,
               phases("smp a080", ours[3:], repeat))


def row_bdm(peers: Path | None, repeat: int) -> Row:
    ours = detente("run", str(EMISSIONS), "-m", "eum", "--json")
    repo = peers / "bdm-scholz-expected-utility-model" if peers else None
    python = python_with("csv", "DETENTE_BDM_PYTHON", old_python())
    if repo is None or not (repo / "bdm_scholz_model.py").exists() or python is None:
        _, o = in_turn(None, ours, repeat, our_env=OUR_ENV)
        ratio = REFERENCE_S["BDM replication"] / o.wall
        return Row("BDM replication, emissions, 10 rounds",
                   f"{REFERENCE_S['BDM replication']} s (reference README, not run)", fmt_s(o),
                   ratio, ">= 30x", ratio >= 30, REFERENCE_S["BDM replication"] / o.cpu,
                   phases("BDM", ours[3:], repeat))
    peer = [python, "bdm_scholz_model.py", "ExampleActors.csv", "10"]
    p, o = in_turn(peer, ours, repeat, peer_cwd=repo, our_env=OUR_ENV)
    if p is not None and p.wall > LONG_S:  # one pair ran: detente still takes its best of
        o = min([o, *(run(ours, OUR_ENV) for _ in range(repeat - 1))], key=lambda r: r.wall)
    return Row("BDM replication, emissions, 10 rounds", "Velev/Masad " + fmt_s(p), fmt_s(o),
               p.wall / o.wall if p else None, ">= 30x", p is not None and p.wall / o.wall >= 30,
               p.cpu / o.cpu if p else None, phases("BDM", ours[3:], repeat))


# the libraries `detente run` imports before any of its own code runs (pydantic for the scenario
# schema, PyYAML for the file, numpy for the arrays; with plain arguments run does not load
# typer, see detente.cli.direct, so the floor leaves it out)
FLOOR = ("import numpy, pydantic, yaml\nfrom pydantic import BaseModel\n"
         "class M(BaseModel):\n    x: int")
FLOOR_WORK = "start-up floor: Python + numpy, pydantic (one model class), PyYAML"


def row_floor(repeat: int) -> Row:
    """The start-up floor: no detente code, only the libraries' imports (best of 3 x repeat)."""
    _, o = in_turn(None, [sys.executable, "-c", FLOOR], 3 * repeat)
    return Row(FLOOR_WORK, "none", fmt_s(o), None, "", None)


def seconds_of(text: str) -> tuple[float, float] | None:
    """(wall, CPU) back from a ``fmt_s`` cell; None for a cell of another kind."""
    match = re.match(r"([\d.]+) s \(([\d.]+) CPU", text)
    return (float(match[1]), float(match[2])) if match else None


def floor_notes(rows: list[Row]) -> list[str]:
    """For each whole-process goal not met: how much of detente's time is above the floor."""
    floor = next((seconds_of(r.ours) for r in rows if r.work == FLOOR_WORK), None)
    if floor is None:
        return []
    notes = [f"start-up floor (measured in this run): {floor[0]:.2f} s wall, {floor[1]:.2f} s "
             "CPU before any detente code; each unmet whole-process time less the floor:"]
    for r in rows:
        ours = seconds_of(r.ours)
        if r.met is False and ours is not None:
            notes.append(f"  {r.work}: {ours[0] - floor[0]:.2f} s wall "
                         f"({ours[1] - floor[1]:.2f} s CPU) above the floor")
    return notes


def row_alone(work: str, args: list[str], repeat: int, goal_s: float, note: str = "") -> Row:
    """A row with no peer; an unmet goal gets the phases of its time under the table."""
    _, o = in_turn(None, detente(*args), repeat, our_env=OUR_ENV)
    met = o.wall < goal_s
    if not met:
        label = "".join([work.split(",")[0], *(part for part in work.split(",")[1:]
                                                if "--workers" in part)])
        note = "\n".join(filter(None, [note, phases(label, args, repeat)]))
    return Row(work, "none", fmt_s(o), None, f"< {goal_s} s", met, note=note)


# The war rows. Issue 14's goal (1.5 s whole process) was set on the §5 scalar kernel the flagship
# ran when it was filed; the flagship now runs the coupled model (talks while fighting, MODELS.md
# §7), which the same command selects, so both are measured: the §5 kernel with -O variant=...
WAR_COUPLED_NOTE = (
    "war (coupled): the flagship now runs the coupled model (§7: every week each run's talks, "
    "values of fighting on and third parties, not one scalar random walk): far more work per "
    "run-week than the §5 kernel. The week of fighting and the third parties' step run on "
    "compiled loops (war/coupled_fast.py, built by python -m detente.warm); the talks, R's "
    "choice of intensity (values of fighting on: first-passage probabilities) and the levers' "
    "parameters are still numpy steps over the runs, and the kernel's week loop is nearly all "
    "of the time. The 1.5 s goal belongs to the §5 kernel (the next row).")
WAR_SECTION5_NOTE = (
    "war (§5): with the compiled weeks built (python -m detente.warm) the kernel is about 0.55 s "
    "of CPU, 0.2 s of it numpy's random draws; the rest is start-up (imports, parsing the "
    "flagship's YAML: the start-up row's work) and compiling the runs' parameters (0.12 s).")


def row_war(repeat: int, variant: str | None) -> Row:
    args = ["simulate", str(FLAGSHIP), "--runs", "100000", "--json"]
    if variant is None:
        return row_alone("war, flagship, 100,000 runs x 104 weeks, coupled model (§7)", args,
                         repeat, 1.5, WAR_COUPLED_NOTE)
    return row_alone(f"war, flagship, 100,000 runs x 104 weeks, §5 kernel ({variant})",
                     [*args, "-O", f"variant={variant}"], repeat, 1.5, WAR_SECTION5_NOTE)


def row_report(repeat: int, workers: int | None = None) -> Row:
    """The report into a temporary .html file (``-o /dev/null`` is refused: the report is
    written atomically, by renaming a finished file over the target, never onto a device);
    with ``workers``, its 30 variants run as jobs of a pool of that many processes."""
    pool = [] if workers is None else ["--workers", str(workers)]
    with tempfile.TemporaryDirectory() as tmp:
        return row_alone("report, flagship, 2,000 runs" + (f", --workers {workers}" if pool
                                                            else ""),
                         ["report", str(FLAGSHIP), "--runs", "2000", "-o",
                          str(Path(tmp) / "report.html"), *pool], repeat, 2.0)


# -- floating-point work per second ---------------------------------------------------------------

def matmul_peak() -> float:
    """GFLOP/s of a 2000 x 2000 matrix product (numpy's BLAS on every core), best of three."""
    import numpy as np

    a = np.random.default_rng(0).random((2000, 2000))
    best = min(-time.perf_counter() + (a @ a, time.perf_counter())[1] for _ in range(3))
    return 2 * 2000**3 / best / 1e9


def eum_flops(n: int) -> float:
    """Flops of one eum round for one problem of n actors, counted from the formulas as the
    numpy kernel evaluates them: two vote-margin passes (n^2 distances and powers, n^3
    differences, clips and sums each), two dyad passes (about 30 operations per ordered pair),
    offers and choice (about 25 per pair). A power counts as one flop, though it costs ~20 ns
    (the compiled round spends about a third of its time in ``pow``); the compiled round
    skips the work of actors at a position already seen, which the count does not credit."""
    return 2 * (3 * n**3 + 4 * n**2) + 2 * 30 * n**2 + 25 * n**2


def exchange_flops(calculations: int) -> float:
    """Arithmetic of the exchange round counted per exchange calculation: about 60 operations
    (moves, gains, two capped outcomes over the issue's actors); decimal operations count as one."""
    return 60.0 * calculations


def smp_flops(n: int, d: int) -> float:
    """Flops of one smp turn for one problem of n actors on d issues, counted from the formulas
    of MODELS.md §3 as the numpy kernel evaluates them: distances (3·n²·d), estimated utilities
    (4 per (estimator, actor, position) triple), the challenge pass (about 30 per (challenger,
    target, third party) triple), the bargain values (6 per actor and bargain) and the bargain
    election's votes (5 per (voter, option, option) triple). The Markov iterations of the
    elections (about 6·n³ each) are not counted, so this is a lower bound; the compiled turn
    tables each challenger's utilities once and sums each coalition once per pair, work the
    count credits as numpy's."""
    return 3 * n**2 * d + (4 + 30 + 5) * n**3 + 6 * n**2


def best_of(call: Callable[[], object], repeat: int = 2) -> float:
    """Seconds of the fastest of ``repeat`` calls (after one warm-up call)."""
    call()
    return min(-time.perf_counter() + (call(), time.perf_counter())[1] for _ in range(repeat))


def smp_rates() -> list[tuple[str, float, float]]:
    """smp on KTAB's dummyData-a080, in process: the prebuilt turns where built, and numpy."""
    if not A080.exists():
        return []
    from detente.compile import compile_scenario
    from detente.models import get_model
    from detente.models.smp_prebuilt import prebuilt
    from detente.options import SMPOptions
    from detente.scenario import load_scenario

    batch = compile_scenario(load_scenario(A080))
    n, d = batch.position.shape[1:]
    model, rates = get_model("smp"), []
    engines = ("auto", "numpy") if prebuilt() is not None else ("numpy",)
    for engine in engines:
        opts = SMPOptions(engine=engine)
        turns = int(model.run(batch, opts).turns[0])
        t = best_of(lambda opts=opts: model.run(batch, opts))  # type: ignore[misc]
        label = "prebuilt" if engine == "auto" else engine
        rates.append((f"smp, KTAB a080 ({n} actors, {d} issues, {turns} turns), {label}", t,
                      turns * smp_flops(n, d) / t / 1e9))
    return rates


def war_rates(runs: int = 10_000) -> list[tuple[str, float, float]]:
    """(kernel, seconds, run-weeks per second): the coupled kernel on issue 11's case (the test
    fixture, 4 actors x 6 issues, talks every 2 weeks) for each talks model, the best of two."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import bench_coupled

    from detente.scenario.schema import Scenario

    fixture = Scenario.model_validate(bench_coupled.FIXTURE)
    rates = []
    for model in ("mean", "nash", "smp", "eum"):
        wall, _ = bench_coupled.timed(fixture, runs, model, 2)
        rates.append((f"coupled, fixture 4x6, {model} talks, {runs:,} runs x 104 weeks", wall,
                      runs * 104 / wall))
    return rates


def kernel_rates() -> list[tuple[str, float, float]]:
    """(kernel, seconds, GFLOP/s) of each kernel in process."""
    import numpy as np

    from detente.compile import compile_scenario
    from detente.models import exchange
    from detente.models.eum import EUMModel, eum_options
    from detente.scenario import load_scenario

    rates = []
    many = compile_scenario(load_scenario(widened_emissions()), draws=10_000, seed=1)
    model = EUMModel()
    for engine in ("compiled", "numpy"):
        opts = eum_options({"engine": engine})
        model.run(many.take(slice(0, 64)), opts)
        t = min(-time.perf_counter() + (model.run(many, opts), time.perf_counter())[1]
                for _ in range(2))
        rates.append((f"eum, widened emissions, 10,000 draws x 10 rounds, one core, {engine}",
                      t, 10_000 * 10 * eum_flops(10) / t / 1e9))
    batch = compile_scenario(load_scenario(COP21))
    count = [0]
    originals = {name: getattr(exchange.Exchange, name) for name in ("calculate", "_recap")}

    def counted(fn):  # type: ignore[no-untyped-def]
        def call(self, *args):  # type: ignore[no-untyped-def]
            count[0] += 1
            return fn(self, *args)
        return call

    for name, fn in originals.items():  # a recalculation reusing the moves counts as one too
        setattr(exchange.Exchange, name, counted(fn))
    exchange.ExchangeModel().run(batch, exchange.ExchangeOptions())
    for name, fn in originals.items():
        setattr(exchange.Exchange, name, fn)
    t = min(-time.perf_counter() + (exchange.ExchangeModel().run(batch, exchange.ExchangeOptions()),
                                    time.perf_counter())[1] for _ in range(2))
    rates.append(("exchange, cop21, decimal", t, exchange_flops(count[0]) / t / 1e9))
    rates.extend(smp_rates())
    del np
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--draws", type=int, default=10_000, help="draws of the eum row")
    parser.add_argument("--all-pairs", action="store_true", help="exchange row: run every "
                        f"pair even when decide takes longer than {LONG_S:.0f} s")
    parser.add_argument("--only", default="", help="comma-separated row keys: eum-1, eum-draws, "
                        "exchange, smp, bdm, war, help, report, floor, flops")
    args = parser.parse_args()
    keep = set(filter(None, args.only.split(",")))
    want = lambda key: not keep or key in keep  # noqa: E731
    compile_sources()
    alone = {"war", "help", "report", "flops", "smp", "floor"}  # rows with no peer to fetch
    peers = peers_dir() if keep - alone or not keep else None
    print(f"peers from {peers}; best of {args.repeat} (one pair if a peer run > {LONG_S} s)")
    rows: list[Row] = []
    steps = [("eum-1", lambda: row_eum_call(peers, args.repeat)),
             ("eum-draws", lambda: row_eum_draws(peers, args.repeat, args.draws)),
             ("eum-draws", lambda: row_eum_draws(peers, args.repeat, args.draws,
                                                 "scholz-code")),
             ("exchange", lambda: row_exchange(peers, args.repeat, args.all_pairs)),
             ("smp", lambda: row_smp(args.repeat)),
             ("bdm", lambda: row_bdm(peers, args.repeat)),
             ("war", lambda: row_war(args.repeat, None)),
             ("war", lambda: row_war(args.repeat, "smith-stam")),
             ("help", lambda: row_alone("detente --help", ["--help"], args.repeat, 0.15)),
             ("report", lambda: row_report(args.repeat)),
             ("report", lambda: row_report(args.repeat, os.cpu_count() or 1)),
             ("floor", lambda: row_floor(args.repeat))]
    for key, step in steps:
        if want(key):
            try:
                row = step()
            except (RuntimeError, OSError) as err:
                print(f"  {key}: skipped ({err})")
                continue
            if row is not None:
                rows.append(row)
                print(f"  done: {row.work}", flush=True)
    print()
    print("| work (whole process unless stated) | peer, same run | detente | ratio (wall) "
          "| ratio (CPU) | goal | met (wall) |")
    print("|---|---|---|---:|---:|---|---|")
    for r in rows:
        ratio = "" if r.ratio is None else f"{r.ratio:.1f}x"
        cpu = "" if r.cpu_ratio is None else f"{r.cpu_ratio:.1f}x"
        met = "" if r.met is None else ("yes" if r.met else "no")
        print(f"| {r.work} | {r.peer} | {r.ours} | {ratio} | {cpu} | {r.goal} | {met} |")
    for r in rows:
        if r.note:
            print(f"\n{r.note}")
    if notes := floor_notes(rows):
        print("\n" + "\n".join(notes))
    if want("flops"):
        peak = matmul_peak()
        print(f"\nfloating-point work per second, in process (peak: numpy matmul {peak:.1f} "
              "GFLOP/s on this machine's cores, same run)")
        print("| kernel | seconds | GFLOP/s | share of peak |")
        print("|---|---:|---:|---:|")
        for name, t, rate in kernel_rates():
            print(f"| {name} | {t:.3f} | {rate:.3f} | {rate / peak:.2%} |")
        print("\nthe war kernels, in process (blocks one after another): run-weeks per second "
              "(no flop count: their weeks are masks, gathers and branches, not arithmetic)")
        print("| kernel | seconds | run-weeks / s |")
        print("|---|---:|---:|")
        for name, t, rate in war_rates():
            print(f"| {name} | {t:.3f} | {rate:,.0f} |")


if __name__ == "__main__":
    main()
