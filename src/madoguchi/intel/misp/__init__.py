"""MISP: indicators to a MISP event (PyMISP objects) and back (pure conversion, no network)."""

from madoguchi.intel.misp.event import MispExport, export_event, import_event

__all__ = ["MispExport", "export_event", "import_event"]
