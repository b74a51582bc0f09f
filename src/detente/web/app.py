"""The local dashboard: a FastAPI app with a documented JSON API and one page.

Scenarios are served only from the folders the app was started with, looked up by name in a
registry built at start-up (a request can never name a path). Every numeric parameter is
bounded, request bodies are limited in size, and errors come back as JSON naming the field.
With an access token set, every state-changing (POST) request must carry it.
"""


import hmac
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import anyio
import anyio.to_thread
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from pydantic import BaseModel, ConfigDict, Field, create_model
from starlette.exceptions import HTTPException as StarletteHTTPException

from detente import __version__
from detente.budget import Estimate, check_budget, default_max_memory, for_scenario
from detente.errors import InputError, ModelError, format_path
from detente.jsonout import clean
from detente.scenario import load_scenario
from detente.scenario.schema import Scenario
from detente.web import editor, panels, reading, runs, sensitivity
from detente.web.checks import check_variant

MAX_BODY = 64 * 1024
MAX_REQUEST_MEMORY = 2 * 1024**3
"""Most memory one web request may need (bytes), whatever the machine."""
MAX_REQUEST_SECONDS = 5.0
"""Most estimated time one web request may need (see :mod:`detente.budget`)."""
REQUEST_TIMEOUT = 30.0
"""Wall-clock bound on one request's computation, seconds."""
SCENARIO_SUFFIXES = (".yaml", ".yml", ".json")


class ApiError(Exception):
    def __init__(self, status: int, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.field = status, message, field


class ErrorBody(BaseModel):
    error: str
    field: str | None = None


ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "The body is not valid JSON"},
    401: {"model": ErrorBody, "description": "Missing or wrong access token"},
    404: {"model": ErrorBody, "description": "Unknown scenario"},
    413: {"model": ErrorBody, "description": "Request body too large, or the request would "
          "need more memory or time than one request may use"},
    422: {"model": ErrorBody, "description": "A field has a value that is not allowed"},
    503: {"model": ErrorBody, "description": "The computation outlasted the time bound"},
}


def discover(folders: Sequence[Path]) -> dict[str, Path]:
    """Scenario files directly inside ``folders``, by name (file stem); later folders lose ties."""
    found: dict[str, Path] = {}
    for folder in folders:
        for path in sorted(folder.iterdir()) if folder.is_dir() else [folder]:
            if path.is_file() and path.suffix.lower() in SCENARIO_SUFFIXES:
                found.setdefault(path.stem, path.resolve())
    return found


class LimitBody:
    """ASGI middleware: refuse request bodies over ``limit`` bytes with a JSON 413.

    A declared ``content-length`` over the limit is refused at once; a body without one (chunked)
    is read up to the limit and refused as soon as it passes it, then replayed to the app.
    """

    def __init__(self, app: Any, limit: int = MAX_BODY) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await _too_large(send, self.limit)
            return
        messages, seen = [], 0
        while True:
            message = await receive()
            messages.append(message)
            seen += len(message.get("body", b""))
            if seen > self.limit:
                await _too_large(send, self.limit)
                return
            if message["type"] != "http.request" or not message.get("more_body", False):
                break

        async def replay() -> dict:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)


async def _too_large(send: Any, limit: int) -> None:
    body = ErrorBody(error=f"request body over {limit} bytes", field="body").model_dump_json()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": body.encode()})


def create_app(folders: Sequence[Path], token: str | None = None, *,
               max_memory: int | None = None, max_seconds: float = MAX_REQUEST_SECONDS,
               timeout: float = REQUEST_TIMEOUT, ledger: str | Path | None = None) -> FastAPI:
    """The dashboard app serving the scenarios found in ``folders`` (and the forecast ledger
    ``ledger``, an existing file or URL, when given).

    Every computing request is checked against the budget before it runs (memory at most
    ``max_memory``, default the smaller of half the machine and :data:`MAX_REQUEST_MEMORY`;
    estimated time at most ``max_seconds``) and answered 503 after ``timeout`` seconds.
    """
    from detente.registry import MODELS, negotiation_models

    paths = discover(folders)
    if not paths:
        raise InputError([_no_scenarios(folders)])
    cache: dict[str, Scenario | InputError] = {}
    memory = min(default_max_memory(), MAX_REQUEST_MEMORY) if max_memory is None else max_memory

    def loaded(name: str) -> Scenario | InputError:
        """The scenario, or the error that its file gives (kept, so one bad file is reported
        where it is asked for and never breaks the others)."""
        if name not in cache:
            try:
                cache[name] = load_scenario(paths[name])
            except InputError as err:
                cache[name] = err
        return cache[name]

    def scenario(name: str) -> Scenario:
        if name not in paths:
            raise ApiError(404, f"unknown scenario (available: {', '.join(paths)})", "scenario")
        found = loaded(name)
        if isinstance(found, InputError):
            raise ApiError(422, f"scenario file {paths[name].name} is not valid: "
                           f"{found.problems[0].render(None).removeprefix('<input>:').strip()}",
                           "scenario")
        return found

    def within_budget(need: Estimate) -> None:
        try:
            check_budget(need, max_memory=memory, max_seconds=max_seconds)
        except InputError as err:
            raise ApiError(413, err.problems[0].message, format_path(err.problems[0].path)
                           ) from None

    async def bounded(fn: Any, *args: Any) -> Any:
        """Run a computation in a worker thread; answer 503 if it outlasts the time bound
        (the thread finishes on its own: the budget check keeps it short)."""
        try:
            with anyio.fail_after(timeout):
                return await anyio.to_thread.run_sync(fn, *args, abandon_on_cancel=True)
        except TimeoutError:
            raise ApiError(503, f"the computation took longer than {timeout:g} s; ask for "
                           "fewer draws or runs", None) from None

    names = tuple(paths)
    models = tuple(sorted(negotiation_models()))
    ScenarioName = Literal[names]  # type: ignore[valid-type]
    ModelName = Literal[models]  # type: ignore[valid-type]

    class Strict(BaseModel):
        model_config = ConfigDict(extra="forbid", strict=True)  # no true-as-1, no "5"-as-5

    NegotiateRequest = create_model(
        "NegotiateRequest", __base__=Strict,
        scenario=(ScenarioName, Field(description="Scenario name (see /api/scenarios).")),
        model=(ModelName, "eum"),
        draws=(int, Field(1, ge=1, le=500, description="Monte Carlo draws.")),
        rounds=(int | None, Field(None, ge=1, le=100)),
        seed=(int, Field(0, ge=0, le=2**31 - 1)),
    )

    class LeverSetting(Strict):
        id: str = Field(min_length=1, max_length=64, description="Lever id of the scenario.")
        strength: float = Field(1.0, ge=0.0, le=3.0, description="Scales the lever's effects.")

    SimulateRequest = create_model(
        "SimulateRequest", __base__=Strict,
        scenario=(ScenarioName, Field(description="Scenario name with a war part.")),
        hypothesis=(str, Field("baseline", min_length=1, max_length=64)),
        levers=(list[LeverSetting], Field(default_factory=list, max_length=20)),
        runs=(int, Field(2000, ge=100, le=20_000)),
        horizon=(int | None, Field(None, ge=1, le=520)),
        seed=(int, Field(0, ge=0, le=2**31 - 1)),
    )

    CompareRequest = create_model(
        "CompareRequest", __base__=Strict,
        scenario=(ScenarioName, Field(description="Scenario name with a war part.")),
        hypothesis=(str, Field("baseline", min_length=1, max_length=64)),
        levers=(list[str] | None, Field(None, max_length=20,
                                        description="Lever ids (default: every lever).")),
        runs=(int, Field(400, ge=100, le=20_000, description="Runs per variant.")),
        horizon=(int | None, Field(None, ge=1, le=520)),
        seed=(int, Field(0, ge=0, le=2**31 - 1)),
    )

    app = FastAPI(title="detente dashboard API", version=__version__,
                  description="Run negotiation models and the war simulator on the scenarios "
                              "this server was started with.")

    def check_token(request: Request) -> None:
        if token is None:
            return
        given = request.headers.get("authorization", "")
        if not hmac.compare_digest(given, f"Bearer {token}"):
            raise ApiError(401, "this server needs the header 'Authorization: Bearer <token>'",
                           "authorization")

    @app.exception_handler(ApiError)
    async def api_error(_: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(ErrorBody(error=exc.message, field=exc.field).model_dump(),
                            status_code=exc.status)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse(ErrorBody(error=str(exc.detail), field=None).model_dump(),
                            status_code=exc.status_code, headers=exc.headers)  # Allow on 405

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
        loc = tuple(p for p in first["loc"] if p != "body")
        return JSONResponse(ErrorBody(error=str(first["msg"]),
                                      field=format_path(loc) if loc else None).model_dump(),
                            status_code=422)

    @app.exception_handler(InputError)
    async def bad_input(_: Request, exc: InputError) -> JSONResponse:
        first = exc.problems[0]
        return JSONResponse(ErrorBody(error=first.message, field=format_path(first.path)
                                      or None).model_dump(), status_code=422)

    @app.exception_handler(ModelError)
    async def model_error(_: Request, exc: ModelError) -> JSONResponse:
        return JSONResponse(ErrorBody(error=str(exc), field="model").model_dump(),
                            status_code=422)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def dashboard() -> str:
        return resources.files("detente.web").joinpath("static/dashboard.html").read_text(
            encoding="utf-8")

    @app.get("/static/plotly.min.js", include_in_schema=False)
    def plotly_js() -> FileResponse:
        import plotly

        return FileResponse(Path(plotly.__file__).parent / "package_data" / "plotly.min.js",
                            media_type="text/javascript")

    @app.get("/static/plots.js", include_in_schema=False)
    def plots_js() -> FileResponse:
        path = Path(str(resources.files("detente.web").joinpath("static/plots.js")))
        return FileResponse(path, media_type="text/javascript")

    @app.get("/static/panels.js", include_in_schema=False)
    def panels_js() -> FileResponse:  # the dashboard's coupled and sensitivity panels
        path = Path(str(resources.files("detente.web").joinpath("static/panels.js")))
        return FileResponse(path, media_type="text/javascript")

    @app.get("/static/report.js", include_in_schema=False)
    def report_js() -> FileResponse:  # the report's ledger plots, shared rather than copied
        path = Path(str(resources.files("detente.report").joinpath("templates/report.js")))
        return FileResponse(path, media_type="text/javascript")

    @app.get("/api/scenarios", responses=ERRORS)
    def list_scenarios() -> list[dict[str, Any]]:
        """The scenarios this server serves, with their levers and hypotheses."""
        out: list[dict[str, Any]] = []
        for name in paths:
            sc = loaded(name)
            if isinstance(sc, InputError):
                out.append({"name": name, "valid": False, "error": sc.render()})
                continue
            out.append({"name": name, "valid": True, "title": sc.name,
                        "war": sc.war is not None, "levers": [lv.id for lv in sc.levers],
                        "hypotheses": [h.id for h in sc.hypotheses]})
        return out

    @app.get("/api/scenarios/{name}", responses=ERRORS)
    def describe(name: str) -> dict[str, Any]:
        """One scenario: actors, issues, stances with evidence, levers and hypotheses."""
        from detente.analysis.coupled import checkpoints
        from detente.analysis.report_data import scenario_overview

        sc = scenario(name)
        return {**scenario_overview(sc),
                "checkpoints": checkpoints(sc.war.horizon) if sc.war is not None else [],
                "levers": [{"id": lv.id, "name": lv.name, "description": lv.description,
                            "start": lv.start} for lv in sc.levers],
                "hypotheses": [{"id": h.id, "name": h.name, "description": h.description}
                               for h in sc.hypotheses],
                "war": sc.war is not None,
                "coupled": sc.war is not None and sc.war.talks is not None}

    @app.get("/api/models", responses=ERRORS)
    def list_models() -> list[dict[str, Any]]:
        """The negotiation models."""
        from detente.options import describe

        return [{"name": n, "summary": MODELS[n].summary,
                 "options": describe(MODELS[n].options)} for n in models]

    @app.post("/api/negotiate", responses=ERRORS)
    async def negotiate_endpoint(body: NegotiateRequest, request: Request) -> dict[str, Any]:  # type: ignore[valid-type]
        """Run a negotiation model; positions per round (draw 0) and the forecast."""
        from detente.analysis.report_data import DRAW_OPTIONS
        from detente.runtime import negotiate

        check_token(request)
        sc = scenario(body.scenario)  # type: ignore[attr-defined]
        within_budget(for_scenario(sc, body.model, draws=body.draws,  # type: ignore[attr-defined]
                                   rounds=body.rounds or (100 if body.model == "smp" else 10)))  # type: ignore[attr-defined]

        def run() -> dict[str, Any]:
            return negotiate(sc, body.model, DRAW_OPTIONS.get(body.model),  # type: ignore[attr-defined]
                             draws=body.draws, seed=body.seed,  # type: ignore[attr-defined]
                             rounds=body.rounds).to_dict()  # type: ignore[attr-defined]

        data = await bounded(run)
        keep = ("model", "options", "dimensions", "actors", "turns", "positions", "mean",
                "median", "forecast", "provenance", "draws", "probabilities")
        return clean({k: data[k] for k in keep if k in data})

    def war_variant(sc: Scenario, hypothesis: str, levers: Sequence[str],
                    lever_field: str = "levers[{k}].id") -> None:
        """Refuse a scenario without a war, an unknown hypothesis, unknown or repeated levers."""
        check_variant(sc, hypothesis, levers, ApiError, lever_field)

    def war_cost(sc: Scenario, runs: int, variants: int, horizon: int | None) -> None:
        """The budget of ``variants`` simulations of ``runs`` runs, one after the other: the
        memory of one, the time of all (at the coupled model's rate on a scenario with talks)."""
        from dataclasses import replace

        from detente.analysis.compare import is_coupled, war_options

        model = "coupled" if is_coupled(sc, war_options()) else "war"
        one = for_scenario(sc, model, runs=runs, weeks=horizon or sc.war.horizon)  # type: ignore[union-attr]
        within_budget(replace(one, work=one.work * variants,
                              sizes={**one.sizes, "variants": variants}))

    @app.post("/api/simulate", responses=ERRORS)
    async def simulate_endpoint(body: SimulateRequest, request: Request) -> dict[str, Any]:  # type: ignore[valid-type]
        """Simulate the war under a hypothesis with levers on (each at a chosen strength); on a
        coupled scenario also its panels and, with levers on, the baseline's and the levers'
        paired effects."""
        from detente.analysis.compare import is_coupled, war_options

        check_token(request)
        sc = scenario(body.scenario)  # type: ignore[attr-defined]
        chosen = [s.id for s in body.levers]  # type: ignore[attr-defined]
        war_variant(sc, body.hypothesis, chosen)  # type: ignore[attr-defined]
        strength = {s.id: s.strength for s in body.levers}  # type: ignore[attr-defined]
        variants = 2 if chosen and is_coupled(sc, war_options()) else 1
        war_cost(sc, body.runs, variants, body.horizon)  # type: ignore[attr-defined]
        return clean(await bounded(
            panels.simulate_view, sc, body.hypothesis, chosen, body.runs, body.seed,  # type: ignore[attr-defined]
            war_options(), body.horizon, strength))  # type: ignore[attr-defined]

    @app.post("/api/compare", responses=ERRORS)
    async def compare_endpoint(body: CompareRequest, request: Request) -> dict[str, Any]:  # type: ignore[valid-type]
        """Each lever alone against the baseline under one hypothesis: paired effects (common
        random numbers) on P(deal in force) at checkpoints that fit the horizon, with 95 %
        intervals, and on a coupled scenario on each issue's terms."""
        from detente.analysis.compare import compare, war_options

        check_token(request)
        sc = scenario(body.scenario)  # type: ignore[attr-defined]
        levers = body.levers if body.levers is not None else [lv.id for lv in sc.levers]  # type: ignore[attr-defined]
        war_variant(sc, body.hypothesis, levers, "levers[{k}]")  # type: ignore[attr-defined]
        if not levers:
            raise ApiError(422, "no lever to compare", "levers")
        war_cost(sc, body.runs, len(levers) + 1, body.horizon)  # type: ignore[attr-defined]
        result = await bounded(compare, sc, [body.hypothesis], levers, body.runs, body.seed,  # type: ignore[attr-defined]
                               war_options(), body.horizon)  # type: ignore[attr-defined]
        return clean(panels.compare_view(result, body.hypothesis))  # type: ignore[attr-defined]

    app.include_router(runs.router(scenario, models, check_token, ERRORS))
    app.include_router(sensitivity.router(names, scenario, check_token, within_budget, bounded,
                                          ApiError, ERRORS))
    app.include_router(editor.router(folders, paths, check_token, ApiError, ERRORS))
    app.include_router(reading.router(scenario, paths, ledger, ApiError, ERRORS))
    app.add_middleware(LimitBody)
    return app


def _no_scenarios(folders: Sequence[Path]) -> Any:
    from detente.errors import problem

    return problem(f"no scenario files (.yaml, .yml, .json) in {', '.join(map(str, folders))}",
                   ("scenarios",))
