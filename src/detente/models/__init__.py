"""Negotiation kernels, one registry: ``get_model(name).run(batch, options)``."""

from detente.models import baselines, eum, exchange, smp  # noqa: F401  (registration)
from detente.models.base import REGISTRY, NegotiationModel, Trajectory, get_model, parse_options

__all__ = ["REGISTRY", "NegotiationModel", "Trajectory", "get_model", "parse_options"]
