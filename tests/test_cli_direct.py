"""`detente run` with plain arguments runs without typer (issue 14): the arguments it reads are
the ones typer would give, everything else goes to typer, and a run loads neither typer nor its
pydantic adapters, click, rich or importlib.metadata."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from detente.cli import direct

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "COLUMNS": "80"}
BDM = "scenarios/bdm1994-emissions.yaml"
KIND = {"str": str, "path": Path, "int": int, "flag": bool}


def typer_run_command():  # type: ignore[no-untyped-def]
    import typer.main

    from detente.cli import dispatching

    return typer.main.get_command(dispatching(["run"])).commands["run"]


def typer_params(args: list[str], monkeypatch: pytest.MonkeyPatch) -> dict | None:
    """What the typer command hands `run`'s body for ``args``, or None where it refuses them."""
    import inspect

    import typer
    from typer._click.exceptions import ClickException

    from detente import cli
    from detente.cli import commands

    seen: list[dict] = []
    names = list(inspect.signature(cli.run_negotiation).parameters)
    monkeypatch.setattr(commands, "run_negotiation",
                        lambda *a, **k: seen.append({**dict(zip(names, a, strict=False)), **k}))
    try:
        typer_run_command().main(list(args), "detente run", standalone_mode=False)
    except (ClickException, typer.Exit):  # a usage error, or --help
        return None
    (given,) = seen
    return given


def test_the_table_is_the_typer_commands_parameters():
    """Every option of `run` as typer declares it: names, kind, bounds, repeat, default (a new
    option on the typer command without a line here fails, and argv holding it goes to typer)."""
    params = {p.name: p for p in typer_run_command().params}
    assert set(params) == {"scenario", *(s.dest for s in direct.RUN_OPTIONS)}
    assert params["scenario"].required and params["scenario"].opts == ["scenario"]
    for spec in direct.RUN_OPTIONS:
        p = params[spec.dest]
        assert tuple(p.opts) == spec.names and not p.secondary_opts, spec
        annotation = p.type_descriptor.annotation
        assert annotation == (list[str] if spec.multiple else KIND[spec.kind]), spec
        assert (p.min, p.max) == ((spec.low, spec.high) if spec.kind == "int" else (None, None))
        assert (p.multiple, bool(p.is_flag), p.default) == (spec.multiple, spec.kind == "flag",
                                                           spec.default), spec
        assert p.envvar is None and p.callback is None and not p.is_eager


READ_HERE = [
    [BDM], [BDM, "-m", "eum", "--json"], ["--json", BDM, "-m", "smp"], [BDM, "--model=mean"],
    [BDM, "--draws", "10000", "-O", "preset=schelling", "--json"],
    [BDM, "-O", "a=1", "--option", "b=2", "--option=c=3", "-O", "d"], [BDM, "--rounds", "1"],
    [BDM, "--rounds", "10000", "--draws", "1000000", "--seed", "0", "--workers", "256"],
    [BDM, "--seed", "123456789012345678", "--dask-local", "1", "--scheduler", "tcp://h:1"],
    [BDM, "-f", "yaml"], [BDM, "--out", "x.parquet", "--max-memory", "4G"],
    ["tests/fixtures/decide/cop21.csv", "--format=decide", "--out=r.nc", "--max-memory=1K"],
    ["nowhere.yaml"], ["a b.yaml", "-m", "漢字"],
]
LEFT_TO_TYPER = [
    [], ["--help"], [BDM, "--help"], [BDM, "-h"], [BDM, "extra"], [BDM, "--"], ["--", BDM],
    [BDM, "--bogus"], [BDM, "-m"], [BDM, "-m", "--json"], [BDM, "-m", ""], [BDM, "-meum"],
    [BDM, "-m=eum"], [BDM, "--json=1"], [BDM, "--json", "--json"], [BDM, "-m", "a", "-m", "b"],
    [BDM, "--draws", "0"], [BDM, "--draws", "-1"], [BDM, "--draws", "1000001"],
    [BDM, "--draws", "01"], [BDM, "--draws", "+1"], [BDM, "--draws", " 1"], [BDM, "--draws", "1.0"],
    [BDM, "--draws", "1_0"], [BDM, "--draws", "١"], [BDM, "--rounds", "10001"],
    [BDM, "--seed", "1234567890123456789"], [BDM, "--workers", "0"], [BDM, "--dask-local=257"],
    [BDM, "--draw", "2"], [BDM, "--js"], ["-", "--json"], [BDM, "--out", ""], [BDM, "--version"],
]


@pytest.mark.parametrize("args", READ_HERE, ids=str)
def test_arguments_read_here_are_typers(args, monkeypatch):
    """Each argv read here gives run's body exactly the values the typer command gives it."""
    mine, reference = direct.plain_run_arguments(args), typer_params(args, monkeypatch)
    assert mine is not None and reference is not None
    assert mine == reference
    assert {k: type(v) for k, v in mine.items()} == {k: type(v) for k, v in reference.items()}


@pytest.mark.parametrize("args", LEFT_TO_TYPER, ids=str)
def test_anything_else_is_left_to_typer(args):
    assert direct.plain_run_arguments(args) is None


def test_completion_and_other_commands_are_left_to_typer(monkeypatch):
    for argv in ([], ["validate", BDM], ["--json", "run", BDM], ["rnu", BDM]):
        assert direct.run_if_plain(argv) is None
    monkeypatch.setenv("_DETENTE_COMPLETE", "bash_complete")
    assert direct.run_if_plain(["run", BDM]) is None  # returned: typer answers completion


def _whole(argv: list[str], direct_path: bool) -> subprocess.CompletedProcess:
    code = ("import sys\nfrom detente.cli import main\n" if direct_path else
            "import sys\nfrom detente.cli import dispatching\nmain = lambda: "
            "dispatching(sys.argv[1:])()\n")
    return subprocess.run([sys.executable, "-c", code + "sys.argv[0] = 'detente'\nmain()",
                           *argv], cwd=ROOT, env=ENV, capture_output=True, timeout=300)


@pytest.mark.parametrize("argv", [
    ["run", BDM, "-m", "eum", "--json"], ["run", BDM, "-m", "eum", "--rounds", "3"],
    ["run", "tests/fixtures/decide/cop21.csv", "-m", "mean", "--draws", "3", "--json"],
    ["run", BDM, "-m", "nope"], ["run", "nowhere.yaml"], ["run", BDM, "-O", "novalue"],
    ["run", BDM, "-m", "ks", "--rounds", "3"], ["run", BDM, "--max-memory", "1K"],
    ["run", "tests/fixtures/minimal.yaml", "-f", "ktab-csv"], ["run", BDM, "--draws", "0"],
], ids=str)
def test_a_whole_run_prints_and_exits_as_through_typer(argv):
    """Same stdout, stderr and exit status, byte for byte, as the typer command's (2 for bad
    input, with typer's own message where typer reads the argument)."""
    fast, reference = _whole(argv, True), _whole(argv, False)
    assert (fast.returncode, fast.stdout, fast.stderr) == \
        (reference.returncode, reference.stdout, reference.stderr)


HEAVY = ("typer", "click", "rich", "importlib.metadata", "email", "zipfile", "csv")


def test_a_plain_run_loads_no_typer_click_rich_or_importlib_metadata():
    probe = ("import atexit, sys\n"
             "atexit.register(lambda: print(' '.join(sys.modules), file=sys.stderr))\n"
             f"sys.argv = ['detente', 'run', {BDM!r}, '-m', 'eum', '--json']\n"
             "from detente.cli import main\nmain()")
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=ENV, capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("{")
    mods = set(out.stderr.split())
    assert {"detente.models.eum", "detente.cli.direct", "pydantic"} <= mods
    loaded = {m for m in mods if m in HEAVY or m.split(".")[0] in HEAVY
              or m.startswith("typer.")}
    assert not loaded, sorted(loaded)


def test_the_deferred_plugin_loader_hands_over_to_pydantics_once_plugins_are_on():
    """With the switch set the stand-in answers no plugins without importlib.metadata; unset,
    the real loader replaces it and answers (an installed plugin is never skipped)."""
    probe = (
        "import os, sys\nos.environ['PYDANTIC_DISABLE_PLUGINS'] = '1'\n"
        "from detente.cli import plugins\nassert plugins.defer_plugin_loader()\n"
        "import pydantic\nclass M(pydantic.BaseModel):\n    x: int\n"
        "assert M(x=1).x == 1 and 'importlib.metadata' not in sys.modules\n"
        "from pydantic.plugin._loader import get_plugins\nassert tuple(get_plugins()) == ()\n"
        "assert type(sys.modules[plugins.LOADER]) is plugins._DeferredLoader\n"
        "assert not plugins.defer_plugin_loader()  # once only\n"
        "os.environ['PYDANTIC_DISABLE_PLUGINS'] = 'some-plugin'\n"
        "assert list(get_plugins()) == []\n"
        "real = sys.modules[plugins.LOADER]\n"
        "assert type(real) is not plugins._DeferredLoader and 'importlib.metadata' in sys.modules\n"
        "from pydantic.plugin._loader import get_plugins as again\n"
        "assert again is real.get_plugins\n"
        "print('ok')")
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=ENV, capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0 and out.stdout == "ok\n", out.stderr


def test_the_loader_is_left_alone_unless_plugins_are_off(monkeypatch):
    from detente.cli import plugins

    monkeypatch.delitem(sys.modules, plugins.LOADER, raising=False)
    for value in (None, "some-plugin", "0"):
        if value is None:
            monkeypatch.delenv(plugins.SWITCH, raising=False)
        else:
            monkeypatch.setenv(plugins.SWITCH, value)
        assert not plugins.defer_plugin_loader() and plugins.LOADER not in sys.modules


def test_a_plain_run_ends_without_the_collectors_last_passes():
    """The run's objects are frozen before the process exits (the collector skips them), and
    its JSON is whole all the same."""
    probe = ("import atexit, gc, sys\n"
             "atexit.register(lambda: print('frozen', gc.get_freeze_count() > 0,\n"
             "                              file=sys.stderr))\n"
             f"sys.argv = ['detente', 'run', {BDM!r}, '--json']\n"
             "from detente.cli import main\nmain()")
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=ENV, capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0 and out.stderr == "frozen True\n", out.stderr
    assert json.loads(out.stdout)["provenance"]["model"] == "eum"


# -- what a plain run loads and how it starts (issue 14) ------------------------------------------

RUN_PROBE = """
import atexit, gc, os, sys
import detente.runtime as rt
seen = []
real = rt.run_payload
def spy(*a, **k):
    seen.append((gc.isenabled(), os.environ.get('OPENBLAS_NUM_THREADS')))
    return real(*a, **k)
rt.run_payload = spy
atexit.register(lambda: print(repr((seen, sorted(sys.modules))), file=sys.stderr))
sys.argv = ['detente', *{argv!r}]
from detente.cli import main
main()
"""

# nothing a run of a negotiation model needs: the typer app, rich, the table and plotting stack,
# numba (the prebuilt rounds load without it), and scipy (only a beta or normal draw needs it)
NEVER = ("typer", "click", "rich", "scipy", "pandas", "xarray", "numba", "matplotlib",
         "plotly", "jinja2", "psutil", "multiprocessing", "concurrent", "importlib.metadata")


def _run_probe(argv: list[str], env: dict[str, str] = ENV) -> tuple[list, set[str], str]:
    out = subprocess.run([sys.executable, "-c", RUN_PROBE.format(argv=argv)], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    seen, mods = ast.literal_eval(out.stderr.strip().splitlines()[-1])
    return seen, set(mods), out.stdout


def _loaded(mods: set[str], names: tuple[str, ...]) -> list[str]:
    return sorted(m for m in mods if m in names or m.split(".")[0] in names
                  or any(m.startswith(n + ".") for n in names))


@pytest.mark.parametrize("argv", [
    ["run", BDM, "-m", "eum", "--json"],
    ["run", "tests/fixtures/bdm1994-emissions.csv", "-m", "eum", "--json"],
    ["run", "tests/fixtures/ktab/dummyData_3Dim.csv", "-m", "smp", "--json"],
    ["run", "tests/fixtures/decide/cop21.csv", "-m", "mean", "--json"],
], ids=lambda argv: f"{argv[1]} {argv[3]}")
def test_a_one_draw_run_loads_only_what_it_uses(argv):
    """A regression guard on start-up: one draw of a negotiation model imports none of the
    heavy packages, nor numpy.random (no stream is read: the point estimates), nor PyYAML for
    a CSV file; the model runs with the collector on and one BLAS thread."""
    from detente.models import eum_fast, smp_prebuilt

    seen, mods, stdout = _run_probe(argv)
    assert json.loads(stdout)["provenance"]["model"] == argv[3]
    assert seen == [(True, "1")]
    never = NEVER
    if eum_fast.PREBUILT is None or smp_prebuilt.prebuilt() is None:  # numba's loops serve
        never = tuple(n for n in NEVER if n not in ("numba", "scipy"))  # (numba loads scipy)
    never += ("numpy.random",) + (("yaml",) if argv[1].endswith(".csv") else ())
    assert not _loaded(mods, never), _loaded(mods, never)
    assert "numpy" in mods and "pydantic" in mods


def test_draws_still_sample_and_a_thread_count_set_is_left_alone():
    env = {**ENV, "OMP_NUM_THREADS": "2"}
    env.pop("OPENBLAS_NUM_THREADS", None)
    seen, mods, stdout = _run_probe(["run", BDM, "-m", "eum", "--draws", "5", "--json"], env)
    assert seen == [(True, None)] and "numpy.random" in mods
    assert json.loads(stdout)["provenance"]["draws"] == 5


def test_a_plain_int_seed_is_the_seed_sequences_entropy():
    """Streams.from_seed skips numpy's SeedSequence for a plain int: the same entropy."""
    import numpy as np

    from detente.seeds import Streams

    for seed in (0, 1, 7, 2**32, 2**64 + 5, 12345678901234567890123):
        assert Streams.from_seed(seed).entropy == int(np.random.SeedSequence(seed).entropy)
    assert Streams.from_seed(np.int64(3)).entropy == 3
    with pytest.raises(ValueError):
        Streams.from_seed(-1)
    assert Streams.from_seed(None).entropy != Streams.from_seed(None).entropy


def _same_bits(a, b) -> bool:  # type: ignore[no-untyped-def]
    import numpy as np

    return a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes() and \
        bool(np.array_equal(np.signbit(a), np.signbit(b)))


@pytest.mark.parametrize("rows", [1, 2, 3, 20, 21, 1000, 10_000])
def test_the_draw_summarys_percentiles_are_numpys_bit_for_bit(rows):
    """results.percentiles (numpy's partition and interpolation, without np.unique and so
    without numpy.ma) against np.percentile: random values, ties, signed zeros, NaN."""
    import numpy as np

    from detente.results import percentiles

    rng = np.random.default_rng(rows)
    cases = [rng.normal(size=(rows, 4)), rng.integers(0, 3, size=(rows, 3)).astype(float),
             np.where(rng.random((rows, 3)) < 0.5, 0.0, -0.0),
             np.asfortranarray(rng.random((rows, 2)) * 100)]
    with_nan = rng.normal(size=(rows, 3))
    with_nan[rows // 2, 1] = np.nan
    cases.append(with_nan)
    for f in cases:
        for q in ((5, 50, 95), (0, 100), (33.3, 66.7), (50,)):
            assert _same_bits(percentiles(f, q), np.percentile(f, list(q), axis=0)), (f, q)
    assert _same_bits(percentiles(np.arange(6).reshape(3, 2), (5, 50, 95)),
                      np.percentile(np.arange(6).reshape(3, 2), [5, 50, 95], axis=0))


def test_a_draws_run_summarises_without_numpy_ma():
    _, mods, stdout = _run_probe(["run", BDM, "-m", "eum", "--draws", "50", "--json"])
    assert "numpy.ma" not in mods and "numpy.random" in mods
    assert set(json.loads(stdout)["draws"]["forecast"]["year"]) == {"mean", "p05", "p50", "p95"}


def _reference_json(obj):  # type: ignore[no-untyped-def]
    from detente.jsonout import clean

    return json.dumps(clean(obj), allow_nan=False, indent=2)


def _random_tree(rng, depth: int = 0):  # type: ignore[no-untyped-def]
    import numpy as np

    pick = int(rng.integers(0, 14 if depth < 4 else 8))
    leaves = [lambda: float(rng.normal()) * 10.0 ** int(rng.integers(-20, 20)), lambda: -0.0,
              lambda: int(rng.integers(-10**12, 10**12)), lambda: 2**70, lambda: True,
              lambda: None, lambda: "s\u00e9\"\\\n\t\u2028x\U0001f600",
              lambda: float(int(rng.integers(9)))]
    if pick < 8:
        return leaves[pick]()
    size = int(rng.integers(0, 5))
    if pick == 8:
        return {f"k{i}\u00e9": _random_tree(rng, depth + 1) for i in range(size)}
    if pick == 9:
        return [_random_tree(rng, depth + 1) for _ in range(size)]
    if pick == 10:
        return tuple(float(x) for x in rng.normal(size=size))
    if pick == 11:
        return rng.normal(size=(size, 2))
    if pick == 12:
        return [np.float64(1.5), np.int64(3), np.bool_(True), rng.integers(0, 9, size=size)]
    return [int(x) for x in rng.integers(0, 9, size=size)] + [0.5]


def test_the_indented_json_is_jsons_byte_for_byte():
    """jsonout.dumps(..., indent=2) writes what json.dumps(clean(...), indent=2) writes, and
    leaves what it does not write itself (NaN, odd types and keys) to that very path."""
    import math
    from collections import namedtuple

    import numpy as np

    from detente import jsonout

    rng = np.random.default_rng(14)
    trees = [_random_tree(rng) for _ in range(300)]
    assert all(jsonout._indented(tree) is not None for tree in trees)  # written here, all
    Pair = namedtuple("Pair", "a b")
    trees += [{}, [], (), "x", 1.0, {"a": {}, "b": [[]], "c": [{}]}, [[1, 2.5], [3.0, -0.0]],
              {"nan": math.nan, "arr": np.array([1.0, np.inf])}, [1.0, math.inf], {1: "int key"},
              {"p": Pair(1, 2.0)}, {"b": np.array([True, False])}, np.float32(0.1),
              np.array([[1, 2], [3, 4]], dtype=np.int32), {"o": np.array([1, None], dtype=object)}]
    for tree in trees:
        assert jsonout.dumps(tree, indent=2) == _reference_json(tree), tree
    assert jsonout._indented({"nan": math.nan}) is None and jsonout._indented({1: 2}) is None
    for bad in ({"path": Path("x")}, [object()]):
        with pytest.raises(TypeError):
            jsonout.dumps(bad, indent=2)


@pytest.mark.parametrize("args", [
    ["run", BDM, "-m", "median", "--json"],
    ["run", "nowhere.yaml"],
    ["frobnicate"],
], ids=str)
def test_python_dash_m_detente_is_the_console_script(args):
    """``python -m detente ...`` gives the console script's stdout, exit status and errors
    (2 for bad input), with its own name in typer's usage lines."""
    script = subprocess.run([sys.executable, "-c", "import sys; from detente.cli import main; "
                             "sys.argv[0] = 'detente'; main()", *args], cwd=ROOT, env=ENV,
                            capture_output=True, text=True)
    module = subprocess.run([sys.executable, "-m", "detente", *args], cwd=ROOT, env=ENV,
                            capture_output=True, text=True)
    assert module.returncode == script.returncode
    assert module.stdout == script.stdout
    assert module.stderr.replace("python -m detente", "detente") == script.stderr
    if args[0] == "run" and len(args) > 2:
        assert module.returncode == 0 and json.loads(module.stdout)
    else:
        assert module.returncode == 2 and module.stderr
