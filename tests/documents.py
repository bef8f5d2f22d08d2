"""Result documents compared without what changes from run to run."""

from __future__ import annotations

import copy
from typing import Any


def untimed(document: dict[str, Any] | None) -> dict[str, Any]:
    """A copy of a result document without its start and end times and duration."""
    assert document is not None
    out = copy.deepcopy(document)
    for key in ("started", "finished"):
        out["run"].pop(key)
    out["stats"].pop("seconds")
    return out
