"""The bargaining-while-fighting kernel and its variants (MODELS.md §5)."""

from detente.war.kernel import END_MODES, WarModel, WarOptions, WarOutcome

__all__ = ["END_MODES", "WarModel", "WarOptions", "WarOutcome"]
