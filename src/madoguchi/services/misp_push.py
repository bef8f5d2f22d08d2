"""Push a case's indicators to the configured MISP instance (see
:mod:`madoguchi.services.misp_client` for the settings and the HTTP guards).

The event is the case's MISP export (``workspace.case_export`` → ``export_event``, the
same TLP filtering as the download) at or below the configured ceiling and the case's own
TLP, with the case reference as its ``info``; an indicator whose value, description or
tags name an organisation that is a party to the case is left out. The event's uuid is
chosen when the desk first asks for a push and kept per case, so a later push edits the
same event; attribute uuids are derived from the event's and their value.

The desk asks with :func:`request_push` (desk only; anyone else gets 404); the job
``misp.push`` (:func:`push_job`) does the HTTP work and records the outcome on the case
and in the audit log. A failure is recorded with a message a person can act on and
changes nothing that an earlier push recorded.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pymisp import MISPEvent

from madoguchi.domain.advisory import fields_naming
from madoguchi.domain.case import Case
from madoguchi.domain.errors import ConfigurationError, ConflictError, NotFoundError
from madoguchi.domain.indicator import Indicator
from madoguchi.domain.misp_push import MispPush, PushState
from madoguchi.domain.organisation import Actor
from madoguchi.domain.tlp import TLP
from madoguchi.i18n.catalogue import N_
from madoguchi.intel.misp.event import export_event
from madoguchi.ports import UnitOfWork, UnitOfWorkFactory
from madoguchi.services import accounts, audit, workspace
from madoguchi.services.cases import load_case
from madoguchi.services.misp_client import (
    MispConfig,
    MispPushError,
    configured,
    misp_config,
    send_event,
)

PUSH_JOB = "misp.push"


# --- what the desk asks for -------------------------------------------------------------------


def _desk_case(uow: UnitOfWork, actor: Actor, case_id: int) -> Case:
    """The case, for the desk only; anyone else gets the 404 of an unknown case."""
    if not actor.is_desk:
        raise NotFoundError(N_("case not found"))
    return load_case(uow, actor, case_id)


def push_status(uow: UnitOfWork, actor: Actor, case_id: int) -> MispPush | None:
    """The case's last push (``None``: never asked for)."""
    case = _desk_case(uow, actor, case_id)
    assert case.id is not None
    return uow.misp_pushes.get(case.id)


def request_push(
    uow: UnitOfWork,
    actor: Actor,
    case_id: int,
    *,
    env: Mapping[str, str] | None = None,
    ip: str | None = None,
) -> MispPush:
    """Record that the desk wants the case on the MISP instance. The caller commits and
    enqueues ``PUSH_JOB`` with :func:`job_payload`."""
    case = _desk_case(uow, actor, case_id)
    assert case.id is not None
    if not configured(env):
        raise ConflictError(N_("no MISP instance is configured"))
    try:
        misp_config(env)  # a wrong setting is refused now, where the person can see it
    except ConfigurationError as error:
        raise ConflictError(error.message, where=error.where) from None
    now = datetime.now(UTC)
    push = uow.misp_pushes.get(case.id) or MispPush(case.id, str(uuid.uuid4()))
    push.state = PushState.QUEUED
    push.requested_by = actor.user_id
    push.requested_at = now
    push.finished_at = None
    push.error = push.error_detail = ""
    uow.misp_pushes.save(push)
    audit.record(uow, actor, "misp:push_requested", "case", case.id, case_id=case.id, ip=ip)
    return push


def job_payload(actor: Actor, case_id: int) -> dict[str, int | None]:
    return {"case_id": case_id, "user_id": actor.user_id}


# --- the event --------------------------------------------------------------------------------


@dataclass(frozen=True)
class PreparedEvent:
    event: MISPEvent
    sent: int
    withheld: int
    ceiling: TLP


def _naming_a_party(
    uow: UnitOfWork, case_id: int, indicators: list[Indicator]
) -> tuple[list[Indicator], int]:
    """The indicators that name no party of the case, and how many did."""
    names, domains = uow.advisories.party_names([case_id])
    fields = {
        str(number): " ".join((i.value, i.description, *i.tags))
        for number, i in enumerate(indicators)
    }
    naming = set(fields_naming(fields, names, domains))
    kept = [i for number, i in enumerate(indicators) if str(number) not in naming]
    return kept, len(naming)


def _in_case(uow: UnitOfWork, case_id: int) -> int:
    """How many indicators (not false positives) the case holds at any level."""
    return len(
        {
            s.indicator.key
            for s in uow.indicators.sightings(case_ids=[case_id])
            if not s.indicator.false_positive
        }
    )


def prepare_event(
    uow: UnitOfWork, actor: Actor, case: Case, config: MispConfig, event_uuid: str
) -> PreparedEvent:
    """The MISP event of the case: its export at or below the ceiling (and the case's
    TLP), without indicators naming a party, with stable uuids."""
    assert case.id is not None
    ceiling = min(config.ceiling, case.tlp, key=lambda level: level.rank)
    releasable = workspace.case_export(uow, actor, case.id, ceiling)
    kept, naming = _naming_a_party(uow, case.id, releasable)
    export = export_event(
        kept,
        ceiling=ceiling,
        info=f"madoguchi {case.reference}",
        date=case.created_at,
    )
    event = export.event
    event.uuid = event_uuid
    event.distribution = config.distribution
    namespace = uuid.UUID(event_uuid)
    for attribute in event.attributes:
        attribute.uuid = str(uuid.uuid5(namespace, f"{attribute.type}|{attribute.value}"))
    above = max(_in_case(uow, case.id) - len(releasable), 0)
    return PreparedEvent(event, export.exported, above + naming + export.dropped, ceiling)


# --- the job ----------------------------------------------------------------------------------


def push_job(uow_factory: UnitOfWorkFactory, payload: Mapping[str, Any]) -> None:
    """The ``misp.push`` job: send the case's event and record how it went."""
    case_id = int(payload["case_id"])
    user_id = payload.get("user_id")
    with uow_factory() as uow:
        push = uow.misp_pushes.get(case_id)
        user = uow.users.get(int(user_id)) if user_id is not None else None
        if push is None or user is None:
            return  # the case (or the person) is gone: nothing to send
        asked = push.requested_at
        actor = accounts.actor_for(uow, user)
        try:
            config = misp_config()
            if config is None:
                raise ConfigurationError(N_("no MISP instance is configured"))
            prepared = prepare_event(
                uow, actor, _desk_case(uow, actor, case_id), config, push.event_uuid
            )
        except (ConfigurationError, NotFoundError) as refused:
            uow.rollback()
            _finish(uow_factory, actor, case_id, MispPushError(refused.message), None, asked)
            return
        uow.commit()  # the export's audit entry
    if prepared.sent == 0 and push.pushed_at is None:
        nothing = MispPushError(
            N_("nothing to send: no indicator of this case is at or below {detail}"),
            prepared.ceiling.label,
        )
        _finish(uow_factory, actor, case_id, nothing, prepared, asked)
        return
    try:
        event_id = send_event(config, prepared.event)
    except MispPushError as error:
        _finish(uow_factory, actor, case_id, error, prepared, asked)
        return
    _finish(uow_factory, actor, case_id, event_id, prepared, asked)


def _finish(
    uow_factory: UnitOfWorkFactory,
    actor: Actor,
    case_id: int,
    outcome: str | MispPushError,
    prepared: PreparedEvent | None,
    asked: datetime | None,
) -> None:
    """Audit the outcome and record it on the case, unless the desk asked again while this
    job ran (the newer job records its own)."""
    now = datetime.now(UTC)
    failed = isinstance(outcome, MispPushError)
    with uow_factory() as uow:
        push = uow.misp_pushes.get(case_id)
        if push is None:
            return
        if failed:
            audit.record(
                uow,
                actor,
                "misp:push_failed",
                "case",
                case_id,
                case_id=case_id,
                event=push.event_uuid,
                error=str(outcome)[:500],
            )
        else:
            audit.record(
                uow,
                actor,
                "misp:pushed",
                "case",
                case_id,
                case_id=case_id,
                event=push.event_uuid,
                attributes=prepared.sent if prepared else 0,
                withheld=prepared.withheld if prepared else 0,
                ceiling=prepared.ceiling.value if prepared else "",
            )
            push.pushed_at = now
            push.misp_event_id = str(outcome) or push.misp_event_id
            push.sent = prepared.sent if prepared else 0
        # Compared as stored, so clocks of web and worker machines do not matter.
        superseded = push.requested_at != asked
        if not superseded:
            push.finished_at = now
            if prepared is not None:
                push.withheld = prepared.withheld
                push.ceiling = prepared.ceiling.value
            if isinstance(outcome, MispPushError):
                push.state = PushState.FAILED
                push.error, push.error_detail = outcome.message, outcome.detail
            else:
                push.state = PushState.DONE
                push.error = push.error_detail = ""
        uow.misp_pushes.save(push)
        uow.commit()
