"""VMware ESXi host logs (see ``analyzer``)."""

from .analyzer import EXAMPLES, EsxiAnalyzer

__all__ = ["EXAMPLES", "EsxiAnalyzer"]
