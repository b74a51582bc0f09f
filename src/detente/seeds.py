"""One seed for everything: every random stream is spawned from the root by a stable key.

``Streams(seed).generator("battle", block)`` is the generator of the stream named "battle" for
block ``block``: ``SeedSequence(entropy, spawn_key=(crc32("battle"), block))``. Keys are names,
not positions in a list, so adding a stream never moves another, and the numbers a block sees
depend only on the seed, the key and the block's index: never on how many workers ran it.
"""

from __future__ import annotations

import functools
import zlib
from collections.abc import Callable, Iterator, Sequence
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


# -- the seeds of many calls at once ---------------------------------------------------------------
# A run-major stream makes a fresh generator per call (:class:`RowStream`): numpy's
# ``default_rng(SeedSequence(entropy, spawn_key=key))`` costs 20-40 us a call, more than drawing
# 2,048 uniforms (10 us), and the coupled kernel made one per stream, week and stream block
# (49,088 for the flagship's 100,000 runs). SeedSequence has no batched form, so the seeds of a
# stream's next calls are computed here at once as numpy's own algorithm computes each (O'Neill's
# seed_seq hash, numpy/random/bit_generator.pyx, whose output NEP 19 keeps stable), and PCG64 is
# started from them as ``PCG64(seed_sequence)`` starts (pcg64.c, pcg64_set_seed): the same
# numbers bit for bit. :func:`seeded_exactly` checks one key against numpy once per process; where
# it differs (a numpy that changed either) the streams make numpy's generators as before.

_POOL = 4  # SeedSequence's default pool size (uint32 words)
_INIT_A, _MULT_A = 0x43B0D7E5, 0x931E8875  # the entropy hash's constants
_INIT_B, _MULT_B = 0x8B51F9DD, 0x58F38DED  # generate_state's
_MIX_L, _MIX_R = 0xCA01F9DD, 0x4973F715
_MASK32, _MASK128 = 2**32 - 1, 2**128 - 1
_PCG_MULTIPLIER = 0x2360ED051FC65DA44385DF649FCCF645  # PCG_DEFAULT_MULTIPLIER_128


def _uint32_words(n: int) -> list[int]:
    """A non-negative int as little-endian uint32 words, at least one (numpy's coercion)."""
    if n < 0:
        raise ValueError(f"expected a non-negative integer, not {n}")  # as SeedSequence says
    words = [n & _MASK32]
    n >>= 32
    while n:
        words.append(n & _MASK32)
        n >>= 32
    return words


@functools.cache
def _constants(init: int, multiplier: int, n: int) -> np.ndarray:
    """The hash's running constants: init, init * multiplier, ... (n + 1 values mod 2**32),
    as a read-only (n + 1, 1) column."""
    values = [init]
    for _ in range(n):
        values.append(values[-1] * multiplier & _MASK32)
    column = np.array(values, dtype=np.uint32)[:, None]
    column.flags.writeable = False
    return column


_SHIFT = np.uint32(16)
_GENERATED = _constants(_INIT_B, _MULT_B, 8)  # generate_state's 8 words use the first 9
_CYCLE = np.arange(8) % _POOL  # the pool words generate_state reads, in turn
_OTHERS = [np.array([d for d in range(_POOL) if d != s]) for s in range(_POOL)]


def _hashmix(values: np.ndarray, constants: np.ndarray) -> np.ndarray:
    """bit_generator.pyx's hashmix of each row of ``values`` (G, K), or of its one row (1, K)
    G times, with the G consecutive running constants ``constants`` (G + 1, 1): the xor with
    one, the product with the next."""
    values = values ^ constants[:-1]
    values *= constants[1:]
    values ^= values >> _SHIFT
    return values


def _mix(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    result = np.uint32(_MIX_L) * x - np.uint32(_MIX_R) * y
    result ^= result >> _SHIFT
    return result


def seed_words(entropy: int, spawn_keys: np.ndarray) -> np.ndarray:
    """``SeedSequence(entropy, spawn_key=tuple(row)).generate_state(4, np.uint64)`` for every
    row of ``spawn_keys`` (K, L) (each entry below 2**32), vectorised over the rows: (K, 4)
    uint64. The hash's constants do not depend on the data, so each step of bit_generator.pyx's
    mix_entropy that hashes one word into several pool words is one array operation here."""
    keys = np.asarray(spawn_keys, dtype=np.uint64)
    if keys.ndim != 2 or not keys.shape[1] or (keys > _MASK32).any():
        raise ValueError(f"spawn keys must be a (K, L>0) array of uint32 words, not {keys.shape}")
    k = keys.shape[0]
    run = _uint32_words(entropy)
    run += [0] * (_POOL - len(run))  # a spawn key pads the run entropy to the pool size
    words = np.concatenate([np.repeat(np.array(run, np.uint32)[:, None], k, axis=1),
                            keys.T.astype(np.uint32)])  # (E, K): the assembled entropy
    rest = len(words) - _POOL
    c = _constants(_INIT_A, _MULT_A, _POOL + _POOL * (_POOL - 1) + _POOL * rest)
    pool = _hashmix(words[:_POOL], c[:_POOL + 1])  # (4, K)
    n = _POOL
    for src, dst in enumerate(_OTHERS):  # every pool word hashed into each other one, in turn
        pool[dst] = _mix(pool[dst], _hashmix(pool[src:src + 1], c[n:n + _POOL]))
        n += _POOL - 1
    for src in range(_POOL, len(words)):  # the rest of the entropy into every pool word
        pool = _mix(pool, _hashmix(words[src:src + 1], c[n:n + _POOL + 1]))
        n += _POOL
    state = _hashmix(pool[_CYCLE], _GENERATED)  # (8, K) uint32
    return np.ascontiguousarray(state.T).astype("<u4").view("<u8").astype(np.uint64)


def pcg64_state(words: Sequence[int]) -> dict:
    """The state of ``PCG64`` seeded by ``words`` (4 uint64 from :func:`seed_words`), as
    ``PCG64.state`` gives it: pcg64_set_seed's two steps of the 128-bit LCG."""
    w0, w1, w2, w3 = words
    initstate, initseq = (int(w0) << 64) | int(w1), (int(w2) << 64) | int(w3)
    inc = ((initseq << 1) | 1) & _MASK128
    state = ((inc + initstate) * _PCG_MULTIPLIER + inc) & _MASK128  # from 0: one step, add, step
    return {"bit_generator": "PCG64", "state": {"state": state, "inc": inc},
            "has_uint32": 0, "uinteger": 0}


@functools.cache
def seeded_exactly() -> bool:
    """Whether :func:`seed_words` and :func:`pcg64_state` start PCG64 where numpy does (checked
    once per process on a few keys, the entropy long and short)."""
    for entropy, key in ((0, (0, 0, 0)), (12345, (key_code("battle"), 7, 103)),
                         (2**127 + 2**64 + 3, (2**32 - 1, 1)), (2**200 - 1, (5, 6, 7, 8))):
        ours = pcg64_state(seed_words(entropy, np.array([key]))[0])["state"]
        numpy = np.random.PCG64(np.random.SeedSequence(entropy, spawn_key=key)).state["state"]
        if ours != numpy:
            return False
    return True


class _Seeded:
    """One reused generator, set in turn to the starting state of the calls of one (key, block)
    stream, their seeds computed ``FIRST`` calls at a time, then ``CHUNK``. One chunk costs
    about what 6-8 of numpy's generators cost, whatever its length up to a few hundred, so a
    stream's first ``AFTER`` calls make numpy's generators (a stream of few calls gains
    nothing) and a longer one switches to this; setting the state costs 4 us a call, against
    20-40 us for numpy's generator."""

    AFTER, FIRST, CHUNK = 8, 64, 256

    def __init__(self, entropy: int, code: int, block: int) -> None:
        self.entropy, self.code, self.block = entropy, code, block
        self.first, self.words = 0, []
        self.generator = np.random.Generator(np.random.PCG64(0))

    def at(self, call: int) -> np.random.Generator:
        """The generator as ``Streams.generator(key, block, call)`` would make it."""
        if not self.first <= call < self.first + len(self.words):
            size = self.FIRST if not self.words else self.CHUNK
            keys = np.empty((size, 3), np.uint64)
            keys[:, 0], keys[:, 1] = self.code, self.block
            keys[:, 2] = np.arange(call, call + size, dtype=np.uint64)
            self.first, self.words = call, seed_words(self.entropy, keys).tolist()
        self.generator.bit_generator.state = pcg64_state(self.words[call - self.first])
        return self.generator


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
        self._seeded: _Seeded | None = None

    def _generator(self, call: int) -> np.random.Generator:
        """``streams.generator(key, block, call)``: numpy's own, or the same state set on a
        reused generator (:class:`_Seeded`) when the streams make numpy's generators unchanged
        (a subclass may wrap them) and :func:`seeded_exactly` holds."""
        s = self.streams
        if self._seeded is None:
            if call < _Seeded.AFTER or type(s).generator is not Streams.generator or not (
                    0 <= s.block <= _MASK32) or not seeded_exactly():
                return s.generator(self.key, s.block, call)
            self._seeded = _Seeded(s.entropy, key_code(self.key), s.block)
        return self._seeded.at(call)

    def _fill(self, method: str, shape: tuple[int, ...]) -> np.ndarray:
        """This call's values of ``method`` in the reversed ``shape`` (runs first), made by its
        own generator or, inside :func:`shared_draws`, taken from an earlier run's same call."""
        s, call = self.streams, self.calls
        self.calls += 1

        def make() -> np.ndarray:
            return getattr(self._generator(call), method)(shape)

        store = _SHARED  # read once (see shared_value)
        if store is None:
            return make()
        return store.get((s, self.key, call, method, shape), make)  # s: its class too

    def skip(self) -> None:
        """Leave out this call (draw nothing): the later calls keep their numbers."""
        self.calls += 1

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

    def skip(self) -> None:
        """Leave out this call (draw nothing): the later calls keep their numbers."""
        for rows, _, _ in self.parts:
            rows.skip()

    def random(self, shape: int | tuple[int, ...]) -> np.ndarray:
        """Uniforms of ``shape`` (runs last)."""
        return self._draw("random", shape)

    def standard_normal(self, shape: int | tuple[int, ...]) -> np.ndarray:
        """Standard normals of ``shape`` (runs last)."""
        return self._draw("standard_normal", shape)
