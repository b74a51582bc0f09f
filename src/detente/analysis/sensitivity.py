"""Which uncertain numbers decide a verdict: Sobol, Morris and tornado over a war scenario.

The inputs are the scenario's uncertain war values and the effect sizes of the levers switched
on (their declared distributions), the hypothesis's parameters, and any value the user names
with a range; on a coupled scenario (``war.talks``, MODELS.md §7) also every number of the
coupled sections (front, talks, meetings, red lines, third parties, economy, prospects, aims:
:func:`detente.scenario.talks.coupled_quantities`). Every analysis samples uniforms on [0, 1]^k
(SALib or a one-at-a-time design) and maps them through the project's own inverse CDFs
(:func:`detente.compile.inverse_cdf`), so an input is drawn from exactly the distribution a
Monte Carlo run would use.

One function evaluates a sample matrix: :func:`evaluate` builds ONE batched WarInputs (or
CoupledInputs) of n_samples x M runs (the scenario compiled once for M runs, tiled, and the
sampled values written over each block of M runs), simulates it through the runner's blocks and
backend and reduces each block to the outcome. An outcome that only needs the weeks up to W
(P(deal), P(partial), lever effects at W) is simulated for W weeks: neither kernel's week t
depends on the horizon (tested). The analyses take any ``Evaluator`` (a callable from
an (n, k) matrix of input values to (n,) outcomes), so a test passes the Ishigami function
through the same code, and a runner can route :class:`WarEvaluator` through other backends.

Inner Monte Carlo noise (NOISE_NOTE): the M runs of every sample use the same random streams
(battles, breakdowns, deadline draws: common random numbers across samples), so a sample's
outcome is a deterministic function of its inputs and the inner noise is one fixed error shared
by all samples, not variance that a sensitivity index could mistake for an effect. An input with
no effect then gets indices of exactly zero (tested); ``inner_se`` reports the size of the fixed
error (per-sample binomial standard error), and SALib's bootstrap intervals the sampling error
of the indices themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from detente.analysis.outcomes import Outcome
from detente.compile import WarInputs, compile_war, inverse_cdf
from detente.compile.coupled import CoupledInputs
from detente.errors import InputError, ModelError, problem
from detente.options import WarOptions
from detente.scenario.quantity import Quantity
from detente.scenario.schema import Scenario
from detente.seeds import RowStream, Streams

Evaluator = Callable[[np.ndarray], np.ndarray]
NOISE_NOTE = (
    "Each sample's outcome is estimated from M runs that share the same random streams in every "
    "sample (common random numbers), so Monte Carlo noise is one fixed error common to all "
    "samples rather than variation an index could mistake for an effect; an input with no "
    "effect gets indices of zero. inner_se is the typical standard error of one sample's "
    "outcome; index intervals are SALib's bootstrap 95% intervals.")


def evidence_status(q: Quantity) -> str:
    """'cited', 'inferred' (a low-confidence or inferred citation), 'assumption' or 'none'."""
    if q.cite:
        weak = any(c.confidence == "low" or getattr(c, "support", None) == "inferred"
                   for c in q.cite)
        return "inferred" if weak else "cited"
    return "assumption" if q.assumption is not None else "none"


@dataclass(frozen=True)
class Input:
    """One uncertain input: what it sets, its distribution and its evidence.

    ``target`` is ("param", path), ("coupled", path) (a coupled-section number),
    ("effect", lever, j), ("credibility", lever) or ("scale", lever); ``where`` is its field
    path in the scenario file.
    """

    name: str
    quantity: Quantity
    target: tuple[Any, ...]
    where: str
    evidence: str
    multiplies: bool = False  # a lever effect that multiplies its parameter

    def values(self, u: np.ndarray) -> np.ndarray:
        """Uniforms (n,) on (0, 1) -> draws of this input's distribution."""
        return inverse_cdf(self.quantity, np.clip(u, 1e-9, 1 - 1e-9))

    def describe(self) -> dict[str, Any]:
        q = self.quantity
        p05, p95 = self.values(np.array([0.05, 0.95]))
        return {"name": self.name, "where": self.where, "dist": q.dist,
                "point": q.point(), "p05": float(p05), "p95": float(p95),
                "evidence": self.evidence}


def to_values(inputs: Sequence[Input], u: np.ndarray) -> np.ndarray:
    """A matrix of uniforms (n, k) -> input values (n, k)."""
    return np.column_stack([inp.values(u[:, k]) for k, inp in enumerate(inputs)]) \
        if inputs else np.empty((u.shape[0], 0))


def points(inputs: Sequence[Input]) -> np.ndarray:
    """Every input at its point value, (k,)."""
    return np.array([inp.quantity.point() for inp in inputs])


# -- the war problem ------------------------------------------------------------------------------

@dataclass(frozen=True)
class WarProblem:
    """A scenario, hypothesis and lever set, an outcome, and the inputs it is studied over."""

    scenario: Scenario
    outcome: Outcome
    inputs: tuple[Input, ...]
    hypothesis: str | None = None
    levers: tuple[str, ...] = ()
    options: Any = field(default_factory=WarOptions)  # CoupledOptions when coupled
    horizon: int | None = None  # None: the scenario's
    coupled: bool = False  # the talks-while-fighting kernel (MODELS.md §7)

    @property
    def weeks(self) -> int:
        return self.horizon or self.scenario.war.horizon  # type: ignore[union-attr]

    @property
    def sim_weeks(self) -> int:
        """Weeks to simulate: up to the outcome's week for P(deal), P(partial) or a lever
        effect (later weeks cannot change them: neither kernel's week t depends on the
        horizon, tested), else the horizon."""
        out = self.outcome
        if out.kind in ("p_deal", "p_partial", "delta_p_deal"):
            return min(out.week, self.weeks)  # type: ignore[type-var,return-value]
        return self.weeks


def war_inputs(scenario: Scenario, hypothesis: str | None, levers: Sequence[str],
               extra: dict[str, tuple[float, float]] | None = None,
               widen: float | None = None, coupled: bool = False) -> tuple[Input, ...]:
    """The uncertain inputs of a war variant (params, effects of levers on, hypothesis values;
    with ``coupled`` also the coupled sections' numbers), plus ``extra`` names given a uniform
    (lo, hi) range by the user, plus (with ``widen``) every non-zero point value resting on an
    assumption, over ± widen of its value (:func:`widened`)."""
    from detente.scenario.talks import coupled_quantities
    from detente.scenario.war import parameter_quantities

    war = scenario.war
    if war is None:
        raise InputError([problem("this scenario has no `war` section", ("war",))])
    hyp_k = next((k for k, h in enumerate(scenario.hypotheses) if h.id == hypothesis), None)
    hyp = scenario.hypotheses[hyp_k] if hyp_k is not None else None
    known: dict[str, Input] = {}
    for path, qty in parameter_quantities(war).items():
        if qty is not None:
            where = "war." + (f"sides.{path}" if path[:2] in ("R.", "U.") else path)
            known[path] = Input(path, qty, ("param", path), where, evidence_status(qty))
    sections = coupled_quantities(war, scenario.levers) if coupled else {}
    for path, qty in sections.items():
        known[path] = Input(path, qty, ("coupled", path), coupled_where(scenario, path),
                            evidence_status(qty))
    for path, qty in (hyp.parameters.items() if hyp else []):
        kind = "coupled" if path in sections else "param"
        known[path] = Input(path, qty, (kind, path), f"hypotheses[{hyp_k}].parameters.{path}",
                            evidence_status(qty))
    for k, lv in enumerate(scenario.levers):
        if lv.id not in levers:
            continue
        for j, eff in enumerate(lv.effects):
            qty = eff.add if eff.add is not None else eff.mul
            name = f"{lv.id}:{eff.param}" + (f"#{j}" if [e.param for e in lv.effects].count(
                eff.param) > 1 else "")
            known[name] = Input(name, qty, ("effect", lv.id, j),  # type: ignore[arg-type]
                                f"levers[{k}].effects[{j}]", evidence_status(qty),  # type: ignore[arg-type]
                                eff.mul is not None)
        if lv.deadline is not None:
            known[f"{lv.id}:credibility"] = Input(
                f"{lv.id}:credibility", lv.deadline.credibility, ("credibility", lv.id),
                f"levers[{k}].deadline.credibility", evidence_status(lv.deadline.credibility))
        if hyp is not None and lv.id in hyp.lever_scale:
            qty = hyp.lever_scale[lv.id]
            known[f"{lv.id}:scale"] = Input(f"{lv.id}:scale", qty, ("scale", lv.id),
                                            f"hypotheses[{hyp_k}].lever_scale.{lv.id}",
                                            evidence_status(qty))
    chosen = {name: inp for name, inp in known.items() if inp.quantity.uncertain}
    if widen is not None:
        for name, inp in known.items():
            if not inp.quantity.uncertain and inp.evidence in ("assumption", "none") \
                    and inp.quantity.point() != 0:
                chosen[name] = widened(inp, widen, war.front.steps)
    problems = []
    for name, (lo, hi) in (extra or {}).items():
        if name not in known:
            problems.append(problem(f"unknown input (allowed: {', '.join(sorted(known))})",
                                    ("input",), value=name))
        elif not lo < hi:
            problems.append(problem("the range must be LO:HI with LO < HI", ("input",),
                                    value=f"{name}={lo}:{hi}"))
        elif not _bounds(known[name], war.front.steps)[0] <= lo < hi <= _bounds(
                known[name], war.front.steps)[1]:
            low, high = _bounds(known[name], war.front.steps)
            problems.append(problem(f"{name} must lie in [{low:g}, {high:g}]", ("input",),
                                    value=f"{name}={lo}:{hi}"))
        else:
            qty = Quantity(dist="uniform", lo=lo, hi=hi, assumption="range set on the command line")
            chosen[name] = replace(known[name], quantity=qty, evidence="assumption")
    if problems:
        raise InputError(problems)
    return tuple(chosen.values())


def coupled_where(scenario: Scenario, path: str) -> str:
    """The field path in the scenario file of a coupled number's dotted name."""
    parts = path.split(".")
    war = scenario.war
    head = parts[0]
    if head == "front":
        if parts[1] == "fortified":
            return f"war.front.continuous.fortified[{parts[2]}].factor"
        return "war.front.continuous." + ".".join(parts[1:])
    if head == "talks" and parts[1] == "meeting":
        return f"war.talks.meetings[{parts[2]}].probability"
    if head == "third_parties":
        j = [tp.actor for tp in war.third_parties].index(parts[1])  # type: ignore[union-attr]
        return f"war.third_parties[{j}].{parts[2]}"
    if head == "red_lines":
        k = [(r.actor, r.issue) for r in war.red_lines].index(  # type: ignore[union-attr]
            (parts[1], parts[2]))
        return f"war.red_lines[{k}].{parts[3]}"
    if head == "prospect":
        k = [lv.id for lv in scenario.levers].index(parts[1])
        tail = f".schedule[{parts[2]}].probability" if len(parts) > 2 else ".probability"
        return f"levers[{k}].prospect{tail}"
    return "war." + path  # talks.*, economy.*, aims.*


def _bounds(inp: Input, steps: int) -> tuple[float, float]:
    """The range an input's values must lie in (a parameter's, or [0, 1] for a credibility)."""
    from detente.scenario.talks import bounds_of
    from detente.scenario.war import parameter_bounds

    if inp.target[0] == "coupled":
        low, high, _ = bounds_of(inp.target[1])
        return low, high
    if inp.target[0] == "param":
        low, high, _ = parameter_bounds(inp.target[1], steps)
        return low, high
    return (0.0, 1.0) if inp.target[0] == "credibility" else (-np.inf, np.inf)


def widened(inp: Input, fraction: float, steps: int) -> Input:
    """A point value v as uniform on v (1 ± fraction), kept inside the parameter's allowed
    range; for a multiplying lever effect the change m - 1 is widened, not m."""
    v = inp.quantity.point()
    centre, span = (1.0, v - 1.0) if inp.multiplies else (0.0, v)
    lo, hi = sorted((centre + span * (1 - fraction), centre + span * (1 + fraction)))
    low, high = _bounds(inp, steps)
    lo, hi = max(lo, low), min(hi, high)
    qty = Quantity(dist="uniform", lo=lo, hi=hi,
                   assumption=f"point value {v:g} widened by ±{fraction:.0%} (it rests on an "
                              "assumption)")
    return replace(inp, quantity=qty, evidence="assumption")


def kernel_options(scenario: Scenario, options: Any = None) -> tuple[bool, Any]:
    """Whether ``scenario`` runs the coupled kernel under ``options`` (WarOptions or
    CoupledOptions; a §5 variant asked for runs the §5 kernel), and that kernel's options."""
    from detente.analysis.compare import is_coupled
    from detente.analysis.coupled import coupled_options

    options = options if options is not None else WarOptions()
    if scenario.war is not None and is_coupled(scenario, options):
        return True, coupled_options(options)[0]
    if not isinstance(options, WarOptions):
        raise InputError([problem("these options are the coupled model's: the scenario needs a "
                                  "`war.talks` section", ("options",))])
    return False, options


def war_problem(scenario: Scenario, outcome: Outcome, hypothesis: str | None = None,
                levers: Sequence[str] = (), extra: dict[str, tuple[float, float]] | None = None,
                options: Any = None, horizon: int | None = None,
                widen: float | None = None) -> WarProblem:
    """The problem of studying ``outcome`` under ``hypothesis`` with ``levers`` on, on the
    coupled kernel for a scenario with ``war.talks`` (unless ``options`` ask for a §5 variant)."""
    coupled, options = kernel_options(scenario, options)
    refused = {"forecast": "a negotiation model's forecast is not a war outcome (study it with "
                           "`detente run --draws`)"}
    if not coupled:
        refused["p_partial"] = ("p_partial is not available: the war kernel settles all issues "
                                "at once (partial deals come with the coupled model of MODELS.md "
                                "§7, a scenario with war.talks); use p_deal")
    if outcome.kind in refused:
        raise InputError([problem(refused[outcome.kind], ("outcome",), value=outcome.name)])
    hyp = None if hypothesis in (None, "baseline") else hypothesis
    on = tuple(dict.fromkeys([*levers, *([outcome.lever] if outcome.lever else [])]))
    compile_war(scenario, hyp, on, runs=1)  # checks the hypothesis and lever names
    return WarProblem(scenario, outcome, war_inputs(scenario, hyp, on, extra, widen, coupled),
                      hyp, tuple(levers), options, horizon, coupled)


def batched_inputs(problem_: WarProblem, sample: np.ndarray, runs_per_sample: int, seed: int,
                   levers: Sequence[str]) -> WarInputs:
    """One WarInputs of n_samples x M runs: block s holds sample s's values in all its runs.

    The scenario is compiled once for M runs and tiled; sampled parameters, effect sizes,
    credibilities and lever scales overwrite their columns (a hypothesis's lever scale applies
    to effect sizes as in :func:`detente.compile.compile_war`).
    """
    sc, m = problem_.scenario, runs_per_sample
    base = replace(compile_war(sc, problem_.hypothesis, tuple(levers), m, seed),
                   horizon=problem_.sim_weeks)
    return write_war(problem_, base.take(replicas(m, sample.shape[0])), sample, m)


def replicas(runs_per_sample: int, n: int) -> np.ndarray:
    """Row index (n x M,) that repeats M compiled runs for each of n samples, sample-major."""
    return np.tile(np.arange(runs_per_sample), n)


def write_war(problem_: WarProblem, base: WarInputs, sample: np.ndarray, m: int) -> WarInputs:
    """``base`` (n x M runs, block s for sample s) with sampled war parameters, lever effect
    sizes, credibilities and lever scales written over their columns."""
    sc = problem_.scenario
    n = sample.shape[0]
    col = {inp.target: np.repeat(sample[:, k], m) for k, inp in enumerate(problem_.inputs)}
    params = {k: col.get(("param", k), v) for k, v in base.params.items()}
    hyp = next((h for h in sc.hypotheses if h.id == problem_.hypothesis), None)
    spec = {lv.id: lv for lv in sc.levers}
    compiled = []
    for lv in base.levers:
        scale = hyp.lever_scale.get(lv.id) if hyp else None
        factor = col.get(("scale", lv.id), 1.0 if scale is None else scale.point())
        effects = []
        for j, (eff, (param, op, _)) in enumerate(zip(spec[lv.id].effects, lv.effects,
                                                      strict=True)):
            qty = eff.add if eff.add is not None else eff.mul
            size = col.get(("effect", lv.id, j), np.full(n * m, qty.point()))  # type: ignore[union-attr]
            value = size * factor if op == "add" else 1.0 + (size - 1.0) * factor
            effects.append((param, op, np.broadcast_to(value, (n * m,)).astype(float)))
        cred = None
        if lv.credibility is not None:
            point = spec[lv.id].deadline.credibility.point()  # type: ignore[union-attr]
            cred = col.get(("credibility", lv.id), np.full(n * m, point))
        compiled.append(replace(lv, effects=tuple(effects), credibility=cred))
    return replace(base, params=params, levers=tuple(compiled))


def batched_coupled(problem_: WarProblem, sample: np.ndarray, runs_per_sample: int, seed: int
                    ) -> CoupledInputs:
    """One CoupledInputs of n_samples x M runs (every lever compiled, none selected): the
    scenario compiled once for M runs and tiled, the sampled war values written as in
    :func:`write_war` and the sampled coupled numbers over their columns."""
    from detente.compile.coupled import compile_coupled, coupled_columns, with_columns

    sc, m, hyp = problem_.scenario, runs_per_sample, problem_.hypothesis
    base = compile_coupled(sc, hyp, (), m, seed, horizon=problem_.sim_weeks)
    rows = replicas(m, sample.shape[0])
    # π (B, L, T) is rebuilt from the columns below: it need not be tiled first
    tiled = replace(base, pi=base.pi[:, :, :0]).take(rows)  # type: ignore[arg-type]
    col = {k: v[rows] for k, v in coupled_columns(sc, hyp, m, seed).items()}
    col.update({inp.target[1]: np.repeat(sample[:, k], m)
                for k, inp in enumerate(problem_.inputs) if inp.target[0] == "coupled"})
    return with_columns(replace(tiled, war=write_war(problem_, tiled.war, sample, m)), sc, col)


def select(inputs: CoupledInputs, levers: Sequence[str]) -> CoupledInputs:
    """The coupled variant with exactly ``levers`` switched on (every draw shared)."""
    return replace(inputs, selected=np.array([lid in levers for lid in inputs.lever_ids]))


class SharedGenerator:
    """A generator whose draws repeat every ``group`` runs: runs g*group + i all see draw i.

    The war kernel draws a row per run, shape (runs, ...); this draws (group, ...) from
    ``inner`` and tiles it, so every group of runs sees the numbers one group alone would.
    """

    def __init__(self, inner: np.random.Generator, group: int) -> None:
        self.inner, self.group = inner, group

    def _tiled(self, draw: Callable[[tuple[int, ...]], np.ndarray],
               size: int | tuple[int, ...]) -> np.ndarray:
        shape = (size,) if isinstance(size, int) else tuple(size)
        reps = shape[0] // self.group
        return np.tile(draw((self.group, *shape[1:])), (reps,) + (1,) * (len(shape) - 1))

    def random(self, size: int | tuple[int, ...]) -> np.ndarray:
        return self._tiled(self.inner.random, size)

    def standard_normal(self, size: int | tuple[int, ...]) -> np.ndarray:
        return self._tiled(self.inner.standard_normal, size)


@dataclass(frozen=True)
class SharedStreams(Streams):
    """The runner's streams with every group of ``group`` runs on the same random numbers.

    Every block is keyed as block 0, so a group reproduces the kernel's own first block of
    ``group`` runs: common random numbers across input samples (picklable, for any backend).
    """

    group: int = 1

    def for_block(self, block: int, offset: int) -> SharedStreams:
        return self

    def generator(self, key: str, *index: int) -> np.random.Generator:
        return SharedGenerator(super().generator(key, *index), self.group)  # type: ignore[return-value]

    def rows(self, key: str, runs: int) -> RowStream:
        """One run-major stream over the whole job: every group sees the first group's numbers
        (stream blocks would cut groups that straddle a block's edge)."""
        return RowStream(self, key)


def simulate_shared(inputs: Any, options: Any, seed: int, group: int,
                    backend: Any = None, model: str = "war") -> Any:
    """Simulate with every group of ``group`` runs on the same random streams, through the
    runner's jobs and ``backend`` (default: this process); blocks hold whole groups.
    ``model`` 'war' (WarInputs) or 'coupled' (CoupledInputs; its kernel draws every stream
    run-major, so a group again sees the numbers of the kernel's own first ``group`` runs)."""
    from detente.registry import get_spec
    from detente.runtime import blocks, run_job
    from detente.runtime.backends import InProcess

    spec = get_spec(model)
    per = max(1, spec.block // group) * group
    shared = SharedStreams(Streams.from_seed(seed).entropy, group=group)
    jobs = [(spec.name, inputs.take(sl), options, shared) for sl in blocks(inputs.runs, per)]
    parts = (backend or InProcess()).map(run_job, jobs, None, threads_ok=spec.threads)
    return parts[0] if len(parts) == 1 else type(parts[0]).concatenate(parts)


def simulate_variants(problem_: WarProblem, sample: np.ndarray, runs_per_sample: int, seed: int,
                      variants: Sequence[Sequence[str]], common: bool = True,
                      chunk: int = 0, backend: Any = None) -> list[Any]:
    """Simulate every lever set of ``variants`` over the sample, (n x M) runs each: WarOutcome
    or CoupledOutcome per variant.

    ``common=False`` gives every run its own streams (seeded from ``seed`` and the ``chunk``
    number), for showing what common random numbers buy; the analyses always use them.
    """
    model = "coupled" if problem_.coupled else "war"
    coupled = batched_coupled(problem_, sample, runs_per_sample, seed) if problem_.coupled \
        else None
    out = []
    for levers in variants:
        batch = select(coupled, levers) if coupled is not None else batched_inputs(
            problem_, sample, runs_per_sample, seed, levers)
        if common:
            out.append(simulate_shared(batch, problem_.options, seed, runs_per_sample, backend,
                                       model))
        else:
            from detente.runtime import run_arrays

            own = int(np.random.SeedSequence([seed, chunk]).generate_state(1)[0])
            out.append(run_arrays(model, batch, problem_.options, own, backend))
    return out


CHUNK_RUNS = 1 << 18  # runs simulated at once: bounds memory (the kernel keeps (runs, weeks))
CHUNK_RUNS_COUPLED = 1 << 15  # the coupled kernel keeps far more per run (weeks x parties, ...)


def evaluate(problem_: WarProblem, sample: np.ndarray, runs_per_sample: int, seed: int,
             common: bool = True, backend: Any = None) -> np.ndarray:
    """The outcome at each row of ``sample`` (n, k input values), each from M runs, (n,).

    Rows are simulated in chunks of about CHUNK_RUNS runs, each chunk one batched kernel call;
    with common random numbers a row's outcome does not depend on the chunking, nor on the
    runner ``backend`` (this process, local processes or dask) that runs the blocks.
    """
    sample = np.atleast_2d(np.asarray(sample, dtype=float))
    variants = problem_.outcome.variants(problem_.levers)
    per = max(1, (CHUNK_RUNS_COUPLED if problem_.coupled else CHUNK_RUNS) // runs_per_sample)
    parts = []
    for start in range(0, sample.shape[0], per):
        rows = sample[start:start + per]
        results = simulate_variants(problem_, rows, runs_per_sample, seed, variants, common,
                                    start // per, backend)
        parts.append(problem_.outcome.reduce(results, rows.shape[0], _issues(problem_),
                                             problem_.weeks, _subsets(problem_)))
    return np.concatenate(parts) if parts else np.empty(0)


def _issues(problem_: WarProblem) -> list[str]:
    return [i.id for i in problem_.scenario.issues]


def _subsets(problem_: WarProblem) -> list[str]:
    talks = problem_.scenario.war.talks  # type: ignore[union-attr]
    return [pd.id for pd in talks.partial] if talks is not None else []


@dataclass(frozen=True)
class WarEvaluator:
    """:func:`evaluate` with its problem, runs per sample and seed fixed: an ``Evaluator``."""

    problem: WarProblem
    runs_per_sample: int = 200
    seed: int = 0
    backend: Any = None

    def __call__(self, sample: np.ndarray) -> np.ndarray:
        return evaluate(self.problem, sample, self.runs_per_sample, self.seed,
                        backend=self.backend)

    def per_run(self, sample: np.ndarray) -> np.ndarray | None:
        """Per-run values (n, M) of a mean-type outcome (None otherwise), for paired intervals
        (one batched call: for the few rows of a tornado)."""
        out = self.problem.outcome
        if not out.mean_type:
            return None
        results = simulate_variants(self.problem, np.atleast_2d(sample), self.runs_per_sample,
                                    self.seed, out.variants(self.problem.levers),
                                    backend=self.backend)
        return out.per_run(results).reshape(np.atleast_2d(sample).shape[0], -1)

    def inner_se(self, y: np.ndarray) -> float | None:
        """Typical standard error of one sample's outcome from its M runs (probabilities)."""
        if self.problem.outcome.kind not in ("p_deal", "p_partial"):
            return None
        return float(np.mean(np.sqrt(y * (1 - y) / self.runs_per_sample)))


# -- the analyses ---------------------------------------------------------------------------------

def _salib(method: str) -> tuple[Any, Any]:
    """SALib's analyser and sampler for ``method`` (an optional dependency)."""
    import importlib

    try:
        return (importlib.import_module(f"SALib.analyze.{method}"),
                importlib.import_module(f"SALib.sample.{method}"))
    except ImportError:
        raise ModelError(f"--method {method} needs SALib: pip install 'detente[analysis]'"
                         ) from None


def _salib_problem(inputs: Sequence[Input]) -> dict[str, Any]:
    return {"num_vars": len(inputs), "names": [i.name for i in inputs],
            "bounds": [[0.0, 1.0]] * len(inputs)}


def _need_inputs(inputs: Sequence[Input]) -> None:
    if not inputs:
        raise InputError([problem("no uncertain inputs: every value is a point value (name one "
                                  "with --input NAME=LO:HI)", ("input",))])


def sobol(inputs: Sequence[Input], evaluator: Evaluator, samples: int = 1024,
          seed: int = 0) -> dict[str, Any]:
    """First-order and total Sobol indices with bootstrap 95 % intervals (SALib).

    Saltelli's scheme without second order: N (k + 2) evaluations; Jansen's total-effect and
    Saltelli's (2010) first-order estimators as SALib implements them. Returns plain data with
    the evaluated sample matrix (values) and outcomes.
    """
    analyze, sampler = _salib("sobol")
    _need_inputs(inputs)
    spec = _salib_problem(inputs)
    u = sampler.sample(spec, samples, calc_second_order=False, seed=seed)
    x = to_values(inputs, u)
    y = np.asarray(evaluator(x), dtype=float)
    _check_finite(y)
    rows = []
    if np.var(y) == 0:
        zero = dict.fromkeys(("S1", "S1_conf", "ST", "ST_conf"), 0.0)
        stats = {k: np.zeros(len(inputs)) for k in zero}
    else:
        # SALib seeds its bootstrap only for a truthy seed: seed + 1 keeps --seed 0 reproducible
        stats = analyze.analyze(spec, y, calc_second_order=False, conf_level=0.95,
                                seed=seed + 1)
    for k, inp in enumerate(inputs):
        s1, s1c, st, stc = (float(stats[key][k]) for key in ("S1", "S1_conf", "ST", "ST_conf"))
        rows.append({"name": inp.name, "evidence": inp.evidence, "S1": s1, "S1_conf": s1c,
                     "ST": st, "ST_conf": stc, "indistinguishable_from_zero": st - stc <= 1e-9})
    rows.sort(key=lambda r: -r["ST"])
    return {"method": "sobol", "base_samples": samples, "evaluations": int(y.size),
            "indices": rows, "assumption_share": _assumption_share(rows, "ST"),
            "outcome_mean": float(y.mean()), "outcome_sd": float(y.std()),
            "constant_outcome": bool(np.var(y) == 0), "x": x, "y": y}


def morris(inputs: Sequence[Input], evaluator: Evaluator, trajectories: int = 64,
           seed: int = 0, levels: int = 4) -> dict[str, Any]:
    """Morris elementary effects μ*, μ and σ with bootstrap intervals on μ* (SALib).

    The grid spans each input's 1 %-99 % quantiles (uniforms 0.01..0.99), so μ* is the mean
    absolute change in the outcome per step of the grid over that range; r (k + 1) evaluations.
    """
    analyze, sampler = _salib("morris")
    _need_inputs(inputs)
    spec = {**_salib_problem(inputs), "bounds": [[0.01, 0.99]] * len(inputs)}
    u = sampler.sample(spec, trajectories, num_levels=levels, seed=seed)
    x = to_values(inputs, u)
    y = np.asarray(evaluator(x), dtype=float)
    _check_finite(y)
    stats = analyze.analyze(spec, u, y, conf_level=0.95, num_levels=levels, seed=seed)
    rows = [{"name": inp.name, "evidence": inp.evidence, "mu_star": float(stats["mu_star"][k]),
             "mu_star_conf": float(stats["mu_star_conf"][k]), "mu": float(stats["mu"][k]),
             "sigma": float(stats["sigma"][k])} for k, inp in enumerate(inputs)]
    rows.sort(key=lambda r: -r["mu_star"])
    return {"method": "morris", "trajectories": trajectories, "levels": levels,
            "evaluations": int(y.size), "indices": rows,
            "assumption_share": _assumption_share(rows, "mu_star"), "x": x, "y": y}


def tornado(inputs: Sequence[Input], evaluator: Evaluator) -> dict[str, Any]:
    """One input at a time at its 5th and 95th percentiles, the others at their point values.

    2k + 1 evaluations in one call (:func:`tornado_design`). A bar spans the outcome at the low
    end, the point value and the high end (``swing`` is its length, so an input whose effect
    peaks in the middle of its range is not ranked as inert); bars are sorted by swing. Where
    the evaluator gives per-run values (mean-type war outcomes), each bar end carries a paired
    95 % interval: base + mean(end - base) ± 1.96 sd/sqrt(M) over runs that share their random
    streams.
    """
    _need_inputs(inputs)
    x = tornado_design(inputs)
    y = np.asarray(evaluator(x), dtype=float)
    per_run = getattr(evaluator, "per_run", None)
    runs = per_run(x) if per_run is not None else None
    return {"method": "tornado", "base": float(y[0]), "evaluations": int(y.size),
            "bars": tornado_bars(inputs, x, y, runs), "x": x, "y": y}


def tornado_design(inputs: Sequence[Input]) -> np.ndarray:
    """The tornado's rows (2k + 1, k): every input at its point value, then input j at its
    5th (row 1 + 2j) and 95th (row 2 + 2j) percentiles."""
    k = len(inputs)
    x = np.tile(points(inputs), (2 * k + 1, 1))
    for j, inp in enumerate(inputs):
        x[1 + 2 * j, j], x[2 + 2 * j, j] = inp.values(np.array([0.05, 0.95]))
    return x


def tornado_bars(inputs: Sequence[Input], x: np.ndarray, y: np.ndarray,
                 runs: np.ndarray | None = None, columns: Sequence[int] | None = None
                 ) -> list[dict[str, Any]]:
    """The bars of a tornado from its design ``x``, outcomes ``y`` (2k + 1,) and, for paired
    intervals, per-run values ``runs`` (2k + 1, M); only the inputs ``columns`` (default all),
    sorted by swing."""
    bars = []
    for j in (range(len(inputs)) if columns is None else columns):
        inp = inputs[j]
        low, high = y[1 + 2 * j], y[2 + 2 * j]
        bar = {"name": inp.name, "evidence": inp.evidence, "at_p05": float(x[1 + 2 * j, j]),
               "at_p95": float(x[2 + 2 * j, j]), "low": float(low), "high": float(high),
               "swing": float(max(low, high, y[0]) - min(low, high, y[0])), "low_ci95": None,
               "high_ci95": None, "high_minus_low_ci95": None}
        if runs is not None:
            bar["low_ci95"] = _paired_ci(runs[1 + 2 * j], runs[0], y[0])
            bar["high_ci95"] = _paired_ci(runs[2 + 2 * j], runs[0], y[0])
            bar["high_minus_low_ci95"] = _paired_ci(runs[2 + 2 * j], runs[1 + 2 * j], 0.0)
        bars.append(bar)
    bars.sort(key=lambda b: -b["swing"])
    return bars


def _paired_ci(a: np.ndarray, b: np.ndarray, shift: float) -> list[float]:
    d = a - b
    half = 1.96 * float(d.std(ddof=1)) / np.sqrt(d.size) if d.size > 1 else 0.0
    return [float(shift + d.mean() - half), float(shift + d.mean() + half)]


def _assumption_share(rows: list[dict[str, Any]], key: str) -> float | None:
    """Share of the summed index carried by inputs resting on an assumption or on nothing."""
    total = sum(max(r[key], 0.0) for r in rows)
    if total <= 0:
        return None
    return float(sum(max(r[key], 0.0) for r in rows if r["evidence"] in ("assumption", "none"))
                 / total)


def _check_finite(y: np.ndarray) -> None:
    bad = int(np.sum(~np.isfinite(y)))
    if bad:
        raise InputError([problem(
            f"the outcome is undefined in {bad} of {y.size} samples (for terms: no run has a "
            "deal in force at that week); raise --runs-per-sample or pick another week",
            ("outcome",))])


def constant_outcome(name: str, y: np.ndarray) -> list[str]:
    """A warning when the outcome takes one value in every sample: every index is then zero
    because nothing studied can move it, not because the inputs do not matter elsewhere."""
    if y.size == 0 or np.ptp(y) > 0:
        return []
    return [f"the outcome {name} is {float(y[0]):g} in every sample, so every index is zero: "
            "no input studied moves it here (for a chance of a deal, choose a week after the "
            "first deals, e.g. the horizon's last checkpoint)"]


def analyse(problem_: WarProblem, method: str = "sobol", samples: int = 1024,
            runs_per_sample: int = 200, seed: int = 0, backend: Any = None) -> dict[str, Any]:
    """Run one method on a war problem: the object of ``detente sensitivity --json``.

    ``samples`` is Sobol's base sample N or Morris's number of trajectories (unused by the
    tornado); ``backend`` runs the blocks (the numbers do not depend on it). The evaluated
    sample matrix and outcomes are under ``x`` and ``y``.
    """
    evaluator = WarEvaluator(problem_, runs_per_sample, seed, backend)
    if method == "sobol":
        result = sobol(problem_.inputs, evaluator, samples, seed)
    elif method == "morris":
        result = morris(problem_.inputs, evaluator, samples, seed)
    elif method == "tornado":
        result = tornado(problem_.inputs, evaluator)
    else:
        raise InputError([problem("unknown method (allowed: sobol, morris, tornado)",
                                  ("method",), value=method)])
    return {
        "outcome": {"name": problem_.outcome.name, "doc": problem_.outcome.doc},
        "warnings": constant_outcome(problem_.outcome.name, result["y"]),
        "hypothesis": problem_.hypothesis or "baseline",
        "levers": list(problem_.levers),
        "model": "coupled" if problem_.coupled else "war",
        "runs_per_sample": runs_per_sample,
        "seed": seed,
        "inputs": [inp.describe() for inp in problem_.inputs],
        **result,
        "noise": {"common_random_numbers": True, "inner_se": evaluator.inner_se(result["y"]),
                  "note": NOISE_NOTE},
    }


def write_parquet(path: str, result: dict[str, Any]) -> None:
    """The evaluated sample matrix (one column per input) and the outcome, as Parquet."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise ModelError("--out needs pyarrow: pip install 'detente[store]'") from None

    columns = {row["name"]: result["x"][:, k] for k, row in enumerate(result["inputs"])}
    columns[result["outcome"]["name"]] = result["y"]
    pq.write_table(pa.table(columns), path)


def sample_outcomes(problem_: WarProblem, samples: int = 1000, runs_per_sample: int = 200,
                    seed: int = 0, backend: Any = None) -> tuple[np.ndarray, np.ndarray]:
    """A Latin-hypercube sample of the inputs (samples, k) and the outcome at each, (samples,)."""
    from scipy.stats import qmc

    _need_inputs(problem_.inputs)
    u = qmc.LatinHypercube(d=len(problem_.inputs), seed=np.random.default_rng(seed)).random(samples)
    x = to_values(problem_.inputs, u)
    y = evaluate(problem_, x, runs_per_sample, seed, backend=backend)
    _check_finite(y)
    return x, y


def discover(problem_: WarProblem, condition: Any, samples: int = 1000,
             runs_per_sample: int = 200, seed: int = 0, alpha: float = 0.05,
             threshold: float = 0.8, pasting: bool = False, backend: Any = None
             ) -> dict[str, Any]:
    """PRIM over sampled inputs: where does ``condition`` (an outcomes.Condition) hold?

    The object of ``detente discover --json``: the chosen box with coverage, density and its
    restricted inputs (with their evidence), and the peeling trajectory (the trade-off curve).
    """
    from detente.analysis.prim import prim

    x, y = sample_outcomes(problem_, samples, runs_per_sample, seed, backend)
    hit = condition.holds(y)
    names = [inp.name for inp in problem_.inputs]
    found = prim(x, hit, names, alpha=alpha, threshold=threshold, pasting=pasting)
    evidence = {inp.name: inp.evidence for inp in problem_.inputs}
    for limit in found["box"]["limits"]:
        limit["evidence"] = evidence[limit["name"]]
    return {"where": str(condition), "outcome": {"name": problem_.outcome.name,
                                                 "doc": problem_.outcome.doc},
            "hypothesis": problem_.hypothesis or "baseline", "levers": list(problem_.levers),
            "model": "coupled" if problem_.coupled else "war", "samples": samples,
            "runs_per_sample": runs_per_sample, "seed": seed,
            "share_true": float(hit.mean()), "inputs": [inp.describe() for inp in
                                                        problem_.inputs], **found,
            "x": x, "y": y}
