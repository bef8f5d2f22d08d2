"""Fortinet FortiOS / FortiGate logs (see ``analyzer``)."""

from .analyzer import EXAMPLES, FortiosAnalyzer

__all__ = ["EXAMPLES", "FortiosAnalyzer"]
