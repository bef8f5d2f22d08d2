"""Indicator extraction, normalisation, matching and correlation; pure functions."""
