"""The bargaining-while-fighting kernel and its variants (MODELS.md §5)."""

from detente.war.kernel import END_MODES, WarOptions, WarOutcome, simulate

__all__ = ["END_MODES", "WarOptions", "WarOutcome", "simulate"]
