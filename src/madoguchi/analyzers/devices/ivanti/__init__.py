"""Ivanti Connect Secure / Pulse Secure logs (see ``analyzer``)."""

from .analyzer import EXAMPLES, IvantiAnalyzer

__all__ = ["EXAMPLES", "IvantiAnalyzer"]
