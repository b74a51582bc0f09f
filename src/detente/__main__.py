"""``python -m detente``: the same command line as the ``detente`` console script, for an
environment whose scripts directory is not on the PATH (or to name the interpreter)."""

from detente.cli import main

main()
