"""Where the blocks of an experiment run: in this process, on local processes, or on dask.

Every backend maps one picklable job function over a list of jobs and returns the results in job
order, calling ``progress(done, total)`` as blocks finish. The numbers never depend on the
backend: each block carries its own random streams (:mod:`detente.runtime.seeds`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from detente.errors import InputError, problem

if TYPE_CHECKING:  # pools are imported where they start: a one-block run in this process
    from concurrent.futures import Executor  # needs neither (start-up time, issue 14)

Progress = Callable[[int, int], None]


def _executor_map(pool: Executor, fn: Callable[[Any], Any], jobs: Sequence[Any],
                  progress: Progress | None) -> list[Any]:
    from concurrent.futures import as_completed

    futures = {pool.submit(fn, job): k for k, job in enumerate(jobs)}
    out: list[Any] = [None] * len(jobs)
    for done, fut in enumerate(as_completed(futures), start=1):
        out[futures[fut]] = fut.result()
        if progress:
            progress(done, len(jobs))
    return out


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
        if threads_ok and len(jobs) > 1 and self.threads > 1:
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(max_workers=min(self.threads, len(jobs))) as pool:
                return _executor_map(pool, fn, jobs, progress)
        out = []
        for k, job in enumerate(jobs, start=1):
            out.append(fn(job))
            if progress:
                progress(k, len(jobs))
        return out


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
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor

        method = "fork" if "fork" in mp.get_all_start_methods() else "spawn"
        with ProcessPoolExecutor(max_workers=self.n, mp_context=mp.get_context(method)) as pool:
            return _executor_map(pool, fn, jobs, progress)


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
        from dask.distributed import as_completed as dask_completed

        client = self.client()
        futures = client.map(fn, list(jobs), pure=False)
        index = {f.key: k for k, f in enumerate(futures)}
        out: list[Any] = [None] * len(jobs)
        for done, fut in enumerate(dask_completed(futures), start=1):
            out[index[fut.key]] = fut.result()
            if progress:
                progress(done, len(jobs))
        return out

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


Backend = InProcess | Processes | Dask


def make_backend(workers: int | None = None, scheduler: str | None = None,
                 dask_local: int | None = None) -> Backend:
    """The backend the CLI flags ask for (at most one of them)."""
    given = [x is not None for x in (workers, scheduler, dask_local)]
    if sum(given) > 1:
        raise InputError([problem("choose one of --workers, --scheduler and --dask-local",
                                  ("backend",))])
    if scheduler is not None:
        return Dask(address=scheduler)
    if dask_local is not None:
        return Dask(local=dask_local)
    if workers is not None and workers > 1:
        return Processes(workers)
    return InProcess()
