"""Palo Alto Networks PAN-OS / GlobalProtect logs (see ``analyzer``)."""

from .analyzer import EXAMPLES, PanosAnalyzer

__all__ = ["EXAMPLES", "PanosAnalyzer"]
