"""detente: model, stress-test and forecast negotiations and the ends of wars.

Data flows one way: scenario files -> :class:`Scenario` -> arrays -> the runner -> model
kernels -> Results -> views (CLI, reports).
"""

from typing import Any


def __getattr__(name: str) -> Any:
    # the version is read from the installed metadata on first use only: importlib.metadata
    # costs more start-up time than the rest of `detente --help`
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("detente")
        except PackageNotFoundError:  # running from a source tree without installation
            return "0.0.0+unknown"
    raise AttributeError(f"module 'detente' has no attribute {name!r}")
