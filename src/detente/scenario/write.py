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


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _refuse(path: Path, why: str) -> InputError:
    return InputError([problem(f"cannot write the output here: {why}", value=str(path))],
                      str(path))


def write_text_atomic(path: str | Path, text: str) -> None:
    """Write via a temporary file in the target's folder and a rename, so a failure leaves
    nothing half-written. Only a regular file (or nothing) is replaced: a directory, a device
    (``/dev/null``), a pipe or a socket is refused. A new file gets the usual mode (0666 less
    the umask), a replaced one keeps its mode; never the temporary file's 0600."""
    path = Path(path)
    if not path.parent.is_dir():
        raise InputError([problem("output folder does not exist", value=str(path.parent))],
                         str(path))
    if path.is_dir():
        raise _refuse(path, "it is a directory; give a file name")
    if path.exists() and not path.is_file():
        raise _refuse(path, "it is not a regular file (a device, pipe or socket)")
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as err:
        raise _refuse(path, err.strerror or "the folder is not writable") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, path.stat().st_mode & 0o7777 if path.is_file() else 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_scenario(scenario: Scenario, path: str | Path) -> None:
    fmt = "json" if str(path).lower().endswith(".json") else "yaml"
    write_text_atomic(path, dump_scenario(scenario, fmt))
