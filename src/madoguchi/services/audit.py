"""Writing the append-only audit trail."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from madoguchi.domain.audit import AuditEvent
from madoguchi.domain.organisation import Actor
from madoguchi.ports import UnitOfWork


def record(
    uow: UnitOfWork,
    actor: Actor | None,
    action: str,
    object_type: str,
    object_id: object,
    *,
    case_id: int | None = None,
    organisation_id: int | None = None,
    ip: str | None = None,
    **detail: Any,
) -> AuditEvent:
    """Append one audit event in the caller's transaction."""
    return uow.audit.append(
        AuditEvent(
            action=action,
            actor_id=actor.user_id if actor else None,
            object_type=object_type,
            object_id=str(object_id),
            at=datetime.now(UTC),
            case_id=case_id,
            organisation_id=organisation_id,
            detail=detail,
            ip=ip,
        )
    )
