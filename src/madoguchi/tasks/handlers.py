"""Job handlers: a name and a function of a JSON payload."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

JobHandler = Callable[[Mapping[str, Any]], None]
JobHandlers = Mapping[str, JobHandler]


class UnknownJobError(KeyError):
    """A job names a handler this process does not have."""
