"""Forecasts that are kept and scored (MODELS.md §6): questions, a sealed ledger, proper scores,
skill against baselines, and a backtest harness for negotiation models."""
