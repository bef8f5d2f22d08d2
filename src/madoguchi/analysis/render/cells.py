"""Spreadsheet cells that cannot run as formulas (CSV injection guard)."""

from __future__ import annotations

from typing import Any

import orjson

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> str:
    """A value as a CSV cell; text a spreadsheet would read as a formula gets a leading quote."""
    if value is None:
        return ""
    if value.__class__ is str:  # most cells: no conversion needed
        return "'" + value if value.startswith(FORMULA_STARTS) else value
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        text = ";".join(value)
    elif isinstance(value, (dict, list, tuple)):
        text = orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
    else:
        text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text
