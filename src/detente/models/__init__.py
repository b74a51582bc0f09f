"""Negotiation kernels. The registry of every model is :mod:`detente.registry` (explicit, no
registration by import); ``get_model(name).run(batch, options, streams)`` runs one."""

from detente.models.base import NegotiationModel, Trajectory
from detente.options import parse_options
from detente.registry import MODELS, get_model

__all__ = ["MODELS", "NegotiationModel", "Trajectory", "get_model", "parse_options"]
