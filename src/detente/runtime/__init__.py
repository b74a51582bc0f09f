"""The experiment runner: one protocol for every model, one seed, one Results.

``run(Experiment(scenario, model, ...), backend)`` is the only place that samples inputs, seeds
random streams, splits the batch into blocks, runs them (in this process, on local processes or
on dask), gathers them and reports progress. Kernels take arrays, validated options and their
block's :class:`~detente.runtime.seeds.Streams`, and return arrays; they start no pools, read
no clocks and print nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from detente import __version__
from detente.errors import InputError, problem
from detente.options import Options, parse_options
from detente.registry import ModelSpec, get_spec
from detente.runtime.backends import AUTO_MIN_SECONDS, Backend, Progress, resolve
from detente.scenario.schema import Scenario
from detente.seeds import Streams

MAX_HORIZON = 1040


class Fold(Protocol):
    """Reduces a model's block outputs as they come (:func:`run_payload`)."""

    def add(self, state: Any, part: Any) -> Any:
        """The state with one more block's output folded in (``state`` None for the first)."""

    def finish(self, state: Any) -> Any:
        """The result from the state after the last block."""


@dataclass(frozen=True)
class Experiment:
    """What to run: a scenario, a model with options, and for a war the hypothesis and levers.

    draws: Monte Carlo draws for a negotiation model (draw 0 = point estimates), runs for the war.
    rounds: rounds of a dynamic negotiation model (sets its ``rounds``/``max_turns`` option).
    max_memory: bytes the request may use (default: half the machine's memory); the runner
        estimates the request from its shapes and refuses it before allocating anything.
    horizon: weeks of a war (default: the scenario's). strength: per-lever what-if scale.
    """

    scenario: Scenario
    model: str = "eum"
    options: Mapping[str, Any] = field(default_factory=dict)
    hypothesis: str | None = None
    levers: tuple[str, ...] = ()
    draws: int = 1
    rounds: int | None = None
    horizon: int | None = None
    seed: int = 0
    strength: Mapping[str, float] | None = None
    max_memory: int | None = None

    @property
    def spec(self) -> ModelSpec:
        return get_spec(self.model)

    def validated_options(self) -> Options:
        """Scenario's ``model_options`` for this model, then the experiment's, then ``rounds``."""
        spec = self.spec
        given = {**self.scenario.model_options.get(self.model, {}), **dict(self.options)}
        if self.rounds is not None:
            fields = spec.options.model_fields
            name = next((f for f in ("rounds", "max_turns") if f in fields), None)
            if name is None:
                raise InputError([problem(f"model {self.model!r} has no rounds (it is not "
                                          "dynamic)", ("rounds",), value=self.rounds)])
            given[name] = self.rounds
        return parse_options(spec.options, given)


def provenance_of(experiment: Experiment, opts: Options, payload: Any, size: int,
                  backend: Any, n_blocks: int) -> dict[str, Any]:
    """What a result records of how it was made: the scenario hash, model, options, hypothesis
    and levers (a war), seed, runs or draws, version, backend, workers and blocks. The
    runner's and compare's stacked variants' results both take it from here."""
    spec = experiment.spec
    return {
        "scenario_sha256": _scenario_sha256(experiment, payload),
        "model": spec.name,
        "options": opts.as_dict(),
        "hypothesis": experiment.hypothesis or "baseline" if spec.kind == "war" else None,
        "levers": list(experiment.levers),
        "seed": experiment.seed,
        ("runs" if spec.kind == "war" else "draws"): size,
        "version": __version__,
        "backend": backend.name,
        "workers": backend.workers,
        "blocks": n_blocks,
    }


def run(experiment: Experiment, backend: Backend | None = None,
        progress: Progress | None = None, fold: Fold | None = None) -> Any:
    """Run ``experiment`` on ``backend`` (default: this process) and return its Results; with
    ``fold`` (:func:`run_payload`) the Results' output is the folded state, not the kernel's
    arrays of every run."""
    from detente.results import Results

    spec = experiment.spec
    if experiment.draws < 1:
        raise InputError([problem("draws (runs) must be at least 1", ("draws",),
                                  value=experiment.draws)])
    opts = experiment.validated_options()
    need = _check_budget(experiment, opts)
    streams = Streams.from_seed(experiment.seed)
    if spec.kind == "war":
        payload = _war_inputs(experiment, streams)
        size = payload.runs
    else:
        from detente.compile import compile_scenario

        # one draw is the point estimates: no stream is read (nor numpy.random imported)
        payload = compile_scenario(experiment.scenario, draws=experiment.draws,
                                   seed=streams.sequence("sampling") if experiment.draws > 1
                                   else None)
        size = payload.draws
    work = payload
    if spec.repeats and opts.repetitions > 1:  # type: ignore[attr-defined]
        work = payload.repeat(opts.repetitions)  # type: ignore[attr-defined]
    n = work.draws if spec.kind != "war" else size
    backend = resolve(backend, len(blocks(n, spec.block)), spec.threads, need.seconds)
    output, n_blocks = run_payload(spec, work, n, opts, streams, backend, progress, fold)
    provenance = provenance_of(experiment, opts, payload, size, backend, n_blocks)
    return Results(spec.kind, spec.name, opts, provenance, payload, output,
                   tuple(_warnings(experiment, opts, payload, output)))


def _scenario_sha256(experiment: Experiment, payload: Any) -> str:
    """The scenario's hash: a negotiation batch carries it from compiling (hashing a large
    scenario's canonical JSON takes milliseconds), a war's inputs are hashed here."""
    if experiment.spec.kind != "war" and payload.scenario_sha256 is not None:
        return payload.scenario_sha256  # type: ignore[no-any-return]
    return experiment.scenario.sha256()


def _warnings(experiment: Experiment, opts: Options, payload: Any, output: Any) -> list[str]:
    """Settings that changed nothing because of another value (never silent no-ops)."""
    given = {**experiment.scenario.model_options.get(experiment.model, {}),
             **dict(experiment.options)}
    out = opts.inert(given)
    if experiment.spec.kind == "war":
        from detente.war.diagnostics import inert_settings, settled_at_once

        hyp = next((h for h in experiment.scenario.hypotheses
                    if h.id == experiment.hypothesis), None)
        if experiment.model == "war":
            out += settled_at_once(output.end_week, output.first_agreement)
            out += inert_settings(payload, experiment.hypothesis or "baseline",
                                  hyp.parameters if hyp else ())
        else:
            out += settled_at_once(output.end_week, output.first_deal)
    return out


def _check_budget(experiment: Experiment, opts: Options) -> Any:
    """Refuse a request whose estimated memory exceeds the limit, before compiling it; returns
    the :class:`~detente.budget.Estimate`."""
    from detente.budget import check_budget, for_scenario

    sc, spec = experiment.scenario, experiment.spec
    if spec.kind == "war":
        weeks = experiment.horizon or (sc.war.horizon if sc.war is not None else 1)
        need = for_scenario(sc, spec.name, runs=experiment.draws, weeks=weeks)
    else:
        rounds = getattr(opts, "rounds", None) or getattr(opts, "max_turns", 1)
        draws = experiment.draws * getattr(opts, "repetitions", 1)
        need = for_scenario(sc, spec.name, draws=draws, rounds=rounds)
    return check_budget(need, experiment.max_memory)


def run_payload(spec: ModelSpec, payload: Any, size: int, opts: Options, streams: Streams,
                backend: Backend, progress: Progress | None = None, fold: Fold | None = None
                ) -> tuple[Any, int]:
    """Split compiled inputs into the model's fixed blocks, run them, gather the outputs.

    With ``fold`` each block's output is folded in (``fold.add``) and dropped, in block order
    whatever order the blocks finish in, and ``fold.finish`` gives the result: memory grows
    with the block, not with the runs, and the numbers are the same on one worker or many."""
    jobs = [(spec.name, payload.take(sl), opts, streams.for_block(k, sl.start))
            for k, sl in enumerate(blocks(size, spec.block))]
    if fold is not None:
        state = None
        for part in backend.ordered(run_job, jobs, progress, threads_ok=spec.threads):
            state = fold.add(state, part)
        return fold.finish(state), len(jobs)
    parts = backend.map(run_job, jobs, progress, threads_ok=spec.threads)
    return (parts[0] if len(parts) == 1 else type(parts[0]).concatenate(parts)), len(jobs)


def run_arrays(model: str, payload: Any, options: Options | Mapping[str, Any] | None = None,
               seed: int | None = 0, backend: Backend | None = None) -> Any:
    """A model on inputs built directly from arrays (``batch_from_arrays``,
    ``war_inputs_from_values``): tests, benchmarks, sweeps. Returns the kernel's output."""
    spec = get_spec(model)
    opts = options if isinstance(options, Options) else parse_options(spec.options,
                                                                       dict(options or {}))
    if spec.repeats and opts.repetitions > 1:  # type: ignore[attr-defined]
        payload = payload.repeat(opts.repetitions)  # type: ignore[attr-defined]
    size = payload.runs if spec.kind == "war" else payload.draws
    out, _ = run_payload(spec, payload, size, opts, Streams.from_seed(seed),
                         resolve(backend, len(blocks(size, spec.block)), spec.threads,
                                 AUTO_MIN_SECONDS))
    return out


def blocks(size: int, block: int) -> list[slice]:
    """Fixed blocks of ``block`` items: the layout is part of the random-stream keys."""
    return [slice(s, min(s + block, size)) for s in range(0, size, block)]


def run_job(job: tuple[str, Any, Options, Streams]) -> Any:
    """One block through its kernel (a top-level function, so processes and dask can pickle it)."""
    name, payload, opts, streams = job
    return get_spec(name).load().run(payload, opts, streams)


def _war_inputs(experiment: Experiment, streams: Streams) -> Any:
    horizon = experiment.horizon
    if horizon is not None and not 1 <= horizon <= MAX_HORIZON:
        raise InputError([problem(f"horizon must lie in [1, {MAX_HORIZON}] weeks", ("horizon",),
                                  value=horizon)])
    compile_fn = experiment.spec.compiler()
    if experiment.model != "war":  # the coupled model compiles its horizon in
        return compile_fn(experiment.scenario, experiment.hypothesis, tuple(experiment.levers),
                          experiment.draws, streams, dict(experiment.strength or {}), horizon)
    inputs = compile_fn(experiment.scenario, experiment.hypothesis, tuple(experiment.levers),
                        experiment.draws, streams, dict(experiment.strength or {}))
    if horizon is None:
        return inputs
    from detente.compile import late_levers

    if late := late_levers(experiment.scenario, experiment.levers, horizon):
        raise InputError(late)
    return replace(inputs, horizon=horizon)


def negotiate(scenario: Scenario, model: str = "eum", options: Mapping[str, Any] | None = None,
              *, rounds: int | None = None, draws: int = 1, seed: int = 0,
              backend: Backend | None = None) -> Any:
    """Compile ``scenario`` into ``draws`` draws and run negotiation ``model`` on them."""
    return run(Experiment(scenario, model, options or {}, rounds=rounds, draws=draws, seed=seed),
               backend)


__all__ = ["Experiment", "Streams", "blocks", "negotiate", "run", "run_arrays", "run_job",
           "run_payload"]
