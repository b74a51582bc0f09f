"""The ``detente`` command line: a view over the library (it renders results, never computes).

Every command takes ``--json`` where it prints results. Bad input prints one located message per
problem on stderr and exits with status 2.

This package holds what the commands share and the console script's :func:`main`; it imports
neither typer nor rich. The typer app and its commands live in :mod:`detente.cli.commands`
(``detente.cli.app`` and the command functions are reachable from here too, imported on first
use). ``detente run`` with plain arguments, the most common command, runs without building the
typer app at all (:mod:`detente.cli.direct`): typer, its pydantic adapters and click cost about a
fifth of a small run's start-up. Anything else (help, completion, an option it does not know, a
value it would have to check) goes to typer, which is the reference for every message.
"""

import contextlib
import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from detente.errors import InputError, ModelError


class _Console:
    """A rich Console made on first use: rich costs more start-up time than `detente --help`
    itself, and most commands import it later anyway."""

    def __init__(self, **kwargs: Any) -> None:
        self._kwargs = kwargs
        self._console: Any = None

    def real(self) -> Any:
        """The rich Console itself, for rich objects that take one (Progress, Live)."""
        if self._console is None:
            from rich.console import Console

            self._console = Console(**self._kwargs)
        return self._console

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real(), name)

    def __enter__(self) -> Any:
        return self.real().__enter__()

    def __exit__(self, *exc: object) -> None:
        self.real().__exit__(*exc)


out: Any = _Console()
err: Any = _Console(stderr=True)

F = TypeVar("F", bound=Callable[..., Any])


def _error(text: str) -> None:
    from rich.markup import escape

    err.print(f"[bold red]error:[/] {escape(text)}", highlight=False, soft_wrap=True)


def show_input_error(e: InputError | ModelError) -> None:
    """Bad input as every command reports it: one located message per problem, on stderr."""
    if isinstance(e, InputError):
        for line in e.render().splitlines():
            _error(line)
    else:
        _error(str(e))


def reports_input_errors(fn: F) -> F:
    """Turn bad input into a clear message and exit status 2 (never a traceback)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (InputError, ModelError) as e:
            show_input_error(e)
            import typer  # loaded already: the wrapped function is a typer command

            raise typer.Exit(2) from None

    return wrapper  # type: ignore[return-value]


@contextlib.contextmanager
def located_in(path: Path) -> Any:
    """Problems found after loading (no war part, unknown lever...) name the scenario file."""
    try:
        yield
    except InputError as e:
        raise e.located(str(path)) if e.file is None else e from None


def parse_pairs(pairs: list[str] | None) -> dict[str, str]:
    """``key=value`` strings from ``--option`` into a mapping."""
    result = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise InputError([_opt_problem(pair)])
        result[key.strip()] = value.strip()
    return result


def _opt_problem(pair: str) -> Any:
    from detente.errors import problem

    return problem("--option takes key=value", ("option",), value=pair)


def print_json(obj: Any) -> None:
    from detente.jsonout import dumps

    sys.stdout.write(dumps(obj, indent=2) + "\n")


@contextlib.contextmanager
def backend_from(workers: int | None, scheduler: str | None, dask_local: int | None) -> Any:
    """The runner backend the flags ask for, closed afterwards (a LocalCluster is stopped)."""
    from detente.runtime.backends import Dask, make_backend

    backend = make_backend(workers, scheduler, dask_local)
    try:
        yield backend
    finally:
        if isinstance(backend, Dask):
            backend.close()


@contextlib.contextmanager
def progress_bar(label: str, show: bool = True) -> Any:
    """Progress of the runner's blocks: a rich bar in a terminal, a plain line every few
    seconds otherwise (a view concern: kernels never report progress)."""
    import time

    if not show:
        yield None
        return
    if err.is_terminal:
        from rich.progress import Progress

        with Progress(console=err.real(), transient=True) as bar:
            task = bar.add_task(label, total=None)
            yield lambda done, total: bar.update(task, completed=done, total=total)
        return
    last = [0.0]

    def plain(done: int, total: int) -> None:
        now = time.monotonic()
        if done == total or now - last[0] >= 2.0:
            last[0] = now
            sys.stderr.write(f"{label}: {done}/{total} blocks\n")

    yield plain


def _load(path: Path, fmt: str | None) -> Any:
    from detente.scenario import load_scenario

    return load_scenario(path, fmt)


def memory_limit(text: str | None) -> int | None:
    """``--max-memory`` in bytes (None: the runner's default)."""
    if text is None:
        return None
    from detente.budget import parse_memory

    return parse_memory(text)


def warn(warnings: Any) -> None:
    """Settings that changed nothing, on stderr (``--json`` carries them too), each once: the
    variants of a comparison that share a lever or an option share its warning."""
    for w in dict.fromkeys(warnings):
        line = f"warning: {w}"
        if err._console is None and _prints_as_is(line):
            sys.stderr.write(line + "\n")  # what rich would write, without importing rich
        else:
            err.print(line, highlight=False, markup=False, soft_wrap=True)


def _prints_as_is(line: str) -> bool:
    """Does rich print ``line`` unchanged (no markup, no highlighting, soft wrap)? Yes unless it
    holds a tab or a control character (expanded, stripped) or an emoji code (``:name:``)."""
    import re

    return line.isprintable() and re.search(r":\S*?:", line) is None


def write_results(result: Any, path: Path) -> None:
    """Write a Results to ``--out`` and say where (stderr, so --json stays one object); a
    problem with it names the ``--out`` file, not the input."""
    try:
        written = result.write(path)
    except InputError as e:
        raise e.located(str(path)) if e.file is None else e from None
    err.print(f"wrote {written}", highlight=False, markup=False)


def run_negotiation(scenario: Path, model: str = "eum", rounds: int | None = None,
                    draws: int = 1, seed: int = 0, option: list[str] | None = None,
                    fmt: str | None = None, workers: int | None = None,
                    scheduler: str | None = None, dask_local: int | None = None,
                    out_file: Path | None = None, max_memory: str | None = None,
                    as_json: bool = False) -> None:
    """``detente run``'s body: the typer command and :mod:`detente.cli.direct` both call it."""
    from detente.registry import negotiation_spec
    from detente.runtime import Experiment
    from detente.runtime import run as run_experiment

    sc = _load(scenario, fmt)
    _start_up_done()  # the scenario is read: what runs now is the model
    with located_in(scenario):
        negotiation_spec(model)
    experiment = Experiment(sc, model, parse_pairs(option), rounds=rounds, draws=draws, seed=seed,
                            max_memory=memory_limit(max_memory))
    with located_in(scenario), backend_from(workers, scheduler, dask_local) as backend, \
            progress_bar(f"{model}: {draws:,} draws", show=not as_json and draws >= 1000) as bar:
        result = run_experiment(experiment, backend, bar)
    if out_file is not None:
        write_results(result, out_file)
    warn(result.warnings)
    if as_json:
        print_json(result.to_dict())
        return
    from detente.views.text import render_negotiation

    render_negotiation(out, sc, result)


def __getattr__(name: str) -> Any:
    """The typer app and its commands (``app``, ``dispatching``, ``run``...), imported on first
    use from :mod:`detente.cli.commands`."""
    if name.startswith("__") or os.path.exists(os.path.join(os.path.dirname(__file__),
                                                             name + ".py")):
        # a submodule not yet imported (`from detente.cli import check` asks here first)
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from detente.cli import commands

    try:
        return getattr(commands, name)
    except AttributeError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None


# BLAS thread counts as OpenBLAS reads them (the first one set wins); see main
_BLAS_THREADS = ("OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS", "OMP_NUM_THREADS")
_collector_paused = False


def _start_up() -> None:
    """What the console script sets before it imports the scientific stack (issue 14).

    OpenBLAS, loaded with numpy, starts a thread per core that spins while numpy imports: about
    50 ms of CPU in every process (half of numpy's import on two cores), for a library whose
    threads no command uses (no kernel calls BLAS beyond a matrix-vector product; the runner
    parallelises over processes). Unless a thread count is set already, the command runs with
    one BLAS thread (its worker processes inherit it: they never oversubscribe the cores).

    The imports then allocate a few hundred thousand objects that live as long as the process;
    the cyclic collector's passes over them while they pile up cost about a tenth of start-up.
    The collector is paused until :func:`_start_up_done`, which freezes them (later passes skip
    them) and turns it back on before any model runs.
    """
    global _collector_paused
    import gc

    if not any(name in os.environ for name in _BLAS_THREADS):
        os.environ["OPENBLAS_NUM_THREADS"] = "1"
    if gc.isenabled():
        gc.disable()
        _collector_paused = True


def _start_up_done() -> None:
    """The collector back on after :func:`_start_up` paused it (else nothing): the objects the
    imports made are frozen first, so its passes skip them."""
    global _collector_paused
    if _collector_paused:
        import gc

        _collector_paused = False
        gc.freeze()
        gc.enable()


def main() -> None:
    """The console script: ``detente run`` with plain arguments directly, else the typer app
    holding the one command named (:func:`~detente.cli.commands.dispatching`)."""
    _start_up()
    from detente.cli.plugins import defer_plugin_loader, skip_empty_scan

    skip_empty_scan()
    defer_plugin_loader()
    argv = sys.argv[1:]
    from detente.cli import direct

    direct.run_if_plain(argv)  # returns only when typer must parse argv
    from detente.cli.commands import dispatching

    command = dispatching(argv)
    _start_up_done()
    command()


if __name__ == "__main__":
    main()
