"""Linux authentication logs (see ``analyzer``)."""

from .analyzer import EXAMPLES, LinuxAuthAnalyzer

__all__ = ["EXAMPLES", "LinuxAuthAnalyzer"]
