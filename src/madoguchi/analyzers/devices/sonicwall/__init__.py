"""SonicWall SonicOS logs (see ``analyzer``)."""

from .analyzer import EXAMPLES, SonicwallAnalyzer

__all__ = ["EXAMPLES", "SonicwallAnalyzer"]
