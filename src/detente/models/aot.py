"""Ahead-of-time builds of the compiled rounds (numba.pycc and a C compiler), shared by
:mod:`detente.models.eum_fast` and :mod:`detente.models.smp_fast`.

Each build writes an extension module beside the models that exports the round and a
``source_digest()`` of the source it was built from; the loaders use the module only when that
digest matches the source on disk, so an edited source falls back to numba's just-in-time loops
until ``python -m detente.warm`` builds it again.

The build targets this machine's CPU model and the features it reports, as numba's
just-in-time loops do (on the project's AVX-512 cores the smp turns on KTAB's a080 took
0.060-0.071 s against 0.072-0.083 s built for the generic x86-64 CPU, with the same numbers
bit for bit: no fast-math, so no reordered or fused arithmetic). A stamp beside the module
(``<name>.target``) records the CPU it was built for by a digest of the flags the kernel
reports in ``/proc/cpuinfo``; a module whose stamp names other flags is never imported (its
code may use instructions this CPU lacks), so an installation copied to another machine falls
back to the just-in-time loops or numpy until ``python -m detente.warm`` builds again. The
digest covers every flag, so a kernel or microcode update that changes the list does the same
on this machine (correct, slower until warm runs again). ``DETENTE_AOT_GENERIC=1`` (for an
installation shared by machines of different CPUs), or a platform without ``/proc/cpuinfo``,
builds for the generic CPU instead (stamped ``generic``: valid on any machine of the
platform); set while loading too, it refuses modules built for one CPU, so ``python -m
detente.warm`` in that environment rebuilds them generic. A module without a stamp was built
generic by an earlier version.
"""

from __future__ import annotations

import functools
import hashlib
import os
from collections.abc import Callable
from importlib import import_module
from pathlib import Path
from typing import Any

GENERIC = "generic"  # the stamp of a module built for the platform's generic CPU
BUILDING = "building"  # the stamp while a build replaces the module: loaded nowhere
STAMP_SUFFIX = ".target"


# how build_module compiles, part of every digest: a module built by an earlier recipe is stale
# (the first recipe built every module with pycc's default error model, Python's, so a
# division by zero raised where the kernels' just-in-time loops, numpy's model, give inf or NaN)
RECIPE = b"detente aot recipe 2: error model as the loops' own\n"


def source_digest(*sources: Path) -> int:
    """A 63-bit digest of source files and of the build's recipe (:data:`RECIPE`): a prebuilt
    module is used only if built from them."""
    text = RECIPE + b"".join(source.read_bytes() for source in sources)
    return int.from_bytes(hashlib.sha256(text).digest()[:8]) >> 1


# the decimal exchange round's module and the sources it is built from (read by
# ``exchange``, which must not import ``exchange_decimal``: that imports numba)
EXCHANGE_DECIMAL = "_exchange_decimal_aot"
EXCHANGE_DECIMAL_SOURCES = ("exact_decimal.py", "exchange_decimal.py")


def exchange_decimal_digest() -> int:
    """The digest of the decimal exchange round's sources."""
    here = Path(__file__).parent
    return source_digest(*(here / name for name in EXCHANGE_DECIMAL_SOURCES))


def cpu_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> str | None:
    """A 64-bit hex digest of the instruction-set flags of this machine's first CPU, as the
    kernel lists them in ``cpuinfo`` (sorted, so their order does not count); None where there
    is no such file or line (then builds are generic)."""
    try:
        with cpuinfo.open("rb") as f:
            for line in f:
                if line.startswith((b"flags", b"Features")):  # x86, then ARM's name for them
                    flags = b" ".join(sorted(line.partition(b":")[2].split()))
                    return hashlib.sha256(flags).hexdigest()[:16]
    except OSError:
        return None
    return None


@functools.cache
def this_cpu() -> str | None:
    """:func:`cpu_flags` of this machine, read once per process (about 0.1 ms)."""
    return cpu_flags()


def generic_asked() -> bool:
    """Is ``DETENTE_AOT_GENERIC`` set to ``1`` (builds and loads generic modules only)? Unset,
    empty or ``0``: no; any other value is named in a warning and counts as no."""
    value = os.environ.get("DETENTE_AOT_GENERIC", "")
    if value not in ("", "0", "1"):
        import warnings

        warnings.warn(f"DETENTE_AOT_GENERIC={value!r} is neither 0 nor 1; it is ignored "
                      "(builds target this CPU)", stacklevel=2)
    return value == "1"


def build_target() -> str:
    """The stamp a build made now gets: this CPU's flags, or ``generic``
    (``DETENTE_AOT_GENERIC=1``, or no flags to read)."""
    if generic_asked():
        return GENERIC
    return this_cpu() or GENERIC


def stamp_path(directory: Path, name: str) -> Path:
    return directory / f"{name}{STAMP_SUFFIX}"


def runs_here(stamp: Path) -> bool:
    """May the module stamped ``stamp`` run on this CPU? Yes when it was built generic (or
    stamped nothing: earlier builds were generic) or for this CPU's very flags, unless
    ``DETENTE_AOT_GENERIC=1`` asks for generic modules only (then ``python -m detente.warm``
    in that environment rebuilds the others generic)."""
    try:
        target = stamp.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        return True
    except (OSError, UnicodeDecodeError):
        return False
    if target == GENERIC:
        return True
    return not generic_asked() and target != "" and target == this_cpu()


def _package_dir(package: str) -> Path | None:
    try:
        return Path(next(iter(import_module(package).__path__)))
    except (ImportError, StopIteration, AttributeError):
        return None


def load_prebuilt(name: str, digest: Callable[[], int], switch: str,
                  package: str = "detente.models") -> Any:
    """The prebuilt module ``<package>.<name>`` if it exists, was built from the source whose
    ``digest()`` is given and for this CPU (its stamp, read before the import), found without
    importing numba; the environment variable ``switch`` set to ``0`` ignores it (the build
    itself, and tests of the just-in-time loops)."""
    if os.environ.get(switch) == "0":
        return None
    directory = _package_dir(package)
    if directory is None or not runs_here(stamp_path(directory, name)):
        return None
    try:
        module = import_module(f"{package}.{name}")
        fresh = module.source_digest() == digest()
    except (ImportError, OSError):  # not built, or no source beside it to check against
        return None
    return module if fresh else None


def prebuilt_or_numba(name: str, digest: Callable[[], int], switch: str) -> tuple[Any, Any]:
    """``(module, None)`` when the prebuilt ``detente.models.<name>`` matches its source (numba,
    about 0.4 s to import, is then not needed), else ``(None, numba.njit)``, or ``(None, None)``
    without numba (the pure-Python or numpy paths serve)."""
    module = load_prebuilt(name, digest, switch)
    if module is not None:
        return module, None
    try:
        from numba import njit
    except ImportError:  # numba is an optional extra
        return None, None
    return None, njit


def build_module(name: str, entry: str, loops: Callable[..., Any], signature: str, digest: int,
                 output_dir: Path | None = None,
                 more: tuple[tuple[str, Callable[..., Any], str], ...] = (), *,
                 error_model: str) -> Path:
    """Compile ``loops`` (a numba dispatcher's ``py_func``) as ``entry`` with ``signature``,
    and each (entry, loops, signature) of ``more`` likewise, with numba's ``error_model``
    (required: that of the loops' just-in-time decorator; "numpy" makes a division by zero inf
    or NaN, "python" raises ZeroDivisionError, and pycc alone would build every module so),
    into the module ``name`` in ``output_dir`` (default: beside this file), with
    ``source_digest() -> digest``, for this CPU unless :func:`build_target` says generic, and
    stamps it (see the module docstring). pycc's wrappers keep the GIL by default; the rounds
    touch no Python object, so the build releases it (the runner's threads then run in
    parallel)."""
    import warnings

    target = build_target()
    directory = Path(output_dir or Path(__file__).parent)
    # While the module is replaced its stamp says "building", which no CPU loads: a build that
    # fails or is interrupted leaves no module that another CPU's stamp (or none) would admit
    stamp = stamp_path(directory, name)
    directory.mkdir(parents=True, exist_ok=True)
    write_stamp(stamp, BUILDING)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # numba.pycc announces its pending deprecation
        from numba.core import codegen
        from numba.pycc import CC, compiler

        class ReleasingFlags(compiler.Flags):  # type: ignore[misc,name-defined]
            def __init__(self, *args: Any, **kw: Any) -> None:
                super().__init__(*args, **kw)
                self.release_gil = True
                self.error_model = error_model

        def source_digest() -> int:
            return digest

        plain = compiler.Flags
        features = codegen.AOTCPUCodegen._customize_tm_features
        compiler.Flags = ReleasingFlags
        try:
            cc = CC(name)
            cc.output_dir = str(directory)
            cc.verbose = False
            if target != GENERIC:
                # the host's CPU model and its actual features, as numba's just-in-time
                # codegen takes them: pycc alone would enable every feature the model's name
                # implies, some of which a virtual machine may mask
                cc.target_cpu = "host"
                codegen.AOTCPUCodegen._customize_tm_features = (  # type: ignore[method-assign]
                    lambda self: self._get_host_cpu_features())
            for export, function, types in ((entry, loops, signature), *more):
                cc.export(export, types)(function)
            cc.export("source_digest", "i8()")(source_digest)
            cc.compile()
        finally:
            compiler.Flags = plain
            codegen.AOTCPUCodegen._customize_tm_features = features  # type: ignore[method-assign]
    write_stamp(stamp, target)
    return directory


def write_stamp(stamp: Path, target: str) -> None:
    """``target`` into ``stamp`` whole: written to a file of its own, then renamed over it."""
    import tempfile

    fd, partial = tempfile.mkstemp(dir=stamp.parent, prefix=stamp.name, suffix=".partial")
    try:
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(target + "\n")
        os.replace(partial, stamp)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise
