"""The prebuilt rounds built for this machine's CPU against the same sources built for the
platform's generic CPU (``DETENTE_AOT_GENERIC=1``), in turn in one process, on real cases:
smp on KTAB's dummyData-a080 (``run_batch``, 80 actors) and eum on schelling's widened
emissions case (``run_block``, the model's one call for all 10,000 draws x 10 rounds). Both
builds go to temporary directories (the installed modules are not touched); each pair must give
the same bits, which the script checks. Run: ``python benchmarks/bench_aot.py`` (needs numba and a C
compiler; about half a minute of building). Prints only.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
A080 = Path(os.environ.get("DETENTE_SHARED_DIR", ROOT.parent / "shared")) / "reference" / \
    "ktab" / "dummyData-a080.csv"
CASES = (("smp", "_smp_aot", "run_batch"), ("eum", "_eum_aot", "run_block"))


def build(model: str, directory: Path, generic: bool) -> Path:
    """``detente.models.<model>_fast.build`` into ``directory``, in a fresh process."""
    # the loops must be numba's in the building process, not the installed module's
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), f"DETENTE_{model.upper()}_AOT": "0"}
    env.pop("DETENTE_AOT_GENERIC", None)
    if generic:
        env["DETENTE_AOT_GENERIC"] = "1"
    code = (f"from pathlib import Path\nfrom detente.models import {model}_fast\n"
            f"{model}_fast.build(Path({str(directory)!r}))")
    subprocess.run([sys.executable, "-c", code], env=env, check=True)
    return next(directory.glob(f"_{model}_aot*.so"))


def load(path: Path, name: str) -> Any:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def arguments() -> dict[str, tuple]:
    """The arguments real runs pass to each round: smp on a080, eum on the widened case."""
    import peers

    from detente.compile import compile_scenario
    from detente.models import eum_fast, get_model
    from detente.models import smp as smp_model
    from detente.models.eum import eum_options
    from detente.options import SMPOptions
    from detente.scenario import load_scenario

    caught: dict[str, tuple] = {}
    f64 = lambda a: np.require(a, np.float64, ["C", "W"]).copy()  # noqa: E731
    smp_run, eum_run = smp_model._run_compiled, eum_fast.run

    def smp_spy(loops: Any, pos0: Any, sal: Any, cap: Any, opts: Any) -> Any:
        caught["smp"] = (f64(pos0), f64(sal), f64(cap), int(opts.max_turns),
                         float(opts.stop_ratio))
        return smp_run(loops, pos0, sal, cap, opts)

    def eum_spy(x0: Any, c: Any, s: Any, scale: Any, opts: Any) -> Any:
        caught.setdefault("eum", (f64(x0), f64(c), f64(s), f64(scale), eum_fast._codes(opts),
                                  float(opts.q), int(opts.rounds), float(opts.stable_eps),
                                  int(opts.stable_k)))
        return eum_run(x0, c, s, scale, opts)

    smp_model._run_compiled, eum_fast.run = smp_spy, eum_spy  # type: ignore[assignment]
    try:
        if A080.exists():
            get_model("smp").run(compile_scenario(load_scenario(A080)), SMPOptions())
        many = compile_scenario(load_scenario(peers.widened_emissions()), draws=10_000, seed=1)
        get_model("eum").run(many, eum_options({"engine": "compiled"}))
    finally:
        smp_model._run_compiled, eum_fast.run = smp_run, eum_run  # type: ignore[assignment]
    return caught


def main() -> None:
    from detente.models import aot

    args = arguments()
    print(f"this CPU's stamp: {aot.this_cpu() or 'none (builds are generic here)'}; "
          "best of 6 calls each, in turn")
    with tempfile.TemporaryDirectory() as tmp:
        for model, name, entry in CASES:
            if model not in args:
                print(f"{model}: no case to run (dummyData-a080.csv absent)")
                continue
            generic = load(build(model, Path(tmp) / f"{model}-generic", True), name)
            here = load(build(model, Path(tmp) / f"{model}-here", False), name)
            same = all(np.asarray(a).tobytes() == np.asarray(b).tobytes() for a, b in
                       zip(getattr(generic, entry)(*args[model]),
                           getattr(here, entry)(*args[model]), strict=True))
            best = {"generic": float("inf"), "here": float("inf")}
            for _ in range(6):
                for label, module in (("generic", generic), ("here", here)):
                    start = time.perf_counter()
                    getattr(module, entry)(*args[model])
                    best[label] = min(best[label], time.perf_counter() - start)
            print(f"{model}: generic CPU {best['generic']:.4f} s, this CPU {best['here']:.4f} s, "
                  f"{best['generic'] / best['here']:.2f}x, same bits: {same}, "
                  f"load {os.getloadavg()[0]:.1f}", flush=True)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "src"))
    main()
