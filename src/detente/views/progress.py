"""Progress of a long command's steps: a rich spinner in a terminal, one plain line per step on
stderr otherwise (a log, a pipe, CI), so a first run that takes a while never looks stuck."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console


class Steps:
    """Numbered steps ``[k/total] label``; ``with steps("label"): ...`` runs one.

    In a terminal the label spins on ``console`` while the step runs and a line with its time
    follows; elsewhere a line goes to stderr before and after (with the time), so stdout keeps
    only the command's output.
    """

    def __init__(self, console: Console, total: int) -> None:
        self.console = console
        self.total = total
        self.done = 0

    @contextmanager
    def __call__(self, label: str) -> Iterator[None]:
        self.done += 1
        head = f"[{self.done}/{self.total}] {label}"
        start = time.perf_counter()
        if self.console.is_terminal:
            with self.console.status(head):
                yield
            self.console.print(f"{head}: {time.perf_counter() - start:.1f} s", style="dim",
                               highlight=False)
            return
        print(f"{head} ...", file=sys.stderr, flush=True)
        yield
        print(f"{head}: done in {time.perf_counter() - start:.1f} s", file=sys.stderr,
              flush=True)
