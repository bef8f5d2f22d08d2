"""AWS CloudTrail logs (see ``analyzer``)."""

from .analyzer import EXAMPLES, CloudTrailAnalyzer

__all__ = ["EXAMPLES", "CloudTrailAnalyzer"]
