"""Inspect entry point (being written)."""
