"""The generated reference pages (docs/gen_pages.py, an MkDocs hook) cover every model option
and every field of the scenario language, defaults included; `make docs` builds the site with
warnings as errors."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

pytest.importorskip("mkdocs")

from detente.options import describe
from detente.registry import MODELS
from detente.scenario.schema import json_schema

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def pages() -> dict[str, str]:
    spec = importlib.util.spec_from_file_location("gen_pages", ROOT / "docs" / "gen_pages.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.generated()


def row(page: str, name: str) -> str:
    found = [line for line in page.splitlines() if line.startswith(f"| `{name}` |")]
    assert found, f"no row for {name}"
    return found[0]


@pytest.mark.parametrize("model", sorted(MODELS))
def test_every_option_has_a_row_with_its_default(pages, model):
    page = pages[f"reference/models/{model}.md"]
    for opt in describe(MODELS[model].options):
        default = opt["default"]
        shown = default if isinstance(default, str) else json.dumps(default)
        assert f"| `{shown}` |" in row(page, opt["name"])


def test_every_scenario_field_is_listed(pages):
    page = pages["reference/scenario-defaults.md"]
    schema = json_schema()
    for name, sub in schema["$defs"].items():
        if name.endswith("Options"):
            continue
        for field in sub.get("properties", {}):
            assert f"| `{field}` |" in page, f"{name}.{field} missing"


def test_factory_defaults_are_shown(pages):
    """Defaults built by a factory are absent from the JSON Schema but not from the page (a user
    had to read scenario/war.py to learn that breakdown.base defaults to 0)."""
    section = pages["reference/scenario-defaults.md"].split("## Breakdown")[1].split("## ")[0]
    assert "| `base` | Quantity | `0.0` |" in section
    side = pages["reference/scenario-defaults.md"].split("## Side")[1].split("## ")[0]
    assert "| `effectiveness` | Quantity | `1.0` |" in side


def test_every_page_in_the_nav_exists(pages):
    import yaml

    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text())

    def paths(nav):
        for item in nav:
            for value in item.values():
                yield from (paths(value) if isinstance(value, list) else [value])

    site = ROOT / "docs" / "site"
    missing = [p for p in paths(config["nav"]) if not (site / p).exists() and p not in pages]
    assert not missing


@pytest.mark.parametrize("name", ["nile-dam.yaml", "border-war.yaml"])
def test_tutorial_scenarios_load(name):
    """The tutorials' scenario files stay valid as the language changes."""
    from detente.scenario import load_scenario

    scenario = load_scenario(ROOT / "docs" / "site" / "examples" / name)
    assert len(scenario.actors) >= 3
    assert (scenario.war is not None) == (name == "border-war.yaml")
