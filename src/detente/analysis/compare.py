"""Outcome distributions with and without each lever, under each hypothesis (common random numbers).

Every variant of a comparison is compiled from the same seed and simulated with a generator
seeded alike, so run i of "with lever L" and run i of the baseline share their parameter draws,
battles, breakdowns and deadline draws; the difference between the two is the lever's effect on
that run, and its mean has a far smaller standard error than independent samples would give.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from detente import __version__
from detente.compile import WarInputs, late_levers
from detente.errors import InputError, problem
from detente.options import WarOptions, parse_options
from detente.scenario.schema import Scenario
from detente.seeds import Streams, shared_draws
from detente.war.kernel import END_MODES, HORIZON, WarOutcome

CHECKPOINTS = (13, 26, 52)
_SHOWN: dict = {}  # the registry of the pool workers' warnings shown here (see variant_runs)


@dataclass(frozen=True)
class WarRun:
    """One variant (hypothesis x levers) simulated over many runs."""

    inputs: WarInputs
    outcome: WarOutcome
    levers: tuple[str, ...]
    provenance: dict[str, Any] | None = None
    warnings: tuple[str, ...] = ()


def is_coupled_run(run: Any) -> bool:
    """Whether a variant's run is the coupled model's (``analysis.coupled.CoupledRun``), told
    without importing that model: its scipy import was a quarter of a §5 `simulate`'s time."""
    return not isinstance(run, WarRun)


def war_options(given: dict[str, Any] | None = None) -> Any:
    """WarOptions, or the coupled kernel's options when a key only it has is given."""
    from detente.options import CoupledOptions

    if set(given or {}) & (set(CoupledOptions.model_fields) - set(WarOptions.model_fields)):
        return parse_options(CoupledOptions, given)
    return parse_options(WarOptions, given)


def is_coupled(scenario: Scenario, options: Any) -> bool:
    """A scenario with `war.talks` runs the coupled kernel unless a §5 variant is asked for
    (``-O variant=...``, smith-stam included: given explicitly it was silently ignored)."""
    named = isinstance(options, WarOptions) and "variant" in options.model_fields_set
    return scenario.war is not None and scenario.war.talks is not None and not named


def run_variant(scenario: Scenario, hypothesis: str | None, levers: Sequence[str], runs: int,
                seed: int, options: WarOptions, horizon: int | None = None,
                strength: dict[str, float] | None = None, backend: Any = None,
                max_memory: int | None = None, digest: bool = False) -> Any:
    """One variant through the runner (the same seed gives every variant the same streams):
    the coupled model on a scenario with talks, else the §5 kernel. ``digest``: a coupled
    variant keeps only what its summaries read (:class:`~.coupled.CoupledDigest`)."""
    from detente.runtime import Experiment, run

    if is_coupled(scenario, options):
        from detente.analysis.coupled import run_coupled

        return run_coupled(scenario, hypothesis, levers, runs, seed, options, horizon, strength,
                           backend, max_memory, digest=digest)
    if not isinstance(options, WarOptions):
        raise InputError([problem("these options are the coupled model's: the scenario needs a "
                                  "`war.talks` section", ("options",))])
    res = run(Experiment(scenario, "war", options.model_dump(mode="json", exclude_unset=True),
                         hypothesis, tuple(levers), runs,
                         horizon=horizon, seed=seed, strength=strength, max_memory=max_memory),
              backend)
    notes = tuple(res.warnings)
    if scenario.war is not None and scenario.war.talks is not None:
        notes += (section_kernel_note(options.variant),)
    return WarRun(res.inputs, res.outcome, tuple(levers), res.provenance, notes)


def section_kernel_note(variant: str) -> str:
    """The warning for a §5 variant asked for on a scenario written for the coupled model: its
    talks, red lines, third parties and economy change nothing in the §5 kernel."""
    return (f"-O variant={variant} runs the §5 kernel: the scenario's war.talks, red lines, "
            "third parties and economy are not used (the deal settles on one scalar share); "
            "leave out -O variant to run the coupled model")


def agreement_curve(outcome: WarOutcome) -> np.ndarray:
    """Share of runs with an agreement in force at the end of each week, (T,)."""
    return outcome.in_force.mean(axis=0)


def summarize(run: WarRun, checkpoints: Sequence[int] = CHECKPOINTS) -> dict[str, Any]:
    """The distribution of outcomes of one variant, as plain data."""
    if is_coupled_run(run):
        from detente.analysis.coupled import digested, legacy_summary, summarize_coupled

        run = digested(run)
        return {**legacy_summary(run), "coupled": summarize_coupled(run)}
    out, horizon = run.outcome, run.inputs.horizon
    modes = {m: float(np.mean(out.end_mode == code)) for code, m in enumerate(END_MODES)
             if m != "fighting"}
    ended = out.end_mode != HORIZON
    duration = out.end_week.astype(float)
    terms = {}
    for j, issue in enumerate(run.inputs.issues):
        values = out.terms[ended, j]
        terms[issue] = ({"mean": float(values.mean()), "p05": float(np.percentile(values, 5)),
                         "p95": float(np.percentile(values, 95))} if values.size else
                        {"mean": None, "p05": None, "p95": None})
    return {
        "p_agreement": {str(w): float(out.in_force[:, w - 1].mean()) if w <= horizon else None
                        for w in checkpoints},
        "end_mode": {m: v for m, v in modes.items() if v > 0},
        "duration_weeks": {f"p{q}": float(np.percentile(duration, q)) for q in (10, 50, 90)},
        "censored_share": float(np.mean(~ended)),
        "share_R": {"mean": float(np.nanmean(out.share)) if ended.any() else None},
        "terms": terms,
    }


def distribution(values: np.ndarray, bins: int = 20) -> dict[str, list[float]]:
    """A histogram as plain data (for reports and the dashboard)."""
    if values.size == 0:
        return {"edges": [], "counts": []}
    counts, edges = np.histogram(values, bins=bins)
    return {"edges": [float(e) for e in edges], "counts": [int(c) for c in counts]}


def paired_delta(with_lever: WarOutcome, baseline: WarOutcome, week: int) -> dict[str, Any]:
    """Mean difference in P(agreement in force at ``week``) and its normal 95 % interval.

    Runs are paired by common random numbers, so the interval uses the standard deviation of
    the per-run differences: mean ± 1.96 sd / sqrt(n).
    """
    d = with_lever.in_force[:, week - 1].astype(float) - baseline.in_force[:, week - 1]
    mean = float(d.mean())
    half = 1.96 * float(d.std(ddof=1)) / np.sqrt(d.size) if d.size > 1 else float("nan")
    return {"mean": mean, "ci95": [float(mean - half), float(mean + half)]}


def _delta(alt: Any, base: Any, week: int) -> dict[str, Any]:
    if is_coupled_run(base):
        from detente.analysis.coupled import lever_effects

        d = lever_effects(alt, base, [week])["delta_p_deal"][str(week)]
        return {"mean": d["mean"], "ci95": d["ci95"]}
    return paired_delta(alt.outcome, base.outcome, week)


def compare(scenario: Scenario, hypotheses: Sequence[str], levers: Sequence[str], runs: int,
            seed: int, options: WarOptions, horizon: int | None = None,
            progress: Callable[[str], None] | None = None, backend: Any = None,
            max_memory: int | None = None, baselines: dict[str, Any] | None = None
            ) -> dict[str, Any]:
    """Baseline and each lever alone, under each hypothesis: the object of `compare --json`.
    ``baselines``, when given, receives each hypothesis's baseline run (a caller summarises
    them without running them again)."""
    if late := late_levers(scenario, levers, horizon):  # every such lever at once, before any run
        raise InputError(late)
    result: dict[str, Any] = {"hypotheses": {}}
    bases = {} if baselines is None else baselines
    variants = [(hyp, lv) for hyp in hypotheses for lv in ((), *((lever,) for lever in levers))]
    with shared_draws():
        runs_of = variant_runs(scenario, variants, runs, seed, options, horizon, backend,
                               max_memory)
        for hyp in hypotheses:
            result["hypotheses"][hyp] = _hypothesis_entry(hyp, levers, runs_of, progress, bases)
    base = bases[hypotheses[-1]]
    result["provenance"] = {
        "scenario_sha256": scenario.sha256(),
        "version": __version__,
        "seed": seed,
        "runs": runs,
        "options": options.as_dict(),
        "horizon": horizon or (scenario.war.horizon if scenario.war else None),
        "backend": base.provenance["backend"] if base.provenance else None,
        "workers": base.provenance["workers"] if base.provenance else None,
    }
    return result


def _hypothesis_entry(hyp: str, levers: Sequence[str], runs_of: Iterator[Any],
                      progress: Callable[[str], None] | None, baselines: dict[str, Any]
                      ) -> dict[str, Any]:
    """One hypothesis of :func:`compare` from its next runs in ``runs_of``: the baseline (put
    in ``baselines``), then each lever alone."""
    base = next(runs_of)
    if progress:
        progress(f"{hyp}: baseline")
    baselines[hyp] = base
    entry: dict[str, Any] = {"baseline": summarize(base), "levers": {},
                             "warnings": list(base.warnings)}
    weeks = [w for w in CHECKPOINTS if w <= base.inputs.horizon]
    if is_coupled_run(base):
        from detente.analysis.coupled import checkpoints, lever_effects

        weeks = checkpoints(base.inputs.horizon)
    for lever in levers:
        alt = next(runs_of)
        if progress:
            progress(f"{hyp}: {lever}")
        summary = summarize(alt)
        notes = [w for w in alt.warnings if w not in base.warnings]
        if _unchanged(alt.outcome, base.outcome):
            notes.append(f"lever {lever!r} changed no run's outcome under {hyp!r} (same "
                         "agreements, weeks and terms in every run)")
        entry["warnings"] += notes
        effects = lever_effects(alt, base, weeks) if is_coupled_run(base) else None
        entry["levers"][lever] = {
            "p_agreement": summary["p_agreement"],
            "delta_p_agreement": ({str(w): _delta(alt, base, w) for w in weeks}
                                  if effects is None else _deltas_of(effects)),
            "end_mode": summary["end_mode"],
            "duration_weeks": summary["duration_weeks"],
            "terms": summary["terms"],
        }
        if effects is not None:
            entry["levers"][lever]["coupled"] = {**summary["coupled"], "effects": effects}
    return entry


def _deltas_of(effects: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A coupled lever's ``delta_p_agreement`` read from its :func:`~.coupled.lever_effects` at
    the checkpoints: what :func:`_delta` gives week by week (the same paired differences),
    without computing every effect again for each week."""
    return {w: {"mean": d["mean"], "ci95": None if d["ci95"] is None else list(d["ci95"])}
            for w, d in effects["delta_p_deal"].items()}


def variant_runs(scenario: Scenario, variants: Sequence[tuple[str | None, tuple[str, ...]]],
                 runs: int, seed: int, options: Any, horizon: int | None = None,
                 backend: Any = None, max_memory: int | None = None) -> Iterator[Any]:
    """The digested runs of ``variants`` (hypothesis, levers), in order. Variants that fit one
    block of their model each run whole as one job of ``backend``'s pool when it has several
    workers (block by block, such a variant would get one worker and a pool of its own);
    otherwise one after another, each spread over ``backend`` as :func:`run_variant` does. The
    coupled model's variants of one hypothesis run stacked: in this process when ``backend`` is
    this process, else as chunks sent to ``backend`` (a one-worker cluster or pool included: the
    work goes where the user sent it). The numbers are the same either way (every block
    carries its own streams)."""
    from detente.registry import get_spec
    from detente.runtime.backends import Auto, InProcess

    model = "coupled" if is_coupled(scenario, options) else "war"
    jobs = [(scenario, hyp, lv, runs, seed, options, horizon, max_memory) for hyp, lv in variants]
    if isinstance(backend, Auto):  # the variants are the jobs: each one block or more
        backend = backend.choose(len(jobs), get_spec(model).threads,
                                 len(jobs) * _variant_seconds(scenario, model, runs, horizon))
    local = backend is None or isinstance(backend, InProcess)
    if model == "coupled" and local:
        for group in _hypothesis_groups(variants):
            yield from stacked_runs(scenario, group[0][0], [lv for _, lv in group], runs, seed,
                                    options, horizon, max_memory, backend)
        return
    if model == "coupled" and len(jobs) >= 2 and runs <= get_spec(model).block:
        # a pool: each job is a chunk of one hypothesis's variants run stacked in a worker;
        # each hypothesis is cut into one chunk per worker (jobs of even size keep the
        # workers equally busy)
        chunks = [(scenario, group[0][0], [lv for _, lv in group[lo:lo + size]], runs, seed,
                   options, horizon, max_memory)
                  for group in _hypothesis_groups(variants)
                  for size in [-(-len(group) // backend.workers)]
                  for lo in range(0, len(group), size)]
        for done, caught in backend.ordered(stacked_job, chunks, None):
            for message, category, filename, lineno in caught:  # once, as in this process
                warnings.warn_explicit(message, category, filename, lineno, registry=_SHOWN)
            for run in done:
                yield replace(run, provenance=run.provenance and {
                    **run.provenance, "backend": backend.name, "workers": backend.workers})
        return
    if backend is None or backend.workers < 2 or len(jobs) < 2 or runs > get_spec(model).block:
        for _, hyp, lv, *_ in jobs:
            yield run_variant(scenario, hyp, lv, runs, seed, options, horizon, backend=backend,
                              max_memory=max_memory, digest=True)
        return
    for run, caught in backend.ordered(variant_job, jobs, None):
        for message, category, filename, lineno in caught:  # once, as in this process
            warnings.warn_explicit(message, category, filename, lineno, registry=_SHOWN)
        yield replace(run, provenance=run.provenance and {
            **run.provenance, "backend": backend.name, "workers": backend.workers})


def _variant_seconds(scenario: Scenario, model: str, runs: int, horizon: int | None) -> float:
    """The budget's estimate of one variant's time (:attr:`detente.budget.Estimate.seconds`)."""
    from detente.budget import for_scenario

    return for_scenario(scenario, model, runs=runs, weeks=horizon).seconds


STACK_MAX = 16  # variants of one hypothesis simulated in one pass of the coupled kernel at most


def _hypothesis_groups(variants: Sequence[tuple[str | None, tuple[str, ...]]]
                       ) -> list[list[tuple[str | None, tuple[str, ...]]]]:
    """Runs of consecutive variants with the same hypothesis, in order."""
    groups: list[list[tuple[str | None, tuple[str, ...]]]] = []
    for hyp, lv in variants:
        if groups and groups[-1][0][0] == hyp:
            groups[-1].append((hyp, lv))
        else:
            groups.append([(hyp, lv)])
    return groups


def stack_size(scenario: Scenario, runs: int, weeks: int, max_memory: int | None) -> int:
    """How many variants to stack in one pass: V such that V blocks of the coupled kernel fit
    the memory limit (``max_memory``, else the runner's default) by the runner's own estimate
    (:func:`detente.budget.for_scenario`), at most STACK_MAX; 1: none."""
    from detente.budget import default_max_memory, for_scenario
    from detente.registry import get_spec

    limit = default_max_memory() if max_memory is None else max_memory
    block = min(runs, get_spec("coupled").block)
    v = STACK_MAX
    while v > 1 and for_scenario(scenario, "coupled", runs=v * block, weeks=weeks).memory > limit:
        v -= 1
    return v


def stacked_runs(scenario: Scenario, hypothesis: str | None, lever_sets: Sequence[tuple[str, ...]],
                 runs: int, seed: int, options: Any, horizon: int | None = None,
                 max_memory: int | None = None, backend: Any = None) -> Iterator[Any]:
    """The digested coupled runs of one hypothesis's variants ``lever_sets``, in order, each
    what :func:`run_variant` (``digest=True``, in this process) gives, from stacked passes of
    the kernel (:mod:`detente.war.stacked`): block by block, up to :func:`stack_size` variants
    at once, each variant with its own streams (the same as alone), the digest folded per
    variant. Variants the kernel cannot stack (a talks model with cross-run reductions) run
    alone."""
    from detente import runtime as rt
    from detente.analysis.coupled import (
        CoupledRun,
        DigestFold,
        checkpoints,
        coupled_options,
    )
    from detente.runtime import Experiment, blocks
    from detente.runtime.backends import InProcess
    from detente.war.stacked import can_stack, simulate_stacked

    opts, notes = coupled_options(options)
    backend = backend or InProcess()  # one worker: its blocks run here either way
    weeks = horizon or (scenario.war.horizon if scenario.war else 1)
    size = stack_size(scenario, runs, weeks, max_memory)
    for lo in range(0, len(lever_sets), size):
        chunk = lever_sets[lo:lo + size]
        exps = [Experiment(scenario, "coupled", opts.model_dump(mode="json", exclude_unset=True),
                           hypothesis, tuple(lv), runs, horizon=horizon, seed=seed,
                           max_memory=max_memory) for lv in chunk]
        spec = exps[0].spec
        kernel_opts = exps[0].validated_options()
        rt._check_budget(exps[0], kernel_opts)  # the same request for each: refused alike
        streams = Streams.from_seed(seed)
        with shared_draws():  # one compiled set of arrays for the chunk (shared by each)
            payloads = [rt._war_inputs(e, streams) for e in exps]
        if len(chunk) < 2 or not can_stack(payloads):
            for lv in chunk:
                yield run_variant(scenario, hypothesis, lv, runs, seed, options, horizon,
                                  backend=backend, max_memory=max_memory, digest=True)
            continue
        folds = [DigestFold(tuple(checkpoints(weeks)), runs) for _ in chunk]
        states: list[Any] = [None] * len(chunk)
        parts = blocks(payloads[0].runs, spec.block)
        for k, sl in enumerate(parts):
            block_streams = streams.for_block(k, sl.start)
            whole = payloads[0].take(sl)  # the chunk's arrays are one set (can_stack)
            cut = [replace(whole, selected=p.selected) for p in payloads]
            n = sl.stop - sl.start
            # every variant's streams are the block's same streams (common random numbers)
            outs = simulate_stacked(cut, kernel_opts,
                                    lambda key, s=block_streams, n=n: s.rows(key, n))
            states = [f.add(st, o) for f, st, o in zip(folds, states, outs, strict=True)]
        for e, lv, payload, f, st in zip(exps, chunk, payloads, folds, states, strict=True):
            output = f.finish(st)
            provenance = rt.provenance_of(e, kernel_opts, payload, payload.runs, backend,
                                          len(parts))
            yield CoupledRun(payload, output, tuple(lv), provenance,
                             (*notes, *rt._warnings(e, kernel_opts, payload, output)))


def stacked_job(job: tuple) -> tuple[list[Any], list[tuple]]:
    """:func:`stacked_runs` of one chunk of a hypothesis's variants in a pool's worker, whole
    in that process, as :func:`variant_job` does for one variant (warnings returned, inputs
    cut to no runs)."""
    scenario, hyp, lever_sets, runs, seed, options, horizon, max_memory = job
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        done = list(stacked_runs(scenario, hyp, lever_sets, runs, seed, options, horizon,
                                 max_memory))
    found = list(dict.fromkeys((str(w.message), w.category, w.filename, w.lineno)
                               for w in caught))
    return [replace(run, inputs=run.inputs.take(slice(0, 0))) for run in done], found


def variant_job(job: tuple) -> tuple[Any, list[tuple]]:
    """One variant of :func:`variant_runs` in a pool's worker (a top-level function: pools
    pickle it), whole in that process, and the Python warnings it raised (message, category,
    file, line): the parent shows them, once (each worker would print its own; a remote dask
    worker only to its log). A coupled run comes back with its inputs cut to no runs: the
    summaries read only their labels and horizon, and pickling every run's inputs back would
    cost more than the run."""
    scenario, hyp, levers, runs, seed, options, horizon, max_memory = job
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run = run_variant(scenario, hyp, levers, runs, seed, options, horizon,
                          max_memory=max_memory, digest=True)
    found = list(dict.fromkeys((str(w.message), w.category, w.filename, w.lineno)
                               for w in caught))
    return (replace(run, inputs=run.inputs.take(slice(0, 0))) if is_coupled_run(run) else run,
            found)


def _unchanged(a: Any, b: Any) -> bool:
    """True when two variants' runs ended identically (common random numbers make it exact)."""
    if hasattr(a, "same_runs"):  # coupled digests
        return bool(a.same_runs(b))
    key = "deal_in_force" if hasattr(a, "deal_in_force") else "in_force"
    return (np.array_equal(getattr(a, key), getattr(b, key))
            and np.array_equal(a.end_week, b.end_week)
            and np.allclose(a.terms, b.terms, equal_nan=True))


def resolve_names(requested: str | None, available: Sequence[str], what: str,
                  extra: Sequence[str] = ()) -> list[str]:
    """'all', a comma list, or nothing (= all) into names, checked against ``available``."""
    every = [*extra, *available]
    if requested in (None, "", "all"):
        return every
    names = [n.strip() for n in requested.split(",") if n.strip()]
    unknown = [n for n in names if n not in every]
    if unknown:
        raise InputError([problem(f"unknown {what} (defined: {', '.join(every) or 'none'})",
                                  (what,), value=u) for u in unknown])
    return names


def simulate_summary(scenario: Scenario, hypothesis: str | None, levers: Sequence[str], runs: int,
                     seed: int, options: WarOptions, horizon: int | None = None,
                     strength: dict[str, float] | None = None, backend: Any = None,
                     max_memory: int | None = None) -> dict[str, Any]:
    """One variant's outcome distribution and agreement curve: the object of `simulate --json`."""
    run = run_variant(scenario, hypothesis, levers, runs, seed, options, horizon, strength,
                      backend, max_memory, digest=True)
    return variant_summary(run, hypothesis, levers)


def variant_summary(run: Any, hypothesis: str | None, levers: Sequence[str]) -> dict[str, Any]:
    """:func:`simulate_summary` of a variant already simulated (a WarRun or a CoupledRun)."""
    if is_coupled_run(run):
        from detente.analysis.coupled import digested

        run = digested(run)
        return {
            "hypothesis": hypothesis or "baseline",
            "levers": list(levers),
            "horizon": run.inputs.horizon,
            **summarize(run),
            "agreement_curve": [float(v) for v in run.outcome.counts["deal"] / run.outcome.runs],
            "durations": distribution(run.outcome.end_week.astype(float)),
            "shares": distribution(np.array([])),
            "warnings": list(run.warnings),
            "provenance": run.provenance,
        }
    return {
        "hypothesis": hypothesis or "baseline",
        "levers": list(levers),
        "horizon": run.inputs.horizon,
        **summarize(run),
        "agreement_curve": [float(v) for v in agreement_curve(run.outcome)],
        "durations": distribution(run.outcome.end_week.astype(float)),
        "shares": distribution(run.outcome.share[~np.isnan(run.outcome.share)]),
        "warnings": list(run.warnings),
        "provenance": run.provenance,
    }
