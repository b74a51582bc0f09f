"""Several variants of one hypothesis in one pass of the coupled kernel (MODELS.md §7).

The variants of a comparison under one hypothesis share every compiled array and every random
number (common random numbers); only the levers switched on (``selected``) differ. The coupled
kernel's cost is mostly a fixed overhead per week step (about a hundred small numpy calls), so
V variants of B runs stacked along the runs axis, V·B runs with a per-run ``selected`` (V·B, L),
take about the time of one: the overhead is paid once for all of them.

Every number is the one each variant gives alone: each stream's draws for the stacked runs are
the concatenation of what each variant draws, and every decision the kernel takes over all its
runs at once (whether a lever is used, whether any run can still change, whether a side's aims
type is known in the runs it looks at) is taken per variant (see ``_Simulation.variants``). The
negotiation model called on talks weeks must treat runs independently: only the models listed
in STACKABLE_MODELS (no reduction across runs) are stacked.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import fields, replace

import numpy as np

from detente.compile.coupled import CoupledInputs
from detente.options import CoupledOptions
from detente.war.coupled import CoupledOutcome, _Simulation, _streams

__all__ = ["STACKABLE_MODELS", "can_stack", "simulate_stacked", "stacked_inputs"]

# talks models whose forecast for a run reads that run alone (static weighted mean / median)
STACKABLE_MODELS = frozenset({"mean", "median"})


def can_stack(parts: Sequence[CoupledInputs]) -> bool:
    """Whether ``parts`` (one hypothesis's variants) may run stacked: the same compiled arrays
    (every field but ``selected`` the very same object) and a talks model without cross-run
    reductions."""
    if len(parts) < 2 or parts[0].model not in STACKABLE_MODELS:
        return False
    first = parts[0]
    return all(getattr(p, f.name) is getattr(first, f.name) for p in parts[1:]
               for f in fields(CoupledInputs) if f.name != "selected")


def stacked_inputs(parts: Sequence[CoupledInputs]) -> CoupledInputs:
    """The V variants' inputs as one set of V·B runs (variant-major: variant i's runs are rows
    i·B .. (i+1)·B − 1), ``selected`` (V·B, L) per run."""
    base, b = parts[0], parts[0].runs
    every = base.take(np.tile(np.arange(b), len(parts)))  # type: ignore[arg-type]
    selected = np.repeat(np.stack([np.asarray(p.selected, dtype=bool) for p in parts]), b, axis=0)
    return replace(every, selected=selected)


class _StackedStream:
    """One stream of the stacked runs: the generator methods the kernel calls, each giving the
    V variants' values side by side along the runs (last) axis (:meth:`_draw`)."""

    def random(self, shape: int | tuple[int, ...]) -> np.ndarray:
        return self._draw("random", _shape(shape))

    def standard_normal(self, shape: int | tuple[int, ...]) -> np.ndarray:
        return self._draw("standard_normal", _shape(shape))

    def _draw(self, method: str, shape: tuple[int, ...]) -> np.ndarray:
        raise NotImplementedError


def _shape(shape: int | tuple[int, ...]) -> tuple[int, ...]:
    return (shape,) if isinstance(shape, int) else tuple(shape)


class _Concatenated(_StackedStream):
    """Each call draws every variant's own stream and joins the values."""

    def __init__(self, parts: list) -> None:
        self.parts = parts

    def _draw(self, method: str, shape: tuple[int, ...]) -> np.ndarray:
        each = (*shape[:-1], shape[-1] // len(self.parts))
        return np.concatenate([getattr(p, method)(each) for p in self.parts], axis=-1)

    @property
    def skip(self) -> Callable[[], None]:
        """Every variant's stream leaves out this call, where each can (else AttributeError:
        the kernel then draws, see detente.war.coupled._Simulation.decide_levers)."""
        skips = [p.skip for p in self.parts]

        def skip_all() -> None:
            for skip in skips:
                skip()

        return skip_all


class _Tiled(_StackedStream):
    """When every variant draws the very same numbers (one stream factory for all: common
    random numbers), each call draws once and repeats the values V times, which is what
    joining V draws gives."""

    def __init__(self, stream: object, copies: int) -> None:
        self.stream, self.copies = stream, copies

    def _draw(self, method: str, shape: tuple[int, ...]) -> np.ndarray:
        one = getattr(self.stream, method)((*shape[:-1], shape[-1] // self.copies))
        return np.tile(one, (1,) * (one.ndim - 1) + (self.copies,))

    @property
    def skip(self) -> Callable[[], None]:
        """The stream's own ``skip`` (AttributeError where it has none), as _Concatenated's."""
        return self.stream.skip  # type: ignore[attr-defined,no-any-return]


def simulate_stacked(parts: Sequence[CoupledInputs], options: CoupledOptions,
                     rngs: Sequence[Callable[[str], object]] | Callable[[str], object]
                     ) -> list[CoupledOutcome]:
    """Each variant's :func:`detente.war.coupled.simulate_coupled` outcome, computed in one
    stacked pass (the same arrays to the bit); ``rngs[i]`` is variant i's stream factory, or
    ``rngs`` one factory that every variant uses (the comparisons' common random numbers: each
    stream then draws once a call for all). ``parts`` must pass :func:`can_stack`."""
    if not can_stack(parts):
        raise ValueError("these variants cannot be stacked (see can_stack)")
    inputs = stacked_inputs(parts)
    if callable(rngs):
        one = _streams(rngs, parts[0])  # type: ignore[arg-type]
        streams: dict = {key: _Tiled(g, len(parts)) for key, g in one.items()}
    else:
        if len(rngs) != len(parts):
            raise ValueError(f"{len(parts)} variants but {len(rngs)} stream factories")
        own = [_streams(rng, part) for rng, part in zip(rngs, parts, strict=True)]  # type: ignore[arg-type]
        streams = {key: _Concatenated([s[key] for s in own]) for key in own[0]}
    return _Simulation(inputs, options, streams,  # type: ignore[arg-type]
                       variants=len(parts))._run_stacked()
