"""Web server access logs (see ``analyzer``)."""

from .analyzer import EXAMPLES, WebAccessLogAnalyzer

__all__ = ["EXAMPLES", "WebAccessLogAnalyzer"]
