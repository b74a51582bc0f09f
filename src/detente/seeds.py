"""One seed for everything: every random stream is spawned from the root by a stable key.

``Streams(seed).generator("battle", block)`` is the generator of the stream named "battle" for
block ``block``: ``SeedSequence(entropy, spawn_key=(crc32("battle"), block))``. Keys are names,
not positions in a list, so adding a stream never moves another, and the numbers a block sees
depend only on the seed, the key and the block's index: never on how many workers ran it.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np


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
