"""Malformed and hostile command lines (issue 13, fuzz suite): typer's CliRunner over every
command with options drawn from a vocabulary of good, bad and extreme values.

Property: exit status 0 or 2 (1 only for typer's own usage messages), never an exception; with
``--json`` and status 0, stdout is strict JSON (no NaN or Infinity).
"""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from detente.cli import app

from . import properties as p

runner = CliRunner()
FILES = [str(p.FIXTURES / "minimal.yaml"), str(p.FIXTURES / "bdm1994-emissions.csv"),
         str(p.FIXTURES / "hostile" / "many-errors.yaml"),
         str(p.FIXTURES / "hostile" / "found-empty-float.yaml"), "/nonexistent.yaml", "/dev/null",
         "/", ""]
VALUES = ["0", "1", "2", "-1", "3", "1e9", "2000001", "x", "", "[/]", "mean", "median", "eum",
          "nash", "a=b", "=", "rounds=2", "enforce_limits=false", "yaml", "json", "bdm-csv",
          "ktab-xml"]
OPTIONS = ["--model", "--draws", "--rounds", "--seed", "--option", "--format", "--json",
           "--runs", "--horizon", "--lever", "--hypothesis", "--output", "--help"]
COMMANDS = ["validate", "run", "import", "models", "schema", "simulate", "compare", "nope"]


def _strict(text: str) -> None:
    def refuse(name: str) -> None:
        raise AssertionError(f"non-JSON constant {name} in the output")

    json.loads(text, parse_constant=refuse)


@st.composite
def command_line(draw, tmp: str) -> list[str]:
    args = [draw(st.sampled_from(COMMANDS))]
    if draw(st.integers(0, 9)) > 0:
        args.append(draw(st.sampled_from(FILES)))
    for _ in range(draw(st.integers(0, 4))):
        opt = draw(st.sampled_from(OPTIONS))
        args.append(opt)
        if opt == "--output":
            args.append(draw(st.sampled_from([f"{tmp}/out.yaml", tmp, "/dev/null",
                                              f"{tmp}/missing/out.yaml"])))
        elif opt not in ("--json", "--help"):
            args.append(draw(st.sampled_from(VALUES)))
    return args


@p.budget(40)
@given(data=st.data())
def test_cli_never_raises(tmp_path_factory, data):
    tmp = str(tmp_path_factory.mktemp("cli"))
    args = data.draw(command_line(tmp))
    if "--draws" in args:  # bounded sizes: the draws option takes at most 3 here
        k = args.index("--draws") + 1
        if k < len(args) and args[k] in ("1e9", "2000001"):
            args[k] = "3"
    result = runner.invoke(app, args)
    assert result.exit_code in (0, 1, 2), (args, result.output)
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        (args, repr(result.exception))
    if result.exit_code == 0 and "--json" in args and "--help" not in args:
        _strict(result.stdout)
