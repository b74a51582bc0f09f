"""The protocol every negotiation kernel follows: ``run(batch, options, streams) -> Trajectory``.

The runner (:mod:`detente.runtime`) calls a kernel once per block of draws with validated
options (:mod:`detente.options`) and the block's random streams; the kernel returns arrays with
the batch axis first and never starts pools, prints or reads files.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from detente.compile import Batch
from detente.seeds import Streams


@dataclass(frozen=True)
class Trajectory:
    """What a negotiation kernel returns, with the batch axis first.

    ``positions`` (B, T+1, N, D) in issue units, turn 0 being the input and turns after a draw's
    stop repeating its final state; ``forecast`` (B, D); ``turns`` (B,) turns actually taken;
    ``stop_reason`` (B,) text; ``probabilities`` (B, T+1, N) where the model gives outcome
    probabilities; ``diagnostics`` holds model-specific arrays, those named in ``series``
    having a turn axis (axis 1) padded like ``positions``.
    """

    positions: np.ndarray
    forecast: np.ndarray
    turns: np.ndarray
    stop_reason: np.ndarray
    probabilities: np.ndarray | None = None
    diagnostics: dict[str, np.ndarray] = field(default_factory=dict)
    series: tuple[str, ...] = ()

    @property
    def max_turns(self) -> int:
        return int(self.positions.shape[1] - 1)

    @classmethod
    def concatenate(cls, parts: Sequence[Trajectory]) -> Trajectory:
        """Blocks back into one batch, the turn axis padded to the longest block by repeating
        each draw's final state (so the result does not depend on how draws were blocked)."""
        t1 = max(p.positions.shape[1] for p in parts)

        def join(key: str) -> np.ndarray:
            arrays = [p.diagnostics[key] for p in parts]
            if arrays[0].ndim == 0:  # a flag or count for the whole call
                values = [a.item() for a in arrays]
                return np.array(any(values) if isinstance(values[0], bool | np.bool_)
                                else values[0])
            if key in parts[0].series:
                return _padded(arrays, max(a.shape[1] for a in arrays))
            return np.concatenate(arrays)

        probs = None
        if parts[0].probabilities is not None:
            probs = _padded([p.probabilities for p in parts], t1)  # type: ignore[misc]
        return cls(
            positions=_padded([p.positions for p in parts], t1),
            forecast=np.concatenate([p.forecast for p in parts]),
            turns=np.concatenate([p.turns for p in parts]),
            stop_reason=np.concatenate([p.stop_reason for p in parts]),
            probabilities=probs,
            diagnostics={key: join(key) for key in parts[0].diagnostics},
            series=parts[0].series,
        )


def _padded(arrays: Sequence[np.ndarray], length: int) -> np.ndarray:
    """Blocks (B_k, T_k, ...) stacked on axis 0 into one (sum B_k, length, ...) array, each
    block's turns after its last repeating its final turn: written straight into the result,
    not padded into copies that are then concatenated (issue 14)."""
    first = arrays[0]
    out = np.empty((sum(a.shape[0] for a in arrays), length, *first.shape[2:]),
                   np.result_type(*arrays))
    start = 0
    for a in arrays:
        rows = slice(start, start + a.shape[0])
        out[rows, :a.shape[1]] = a
        out[rows, a.shape[1]:] = a[:, -1:]
        start = rows.stop
    return out


class NegotiationModel(Protocol):
    """A negotiation kernel: arrays in, arrays out; never reads files, prints or starts pools."""

    def run(self, batch: Batch, options: Any, streams: Streams | None = None) -> Trajectory: ...
