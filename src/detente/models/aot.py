"""Ahead-of-time builds of the compiled rounds (numba.pycc and a C compiler), shared by
:mod:`detente.models.eum_fast` and :mod:`detente.models.smp_fast`.

Each build writes an extension module beside the models that exports the round and a
``source_digest()`` of the source it was built from; the loaders use the module only when that
digest matches the source on disk, so an edited source falls back to numba's just-in-time loops
until ``python -m detente.warm`` builds it again. Built for the platform's generic CPU, so the
file stays valid if the installation is copied to another machine of the same platform.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from importlib import import_module
from pathlib import Path
from typing import Any


def source_digest(*sources: Path) -> int:
    """A 63-bit digest of source files: a prebuilt module is used only if built from them."""
    text = b"".join(source.read_bytes() for source in sources)
    return int.from_bytes(hashlib.sha256(text).digest()[:8]) >> 1


# the decimal exchange round's module and the sources it is built from (read by
# ``exchange``, which must not import ``exchange_decimal``: that imports numba)
EXCHANGE_DECIMAL = "_exchange_decimal_aot"
EXCHANGE_DECIMAL_SOURCES = ("exact_decimal.py", "exchange_decimal.py")


def exchange_decimal_digest() -> int:
    """The digest of the decimal exchange round's sources."""
    here = Path(__file__).parent
    return source_digest(*(here / name for name in EXCHANGE_DECIMAL_SOURCES))


def load_prebuilt(name: str, digest: Callable[[], int], switch: str,
                  package: str = "detente.models") -> Any:
    """The prebuilt module ``<package>.<name>`` if it exists and was built from the source
    whose ``digest()`` is given, found without importing numba; the environment variable
    ``switch`` set to ``0`` ignores it (the build itself, and tests of the just-in-time loops)."""
    if os.environ.get(switch) == "0":
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
                 output_dir: Path | None = None) -> Path:
    """Compile ``loops`` (a numba dispatcher's ``py_func``) as ``entry`` with ``signature``
    into the module ``name`` in ``output_dir`` (default: beside this file), with
    ``source_digest() -> digest``. pycc's wrappers keep the GIL by default; the rounds touch no
    Python object, so the build releases it (the runner's threads then run in parallel)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # numba.pycc announces its pending deprecation
        from numba.pycc import CC, compiler

        class ReleasingFlags(compiler.Flags):  # type: ignore[misc,name-defined]
            def __init__(self, *args: Any, **kw: Any) -> None:
                super().__init__(*args, **kw)
                self.release_gil = True

        def source_digest() -> int:
            return digest

        plain = compiler.Flags
        compiler.Flags = ReleasingFlags
        try:
            cc = CC(name)
            cc.output_dir = str(output_dir or Path(__file__).parent)
            cc.verbose = False
            cc.export(entry, signature)(loops)
            cc.export("source_digest", "i8()")(source_digest)
            cc.compile()
        finally:
            compiler.Flags = plain
    return Path(cc.output_dir)
