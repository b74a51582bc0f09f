"""detente: model, stress-test and forecast negotiations and the ends of wars.

Data flows one way: scenario files -> :class:`Scenario` -> :class:`Batch` (arrays) -> model
kernels -> results -> views (CLI, reports).
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("detente")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"
