"""Citrix NetScaler ADC / Gateway ``ns.log`` (see ``analyzer``)."""

from .analyzer import EXAMPLES, NetscalerAnalyzer

__all__ = ["EXAMPLES", "NetscalerAnalyzer"]
