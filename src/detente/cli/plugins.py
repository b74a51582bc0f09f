"""Skip pydantic's plugin scan in the ``detente`` command when nothing declares a plugin.

The first time pydantic builds a validator it looks for plugins, the entry points of the group
``pydantic``: it imports :mod:`importlib.metadata` and parses the metadata of every installed
distribution, about a tenth of a small command's start-up. The command reads the same places
itself first, as :mod:`importlib.metadata` finds them (each ``*.dist-info`` and ``*.egg-info``
directory of every ``sys.path`` entry, an egg's ``EGG-INFO``; the ``entry_points.txt`` in each),
in a few milliseconds; when no such file mentions ``pydantic`` there is no plugin to load, and
it sets ``PYDANTIC_DISABLE_PLUGINS=1``, pydantic's own switch, which gives the same empty set of
plugins without the scan (child processes, the runner's workers, inherit it: they see the same
installation). An entry-point file that mentions ``pydantic`` (or is not UTF-8), a ``sys.path``
entry that is not a readable directory (a zip), a finder that lists distributions of its own, or
the variable already set to anything leaves pydantic to look as it always does: an installed
plugin is never skipped. Only the command does this; ``import detente`` changes nothing.
"""

from __future__ import annotations

import os
import sys
import types
from typing import Any

SWITCH = "PYDANTIC_DISABLE_PLUGINS"
GROUP = "pydantic"
_METADATA_DIRS = (".dist-info", ".egg-info")


def skip_empty_scan() -> bool:
    """Set ``PYDANTIC_DISABLE_PLUGINS=1`` when no installed distribution may declare a pydantic
    plugin and the variable is unset; True when it did."""
    if SWITCH in os.environ or may_declare_plugins():
        return False
    os.environ[SWITCH] = "1"
    return True


def may_declare_plugins() -> bool:
    """Might :func:`importlib.metadata.entry_points` find a ``pydantic`` entry point? False only
    when it certainly finds none."""
    from importlib.machinery import PathFinder

    if any(finder is not PathFinder and hasattr(finder, "find_distributions")
           for finder in sys.meta_path):
        return True
    return path_may_declare(sys.path)


def path_may_declare(path: list[str]) -> bool:
    """Might a distribution on the folders ``path`` declare a ``pydantic`` entry point?"""
    return any(_entry_may_declare(entry) for entry in path)


def _entry_may_declare(entry: object) -> bool:
    if not isinstance(entry, str):
        return True
    root = entry or "."
    try:
        names = os.listdir(root)
    except OSError:
        return os.path.exists(root)  # a zip or an unreadable folder: pydantic looks itself
    egg = os.path.basename(entry).lower().endswith(".egg")
    return any(_declares(os.path.join(root, name)) for name in names
               if name.lower().endswith(_METADATA_DIRS) or (egg and name.lower() == "egg-info"))


def _declares(metadata_dir: str) -> bool:
    try:
        with open(os.path.join(metadata_dir, "entry_points.txt"), "rb") as fh:
            data = fh.read()
    except OSError:  # none (most), or a metadata file rather than a folder: no entry points
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return GROUP.encode() in data


LOADER = "pydantic.plugin._loader"
_OFF = ("__all__", "1", "true")  # the values for which pydantic's get_plugins returns ()


class _DeferredLoader(types.ModuleType):
    """Stands in for :mod:`pydantic.plugin._loader` while plugins are switched off. The real
    module imports :mod:`importlib.metadata` (with :mod:`email`, :mod:`zipfile`, :mod:`csv`...)
    when it is imported, a tenth of a small command's start-up, to find plugins the switch then
    ignores. This one answers ``get_plugins()`` as the real one does with the switch set, no
    plugins, and hands over to the real module the moment the switch is not set (or set to
    plugin names): the real one then replaces it in :data:`sys.modules` and answers."""

    PYDANTIC_ENTRY_POINT_GROUP = GROUP

    def get_plugins(self) -> Any:
        if os.getenv(SWITCH) in _OFF:
            return ()
        if sys.modules.get(LOADER) is self:
            del sys.modules[LOADER]
        import importlib

        return importlib.import_module(LOADER).get_plugins()


def defer_plugin_loader() -> bool:
    """With the switch set to no plugins and pydantic's loader not imported yet, let
    :class:`_DeferredLoader` stand in for it; True when it does."""
    if os.getenv(SWITCH) not in _OFF or LOADER in sys.modules:
        return False
    sys.modules[LOADER] = _DeferredLoader(LOADER)
    return True
