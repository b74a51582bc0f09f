"""libyaml's reader against the pure-Python reference loader (detente.scenario.yaml_reader): on
every YAML feature a scenario file may use or misuse, ``parse_yaml`` gives the reference's values
and line numbers, or refuses the text with the reference's problems (message and line).

libyaml reads some texts apart from the reference (tabs as separators, a byte-order mark left in
the text, a bare ``!`` tag, a comment glued to a block scalar's header, a stream ending on
``---``); those must reach the reference alone, so that a file reads the same with and without
libyaml.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from detente.errors import InputError
from detente.scenario import yaml_reader as load

pytestmark = pytest.mark.skipif(len(load.LOADERS) < 2, reason="PyYAML without libyaml")

CASES = {
    "anchor and alias": "a: &x {b: 1}\nc: *x\n",
    "merge key": "base: &b {x: 1, y: 2}\nd:\n  <<: *b\n  y: 3\n",
    "merge of a list": "a: &a {x: 1}\nb: &b {y: 2}\nc:\n  <<: [*a, *b]\n",
    "two documents": "a: 1\n---\nb: 2\n",
    "document end marker": "a: 1\n...\n",
    "core tags": "a: !!str 1\nb: !!int '2'\nc: !!float 3\n",
    "python tag": "a: !!python/object:os.system x\n",
    "local tag": "a: !foo 1\n",
    "bare tag": "a: !\nb: 1\n",
    "bare tag at the root": "!",
    "tag directive": "%TAG !e! tag:example.com,2000:\n---\na: !e!x 1\n",
    "YAML 1.2 directive": "%YAML 1.2\n---\na: 1\n",
    "YAML 2.0 directive": "%YAML 2.0\n---\na: 1\n",
    "duplicate key": "a: 1\nb: 2\na: 3\n",
    "duplicate merge key": "a: &a {x: 1}\nb:\n  <<: *a\n  <<: *a\n",
    "65 flow levels": "a: " + "[" * 65 + "]" * 65 + "\n",
    "63 flow levels": "a: " + "[" * 62 + "]" * 62 + "\n",
    "70 block levels": "".join("  " * k + f"k{k}:\n" for k in range(70)) + "  " * 70 + "v: 1\n",
    "byte-order mark": "\ufeffa: 1\nb: 2\n",
    "two byte-order marks": "\ufeff\ufeffa: 1\n",
    "byte-order mark inside": "a: 1\n\ufeffb: 2\n",
    "CRLF": "a: 1\r\nb:\r\n  - 2\r\n  - 3\r\n",
    "CR": "a: 1\rb: 2\r",
    "NEL": "a: 1\x85b: 2\n",
    "line separator": "a: 1\u2028b: 2\n",
    "tab after a colon": "a:\t1\nb: 2\n",
    "tab indentation": "a:\n\tb: 1\n",
    "tab in a flow list": "a: [1,\t2]\n",
    "tab before a comment": "a: 1\t# c\n",
    "tab in a block scalar": "a: |\n\tx\n",
    "empty": "",
    "blank lines": "   \n\n",
    "a comment only": "# only\n",
    "ends on ---": "a: 1\n---",
    "ends on --- and CR": "\r---\r ",
    "ends on --- and a comment": "---\r#'~|",
    "--- inside a comment at the end": "a: 1\n# ---\n",
    "NUL": "a: \x00\n",
    "control character": "a: \x07\n",
    "lone surrogate": "a: \ud800\n",
    "astral character": "a: \U0001F600\n",
    "undefined alias": "a: *x\n",
    "recursive alias": "a: &x [*x]\n",
    "complex key": "? [1, 2]\n: 3\n",
    "plain scalar with a colon": "a: b:c\n",
    "a key 1100 characters long": "a" * 1100 + ": 1\n",
    "escapes": 'a: "\\x41\\u00e9\\U0001F600"\n',
    "bad escape": 'a: "\\q"\n',
    "block scalars": "a: >\n  x\n  y\n\nb: |-\n  z\n",
    "comment glued to a block header": "a: |#\n  x\n",
    "bad timestamp": "a: !!timestamp 2001-13-45\n",
    "YAML 1.1 numbers": "a: .inf\nb: 1_000\nc: 0x1F\nd: 017\ne: 1:20\nf: yes\n",
    "unclosed list": "a: [1, 2\n",
    "bad indentation": "a:\n  b: 1\n c: 2\n",
    "reserved indicator": "a: @x\n",
    "5000 digits": "a: " + "9" * 5000 + "\n",
    "empty key": ": 1\n",
    "non-ASCII keys": "é: 1\n日本: 2\n",
}


def read(text: str) -> tuple[str, object]:
    """What ``parse_yaml`` makes of ``text``: its data and lines, or its problems."""
    try:
        data, lines = load.parse_yaml(text, "s.yaml")
    except InputError as err:
        return "refused", err.records()
    return repr(data), lines


def alike(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    both = read(text)
    with monkeypatch.context() as m:
        m.setattr(load, "LOADERS", load.LOADERS[-1:])
        assert both == read(text)
        reference_lines = load.yaml_lines(text)
    assert load.yaml_lines(text) == reference_lines


@pytest.mark.parametrize("text", CASES.values(), ids=CASES.keys())
def test_each_yaml_feature_reads_as_the_reference_reads_it(text, monkeypatch):
    alike(text, monkeypatch)


def test_texts_read_apart_by_libyaml_go_to_the_reference_alone():
    """The texts on which libyaml's own reading differs (so the table above would fail if
    they went to it first)."""
    for text in ("a:\t1\n", "\ufeff\ufeffa: 1\n", "a: !\n", "a: |#\n  x\n", "a: 1\n---",
                 "a: 1\n--- # end\n"):
        assert load.loaders_for(text) == load.LOADERS[-1:], repr(text)
    assert load.loaders_for("name: Hello!\n# ---\nissues: [a, b]  # |\n") == load.LOADERS


PIECES = st.sampled_from([*"ab1:- \n[]{},&*!?#|>'\"%@`~.\r\t\\", "<<", "---", "...", "\ufeff",
                          "\x85", "é", "  ", "!!str ", "%YAML 1.1\n"])


@settings(max_examples=300, deadline=None)
@given(st.lists(PIECES, max_size=40).map("".join))
def test_random_yaml_like_texts_read_as_the_reference_reads_them(text):
    with pytest.MonkeyPatch.context() as monkeypatch:
        alike(text, monkeypatch)
