"""The batched seeding of run-major streams (detente.seeds: seed_words, pcg64_state, _Seeded)
gives numpy's own generators' numbers, bit for bit, wherever a stream's calls fall."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from detente import seeds
from detente.seeds import RowStream, StreamBlocks, Streams, key_code, pcg64_state, seed_words


def numpy_words(entropy: int, key: tuple[int, ...]) -> np.ndarray:
    return np.random.SeedSequence(entropy, spawn_key=key).generate_state(4, np.uint64)


@pytest.mark.parametrize("entropy", [0, 1, 42, 2**32 - 1, 2**32, 2**63 + 11, 2**127 + 5,
                                     2**160 + 2**96 + 7])
@pytest.mark.parametrize("length", [1, 2, 3, 5])
def test_seed_words_are_seed_sequences(entropy: int, length: int) -> None:
    rng = np.random.default_rng(entropy % 1000 + length)
    keys = rng.integers(0, 2**32, size=(40, length), dtype=np.uint64)
    keys[0], keys[1] = 0, 2**32 - 1  # the ends of a word
    ours = seed_words(entropy, keys)
    assert ours.shape == (40, 4) and ours.dtype == np.uint64
    for row, words in zip(keys, ours, strict=True):
        np.testing.assert_array_equal(words, numpy_words(entropy, tuple(int(k) for k in row)))


def test_pcg64_state_draws_what_default_rng_draws() -> None:
    entropy, keys = 987654321, np.array([[key_code("battle"), 3, c] for c in range(25)])
    for row, words in zip(keys, seed_words(entropy, keys), strict=True):
        state = pcg64_state(words.tolist())
        key = tuple(int(k) for k in row)
        fresh = np.random.PCG64(np.random.SeedSequence(entropy, spawn_key=key))
        assert state == fresh.state
        reused = np.random.Generator(np.random.PCG64(0))
        reused.bit_generator.state = state
        np.testing.assert_array_equal(reused.standard_normal(9),
                                      np.random.Generator(fresh).standard_normal(9))


def test_spawn_keys_beyond_a_word_are_refused() -> None:
    with pytest.raises(ValueError, match="uint32"):
        seed_words(1, np.array([[2**32]], dtype=np.uint64))
    with pytest.raises(ValueError, match="uint32"):
        seed_words(1, np.zeros((3, 0), dtype=np.uint64))


def test_the_check_against_numpy_holds_here() -> None:
    """Without it every stream would quietly fall back to numpy's slower generators."""
    assert seeds.seeded_exactly()


def calls_of(stream: RowStream | StreamBlocks, n: int, runs: int) -> list[np.ndarray]:
    """n calls mixing methods and shapes, as a kernel's weeks do."""
    out = []
    for c in range(n):
        if c % 3 == 2:
            out.append(stream.standard_normal(runs))
        else:
            out.append(stream.random((1 + c % 2, runs)))
    return out


def test_a_row_stream_is_numpys_generator_per_call_across_chunks() -> None:
    """Calls before the switch, in the first chunk and in later chunks, all as numpy makes them:
    ``Streams.generator(key, block, call)`` filled run-major."""
    s = Streams(2024).for_block(5, 5 * 2048)
    n = seeds._Seeded.AFTER + seeds._Seeded.FIRST + 2 * seeds._Seeded.CHUNK + 3
    stream = RowStream(s, "collapse")
    ours = calls_of(stream, n, 17)
    assert stream._seeded is not None  # the batched path ran
    for c, values in enumerate(ours):
        g = s.generator("collapse", 5, c)
        shape = values.shape[::-1]
        want = (g.standard_normal(shape) if c % 3 == 2 else g.random(shape)).T
        np.testing.assert_array_equal(values, want)


def test_stream_blocks_give_the_same_numbers_batched_or_not(monkeypatch) -> None:
    """The experiment's numbers over several stream blocks, with and without the batching."""
    s = Streams(7).for_block(0, 1000)
    fast = calls_of(StreamBlocks(s, "third_party", 5000), 300, 5000)
    monkeypatch.setattr(seeds._Seeded, "AFTER", 10**9)  # numpy's generator on every call
    slow = calls_of(StreamBlocks(s, "third_party", 5000), 300, 5000)
    for a, b in zip(fast, slow, strict=True):
        np.testing.assert_array_equal(a, b)


@dataclass(frozen=True)
class Reversed(Streams):
    """Streams whose generators are another stream's: a subclass the batching must respect."""

    def generator(self, key: str, *index: int) -> np.random.Generator:
        return super().generator(key[::-1], *index)


def test_a_subclass_that_makes_its_own_generators_keeps_them() -> None:
    s = Reversed(3)
    stream = RowStream(s, "battle")
    ours = [stream.random(4) for _ in range(seeds._Seeded.AFTER + 20)]
    assert stream._seeded is None
    for c, values in enumerate(ours):
        np.testing.assert_array_equal(values, Streams(3).generator("elttab", 0, c).random(4))


def test_a_skipped_call_moves_no_other() -> None:
    """The coupled kernel leaves out a deadline's draws in weeks when no run decides it."""
    s = Streams(11).for_block(0, 300)
    every, skipping = StreamBlocks(s, "deadline:x", 4000), StreamBlocks(s, "deadline:x", 4000)
    for c in range(seeds._Seeded.AFTER + seeds._Seeded.FIRST + 20):
        want = every.random(4000)
        if c % 3:
            skipping.skip()
        else:
            np.testing.assert_array_equal(skipping.random(4000), want)


def test_a_negative_entropy_is_refused() -> None:
    with pytest.raises(ValueError, match="non-negative"):
        seed_words(-1, np.array([[1, 2]], dtype=np.uint64))
