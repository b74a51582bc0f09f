"""Dashboard routes that read files at request time: the forecast ledger and the paragraphs a
scenario cites. Both reuse the report's data functions (:mod:`detente.report.data`), so the
dashboard and the HTML report show the same thing."""

from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import APIRouter
from fastapi import Path as PathParam
from fastapi.responses import FileResponse

from detente.jsonout import clean

ENABLE_LEDGER = "no forecast ledger: start the server with `detente serve --ledger PATH`"


def router(scenario: Callable[[str], Any], paths: dict[str, Path], ledger: str | Path | None,
           api_error: type[Exception], errors: dict[int | str, dict[str, Any]]) -> APIRouter:
    """``GET /api/ledger`` (404 naming ``--ledger`` when none was given) and
    ``GET /api/scenarios/{name}/citations``."""
    from detente.report.data import cited_text, ledger_section

    if ledger is not None:
        ledger_section(ledger)  # a missing ledger file is refused at start-up, as the report does
    routes = APIRouter()

    @routes.get("/static/reading.js", include_in_schema=False)
    def reading_js() -> FileResponse:
        path = Path(str(resources.files("detente.web").joinpath("static/reading.js")))
        return FileResponse(path, media_type="text/javascript")

    @routes.get("/api/ledger", responses=errors, include_in_schema=True)
    def ledger_endpoint() -> dict[str, Any]:
        """The forecast ledger: questions, forecasts over time, scores and reliability bins
        (read from the ledger file at each request)."""
        if ledger is None:
            raise api_error(404, ENABLE_LEDGER, "ledger")
        return clean(ledger_section(ledger))

    @routes.get("/api/scenarios/{name}/citations", responses=errors, include_in_schema=True)
    def citations(name: str = PathParam(min_length=1, max_length=200)) -> dict[str, Any]:
        """Every cited paragraph keyed ``SOURCE#PARAGRAPH``: its text read now from the
        scenario's article files with the numbers' offsets, or ``missing`` saying why."""
        sc = scenario(name)
        return clean(cited_text(sc, paths[name]))

    return routes
