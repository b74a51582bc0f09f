"""``detente run`` with plain arguments, run without typer (issue 14: start-up).

Typer builds a pydantic ``TypeAdapter`` for each of a command's parameters and parses through its
vendored click; with typer's own import that is about a fifth of a small ``detente run``'s
start-up. :func:`plain_run_arguments` reads the common case itself: the one scenario path and the
options of :data:`RUN_OPTIONS`, each written as ``--name value``, ``--name=value`` or ``-n value``,
with values that plainly hold (an integer in its range written in plain digits, a string that
neither is empty nor starts with ``-``). Anything else (help, ``--``, an unknown or repeated
option, a missing or doubtful value, shell completion) is left to typer, which stays the
reference for every parse and every message: this path never reports a bad argument itself, so
the messages a user reads are typer's, byte for byte. ``tests/test_cli_direct.py`` checks that
the table matches the typer command's parameters and that each argv read here gives typer's
values.
"""

import gc
import os
import sys
from pathlib import Path
from typing import Any, NamedTuple

from detente.errors import InputError, ModelError


class Spec(NamedTuple):
    """One option of ``detente run``: its keyword, its names, its kind ('str', 'path', 'int',
    'flag'), its bounds for an int (None: unbounded), whether it repeats, its default."""

    dest: str
    names: tuple[str, ...]
    kind: str
    low: int | None = None
    high: int | None = None
    multiple: bool = False
    default: Any = None


RUN_OPTIONS = (  # as detente.cli.commands.run declares them (tested)
    Spec("model", ("--model", "-m"), "str", default="eum"),
    Spec("rounds", ("--rounds",), "int", 1, 10_000),
    Spec("draws", ("--draws",), "int", 1, 1_000_000, default=1),
    Spec("seed", ("--seed",), "int", 0, None, default=0),
    Spec("option", ("--option", "-O"), "str", multiple=True),
    Spec("fmt", ("--format", "-f"), "str"),
    Spec("workers", ("--workers",), "int", 1, 256),
    Spec("scheduler", ("--scheduler",), "str"),
    Spec("dask_local", ("--dask-local",), "int", 1, 256),
    Spec("out_file", ("--out",), "path"),
    Spec("max_memory", ("--max-memory",), "str"),
    Spec("as_json", ("--json",), "flag", default=False),
)
_BY_NAME = {name: spec for spec in RUN_OPTIONS for name in spec.names}
_MAX_DIGITS = 18  # a longer integer is left to typer (it reads any size; plain int() does too)


def _value(spec: Spec, text: str) -> Any:
    """``text`` as ``spec``'s value, or None where typer must look at it."""
    if not text or text.startswith("-"):
        return None
    if spec.kind == "str":
        return text
    if spec.kind == "path":
        return Path(text)
    if not text.isascii() or not text.isdigit() or len(text) > _MAX_DIGITS or \
            (len(text) > 1 and text.startswith("0")):
        return None
    number = int(text)
    if (spec.low is not None and number < spec.low) or \
            (spec.high is not None and number > spec.high):
        return None
    return number


def plain_run_arguments(args: list[str]) -> dict[str, Any] | None:
    """The keyword arguments of :func:`detente.cli.run_negotiation` for ``detente run ARGS``
    exactly as typer would give them, or None where typer must parse ``args``."""
    given: dict[str, Any] = {}
    scenario: Path | None = None
    i = 0
    while i < len(args):
        arg = args[i]
        i += 1
        if not arg.startswith("-"):
            if scenario is not None:
                return None  # a second argument: typer's message
            scenario = Path(arg)
            continue
        name, eq, attached = arg.partition("=")
        spec = _BY_NAME.get(name)
        if spec is None or (eq and not name.startswith("--")):
            return None
        if spec.kind == "flag":
            if eq or spec.dest in given:
                return None
            given[spec.dest] = True
            continue
        if eq:
            text = attached
        elif i < len(args):
            text = args[i]
            i += 1
        else:
            return None
        value = _value(spec, text)
        if value is None:
            return None
        if spec.multiple:
            given.setdefault(spec.dest, []).append(value)
        elif spec.dest in given:
            return None
        else:
            given[spec.dest] = value
    if scenario is None:
        return None
    return {"scenario": scenario, **{s.dest: given.get(s.dest, s.default) for s in RUN_OPTIONS}}


def _completing() -> bool:
    """Is this a shell-completion request (``_DETENTE_COMPLETE`` or the like)? Typer answers."""
    return any(k.startswith("_") and k.endswith("_COMPLETE") for k in os.environ)


class _PacifyFlush:
    """A stream whose flush ignores a broken pipe, as click's ``PacifyFlushWrapper``."""

    def __init__(self, wrapped: Any) -> None:
        self.wrapped = wrapped

    def flush(self) -> None:
        import errno

        try:
            self.wrapped.flush()
        except OSError as e:
            if e.errno != errno.EPIPE:
                raise

    def __getattr__(self, attr: str) -> Any:
        return getattr(self.wrapped, attr)


def run_if_plain(argv: list[str]) -> None:
    """Run ``detente ARGV`` here and exit when it is a plain ``run`` (the exit statuses and
    messages of typer's standalone mode: 0, 2 for bad input, 130 on Ctrl-C, 1 for a closed
    pipe or end of input); return when typer must parse ``argv``."""
    if not argv or argv[0] != "run" or _completing():
        return
    kwargs = plain_run_arguments(argv[1:])
    if kwargs is None:
        return
    from detente.cli import run_negotiation, show_input_error

    try:
        try:
            try:
                run_negotiation(**kwargs)
            except (InputError, ModelError) as e:
                show_input_error(e)
                sys.exit(2)
            except EOFError:
                sys.stderr.write("\n")
                sys.stderr.write("Aborted!\n")
                sys.exit(1)
        except KeyboardInterrupt:
            sys.exit(130)
        except OSError as e:
            import errno

            if e.errno != errno.EPIPE:
                raise
            sys.stdout, sys.stderr = _PacifyFlush(sys.stdout), _PacifyFlush(sys.stderr)
            sys.exit(1)
        sys.exit(0)
    finally:
        # The process ends here: the objects the imports made (pydantic's schemas, numpy's
        # modules) go with it, without the collector's last passes over each of them, a tenth
        # of a small run's wall time (at-exit handlers still run, streams still flush)
        gc.freeze()

