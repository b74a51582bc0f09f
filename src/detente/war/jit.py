"""How the war kernels' compiled loops are compiled (numba; ``detente[fast]``): exact IEEE
arithmetic (no fast-math), numpy's error model (a division by zero gives inf or NaN, as numpy's
does), the GIL released. Shared by :mod:`detente.war.loops` and :mod:`detente.war.coupled_loops`
(whose ahead-of-time builds count this file among their sources)."""

from __future__ import annotations

try:
    from numba import njit
except ImportError:  # pragma: no cover - numba is an optional extra
    njit = None


def _jit(fn):  # type: ignore[no-untyped-def]
    """A week's loops: their pieces inlined, compiled without reference counting (they
    allocate nothing), so passing arrays costs no atomic increments."""
    return njit(cache=True, nogil=True, fastmath=False, error_model="numpy", _nrt=False)(fn) \
        if njit is not None else fn


def _inline(fn):  # type: ignore[no-untyped-def]
    return njit(cache=True, nogil=True, fastmath=False, error_model="numpy",
                inline="always")(fn) if njit is not None else fn
