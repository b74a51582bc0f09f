"""MkDocs hook: the reference pages that are generated, never written by hand.

- ``reference/models/<name>.md`` for every model in :data:`detente.registry.MODELS`: its summary,
  the kernel module's docstring, and a table of its options from
  :func:`detente.options.describe` (type, default, allowed values or bounds, description and the
  paper or peer behind the default). The equations are in ``models.md``, linked from each page.
- ``reference/scenario-defaults.md``: every field of the scenario language with its type,
  default and description, from :func:`detente.scenario.schema.json_schema`.

So the reference cannot drift from the code: a new option or field appears on the next build.
"""

from __future__ import annotations

import importlib
import inspect
import json
import typing
from typing import Any

from mkdocs.structure.files import File, Files
from pydantic import BaseModel

# the section of models.md that states each model's equations
EQUATIONS = {"mean": "mean", "median": "median", "nash": "nash", "ks": "ks", "eum": "eum",
             "smp": "smp", "exchange": "exchange", "war": "war", "coupled": "coupled"}


def cell(value: Any) -> str:
    """A value for a Markdown table cell (pipes escaped, no newlines)."""
    text = value if isinstance(value, str) else json.dumps(value)
    return text.replace("|", "\\|").replace("\n", " ")


def allowed(entry: dict[str, Any]) -> str:
    """An option's choices or its range, in words."""
    if "choices" in entry:
        return ", ".join(f"`{c}`" for c in entry["choices"])
    lo = entry.get("minimum", entry.get("exclusiveMinimum"))
    hi = entry.get("maximum", entry.get("exclusiveMaximum"))
    if lo is None and hi is None:
        return "any"
    left = "(" if "exclusiveMinimum" in entry else "["
    right = ")" if "exclusiveMaximum" in entry else "]"
    return f"{left}{'-inf' if lo is None else lo}, {'inf' if hi is None else hi}{right}"


def model_page(spec: Any) -> str:
    """One model's reference page."""
    from detente.options import describe

    module = importlib.import_module(spec.kernel.partition(":")[0])
    lines = [
        f"# `{spec.name}`: {spec.summary}", "",
        f"Kind: **{spec.kind}** · kernel `{spec.kernel}` · options class "
        f"`detente.options.{spec.options.__name__}` · block size {spec.block}"
        f"{'' if spec.threads else ' · GIL-bound: parallel only on processes or dask workers'}.",
        "",
        f"The equations this kernel follows, in our words and with the papers: "
        f"[the model specification](../../models.md#{EQUATIONS[spec.name]}).", "",
        "## Options", "",
        "Pass them as `-O name=value` on the command line, as `model_options: "
        f"{{{spec.name}: {{...}}}}` in a scenario file, or as a mapping to "
        "`detente.runtime.Experiment`.", "",
        "| option | type | default | allowed | what it does | default from |",
        "|---|---|---|---|---|---|",
    ]
    for o in describe(spec.options):
        lines.append(f"| `{o['name']}` | {o['type']} | `{cell(o['default'])}` | "
                     f"{cell(allowed(o))} | {cell(o['description'] or '')} | "
                     f"{cell(o['source'] or '')} |")
    doc = inspect.getdoc(spec.options)
    if doc and doc != inspect.getdoc(spec.options.__mro__[1]):
        lines += ["", doc]
    lines += ["", "## The kernel", "", f"From the docstring of `{module.__name__}`:", "",
              *(f"> {line}" if line else ">" for line in (inspect.getdoc(module) or "").split(
                  "\n"))]
    return "\n".join(lines) + "\n"


def type_of(prop: dict[str, Any]) -> str:
    """A JSON Schema property's type in words (refs by their definition's name)."""
    if "$ref" in prop:
        return prop["$ref"].rsplit("/", 1)[-1]
    if "anyOf" in prop:
        return " or ".join(type_of(p) for p in prop["anyOf"])
    if "enum" in prop:
        return "one of " + ", ".join(f"`{v}`" for v in prop["enum"])
    if prop.get("type") == "array":
        return f"list of {type_of(prop.get('items', {}))}"
    if prop.get("type") == "object" and isinstance(prop.get("additionalProperties"), dict):
        return f"map to {type_of(prop['additionalProperties'])}"
    if "const" in prop:
        return f"`{prop['const']}`"
    return str(prop.get("type", "any"))


def record_classes(root: type[BaseModel]) -> dict[str, type[BaseModel]]:
    """Every pydantic record reachable from ``root`` by its field types, by class name."""
    found: dict[str, type[BaseModel]] = {}

    def visit(tp: Any) -> None:
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            if tp.__name__ in found:
                return
            found[tp.__name__] = tp
            for f in tp.model_fields.values():
                visit(f.annotation)
        for arg in typing.get_args(tp):
            visit(arg)

    visit(root)
    return found


def plain(data: Any) -> Any:
    """JSON data without empty entries, every bare ``{"value": x}`` (a Quantity without
    evidence) as x."""
    if isinstance(data, dict):
        data = {k: v for k, v in data.items() if v not in (None, [], {})}
        return data["value"] if set(data) == {"value"} else {k: plain(v) for k, v in data.items()}
    return [plain(v) for v in data] if isinstance(data, list) else data


def shown(value: Any) -> str:
    """A default as a scenario file would write it."""
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json", exclude_none=True)
    return json.dumps(plain(value))


def factory_defaults(cls: type[BaseModel] | None) -> dict[str, str]:
    """Defaults made by ``default_factory`` (the JSON Schema leaves them out)."""
    if cls is None:
        return {}
    return {name: shown(f.default_factory()) for name, f in cls.model_fields.items()
            if f.default_factory is not None}


def fields_table(props: dict[str, Any], required: set[str],
                 cls: type[BaseModel] | None = None) -> list[str]:
    made = factory_defaults(cls)
    out = ["| field | type | default | description |", "|---|---|---|---|"]
    for name, prop in props.items():
        if name in required:
            default = "required"
        elif "default" in prop:
            default = f"`{cell(prop['default'])}`"
        else:
            default = f"`{cell(made[name])}`" if name in made else "none"
        out.append(f"| `{name}` | {cell(type_of(prop))} | {default} | "
                   f"{cell(prop.get('description', ''))} |")
    return out


def scenario_defaults_page() -> str:
    """Every record of the scenario language with its fields' types, defaults and meaning."""
    from detente.scenario.schema import Scenario, json_schema

    schema = json_schema()
    classes = record_classes(Scenario)
    lines = [
        "# Every default of the scenario language", "",
        "Generated from `detente.scenario.schema.json_schema()` (the same schema `detente schema`"
        " prints). *required* fields have no default; a default of `{'value': x}` is a plain "
        "number x without evidence. A number written as a plain value or as a `Quantity` "
        "(`{value, dist, lo, mode, hi, mean, sd, a, b, cite | assumption}`) is accepted "
        "wherever the type says `Quantity`.", "",
        "## Scenario (the top level)", "",
        *fields_table({k: v for k, v in schema["properties"].items() if k != "model_options"},
                      set(schema.get("required", [])), Scenario),
        "", "`model_options` takes one entry per model; each model's options, with defaults and "
        "bounds, are on its [model reference page](models/index.md).", "",
    ]
    for name, sub in sorted(schema["$defs"].items()):
        if "properties" not in sub or name.endswith("Options"):
            continue
        lines += [f"## {name}", "", inspect.cleandoc(sub.get("description", "")), "",
                  *fields_table(sub["properties"], set(sub.get("required", [])),
                                classes.get(name)), ""]
    return "\n".join(lines)


def models_index() -> str:
    from detente.registry import MODELS

    rows = [f"| [`{n}`]({n}.md) | {s.kind} | {cell(s.summary)} |" for n, s in MODELS.items()]
    return "\n".join(["# Model reference", "",
                      "One page per registered model, generated from its option declarations "
                      "(`detente/options.py`) and its kernel's docstring. The equations: "
                      "[the model specification](../../models.md).", "",
                      "| model | kind | what it is |", "|---|---|---|", *rows, ""])


def generated() -> dict[str, str]:
    """Path under the docs folder -> Markdown, for every generated page."""
    from detente.registry import MODELS

    pages = {f"reference/models/{n}.md": model_page(s) for n, s in MODELS.items()}
    pages["reference/models/index.md"] = models_index()
    pages["reference/scenario-defaults.md"] = scenario_defaults_page()
    return pages


def on_files(files: Files, config: Any) -> Files:
    for path, text in generated().items():
        files.append(File.generated(config, path, content=text))
    return files
