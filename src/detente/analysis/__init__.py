"""Lever and hypothesis comparison over the war kernel."""
