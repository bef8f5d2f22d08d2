"""The state of a case's indicators on the configured MISP instance.

One record per case. ``event_uuid`` is chosen when the desk first asks for a push and
never changes, so every later push edits the same MISP event instead of adding another.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class PushState(StrEnum):
    QUEUED = "queued"
    DONE = "done"
    FAILED = "failed"


@dataclass
class MispPush:
    case_id: int
    event_uuid: str
    state: PushState = PushState.QUEUED
    requested_by: int | None = None
    requested_at: datetime | None = None
    finished_at: datetime | None = None
    #: when the event was last written on the instance (``None``: never)
    pushed_at: datetime | None = None
    #: the event id the instance gave it (for links), once pushed
    misp_event_id: str = ""
    #: attributes in the event at the last successful push
    sent: int = 0
    #: indicators left out at the last attempt (above the ceiling, or naming a party)
    withheld: int = 0
    #: the ceiling the last attempt used (``clear``, ``green`` or ``amber``)
    ceiling: str = ""
    #: a catalogue message (English msgid) a person can act on, and its technical detail
    error: str = ""
    error_detail: str = ""
