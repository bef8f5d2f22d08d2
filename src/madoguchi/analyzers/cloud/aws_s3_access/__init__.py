"""Amazon S3 server access logs (see ``analyzer``)."""

from .analyzer import EXAMPLES, S3AccessLogAnalyzer

__all__ = ["EXAMPLES", "S3AccessLogAnalyzer"]
