"""Where the blocks of an experiment run: in this process, on local processes, or on dask.

Every backend maps one picklable job function over a list of jobs and returns the results in job
order, calling ``progress(done, total)`` as blocks finish. The numbers never depend on the
backend: each block carries its own random streams (:mod:`detente.runtime.seeds`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from detente.errors import InputError, problem

if TYPE_CHECKING:  # pools are imported where they start: a one-block run in this process
    from concurrent.futures import Executor  # needs neither (start-up time, issue 14)

Progress = Callable[[int, int], None]

AUTO_MIN_SECONDS = 4.0
""":class:`Auto` starts a pool for a request whose budget estimate
(:attr:`detente.budget.Estimate.seconds`, an upper bound from each model's slowest measured rate)
is at least this. A forked pool costs 0.3-0.4 s here (fork, each worker importing its kernel, the
block inputs pickled over); the estimate of the flagship's 10,000 coupled runs is 6.2 s for 2.2 s
in this process, which two workers cut to 1.9 s (issue 14)."""


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity where the platform reports it)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def in_order(done: Iterator[tuple[int, Any]], total: int, progress: Progress | None
             ) -> Iterator[Any]:
    """Results ``(k, result)`` arriving in any order, yielded in job order as soon as every
    earlier job's result has been yielded; only the results that arrived early are held."""
    early: dict[int, Any] = {}
    following = 0
    for count, (k, result) in enumerate(done, start=1):
        early[k] = result
        if progress:
            progress(count, total)
        while following in early:
            ready = early.pop(following)
            if isinstance(ready, Failed):  # a job's error is raised in its turn, as it would
                raise ready.error  # be on one worker: not whichever failing job ends first
            yield ready
            following += 1


@dataclass(frozen=True, slots=True)
class Failed:
    """A job that raised: its error waits for the job's turn in :func:`in_order`."""

    error: Exception


def outcome(fut: Any) -> Any:
    """A finished future's result, or its error held as :class:`Failed`."""
    try:
        return fut.result()
    except Exception as err:  # re-raised by in_order in its job's turn
        return Failed(err)


def _executor_done(pool: Executor, fn: Callable[[Any], Any], jobs: Sequence[Any]
                   ) -> Iterator[tuple[int, Any]]:
    from concurrent.futures import as_completed

    futures = {pool.submit(fn, job): k for k, job in enumerate(jobs)}
    for fut in as_completed(futures):
        yield futures.pop(fut), outcome(fut)  # the pool keeps no result once it is handed on


def _executor_map(pool: Executor, fn: Callable[[Any], Any], jobs: Sequence[Any],
                  progress: Progress | None) -> Iterator[Any]:
    return in_order(_executor_done(pool, fn, jobs), len(jobs), progress)


@dataclass
class InProcess:
    """This process; blocks of GIL-releasing (numpy) kernels share a thread pool."""

    threads: int = field(default_factory=lambda: os.cpu_count() or 1)
    name: str = "in-process"

    @property
    def workers(self) -> int:
        return 1

    def map(self, fn: Callable[[Any], Any], jobs: Sequence[Any], progress: Progress | None,
            threads_ok: bool = True) -> list[Any]:
        return list(self.ordered(fn, jobs, progress, threads_ok))

    def ordered(self, fn: Callable[[Any], Any], jobs: Sequence[Any], progress: Progress | None,
                threads_ok: bool = True) -> Iterator[Any]:
        """The results in job order, each as soon as it and every earlier one are done."""
        if threads_ok and len(jobs) > 1 and self.threads > 1:
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(max_workers=min(self.threads, len(jobs))) as pool:
                yield from _executor_map(pool, fn, jobs, progress)
            return
        for k, job in enumerate(jobs, start=1):
            yield fn(job)
            if progress:
                progress(k, len(jobs))


@dataclass
class Processes:
    """N local worker processes (fork where the platform has it)."""

    n: int
    name: str = "processes"

    @property
    def workers(self) -> int:
        return self.n

    def map(self, fn: Callable[[Any], Any], jobs: Sequence[Any], progress: Progress | None,
            threads_ok: bool = True) -> list[Any]:
        return list(self.ordered(fn, jobs, progress, threads_ok))

    def ordered(self, fn: Callable[[Any], Any], jobs: Sequence[Any], progress: Progress | None,
                threads_ok: bool = True) -> Iterator[Any]:
        """The results in job order, each as soon as it and every earlier one are done."""
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor

        method = "fork" if "fork" in mp.get_all_start_methods() else "spawn"
        with ProcessPoolExecutor(max_workers=self.n, mp_context=mp.get_context(method)) as pool:
            yield from _executor_map(pool, fn, jobs, progress)


@dataclass
class Auto:
    """This machine's usable cores, as each request can use them (the CLI's default).

    A GIL-bound kernel (the registry's ``threads=False``: the coupled and exchange models) with
    two blocks or more and an estimated time of at least :data:`AUTO_MIN_SECONDS` runs on a pool
    of forked processes, one per core up to one per block; anything else runs in this process
    as :class:`InProcess` does (GIL-releasing kernels' blocks share its threads). The numbers are
    the same either way (every block carries its own streams); a result's provenance names the
    backend that ran (:func:`resolve`)."""

    cores: int = field(default_factory=usable_cores)
    name: str = "auto"

    @property
    def workers(self) -> int:
        return self.cores

    def choose(self, n_jobs: int, threads_ok: bool, seconds: float) -> InProcess | Processes:
        """The backend for ``n_jobs`` jobs estimated to take ``seconds`` in all."""
        if threads_ok or n_jobs < 2 or self.cores < 2 or seconds < AUTO_MIN_SECONDS:
            return InProcess()
        return Processes(min(self.cores, n_jobs))

    def map(self, fn: Callable[[Any], Any], jobs: Sequence[Any], progress: Progress | None,
            threads_ok: bool = True) -> list[Any]:
        return list(self.ordered(fn, jobs, progress, threads_ok))

    def ordered(self, fn: Callable[[Any], Any], jobs: Sequence[Any], progress: Progress | None,
                threads_ok: bool = True) -> Iterator[Any]:
        """Jobs of unknown size: a pool for two GIL-bound jobs or more, else this process."""
        chosen = self.choose(len(jobs), threads_ok, AUTO_MIN_SECONDS)
        yield from chosen.ordered(fn, jobs, progress, threads_ok)


def resolve(backend: Backend | None, n_jobs: int, threads_ok: bool, seconds: float) -> Backend:
    """The backend that runs ``n_jobs`` jobs of a kernel (``threads_ok``: it releases the GIL),
    estimated to take ``seconds`` in all: :class:`Auto`'s choice; this process for a single job
    sent to local processes (a pool would share nothing out, and costs 0.3-0.4 s to start);
    else ``backend`` itself (this process when None). Results record the backend returned."""
    if backend is None:
        return InProcess()
    if isinstance(backend, Auto):
        return backend.choose(n_jobs, threads_ok, seconds)
    if isinstance(backend, Processes) and n_jobs < 2:
        return InProcess()
    return backend


@dataclass
class Dask:
    """A dask.distributed cluster: an existing scheduler's address, or a LocalCluster of
    ``local`` worker processes started here (and closed by :meth:`close`)."""

    address: str | None = None
    local: int | None = None
    name: str = "dask"
    _client: Any = None
    _cluster: Any = None

    def client(self) -> Any:
        if self._client is None:
            try:
                from dask.distributed import Client, LocalCluster
            except ImportError:
                raise InputError([problem("the dask backend needs dask.distributed "
                                          "(pip install 'detente[dist]')", ("backend",))]
                                 ) from None
            if self.address is not None:
                self._client = Client(self.address)
            else:
                self._cluster = LocalCluster(n_workers=self.local or 2, threads_per_worker=1,
                                             processes=True, dashboard_address=None)
                self._client = Client(self._cluster)
        return self._client

    @property
    def workers(self) -> int:
        return len(self.client().scheduler_info().get("workers", {})) or 1

    def map(self, fn: Callable[[Any], Any], jobs: Sequence[Any], progress: Progress | None,
            threads_ok: bool = True) -> list[Any]:
        return list(self.ordered(fn, jobs, progress, threads_ok))

    def ordered(self, fn: Callable[[Any], Any], jobs: Sequence[Any], progress: Progress | None,
                threads_ok: bool = True) -> Iterator[Any]:
        """The results in job order, each as soon as it and every earlier one are done."""
        from dask.distributed import as_completed as dask_completed

        futures = self.client().map(fn, list(jobs), pure=False)
        index = {f.key: k for k, f in enumerate(futures)}

        def done() -> Iterator[tuple[int, Any]]:
            for fut in dask_completed(futures):
                yield index[fut.key], outcome(fut)
                fut.release()  # the workers let the block's arrays go once they are here

        yield from in_order(done(), len(jobs), progress)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
        if self._cluster is not None:
            self._cluster.close()
        self._client = self._cluster = None

    def __enter__(self) -> Dask:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


Backend = InProcess | Processes | Dask | Auto


def make_backend(workers: int | None = None, scheduler: str | None = None,
                 dask_local: int | None = None) -> Backend:
    """The backend the CLI flags ask for (at most one of them): none, :class:`Auto`; ``--workers
    1``, this process."""
    given = [x is not None for x in (workers, scheduler, dask_local)]
    if sum(given) > 1:
        raise InputError([problem("choose one of --workers, --scheduler and --dask-local",
                                  ("backend",))])
    if scheduler is not None:
        return Dask(address=scheduler)
    if dask_local is not None:
        return Dask(local=dask_local)
    if workers is None:
        return Auto()
    if workers > 1:
        return Processes(workers)
    return InProcess()
