"""Writing, verifying and exporting the append-only, hash-chained audit trail.

Every entry stores ``prev_hash`` (the previous entry's hash, or ``GENESIS`` for the
first) and ``entry_hash`` = SHA-256 over a canonical JSON of the previous hash and the
entry's fields. Changing, removing or inserting an entry in the middle of the log
breaks the chain at that entry; ``verify_chain`` finds it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from madoguchi.domain.audit import AuditEvent
from madoguchi.domain.errors import NotFoundError
from madoguchi.domain.organisation import Actor
from madoguchi.ports import UnitOfWork

#: the ``prev_hash`` of the first chained entry
GENESIS = "0" * 64
PAGE = 1000


def _plain(detail: dict[str, Any]) -> dict[str, Any]:
    """The detail exactly as it will read back from the JSON column."""
    plain: dict[str, Any] = json.loads(json.dumps(detail, default=str))
    return plain


def entry_hash(prev_hash: str, event: AuditEvent) -> str:
    """SHA-256 (hex) over the canonical JSON of ``prev_hash`` and the event's fields."""
    canonical = {
        "prev": prev_hash,
        "action": event.action,
        "actor": event.actor_id,
        "object": [event.object_type, event.object_id],
        "case": event.case_id,
        "organisation": event.organisation_id,
        "detail": event.detail,
        "ip": event.ip,
        "at": event.at.astimezone(UTC).isoformat(timespec="microseconds"),
    }
    text = json.dumps(canonical, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


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
    """Append one audit event in the caller's transaction, chained to the last one.

    The chain lock is held until the caller's transaction ends, so concurrent
    appends from several processes queue up instead of forking the chain.
    """
    event = AuditEvent(
        action=action,
        actor_id=actor.user_id if actor else None,
        object_type=object_type,
        object_id=str(object_id),
        # microseconds are what both databases keep
        at=datetime.now(UTC),
        case_id=case_id,
        organisation_id=organisation_id,
        detail=_plain(detail),
        ip=ip,
    )
    event.prev_hash = uow.audit_chain.lock_tail() or GENESIS
    event.entry_hash = entry_hash(event.prev_hash, event)
    return uow.audit.append(event)


@dataclass(frozen=True)
class ChainBreak:
    event_id: int
    reason: str


@dataclass
class ChainReport:
    """What ``verify_chain`` found; ``ok`` when no entry breaks the chain."""

    checked: int = 0
    unchained: int = 0
    head: str | None = None
    breaks: list[ChainBreak] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.breaks


def _events(uow: UnitOfWork) -> Iterator[AuditEvent]:
    after = 0
    while page := uow.audit_chain.walk(after, PAGE):
        yield from page
        after = page[-1].id or after


def verify_chain(uow: UnitOfWork) -> ChainReport:
    """Walk the whole log in id order and recompute every link.

    Entries written before the chain existed (no hashes, at the start of the log)
    are counted as ``unchained``; an entry without hashes after the chain started,
    an entry whose content no longer matches its hash, and an entry that does not
    point at its predecessor are breaks. Removing the newest entries cannot be seen
    from inside the log: compare ``head`` with a value kept elsewhere.
    """
    report = ChainReport()
    expected: str | None = None
    for event in _events(uow):
        report.checked += 1
        assert event.id is not None
        if event.entry_hash is None or event.prev_hash is None:
            if expected is None:
                report.unchained += 1
            else:
                reason = "entry has no hash (written outside the chain)"
                report.breaks.append(ChainBreak(event.id, reason))
            continue
        if event.prev_hash != (expected or GENESIS):
            report.breaks.append(
                ChainBreak(event.id, "does not follow the previous entry (removed or inserted)")
            )
        if entry_hash(event.prev_hash, event) != event.entry_hash:
            report.breaks.append(ChainBreak(event.id, "content changed after it was written"))
        expected = event.entry_hash
    report.head = expected
    return report


def organisation_trail(uow: UnitOfWork, organisation_name: str) -> Iterator[dict[str, Any]]:
    """An organisation's own audit trail, as JSON-ready records.

    Events about the organisation or about its cases. What belongs to others is left
    out: the id of an actor who is not a member, another organisation's id, and the
    detail of events the organisation neither did nor was the subject of.
    """
    org = uow.organisations.by_name(organisation_name)
    if org is None or org.id is None:
        raise NotFoundError("no such organisation", where=organisation_name)
    members = {m.user_id for m in uow.users.members_of(org.id)}
    after = 0
    while page := uow.audit_chain.trail(org.id, after, PAGE):
        for event in page:
            own_actor = event.actor_id is not None and event.actor_id in members
            own_subject = event.organisation_id == org.id
            yield {
                "id": event.id,
                "at": event.at.astimezone(UTC).isoformat(),
                "action": event.action,
                "actor": event.actor_id if own_actor else ("other" if event.actor_id else None),
                "object_type": event.object_type,
                "object_id": event.object_id
                if event.object_type != "organisation" or event.object_id == str(org.id)
                else None,
                "case_id": event.case_id,
                "organisation_id": org.id if own_subject else None,
                "detail": event.detail if own_actor or own_subject else {},
                "ip": event.ip if own_actor else None,
                "entry_hash": event.entry_hash,
            }
        after = page[-1].id or after
