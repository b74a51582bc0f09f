"""detente: model, stress-test and forecast negotiations and the ends of wars.

Data flows one way: scenario files -> :class:`Scenario` -> arrays -> the runner -> model
kernels -> Results -> views (CLI, reports).
"""

from detente._version import __version__

__all__ = ["__version__"]
