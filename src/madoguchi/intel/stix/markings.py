"""TLP 2.0 marking definitions for STIX 2.1, and reading TLP from any bundle.

The ``stix2`` library ships the TLP 1.0 markings only. FIRST TLP 2.0 is expressed
in STIX through the OASIS property extension
``extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d`` with one fixed
marking-definition per level, published in oasis-open/cti-stix-common-objects
(``extension-definition-specifications/tlp-2.0``). The ids and the ``created``
time below are those published values; the published objects also carry a
``created_by_ref`` to the OASIS identity, which is left out here (optional in
STIX 2.1).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import stix2

from madoguchi.domain.tlp import TLP

TLP2_EXTENSION_ID = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
_CREATED = "2022-10-01T00:00:00.000Z"

TLP2_IDS: dict[TLP, str] = {
    TLP.CLEAR: "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    TLP.GREEN: "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    TLP.AMBER: "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    TLP.AMBER_STRICT: "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    TLP.RED: "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}

#: TLP 1.0 marking ids (as shipped by ``stix2``), read on import.
_TLP1_IDS: dict[str, TLP] = {
    stix2.TLP_WHITE.id: TLP.CLEAR,
    stix2.TLP_GREEN.id: TLP.GREEN,
    stix2.TLP_AMBER.id: TLP.AMBER,
    stix2.TLP_RED.id: TLP.RED,
}
_BY_ID: dict[str, TLP] = {**_TLP1_IDS, **{value: key for key, value in TLP2_IDS.items()}}


def marking_for(level: TLP) -> stix2.MarkingDefinition:
    """The TLP 2.0 marking-definition object for ``level``."""
    return stix2.MarkingDefinition(
        id=TLP2_IDS[level],
        created=_CREATED,
        name=level.label,
        extensions={
            TLP2_EXTENSION_ID: {"extension_type": "property-extension", "tlp_2_0": level.value}
        },
    )


def tlp_of_marking(marking_id: str, definitions: Mapping[str, Mapping[str, Any]]) -> TLP | None:
    """The TLP level a marking id stands for (known ids, or a definition in the bundle)."""
    known = _BY_ID.get(marking_id)
    if known is not None:
        return known
    definition = definitions.get(marking_id)
    if definition is None:
        return None
    candidates: list[str] = []
    extension = (definition.get("extensions") or {}).get(TLP2_EXTENSION_ID) or {}
    candidates.append(str(extension.get("tlp_2_0", "")))
    if definition.get("definition_type") == "tlp":
        candidates.append(str((definition.get("definition") or {}).get("tlp", "")))
    candidates.append(str(definition.get("name", "")))
    for candidate in candidates:
        try:
            return TLP.parse(candidate)
        except ValueError:
            continue
    return None
