"""One seed for everything: every random stream is spawned from the root by a stable key.

``Streams(seed).generator("battle", block)`` is the generator of the stream named "battle" for
block ``block``: ``SeedSequence(entropy, spawn_key=(crc32("battle"), block))``. Keys are names,
not positions in a list, so adding a stream never moves another, and the numbers a block sees
depend only on the seed, the key and the block's index: never on how many workers ran it.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

T = TypeVar("T")

SHARED_LIMIT = 256 * 2**20  # bytes of draws :func:`shared_draws` keeps at most


class _Shared:
    """The draws kept by :func:`shared_draws`: read-only arrays by (streams, key, call, method,
    shape), and the bytes they hold."""

    def __init__(self, limit: int) -> None:
        self.draws: dict[tuple, np.ndarray] = {}
        self.nbytes, self.limit = 0, limit
        self.latest: dict[str, tuple[object, tuple, object]] = {}  # see shared_value

    def get(self, name: tuple, make: Callable[[], np.ndarray]) -> np.ndarray:
        found = self.draws.get(name)
        if found is not None:
            return found
        values = make()
        if self.nbytes + values.nbytes <= self.limit:
            values.flags.writeable = False  # handed out again: nobody may change them
            self.draws[name] = values
            self.nbytes += values.nbytes
        return values


_SHARED: _Shared | None = None


def shared_value(kind: str, owner: object, key: tuple, make: Callable[[], T],
                 seal: Callable[[T], None] | None = None) -> T:
    """``make()``; inside :func:`shared_draws` the value it gave for the latest ``key`` of this
    ``kind`` and this very ``owner`` object when asked for again (one value kept per kind: the
    variants of a comparison ask in turn, one hypothesis after another), ``seal`` (making its
    arrays read-only, say) applied once before it is shared."""
    store = _SHARED  # read once: another thread's block may end meanwhile (the dashboard's
    if store is None:  # requests run on threads), and then this call goes on without it
        return make()
    held = store.latest.get(kind)
    if held is not None and held[0] is owner and held[1] == key:
        return held[2]  # type: ignore[return-value]
    value = make()
    if seal is not None:
        seal(value)
    store.latest[kind] = (owner, key, value)
    return value


@contextmanager
def shared_draws(limit: int = SHARED_LIMIT) -> Iterator[None]:
    """Within this block, each call of a named stream (:class:`RowStream`) is drawn once and
    handed out again, read-only, to every later run asking for the same seed, key, block, call
    and shape: the variants of a comparison share every random number (common random numbers),
    so the second and later variants skip making a generator per call (a sixth of the coupled
    kernel's time). The numbers are the very ones a fresh generator gives. Up to ``limit``
    bytes are kept (later draws are made afresh); nested blocks share the outer one's store;
    processes forked inside the block inherit it."""
    global _SHARED
    if _SHARED is not None:
        yield
        return
    _SHARED = _Shared(limit)
    try:
        yield
    finally:
        _SHARED = None


def key_code(key: str) -> int:
    """A stable 32-bit code for a stream name."""
    return zlib.crc32(key.encode())


@dataclass(frozen=True)
class Streams:
    """The random streams of one experiment, derived from one root seed.

    ``offset`` is the index of the block's first item (draw or run) within the experiment, so a
    kernel can key streams by absolute draw index (draw k's numbers do not depend on the block
    size or on how many draws were asked for).
    """

    entropy: int
    block: int = 0
    offset: int = 0

    @classmethod
    def from_seed(cls, seed: int | None) -> Streams:
        if type(seed) is int and seed >= 0:
            # SeedSequence(seed).entropy is the seed itself: without the call numpy.random is
            # not imported (~10 ms of start-up) by runs that never draw (issue 14)
            return cls(seed)
        return cls(int(np.random.SeedSequence(seed).entropy))

    def for_block(self, block: int, offset: int) -> Streams:
        return Streams(self.entropy, block, offset)

    def sequence(self, key: str, *index: int) -> np.random.SeedSequence:
        return np.random.SeedSequence(self.entropy, spawn_key=(key_code(key), *index))

    def generator(self, key: str, *index: int) -> np.random.Generator:
        """Stream ``key`` (optionally sub-indexed, e.g. by draw and repetition)."""
        return np.random.default_rng(self.sequence(key, *index))

    def block_generator(self, key: str) -> np.random.Generator:
        """Stream ``key`` for this block."""
        return self.generator(key, self.block)

    def rows(self, key: str, runs: int) -> StreamBlocks | RowStream:
        """Stream ``key`` for this job's ``runs`` runs, keyed by fixed stream blocks of the
        experiment (:class:`StreamBlocks`), for kernels that draw arrays with the run last."""
        return StreamBlocks(self, key, runs)


class RowStream:
    """A named stream for a kernel that draws arrays whose LAST axis is the run: each call is a
    fresh generator keyed by (key, block, call number) that fills the array run-major, so run
    i's values do not depend on how many runs share the block (draw k is the same whatever the
    number of draws). The n-th call must mean the same thing in every variant (a kernel that
    draws the same number of times each week), which also keeps common random numbers."""

    def __init__(self, streams: Streams, key: str) -> None:
        self.streams, self.key, self.calls = streams, key, 0

    def _fill(self, method: str, shape: tuple[int, ...]) -> np.ndarray:
        """This call's values of ``method`` in the reversed ``shape`` (runs first), made by its
        own generator or, inside :func:`shared_draws`, taken from an earlier run's same call."""
        s, call = self.streams, self.calls
        self.calls += 1

        def make() -> np.ndarray:
            return getattr(s.generator(self.key, s.block, call), method)(shape)

        store = _SHARED  # read once (see shared_value)
        if store is None:
            return make()
        return store.get((s, self.key, call, method, shape), make)  # s: its class too

    @staticmethod
    def _reversed(shape: int | tuple[int, ...]) -> tuple[int, ...]:
        return ((shape,) if isinstance(shape, int) else tuple(shape))[::-1]

    def random(self, shape: int | tuple[int, ...]) -> np.ndarray:
        """Uniforms of ``shape`` (runs last), filled run-major."""
        return self._fill("random", self._reversed(shape)).T

    def standard_normal(self, shape: int | tuple[int, ...]) -> np.ndarray:
        """Standard normals of ``shape`` (runs last), filled run-major."""
        return self._fill("standard_normal", self._reversed(shape)).T


STREAM_BLOCK = 2048  # runs per block of the random streams (the numbers are keyed by these)


class StreamBlocks:
    """A named stream for runs [offset, offset + runs) of an experiment, drawing exactly what
    :class:`detente.seeds.RowStream` draws for fixed blocks of STREAM_BLOCK runs: on each call,
    every stream block the runs meet draws its values for its runs up to the last one needed (a
    generator fills run-major, so fewer runs draw a prefix of the same numbers), and those before
    ``offset`` are dropped. Run k's numbers depend on neither the runner's job size nor how many
    runs were asked for, so jobs can be larger than a stream block (fewer, longer array steps)."""

    def __init__(self, streams: Streams, key: str, runs: int) -> None:
        first = streams.offset
        self.parts = []
        for blk in range(first // STREAM_BLOCK, (first + runs - 1) // STREAM_BLOCK + 1):
            start = blk * STREAM_BLOCK
            lo, hi = max(first, start) - start, min(first + runs, start + STREAM_BLOCK) - start
            self.parts.append((RowStream(streams.for_block(blk, start), key), lo, hi))

    def _draw(self, method: str, shape: int | tuple[int, ...]) -> np.ndarray:
        shape = (shape,) if isinstance(shape, int) else tuple(shape)
        parts = [getattr(rows, method)((*shape[:-1], hi))[..., lo:]
                 for rows, lo, hi in self.parts]
        return parts[0] if len(parts) == 1 else np.concatenate(parts, axis=-1)

    def random(self, shape: int | tuple[int, ...]) -> np.ndarray:
        """Uniforms of ``shape`` (runs last)."""
        return self._draw("random", shape)

    def standard_normal(self, shape: int | tuple[int, ...]) -> np.ndarray:
        """Standard normals of ``shape`` (runs last)."""
        return self._draw("standard_normal", shape)
