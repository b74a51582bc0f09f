"""The local dashboard (FastAPI) and the plotting script it shares with the HTML report."""
