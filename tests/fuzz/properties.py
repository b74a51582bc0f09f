"""What every input must satisfy, and the generators that attack it (issue 13, fuzz suite).

The property is the same everywhere: whatever the text, a reader returns a valid Scenario or
raises :class:`~detente.errors.InputError` (a model may add :class:`~detente.errors.ModelError`),
never anything else; a valid scenario gives finite results, so its JSON holds no NaN. Sizes are
bounded so that no example can hang. Used by the ``test_fuzz_*`` tests (a small budget, or
``DETENTE_FUZZ_EXAMPLES``) and by ``campaign.py`` (a long run that records what it finds).
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from detente.errors import InputError, ModelError
from detente.scenario.load import _importer, parse_json, parse_yaml, validate_document

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
MINIMAL = (FIXTURES / "minimal.yaml").read_text()
MINIMAL_DOC = yaml.safe_load(MINIMAL)
KTAB_XML = (FIXTURES / "ktab" / "smpExample-filled.xml").read_text()
EXAMPLES = int(os.environ.get("DETENTE_FUZZ_EXAMPLES", "0")) or None


def budget(default: int) -> Any:
    """Hypothesis settings: ``default`` examples (``DETENTE_FUZZ_EXAMPLES`` overrides), no
    deadline (the shared CI machine is slow), every health check off (big inputs on purpose)."""
    return settings(max_examples=EXAMPLES or default, deadline=None, database=None,
                    suppress_health_check=list(HealthCheck))


# -- the property --------------------------------------------------------------------------------

def _strict_json(obj: Any) -> str:
    return json.dumps(obj, allow_nan=False, default=str)


def check_scenario_runs(sc: Any) -> None:
    """A valid scenario: the one-round model and a short eum give finite, strict JSON."""
    from detente.runtime import negotiate

    models = ("mean", "eum") if len(sc.actors) <= 8 and len(sc.issues) <= 4 else ("mean",)
    for model in models:
        try:
            result = negotiate(sc, model, rounds=2 if model == "eum" else None, draws=2)
        except (InputError, ModelError):
            continue
        _strict_json(result.to_dict())  # raises ValueError on NaN or infinity


def check_text(text: str, fmt: str, run: bool = True) -> str:
    """Read ``text`` as ``fmt``; return "valid" or "refused"; anything else propagates."""
    try:
        if fmt in ("yaml", "json"):
            data, lines = (parse_yaml if fmt == "yaml" else parse_json)(text, "fuzz")
            sc = validate_document(data, "fuzz", lines)
        else:
            sc = _importer(fmt)(text, file="fuzz")
    except InputError as err:
        assert err.problems, "an InputError without problems"
        err.render()  # rendering a problem must not fail either
        return "refused"
    if run:
        check_scenario_runs(sc)
    return "valid"


def check_document(doc: Any, fmt: str) -> str:
    """Serialise ``doc`` as YAML or JSON text and read it back through the loader."""
    if fmt == "json":
        text = json.dumps(doc, allow_nan=True, default=str)
    else:
        text = yaml.safe_dump(doc, allow_unicode=True, default_flow_style=None)
    return check_text(text, fmt)


# -- generators ----------------------------------------------------------------------------------

HOSTILE_NUMBERS = [0, -1, 1, 0.5, 1e-300, -1e-300, 1e12, 1e12 + 1, -1e12, 1e308, -1e308,
                   10**30, 2**63, float("nan"), float("inf"), -float("inf"), 1e6, 1e6 + 1]
HOSTILE_TEXT = ["", " ", "[/]", "[/x]", "[bold]", "x" * 500, "é", "\x00", "${x}", "{{x}}", "-",
                "null", "~", "yes", "0x10", "1e308", ".nan", "A", "B", "territory", "normal",
                "beta", "uniform", "triangular", "eum"]
leaf = st.one_of(st.sampled_from(HOSTILE_NUMBERS), st.sampled_from(HOSTILE_TEXT), st.none(),
                 st.booleans(), st.integers(-10**6, 10**6),
                 st.floats(allow_nan=True, allow_infinity=True),
                 st.text(max_size=30))
json_values = st.recursive(leaf, lambda kids: st.one_of(
    st.lists(kids, max_size=5), st.dictionaries(st.sampled_from(
        ["value", "dist", "lo", "hi", "mode", "mean", "sd", "a", "b", "id", "name", "actor",
         "issue", "position", "salience", "capability", "cite", "assumption", "war", "x"]),
        kids, max_size=5)), max_leaves=25)


def _paths(node: Any, path: tuple = ()) -> list[tuple]:
    out = [path]
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*path, k))
    elif isinstance(node, list):
        for k, v in enumerate(node):
            out += _paths(v, (*path, k))
    return out


MINIMAL_PATHS = _paths(MINIMAL_DOC)[1:]


def _set(doc: Any, path: tuple, value: Any) -> None:
    for part in path[:-1]:
        doc = doc[part]
    doc[path[-1]] = value


@st.composite
def mutated_minimal(draw: Any) -> Any:
    """The minimal scenario with one to four of its values (or subtrees) replaced."""
    doc = copy.deepcopy(MINIMAL_DOC)
    for _ in range(draw(st.integers(1, 4))):
        path = draw(st.sampled_from(MINIMAL_PATHS))
        value = draw(json_values)
        with contextlib.suppress(KeyError, IndexError, TypeError):  # parent already replaced
            _set(doc, path, value)
    return doc


@st.composite
def perturbed_minimal(draw: Any) -> Any:
    """The minimal scenario with its numbers redrawn within the documented maxima, edges
    included (mostly valid documents, so the models run on them)."""
    doc = copy.deepcopy(MINIMAL_DOC)
    for path in MINIMAL_PATHS:
        try:
            node = doc
            for part in path[:-1]:
                node = node[part]
            old = node[path[-1]]
        except (KeyError, IndexError, TypeError):
            continue
        if isinstance(old, int | float) and not isinstance(old, bool) and draw(
                st.integers(0, 5)) == 0:
            node[path[-1]] = draw(st.one_of(
                st.sampled_from([0.0, old * 0.5, old * (1 + 1e-12), old * 1e-12, old + 1e-300,
                                 1e12, 1e6]), st.floats(0, 1)))
    return doc


YAML_TOKENS = ["!!timestamp ", "!!bool ", "!!float ", "!!int ", "!!binary ", "!!set ", "!!map ",
               "!!python/object:os.system ", "&a ", "*a", "&b ", "*b", "<<: *a\n", "[", "]",
               "{", "}", ": ", ", ", "- ", "\n", "  ", "? ", "'", '"', "#", "%YAML 1.1\n",
               "---\n", "...\n", "9" * 5000, "1e308", ".nan", "-.inf", "name", "issues",
               "actors", "stances", "x", "0", "2020-13-45", "\t", "|\n  ", ">\n  ", "\\u0000"]
yaml_soup = st.lists(st.sampled_from(YAML_TOKENS), max_size=60).map("".join)
JSON_TOKENS = ["{", "}", "[", "]", ",", ":", '"name"', '"issues"', '"x"', "1", "-1", "1e400",
               "9" * 5000, "NaN", "Infinity", "null", "true", "\"\\ud800\"", " ", "\n", '"a"']
json_soup = st.lists(st.sampled_from(JSON_TOKENS), max_size=60).map("".join)


def mutate_text(base: str) -> Any:
    """``base`` with characters deleted, duplicated or replaced at random places."""
    @st.composite
    def mutated(draw: Any) -> str:
        text = base
        for _ in range(draw(st.integers(1, 6))):
            k = draw(st.integers(0, max(len(text) - 1, 0)))
            what = draw(st.sampled_from(["delete", "insert", "repeat"]))
            if what == "delete":
                text = text[:k] + text[k + draw(st.integers(1, 40)):]
            elif what == "insert":
                piece = draw(st.one_of(st.sampled_from(YAML_TOKENS + JSON_TOKENS + HOSTILE_TEXT),
                                       st.text(max_size=10)))
                text = text[:k] + piece + text[k:]
            else:
                text = text[:k] + text[k:k + 50] * draw(st.integers(2, 20)) + text[k:]
        return text
    return mutated()


csv_cell = st.one_of(st.sampled_from([str(v) for v in HOSTILE_NUMBERS] + HOSTILE_TEXT),
                     st.integers(-5, 200).map(str), st.floats(0, 100).map(lambda v: f"{v:.2f}"),
                     st.text(alphabet="ab,\"' \t#", max_size=8))


def _rows(cells: Any, width: tuple[int, int], height: tuple[int, int],
          sep: str = ",") -> Any:
    row = st.lists(cells, min_size=width[0], max_size=width[1]).map(sep.join)
    return st.lists(row, min_size=height[0], max_size=height[1])


bdm_csv = _rows(csv_cell, (3, 6), (0, 8)).map(
    lambda rows: "\n".join(["actor,capability,position,salience", *rows]) + "\n")


@st.composite
def ktab_csv(draw: Any) -> str:
    n = draw(st.sampled_from(["2", "3", "0", "-1", "1e9", "1000000000", "2.5", "x", "3"]))
    d = draw(st.sampled_from(["1", "2", "0", "1000000000", "1e308", "nan", "x", "1"]))
    head = f"name,desc,{n},{d}"
    rows = draw(_rows(csv_cell, (3, 9), (0, 5)))
    return "\n".join([head, "Actor,Description,Power,P1,S1,P2,S2", *rows]) + "\n"


@st.composite
def decide_rows(draw: Any) -> str:
    tag = st.sampled_from(["#A", "#P", "#M", "#D", "#0", "#/", "#X", ""])
    rows = draw(st.lists(st.tuples(tag, st.lists(st.one_of(
        st.sampled_from(["a", "b", "p", "q"]), csv_cell), min_size=0, max_size=6)),
        max_size=12))
    return "\n".join("\t".join([t, *cells]) for t, cells in rows) + "\n"


xml_text = st.one_of(csv_cell, st.sampled_from(["&amp;", "&lt;", "&#0;", "&x;", "]]>"]))


@st.composite
def ktab_xml(draw: Any) -> str:
    """Either the KTAB fixture mutated, or a small tree of KTAB's element names."""
    if draw(st.booleans()):
        return draw(mutate_text(KTAB_XML))
    tags = ["name", "desc", "Dimensions", "dName", "Actors", "Actor", "capability", "Position",
            "dCoord", "Salience", "dSal", "IdealAdjustment", "iaPair", "adjustingIdeal",
            "referencePos", "adjust", "ModelParameters", "PCEModel"]
    tree = st.recursive(xml_text, lambda kids: st.tuples(st.sampled_from(tags),
                                                         st.lists(kids, max_size=4)),
                        max_leaves=30)

    def show(node: Any) -> str:
        if isinstance(node, str):
            return node.replace("<", "&lt;") if "&" not in node else node
        tag, children = node
        return f"<{tag}>{''.join(show(c) for c in children)}</{tag}>"

    body = "".join(show(n) for n in draw(st.lists(tree, max_size=6)))
    return f'<?xml version="1.0"?>\n<Scenario>{body}</Scenario>\n'


def _small(schema: Any) -> Any:
    """The schema with every list and text kept short (generation time grows with their size)."""
    if isinstance(schema, list):
        return [_small(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: _small(v) for k, v in schema.items()}
    if out.get("type") == "array":
        out["maxItems"] = min(out.get("maxItems", 3), 3)
    if out.get("type") == "string" and "pattern" not in out and "format" not in out:
        out["maxLength"] = min(out.get("maxLength", 12), 12)
    if out.get("type") == "object" and "additionalProperties" not in out:
        out["maxProperties"] = 4
    return out


def _record(schema: dict[str, Any], name: str) -> Any:
    from .jsonschema_compat import from_schema

    return from_schema(_small({**schema["$defs"][name], "$defs": schema["$defs"]}))


def scenario_schema_documents() -> Any:
    """Scenarios assembled from records generated from the exported JSON Schema
    (hypothesis-jsonschema on each record's schema: the whole document's schema takes seconds
    an example); stances point at the generated ids more often than not, so that documents get
    past the reference checks to the numbers."""
    from detente.scenario.schema import Scenario

    schema = Scenario.model_json_schema()
    issues = st.lists(_record(schema, "Issue"), min_size=1, max_size=3)
    actors = st.lists(_record(schema, "Actor"), min_size=1, max_size=4)
    stances = st.lists(_record(schema, "Stance"), max_size=6)

    @st.composite
    def document(draw: Any) -> dict[str, Any]:
        doc = {"name": "fuzz", "issues": draw(issues), "actors": draw(actors),
               "stances": draw(stances)}
        for stance in doc["stances"]:
            if draw(st.booleans()):
                stance["actor"] = draw(st.sampled_from(doc["actors"]))["id"]
                stance["issue"] = draw(st.sampled_from(doc["issues"]))["id"]
        return doc

    return document()
