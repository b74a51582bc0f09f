"""The dashboard's model runs drawn as the report draws them: every model over Monte Carlo draws,
one-round models as forecast distributions, dynamic ones with their 5-95 % band.

An :class:`~fastapi.APIRouter` that :func:`detente.web.app.create_app` includes; it looks
scenarios up through the app's registry (never a path from the request).
"""

from collections.abc import Callable, Sequence
from typing import Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field, create_model

from detente.scenario.schema import Scenario


def router(scenario: Callable[[str], Scenario], models: Sequence[str],
           check_token: Callable[[Request], None],
           responses: dict[int | str, dict[str, Any]]) -> APIRouter:
    """``POST /api/forecast``: one model's run with its draws, as in the report; ``responses``
    are the app's documented error bodies."""

    class Strict(BaseModel):
        model_config = ConfigDict(extra="forbid")

    ForecastRequest = create_model(
        "ForecastRequest", __base__=Strict,
        scenario=(str, Field(min_length=1, max_length=128,
                             description="Scenario name (see /api/scenarios).")),
        model=(Literal[tuple(models)], "eum"),  # type: ignore[valid-type]
        draws=(int, Field(100, ge=1, le=200, description="Monte Carlo draws (at most 200: the "
                                                               "exchange model takes seconds).")),
        seed=(int, Field(0, ge=0, le=2**31 - 1)),
    )
    api = APIRouter()

    @api.post("/api/forecast", responses=responses)
    def forecast(body: ForecastRequest, request: Request) -> dict[str, Any]:  # type: ignore[valid-type]
        """Run a model over Monte Carlo draws: trajectory (draw 0), the forecast in every draw
        and, for a dynamic model, the 5-95 % band of the weighted mean position per round."""
        from detente.analysis.report_data import negotiation_run

        check_token(request)
        sc = scenario(body.scenario)  # type: ignore[attr-defined]
        run = negotiation_run(sc, body.model, body.draws, body.seed)  # type: ignore[attr-defined]
        return {"model": body.model, **run}  # type: ignore[attr-defined]

    return api
