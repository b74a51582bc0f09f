"""Ahead-of-time builds target this machine's CPU and say so in a stamp beside the module; a
module stamped for other flags is never imported (its code may hold instructions this CPU
lacks), so a copied installation falls back instead of crashing (detente.models.aot)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from detente.models import aot

ROOT = Path(__file__).resolve().parents[1]

X86 = """processor\t: 0
vendor_id\t: AuthenticAMD
model name\t: Some CPU
flags\t\t: fpu sse2 avx avx2 avx512f
bogomips\t: 4000

processor\t: 1
flags\t\t: fpu sse2 avx avx2 avx512f
"""


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_the_cpu_digest_reads_the_flags_in_any_order_and_only_them(tmp_path):
    one = aot.cpu_flags(_write(tmp_path, "a", X86))
    shuffled = aot.cpu_flags(_write(tmp_path, "b", X86.replace(
        "fpu sse2 avx avx2 avx512f", "avx512f avx fpu avx2 sse2").replace("Some", "Other")))
    fewer = aot.cpu_flags(_write(tmp_path, "c", X86.replace(" avx512f", "")))
    arm = aot.cpu_flags(_write(tmp_path, "d", "processor\t: 0\nFeatures\t: fp asimd aes\n"))
    assert one is not None and len(one) == 16 and int(one, 16) >= 0
    assert shuffled == one  # the same instruction sets: the same target
    assert fewer != one and arm not in (None, one)
    assert aot.cpu_flags(_write(tmp_path, "e", "processor\t: 0\n")) is None
    assert aot.cpu_flags(tmp_path / "absent") is None


def test_a_module_runs_here_only_if_built_generic_or_for_these_flags(tmp_path, monkeypatch):
    monkeypatch.delenv("DETENTE_AOT_GENERIC", raising=False)
    monkeypatch.setattr(aot, "this_cpu", lambda: "00112233aabbccdd")
    stamp = tmp_path / "_x_aot.target"
    assert aot.runs_here(stamp)  # no stamp: built generic by an earlier version
    for text, ok in (("generic\n", True), ("00112233aabbccdd\n", True),
                     ("ffffffffffffffff\n", False), ("\n", False)):
        stamp.write_text(text)
        assert aot.runs_here(stamp) is ok, text
    stamp.write_bytes(b"\xff\xfe")
    assert not aot.runs_here(stamp)
    monkeypatch.setenv("DETENTE_AOT_GENERIC", "1")  # generic modules only: warm rebuilds
    stamp.write_text("00112233aabbccdd\n")
    assert not aot.runs_here(stamp)
    stamp.write_text("generic\n")
    assert aot.runs_here(stamp)
    monkeypatch.setenv("DETENTE_AOT_GENERIC", "yes")  # not 0 or 1: named, and ignored
    stamp.write_text("00112233aabbccdd\n")
    with pytest.warns(UserWarning, match="DETENTE_AOT_GENERIC='yes'"):
        assert aot.runs_here(stamp)
    monkeypatch.delenv("DETENTE_AOT_GENERIC")
    monkeypatch.setattr(aot, "this_cpu", lambda: None)  # no flags to read here
    assert not aot.runs_here(stamp)
    stamp.write_text("generic\n")
    assert aot.runs_here(stamp)


def test_builds_are_for_this_cpu_unless_asked_generic(monkeypatch):
    monkeypatch.delenv("DETENTE_AOT_GENERIC", raising=False)
    monkeypatch.setattr(aot, "this_cpu", lambda: "00112233aabbccdd")
    assert aot.build_target() == "00112233aabbccdd"
    monkeypatch.setenv("DETENTE_AOT_GENERIC", "1")
    assert aot.build_target() == aot.GENERIC
    monkeypatch.delenv("DETENTE_AOT_GENERIC")
    monkeypatch.setattr(aot, "this_cpu", lambda: None)
    assert aot.build_target() == aot.GENERIC


# the loader on a package of its own: the module records its import, so a module stamped for
# another CPU is seen to be left unimported, not merely unused
LOAD = """
import sys
sys.path.insert(0, {root!r})
from detente.models import aot
module = aot.load_prebuilt("_probe_aot", lambda: 42, "DETENTE_PROBE_AOT", package="aotprobe")
print(module is not None, "aotprobe._probe_aot" in sys.modules,
      module.twice(21.0) if module is not None else "-")
"""


def _load(package_root: Path, **env: str) -> list[str]:
    run = subprocess.run([sys.executable, "-c", LOAD.format(root=str(package_root))],
                         env={**os.environ, "PYTHONPATH": str(ROOT / "src"), **env},
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    return run.stdout.split()


def test_the_loader_never_imports_a_module_stamped_for_another_cpu(tmp_path):
    package = tmp_path / "aotprobe"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "_probe_aot.py").write_text(textwrap.dedent("""
        def source_digest():
            return 42
        def twice(x):
            return 2 * x
    """))
    stamp = package / "_probe_aot.target"
    stamp.write_text("ffffffffffffffff\n")  # no CPU's digest here
    assert _load(tmp_path) == ["False", "False", "-"]
    here = aot.cpu_flags()
    stamp.write_text(f"{here or aot.GENERIC}\n")
    assert _load(tmp_path) == ["True", "True", "42.0"]
    assert _load(tmp_path, DETENTE_PROBE_AOT="0") == ["False", "False", "-"]


def test_a_build_is_stamped_for_this_cpu_and_loads_here(tmp_path):
    """A real pycc build of a small loop into a package of its own: stamped with this CPU's
    flags (the generic stamp with DETENTE_AOT_GENERIC=1), loaded by the loader, right."""
    pytest.importorskip("numba")
    if shutil.which("cc") is None and shutil.which("gcc") is None:
        pytest.skip("no C compiler to build with")
    package = tmp_path / "aotprobe"
    package.mkdir()
    (package / "__init__.py").write_text("")
    build = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(tmp_path)!r})
        from pathlib import Path
        from detente.models import aot

        def twice(x):
            return 2.0 * x

        aot.build_module("_probe_aot", "twice", twice, "f8(f8)", 42, Path({str(package)!r}),
                         error_model="numpy")
    """)
    plain = {k: v for k, v in os.environ.items() if k != "DETENTE_AOT_GENERIC"}
    for env, expected in (({}, aot.cpu_flags() or aot.GENERIC),
                          ({"DETENTE_AOT_GENERIC": "1"}, aot.GENERIC)):
        run = subprocess.run([sys.executable, "-c", build], capture_output=True, text=True,
                             env={**plain, "PYTHONPATH": str(ROOT / "src"), **env},
                             timeout=600)
        assert run.returncode == 0, run.stderr
        assert (package / "_probe_aot.target").read_text() == expected + "\n"
        assert not list(package.glob("*.partial"))  # the stamp was written whole
        assert _load(tmp_path) == ["True", "True", "42.0"]


def test_only_a_build_for_this_cpu_targets_the_host_and_it_is_stamped_building_meanwhile(
        tmp_path, monkeypatch):
    """pycc is told to target the host (model and reported features) exactly when the stamp
    will name this CPU; a generic build targets the generic CPU. While pycc writes the module,
    the stamp says 'building', which no CPU loads."""
    numba_pycc = pytest.importorskip("numba.pycc")
    from numba.core import codegen

    seen: list[tuple[str, str, object]] = []

    class Recorder:
        def __init__(self, name: str) -> None:
            self.name, self.target_cpu = name, ""

        def export(self, *args: object) -> object:
            return lambda fn: fn

        def compile(self) -> None:
            stamp = (tmp_path / f"{self.name}.target").read_text().strip()
            tm = codegen.AOTCPUCodegen._customize_tm_features  # as pycc's codegen reads it
            features = tm(codegen.AOTCPUCodegen.__new__(codegen.AOTCPUCodegen))
            seen.append((self.target_cpu, stamp, features))

    monkeypatch.setattr(numba_pycc, "CC", Recorder)
    monkeypatch.setattr(aot, "this_cpu", lambda: "00112233aabbccdd")
    monkeypatch.delenv("DETENTE_AOT_GENERIC", raising=False)
    aot.build_module("_probe_aot", "f", lambda: None, "f8()", 1, tmp_path, error_model="numpy")
    assert (tmp_path / "_probe_aot.target").read_text() == "00112233aabbccdd\n"
    monkeypatch.setenv("DETENTE_AOT_GENERIC", "1")
    aot.build_module("_probe_aot", "f", lambda: None, "f8()", 1, tmp_path, error_model="numpy")
    assert (tmp_path / "_probe_aot.target").read_text() == "generic\n"
    (host_cpu, host_stamp, host_features), (gen_cpu, gen_stamp, gen_features) = seen
    assert (host_cpu, host_stamp) == ("host", aot.BUILDING)
    assert host_features == codegen.get_host_cpu_features() and host_features
    assert (gen_cpu, gen_stamp, gen_features) == ("", aot.BUILDING, "")
    assert aot.runs_here(tmp_path / "missing.target")  # unstamped: built generic before
    (tmp_path / "_probe_aot.target").write_text(aot.BUILDING + "\n")
    assert not aot.runs_here(tmp_path / "_probe_aot.target")
    # pycc's own codegen is left as it was
    plain = codegen.AOTCPUCodegen.__new__(codegen.AOTCPUCodegen)
    assert codegen.AOTCPUCodegen._customize_tm_features(plain) == ""


def test_a_build_divides_by_zero_as_its_error_model_says(tmp_path):
    """A real pycc build of a division with numpy's error model gives NaN and inf, as the
    kernels' just-in-time loops do; with Python's (pycc's own default) it raises."""
    pytest.importorskip("numba")
    if shutil.which("cc") is None and shutil.which("gcc") is None:
        pytest.skip("no C compiler to build with")
    probe = textwrap.dedent(f"""
        import sys
        from pathlib import Path
        from detente.models import aot

        def ratio(a, b):
            return a / b

        for model in ("numpy", "python"):
            name = "_divide_" + model
            aot.build_module(name, "ratio", ratio, "f8(f8, f8)", 7, Path({str(tmp_path)!r}),
                             error_model=model)
        sys.path.insert(0, {str(tmp_path)!r})
        import _divide_numpy, _divide_python
        print(_divide_numpy.ratio(0.0, 0.0), _divide_numpy.ratio(1.0, 0.0))
        try:
            _divide_python.ratio(1.0, 0.0)
        except ZeroDivisionError:
            print("ZeroDivisionError")
    """)
    plain = {k: v for k, v in os.environ.items() if k != "DETENTE_AOT_GENERIC"}
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         env={**plain, "PYTHONPATH": str(ROOT / "src")}, timeout=600)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["nan", "inf", "ZeroDivisionError"]
