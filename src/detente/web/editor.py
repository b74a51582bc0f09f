"""The dashboard's scenario editor: validate a document with the project's own loader, save it as
a YAML file into the served folder, and run it.

An :class:`~fastapi.APIRouter` that :func:`detente.web.app.create_app` includes. A saved file's
name is checked against a strict pattern and its resolved path must lie directly inside the
folder the server was started with, so a request can never write anywhere else. Saving and
running are POST requests, guarded by the app's access token when one is set.
"""

import re
from collections.abc import Callable, Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel, ConfigDict, Field, create_model

from detente.errors import InputError, format_path
from detente.scenario.schema import Scenario

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
NAME_RULE = "1-64 letters, digits, '-' or '_', starting with a letter or digit"


class Located(BaseModel):
    """One problem of the document, by the field path it names (``stances[3].salience``)."""

    field: str | None
    message: str
    value: Any = None


class Checked(BaseModel):
    valid: bool
    problems: list[Located]


def check(document: dict[str, Any]) -> tuple[Scenario | None, list[Located]]:
    """Validate ``document`` as a scenario with :func:`~detente.scenario.load.validate_document`:
    every problem comes back with its field path."""
    from detente.scenario.load import validate_document

    try:
        return validate_document(document, None), []
    except InputError as err:
        return None, [Located(field=format_path(p.path) if p.path else None, message=p.message,
                              value=_plain(p.value) if p.has_value else None)
                      for p in err.problems]


def _plain(value: Any) -> Any:
    return value if isinstance(value, str | int | float | bool) or value is None else repr(value)


def save_folder(folders: Sequence[Path]) -> Path | None:
    """The folder saved scenarios go to: the first served folder (files alone give none)."""
    return next((f.resolve() for f in folders if f.is_dir()), None)


def target(folder: Path, name: str, error: type[Exception]) -> Path:
    """``folder/name.yaml``, refusing (``error(status, message, field)``) any name that could
    leave the folder."""
    if not NAME.fullmatch(name):
        raise error(422, f"invalid file name ({NAME_RULE})", "name")
    path = (folder / f"{name}.yaml").resolve()
    if path.parent != folder:
        raise error(422, "the file must lie directly inside the served folder", "name")
    return path


def router(folders: Sequence[Path], served: Mapping[str, Path],
           check_token: Callable[[Request], None], error: type[Exception],
           responses: dict[int | str, dict[str, Any]]) -> APIRouter:
    """The editor's page script and its API under ``/api/editor``; ``error(status, message,
    field)`` is the app's error, ``responses`` its documented error bodies."""
    from detente.registry import negotiation_models

    ApiError, ERRORS = error, responses

    folder = save_folder(folders)

    class Strict(BaseModel):
        model_config = ConfigDict(extra="forbid")

    Document = dict[str, Any]

    class ValidateRequest(Strict):
        document: Document = Field(description="A scenario as YAML would hold it, as JSON.")

    class SaveRequest(Strict):
        name: str = Field(min_length=1, max_length=64, description=f"File name: {NAME_RULE}.")
        document: Document
        overwrite: bool = Field(False, description="Replace a file saved earlier.")

    RunRequest = create_model(
        "RunRequest", __base__=Strict,
        name=(str, Field(min_length=1, max_length=64, description="A saved file's name.")),
        model=(Literal[tuple(sorted(negotiation_models()))], "eum"),  # type: ignore[valid-type]
        draws=(int, Field(100, ge=1, le=200, description="Monte Carlo draws.")),
        seed=(int, Field(0, ge=0, le=2**31 - 1)),
    )

    def need_folder() -> Path:
        if folder is None:
            raise ApiError(409, "this server serves files only: start it with a folder to save "
                                "scenarios into", "name")
        return folder

    def saved(name: str) -> Path:
        path = target(need_folder(), name, ApiError)
        if not path.is_file():
            raise ApiError(404, "no saved scenario of that name", "name")
        return path

    api = APIRouter()

    @api.get("/static/editor.js", include_in_schema=False)
    def editor_js() -> FileResponse:
        path = Path(str(resources.files("detente.web").joinpath("static/editor.js")))
        return FileResponse(path, media_type="text/javascript")

    @api.get("/api/editor/documents/{name}", responses=ERRORS)
    def document(name: str) -> dict[str, Any]:
        """A served (or saved) scenario as an editable document."""
        from detente.scenario import load_scenario
        from detente.scenario.write import scenario_document

        path = served.get(name) or saved(name)
        return scenario_document(load_scenario(path))

    @api.post("/api/editor/validate", responses=ERRORS)
    def validate(body: ValidateRequest) -> Checked:
        """Every problem of the document, each with the field path it names."""
        _, problems = check(body.document)
        return Checked(valid=not problems, problems=problems)

    @api.post("/api/editor/save", responses={**ERRORS, 409: ERRORS[404] | {
        "description": "The file exists, or the server has no folder to save into"}})
    def save(body: SaveRequest, request: Request) -> Any:
        """Validate and write ``<name>.yaml`` into the served folder."""
        from detente.scenario.write import write_scenario

        check_token(request)
        path = target(need_folder(), body.name, ApiError)
        if body.name in served:
            raise ApiError(409, "this name is a scenario the dashboard serves; save under "
                                "another name", "name")
        if path.exists() and not body.overwrite:
            raise ApiError(409, "a file of that name exists (set overwrite to replace it)",
                           "name")
        scenario, problems = check(body.document)
        if scenario is None:
            first = problems[0]
            return JSONResponse(status_code=422, content={
                "error": first.message, "field": first.field,
                "problems": [p.model_dump() for p in problems]})
        write_scenario(scenario, path)
        return {"saved": path.name, "name": body.name}

    @api.post("/api/editor/run", responses=ERRORS)
    def run(body: RunRequest, request: Request) -> dict[str, Any]:  # type: ignore[valid-type]
        """Run a model on a saved scenario, as the dashboard's forecast does."""
        from detente.analysis.report_data import negotiation_run, scenario_overview
        from detente.scenario import load_scenario

        check_token(request)
        sc = load_scenario(saved(body.name))  # type: ignore[attr-defined]
        return {"model": body.model, "scenario": scenario_overview(sc),  # type: ignore[attr-defined]
                **negotiation_run(sc, body.model, body.draws, body.seed)}  # type: ignore[attr-defined]

    return api
