"""The dashboard's sensitivity views (issue 17): tornado, Sobol and Morris indices, PRIM scenario
discovery and the robust lever ranking, each computed by the functions behind `detente
sensitivity`, `detente discover` and `detente compare --robust` with small samples.

An :class:`~fastapi.APIRouter` that :func:`detente.web.app.create_app` includes. Every request is
costed before it runs: its runs (evaluations x runs per sample x lever variants, twice for a
tornado whose bars carry paired intervals) for the weeks the outcome needs go through the app's
budget check at the rate of the kernel that will run them (the coupled talks-while-fighting model
of MODELS.md §7 on a scenario with ``war.talks``, else the war simulator of §5), so one estimated
over the request limit is refused (413) with the estimate and the limit.
"""

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field, create_model

from detente.budget import Estimate, for_scenario
from detente.jsonout import clean
from detente.scenario.schema import Scenario
from detente.web.checks import check_variant

if TYPE_CHECKING:
    from detente.analysis.sensitivity import WarProblem

Seed = Field(0, ge=0, le=2**31 - 1)
RunsPerSample = Field(50, ge=2, le=1000, description="Runs per input sample (inner Monte "
                      "Carlo on common random numbers).")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class SensitivityRequest(Strict):
    outcome: str = Field("p_deal@26", min_length=1, max_length=96,
                         description="p_deal@W, terms@W:ISSUE[:Q], duration[:Q], "
                                     "delta_p_deal@W:LEVER.")
    method: Literal["tornado", "sobol", "morris"] = "tornado"
    samples: int = Field(8, ge=2, le=1024, description="Sobol base samples N (a power of 2; "
                         "N (k + 2) evaluations) or Morris trajectories; unused by the tornado.")
    runs_per_sample: int = RunsPerSample
    hypothesis: str = Field("baseline", min_length=1, max_length=64)
    levers: list[str] = Field(default_factory=list, max_length=20)
    seed: int = Seed


class DiscoverRequest(Strict):
    where: str = Field("delta_p_deal@26 >= 0.05", min_length=1, max_length=128,
                       description="OUTCOME OP NUMBER; delta_p_deal@W takes the lever.")
    lever: str | None = Field(None, min_length=1, max_length=64)
    samples: int = Field(100, ge=20, le=2000, description="Latin-hypercube input samples.")
    runs_per_sample: int = RunsPerSample
    hypothesis: str = Field("baseline", min_length=1, max_length=64)
    alpha: float = Field(0.05, ge=0.01, le=0.5, description="Share peeled per step.")
    threshold: float = Field(0.8, ge=0.0, le=1.0, description="Density the box must reach.")
    seed: int = Seed


class RobustRequest(Strict):
    hypotheses: list[str] | None = Field(None, max_length=20, description="Default: baseline "
                                         "and every hypothesis.")
    levers: list[str] | None = Field(None, max_length=20, description="Default: every lever.")
    week: int = Field(26, ge=1, le=520, description="P(deal in force at this week).")
    samples: int = Field(8, ge=2, le=256, description="Latin-hypercube input samples.")
    runs_per_sample: int = Field(20, ge=2, le=1000)
    pairs: bool = Field(False, description="Also rank every pair of levers.")
    seed: int = Seed


def router(names: Sequence[str], scenario: Callable[[str], Scenario],
           check_token: Callable[[Request], None], within_budget: Callable[[Estimate], None],
           bounded: Callable[..., Any], api_error: type[Exception],
           responses: dict[int | str, dict[str, Any]]) -> APIRouter:
    """``POST /api/sensitivity``, ``/api/discover`` and ``/api/robust`` for the scenarios
    ``names``; ``scenario`` looks a name up in the app's registry, ``within_budget`` refuses an
    estimate over the limit, ``bounded`` runs a computation under the time bound,
    ``api_error(status, message, field)`` is the app's error."""
    field = (Literal[tuple(names)], Field(description="Scenario name (see /api/scenarios)."))  # type: ignore[valid-type]
    SensitivityBody = create_model("SensitivityBody", __base__=SensitivityRequest,
                                   scenario=field)
    DiscoverBody = create_model("DiscoverBody", __base__=DiscoverRequest, scenario=field)
    RobustBody = create_model("RobustBody", __base__=RobustRequest, scenario=field)
    api = APIRouter()

    def checked(sc: Scenario, hypothesis: str, levers: list[str]) -> None:
        check_variant(sc, hypothesis, levers, api_error)

    def cost(prob: "WarProblem", runs: int, what: str, at_once: int | None = None) -> None:
        """Refuse ``runs`` runs of ``prob``'s kernel for its simulated weeks over the budget,
        saying what they are: the time of all of them, the memory of one batch (``at_once``
        runs, default the chunk :func:`~detente.analysis.sensitivity.evaluate` simulates)."""
        from detente.analysis.sensitivity import CHUNK_RUNS, CHUNK_RUNS_COUPLED

        model = "coupled" if prob.coupled else "war"
        chunk = CHUNK_RUNS_COUPLED if prob.coupled else CHUNK_RUNS
        every = for_scenario(prob.scenario, model, runs=runs, weeks=prob.sim_weeks)
        batch = for_scenario(prob.scenario, model, runs=min(runs, at_once or chunk),
                             weeks=prob.sim_weeks)
        try:
            within_budget(replace(every, memory=batch.memory))
        except api_error as err:
            err.message = f"{what} = {runs:,} {model} runs: {err.message}"  # type: ignore[attr-defined]
            raise

    @api.post("/api/sensitivity", responses=responses)
    async def sensitivity(body: SensitivityBody, request: Request) -> dict[str, Any]:
        """Tornado, Sobol (first and total order with 95 % intervals) or Morris indices of a war
        outcome (on a coupled scenario also p_partial@W[:SUBSET]) over the scenario's uncertain
        inputs (a coupled scenario's also its coupled sections' numbers), each with its
        evidence status."""
        from detente.analysis.compare import war_options
        from detente.analysis.outcomes import parse_outcome
        from detente.analysis.sensitivity import analyse, war_problem

        check_token(request)
        sc = scenario(body.scenario)
        checked(sc, body.hypothesis, body.levers)
        prob = war_problem(sc, parse_outcome(body.outcome, sc), body.hypothesis, body.levers,
                           options=war_options())
        if body.method == "sobol" and body.samples & (body.samples - 1):
            raise api_error(422, "Sobol's base sample must be a power of 2 (2, 4, 8, ...)",
                            "samples")
        k = len(prob.inputs)
        evaluations = {"tornado": 2 * k + 1, "sobol": body.samples * (k + 2),
                       "morris": body.samples * (k + 1)}[body.method]
        variants = len(prob.outcome.variants(prob.levers))
        # a tornado of a mean-type outcome simulates its rows again for the per-run intervals
        passes = 2 if body.method == "tornado" and prob.outcome.mean_type else 1
        cost(prob, passes * evaluations * body.runs_per_sample * variants,
             f"{body.method}: {evaluations} evaluations x {body.runs_per_sample} runs per "
             f"sample x {variants} lever variant(s)" + (" x 2 (paired intervals)"
                                                        if passes == 2 else ""))
        result = await bounded(analyse, prob, body.method, body.samples, body.runs_per_sample,
                               body.seed)
        return clean({key: v for key, v in result.items() if key not in ("x", "y")})

    @api.post("/api/discover", responses=responses)
    async def discover(body: DiscoverBody, request: Request) -> dict[str, Any]:
        """PRIM scenario discovery: the input box where the condition holds, its coverage,
        density and restricted inputs, and the peeling trade-off (trajectory)."""
        from detente.analysis.compare import war_options
        from detente.analysis.outcomes import parse_condition, parse_outcome
        from detente.analysis.sensitivity import discover as run_discover
        from detente.analysis.sensitivity import war_problem

        check_token(request)
        sc = scenario(body.scenario)
        checked(sc, body.hypothesis, [body.lever] if body.lever else [])
        condition = parse_condition(body.where, body.lever)
        on = [body.lever] if body.lever and body.lever not in condition.outcome.split(":") \
            else []
        prob = war_problem(sc, parse_outcome(condition.outcome, sc), body.hypothesis, on,
                           options=war_options())
        variants = len(prob.outcome.variants(prob.levers))
        cost(prob, body.samples * body.runs_per_sample * variants,
             f"discovery: {body.samples} samples x {body.runs_per_sample} runs per sample x "
             f"{variants} lever variant(s)")
        result = await bounded(run_discover, prob, condition, body.samples,
                               body.runs_per_sample, body.seed, body.alpha, body.threshold)
        return clean({key: v for key, v in result.items() if key not in ("x", "y")})

    @api.post("/api/robust", responses=responses)
    async def robust(body: RobustBody, request: Request) -> dict[str, Any]:
        """Levers (and pairs) ranked across hypotheses and sampled inputs by expected effect on
        P(deal in force at the week), worst case and minimax regret (on a coupled scenario its
        coupled sections' numbers sampled too)."""
        from detente.analysis.compare import war_options
        from detente.analysis.outcomes import parse_outcome
        from detente.analysis.robust import lever_options, robust_ranking
        from detente.analysis.sensitivity import war_problem

        check_token(request)
        sc = scenario(body.scenario)
        hyps = body.hypotheses or ["baseline", *(h.id for h in sc.hypotheses)]
        levers = body.levers if body.levers is not None else [lv.id for lv in sc.levers]
        for h in hyps:
            checked(sc, h, levers)
        if not levers:
            raise api_error(422, "no lever to rank", "levers")
        horizon = sc.war.horizon if sc.war is not None else None
        if horizon is not None and body.week > horizon:
            raise api_error(422, f"week {body.week} is past the horizon ({horizon} weeks)",
                            "week")
        prob = war_problem(sc, parse_outcome(f"p_deal@{body.week}", sc), options=war_options())
        options = len(lever_options(levers, body.pairs)) + 1
        # every option simulates all samples at once: one batch is samples x runs per sample
        cost(prob, len(hyps) * options * body.samples * body.runs_per_sample,
             f"robust ranking: {len(hyps)} hypotheses x {options} options (with none) x "
             f"{body.samples} samples x {body.runs_per_sample} runs per sample",
             at_once=body.samples * body.runs_per_sample)
        return clean(await bounded(robust_ranking, sc, hyps, levers, body.week, body.samples,
                                   body.runs_per_sample, body.seed, body.pairs, war_options()))

    return api
