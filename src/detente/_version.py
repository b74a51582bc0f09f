"""The package's version, its one source: ``pyproject.toml`` reads it from here
(``[tool.setuptools.dynamic]``), so the installed metadata and ``detente.__version__`` agree,
and the version costs no ``importlib.metadata`` look-up at start-up."""

__version__ = "0.1.0"
