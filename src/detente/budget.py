"""A resource budget checked before anything is allocated (issue 13, item 11).

A request's memory and work follow from its shapes alone: Monte Carlo draws B, actors N, issues
D, rounds or turns T, war runs R and weeks W. :func:`estimate` turns the shapes into bytes and
elementary operations with each model's own growth (below), and :func:`check_budget` refuses a
request whose peak memory exceeds ``max_memory`` (default: a fraction of the machine's memory) or
whose estimated time (work over the model's measured rate, :data:`RATE`) exceeds
``max_seconds``, naming the sizes and the limit.

Growth per model, measured with ``tracemalloc`` on the numpy engines (bytes at the peak):

- ``eum`` (MODELS.md §1): every draw and issue is one problem whose challenge terms form one
  N x N x N array: memory ~ 9 B D N³ (8.1-8.8 measured for N = 50-200), work ~ T B D N³.
- ``smp`` (§3): the PCE over N + 1 options holds N³ terms per problem (36-39 B N³ measured),
  plus the pairwise bargains N² D and the history (T + 1) N D: memory ~ 8 B (5 N³ + 6 N² D +
  (T+1) N (D+2)), work ~ T B N² (D + N).
- ``exchange`` (§4): pairs of actors on pairs of issues, memory ~ 200 B N² D², work ~ T B N² D².
- one-round models (``mean``, ``median``, ``nash``): memory and work ~ B N D.
- the war simulator (§5): every run keeps its weekly state: memory ~ 16 R (W + 1), work ~ R W D.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from detente.errors import InputError, problem

MEMORY_FRACTION = 0.5
"""Share of the machine's physical memory a request may use by default."""
FLOAT = 8
RATE = {"eum": 1e7, "smp": 4e5, "exchange": 2e5, "war": 1.5e6, "coupled": 4e6}
"""Operations per second, the slowest measured on a 2-core machine (numpy engines, warm): work
divided by the rate bounds a request's time from above. Other models: :data:`OTHER_RATE`.

``eum`` and ``coupled`` re-measured in December 2026 at load average 2.4-3 (the shared machine
is often at 8-9, where wall times run about 2.7 times the CPU time). eum: the numpy engine, which
'auto' still runs below 64 problems or without numba, did 3.4e7 (N = 10, 500 draws) to 1.3e8
(N = 100, 8 draws) operations a second, the compiled engine 7.7e7 to 9.1e8; the rate is under a
third of the numpy engine's slowest. coupled, on the flagship: the kernel 1.5e7 (8,000 runs x 104
weeks, two threads), a sensitivity evaluation 7.4e6 (a 35-row tornado of 40 runs for 26 weeks),
a whole tornado request of the dashboard 6.6e6, and at load 8-9 the kernel 4.2e6 (mean talks
model, docs/coupled-model.md); the rate is under the slowest of these."""
OTHER_RATE = 1e7


@dataclass(frozen=True)
class Estimate:
    """What a request will cost: peak bytes, elementary operations, and the shapes behind them."""

    model: str
    memory: int
    work: float
    sizes: dict[str, int] = field(default_factory=dict)
    formula: str = ""

    @property
    def seconds(self) -> float:
        """Estimated time, from the work and the model's slowest measured rate."""
        return self.work / RATE.get(self.model, OTHER_RATE)

    def describe(self) -> str:
        shapes = " x ".join(f"{k} {v:,}" for k, v in self.sizes.items())
        return f"{self.model} ({shapes}; {self.formula})"


def machine_memory() -> int:
    """Physical memory of this machine in bytes: ``sysconf`` where the platform has it (the
    same total psutil reports on Linux, without psutil's import in every command's start-up),
    else psutil when installed, else 4 GiB."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):  # not POSIX (Windows): psutil or a guess
        pass
    try:
        import psutil
    except ImportError:
        return 4 * 1024**3
    return int(psutil.virtual_memory().total)


def default_max_memory() -> int:
    """The default limit: :data:`MEMORY_FRACTION` of the machine's memory."""
    return int(MEMORY_FRACTION * machine_memory())


def _negotiation(model: str, b: int, n: int, d: int, t: int) -> tuple[float, float, str]:
    if model == "eum":
        return 9.0 * b * d * n**3, float(t) * b * d * n**3, "memory ~ 9 B D N^3 bytes"
    if model == "smp":
        mem = FLOAT * b * (5.0 * n**3 + 6.0 * n * n * d + (t + 1.0) * n * (d + 2))
        return mem, float(t) * b * n * n * (d + n), "memory ~ 8 B (5 N^3 + 6 N^2 D) bytes"
    if model == "exchange":
        return 200.0 * b * n * n * d * d, float(t) * b * n * n * d * d, \
            "memory ~ 200 B N^2 D^2 bytes"
    return 4.0 * FLOAT * b * n * d, float(b) * n * d, "memory ~ 32 B N D bytes"


def estimate(model: str, *, actors: int, issues: int, draws: int = 1, rounds: int = 10,
             runs: int = 0, weeks: int = 0) -> Estimate:
    """Peak memory (bytes) and work (operations) of one request, from its shapes.

    ``model`` is a negotiation model name or ``"war"`` (then ``runs`` and ``weeks`` count);
    ``draws`` is the number of Monte Carlo draws B, ``rounds`` the rounds or turns T.
    """
    if model == "coupled":  # about a dozen (runs, weeks) series, plus talks rounds on the batch
        mem = 12.0 * FLOAT * runs * (weeks + 1) + 4.0 * FLOAT * runs * actors * issues
        return Estimate("coupled", int(mem), float(runs) * weeks * max(actors * issues, 1),
                        {"runs": runs, "weeks": weeks, "actors": actors, "issues": issues},
                        "memory ~ 96 runs (weeks + 1) + 32 runs N D bytes")
    if model == "war":
        mem = 2.0 * FLOAT * runs * (weeks + 1)
        return Estimate("war", int(mem), float(runs) * weeks * max(issues, 1),
                        {"runs": runs, "weeks": weeks}, "memory ~ 16 runs (weeks + 1) bytes")
    mem, work, formula = _negotiation(model, draws, actors, issues, rounds)
    sizes = {"draws": draws, "actors": actors, "issues": issues, "rounds": rounds}
    return Estimate(model, int(mem), work, sizes, formula)


def for_scenario(scenario: Any, model: str, *, draws: int = 1, rounds: int | None = None,
                 runs: int = 0, weeks: int | None = None) -> Estimate:
    """:func:`estimate` with the actor and issue counts (and war horizon) of ``scenario``."""
    if weeks is None:
        weeks = scenario.war.horizon if getattr(scenario, "war", None) is not None else 0
    return estimate(model, actors=len(scenario.actors), issues=len(scenario.issues),
                    draws=draws, rounds=10 if rounds is None else rounds, runs=runs, weeks=weeks)


def _gb(n: float) -> str:
    return f"{n / 1e9:.3g} GB" if n >= 1e8 else f"{n / 1e6:.3g} MB"


def check_budget(need: Estimate, max_memory: int | None = None,
                 max_seconds: float | None = None, field_name: str = "max_memory") -> Estimate:
    """Refuse ``need`` when it exceeds the memory limit (default :func:`default_max_memory`) or
    its estimated time exceeds ``max_seconds``; the error names the sizes, the estimate and the
    limit. Returns ``need``."""
    limit = default_max_memory() if max_memory is None else max_memory
    problems = []
    if need.memory > limit:
        problems.append(problem(
            f"this request needs about {_gb(need.memory)} of memory for {need.describe()}, over "
            f"the limit of {_gb(limit)}: use fewer draws, runs, weeks or actors, or raise the "
            f"limit (--max-memory)", (field_name,), value=need.memory))
    if max_seconds is not None and need.seconds > max_seconds:
        problems.append(problem(
            f"this request would take about {need.seconds:.3g} s ({need.work:.3g} operations) "
            f"for {need.describe()}, over the limit of {max_seconds:g} s for one request: use "
            "fewer draws, rounds, runs or weeks", ("max_seconds",), value=round(need.seconds, 1)))
    if problems:
        raise InputError(problems)
    return need


def parse_memory(text: str) -> int:
    """``"8G"``, ``"512MB"`` (decimal), ``"2.5GiB"`` (binary) or a number of bytes, for
    ``--max-memory``."""
    raw = text.strip().lower().removesuffix("b")
    base = 1024.0 if raw.endswith("i") else 1000.0
    raw = raw.removesuffix("i")
    units = {"": 1.0, "k": base, "m": base**2, "g": base**3, "t": base**4}
    unit = raw[-1] if raw and raw[-1] in units else ""
    try:
        value = float(raw[: len(raw) - len(unit)])
    except ValueError:
        value = -1.0
    if not 0 < value < 1e18:
        raise InputError([problem("expected a size like 8G, 512M or a number of bytes",
                                  ("max_memory",), value=text)])
    return int(value * units[unit])
