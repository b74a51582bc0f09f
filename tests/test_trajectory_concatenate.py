"""Blocks written into one preallocated Trajectory equal padding each block and concatenating
(the reference the runner used before issue 14), array for array and dtype for dtype."""

import numpy as np

from detente.models.base import Trajectory


def _pad_then_concatenate(arrays: list[np.ndarray], length: int) -> np.ndarray:
    return np.concatenate([np.concatenate(
        [a, np.repeat(a[:, -1:], length - a.shape[1], axis=1)], 1) for a in arrays])


def _block(rng: np.random.Generator, rows: int, turns: int) -> Trajectory:
    return Trajectory(
        positions=rng.normal(size=(rows, turns + 1, 3, 2)),
        forecast=rng.normal(size=(rows, 2)),
        turns=np.full(rows, turns),
        stop_reason=np.array(["stable"] * rows),
        probabilities=rng.random((rows, turns + 1, 3)),
        diagnostics={"offer": rng.integers(0, 3, size=(rows, turns, 3, 2)),
                     "capped": np.array(turns > 2), "per_draw": rng.random(rows)},
        series=("offer",),
    )


def test_concatenate_equals_pad_then_concatenate() -> None:
    rng = np.random.default_rng(14)
    parts = [_block(rng, rows, turns) for rows, turns in ((4, 2), (3, 5), (1, 1), (2, 5))]
    got = Trajectory.concatenate(parts)
    expected = {
        "positions": _pad_then_concatenate([p.positions for p in parts], 6),
        "probabilities": _pad_then_concatenate([p.probabilities for p in parts], 6),
        "offer": _pad_then_concatenate([p.diagnostics["offer"] for p in parts], 5),
    }
    for name, array in (("positions", got.positions), ("probabilities", got.probabilities),
                        ("offer", got.diagnostics["offer"])):
        assert array.dtype == expected[name].dtype
        assert np.array_equal(array, expected[name])
    assert np.array_equal(got.diagnostics["per_draw"],
                          np.concatenate([p.diagnostics["per_draw"] for p in parts]))
    assert got.diagnostics["capped"].item() is True
    assert got.turns.tolist() == [2] * 4 + [5] * 3 + [1] + [5] * 2
