"""Writing a Scenario back to YAML or JSON: compact (plain numbers where nothing more is said)."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import yaml

from detente.errors import InputError, problem
from detente.scenario.schema import Scenario


def _compact(node: Any) -> Any:
    if isinstance(node, dict):
        if set(node) == {"value"}:
            return node["value"]
        return {k: _compact(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_compact(v) for v in node]
    return node


def scenario_document(scenario: Scenario) -> dict[str, Any]:
    """The scenario as plain data, leaving out defaults and empty fields."""
    data = scenario.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
    data = {"detente": 1, **data}
    return _compact(data)


def dump_scenario(scenario: Scenario, fmt: str = "yaml") -> str:
    doc = scenario_document(scenario)
    if fmt == "json":
        return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100)


def write_text_atomic(path: str | Path, text: str) -> None:
    """Write via a temporary file and a rename, so a failure leaves nothing half-written."""
    path = Path(path)
    if not path.parent.exists():
        raise InputError([problem("output folder does not exist", value=str(path.parent))],
                         str(path))
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_scenario(scenario: Scenario, path: str | Path) -> None:
    fmt = "json" if str(path).lower().endswith(".json") else "yaml"
    write_text_atomic(path, dump_scenario(scenario, fmt))
