"""The append-only audit trail."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(eq=False)
class AuditEvent:
    """One thing that happened: who, what, on which object, when.

    ``action`` is a namespaced verb such as ``case:read`` or ``user:login-failed``.
    """

    action: str
    actor_id: int | None
    object_type: str
    object_id: str
    at: datetime
    id: int | None = None
    case_id: int | None = None
    organisation_id: int | None = None
    detail: dict[str, Any] = field(default_factory=dict)
    ip: str | None = None
    #: hash chain (tamper evidence): the previous entry's ``entry_hash`` and this one's
    prev_hash: str | None = None
    entry_hash: str | None = None
