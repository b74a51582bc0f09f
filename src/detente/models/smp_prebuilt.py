"""Where the smp turns built ahead of time live, and whether they may be used.

``python -m detente.warm`` compiles :func:`detente.models.smp_fast.run_batch` with numba.pycc
into ``_smp_aot`` beside these files, stamped with a digest of ``smp_fast.py``. This module
finds it without importing numba (or ``smp_fast``, whose import does): the prebuilt turns load
in a millisecond, and numba's import and cache load cost about a second.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from detente.models.aot import load_prebuilt, source_digest

AOT_MODULE = "_smp_aot"  # the ahead-of-time build of smp_fast.run_batch, beside this file


def loops_digest() -> int:
    """A 63-bit digest of ``smp_fast.py``: the prebuilt module is used only if built from it."""
    return source_digest(Path(__file__).with_name("smp_fast.py"))


@functools.cache
def prebuilt() -> Any:
    """The ahead-of-time module (``python -m detente.warm`` builds it) if it exists and matches
    the loops' source, found without importing numba; ``DETENTE_SMP_AOT=0`` ignores it (the
    build itself, and tests of the just-in-time loops)."""
    # loops_digest looked up at call time (a test stales the module by replacing it)
    return load_prebuilt(AOT_MODULE, lambda: loops_digest(), "DETENTE_SMP_AOT")
