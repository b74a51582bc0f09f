"""The analyst's language: schema, loading, importers for peer formats, evidence."""

from detente.scenario.load import FORMATS, load_scenario
from detente.scenario.schema import (
    Actor,
    Citation,
    Issue,
    Quantity,
    Scenario,
    Source,
    Stance,
)

__all__ = [
    "FORMATS",
    "Actor",
    "Citation",
    "Issue",
    "Quantity",
    "Scenario",
    "Source",
    "Stance",
    "load_scenario",
]
