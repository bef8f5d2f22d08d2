"""STIX 2.1: indicators and sightings to a bundle and back (pure conversion, no network)."""

from madoguchi.intel.stix.bundle import StixExport, export_bundle, import_bundle
from madoguchi.intel.stix.markings import TLP2_EXTENSION_ID, marking_for, tlp_of_marking

__all__ = [
    "TLP2_EXTENSION_ID",
    "StixExport",
    "export_bundle",
    "import_bundle",
    "marking_for",
    "tlp_of_marking",
]
