"""The runner's backend options, shared by every command that runs a model (typer only)."""

from typing import Annotated

import typer

WorkersOpt = Annotated[int | None, typer.Option(
    "--workers", help="Run blocks on N local processes (default: every core for a long run of "
    "a model that holds the GIL, else this process; 1: this process).", min=1,
    max=256)]
SchedulerOpt = Annotated[str | None, typer.Option(
    "--scheduler", help="Run blocks on an existing dask cluster (tcp://HOST:PORT).")]
DaskLocalOpt = Annotated[int | None, typer.Option(
    "--dask-local", help="Start a dask LocalCluster of N workers on this machine.", min=1,
    max=256)]
