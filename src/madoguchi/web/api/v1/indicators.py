"""``/api/v1`` indicators: case exports (CSV, STIX 2.1, MISP), the push to a MISP
instance, the correlation workspace and feedback to organisations."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, Field

from madoguchi.bootstrap import Desk
from madoguchi.domain.misp_push import MispPush
from madoguchi.services import misp_client, misp_push, workspace
from madoguchi.web.api.v1.schemas import ErrorOut, RowId
from madoguchi.web.deps import ApiActor, Uow, client_ip, get_desk
from madoguchi.web.routes.workspace import EXPORT_TYPES, export_indicators

router = APIRouter(
    prefix="/api/v1",
    tags=["v1"],
    responses={401: {"model": ErrorOut}, 404: {"model": ErrorOut}, 422: {"model": ErrorOut}},
)


@router.get(
    "/cases/{case_id}/indicators",
    responses={
        200: {
            "description": "the export, in the media type of the format",
            "content": {media_type: {} for media_type in EXPORT_TYPES.values()},
        }
    },
)
def case_indicators(
    uow: Uow, actor: ApiActor, case_id: int, format: str = "stix", tlp: str = "amber"
) -> PlainTextResponse:
    """Indicators sighted in the case's evidence you may see, up to the TLP ceiling
    (and the case's TLP), as ``csv``, ``stix`` (2.1 bundle) or ``misp`` (event JSON)."""
    body, media_type = export_indicators(uow, actor, case_id, format, tlp)
    uow.commit()
    return PlainTextResponse(body, media_type=media_type)


class MispPushOut(BaseModel):
    """The case's event on the MISP instance and how the last push went."""

    state: str = Field(description="queued, done or failed")
    event_uuid: str = Field(description="the MISP event's uuid; it stays the same per case")
    misp_event_id: str = Field(description="the event id on the instance, once pushed")
    requested_at: datetime | None
    finished_at: datetime | None
    pushed_at: datetime | None = Field(description="the last successful push")
    sent: int = Field(description="attributes in the event at the last successful push")
    withheld: int = Field(description="indicators left out (above the ceiling or naming a party)")
    ceiling: str = Field(description="the TLP ceiling the last push used")
    error: str = Field(description="why the last push failed, empty when it did not")


class MispStatusOut(BaseModel):
    configured: bool
    push: MispPushOut | None


def _push_out(push: MispPush) -> MispPushOut:
    error = misp_client.MispPushError(push.error, push.error_detail) if push.error else None
    return MispPushOut(
        state=push.state.value,
        event_uuid=push.event_uuid,
        misp_event_id=push.misp_event_id,
        requested_at=push.requested_at,
        finished_at=push.finished_at,
        pushed_at=push.pushed_at,
        sent=push.sent,
        withheld=push.withheld,
        ceiling=push.ceiling,
        error=str(error) if error else "",
    )


@router.post(
    "/cases/{case_id}/misp-push",
    status_code=202,
    response_model=MispPushOut,
    responses={409: {"model": ErrorOut, "description": "no MISP instance is configured"}},
)
def push_to_misp(
    request: Request, uow: Uow, actor: ApiActor, case_id: int, desk: Desk = Depends(get_desk)
) -> MispPushOut:
    """Desk: send the case's indicators (at or below the configured TLP ceiling and the
    case's TLP) to the configured MISP instance, as a job; a second push edits the same
    event. Poll ``GET`` on the same path for the outcome."""
    push = misp_push.request_push(uow, actor, case_id, ip=client_ip(request))
    uow.commit()
    desk.queue.enqueue(misp_push.PUSH_JOB, misp_push.job_payload(actor, case_id))
    return _push_out(push)


@router.get("/cases/{case_id}/misp-push", response_model=MispStatusOut)
def misp_push_status(uow: Uow, actor: ApiActor, case_id: int) -> MispStatusOut:
    """Desk: whether a MISP instance is configured and the case's last push."""
    push = misp_push.push_status(uow, actor, case_id)
    return MispStatusOut(
        configured=misp_client.configured(), push=_push_out(push) if push else None
    )


@router.get("/workspace")
def get_workspace(uow: Uow, actor: ApiActor, tag: str = "") -> dict[str, Any]:
    """Desk: the attacker address × organisation matrix for a tag, and the clusters."""
    view = workspace.workspace(uow, actor, tag)
    uow.commit()
    return {
        "tag": view.tag,
        "organisations": {str(k): v for k, v in view.organisations.items()},
        "cells": [
            {
                "address": c.address,
                "organisation_id": c.organisation_id,
                "count": c.count,
                "first_seen": c.first_seen,
                "last_seen": c.last_seen,
                "max_stage": c.max_stage.value if c.max_stage else None,
            }
            for c in view.cells
        ],
        "clusters": [
            {"addresses": list(c.addresses), "organisations": sorted(c.organisations)}
            for c in view.clusters
        ],
    }


class FeedbackIn(BaseModel):
    tag: str
    organisation_id: RowId
    language: str = "ja"
    send: bool = False


@router.post("/workspace/feedback")
def feedback(
    request: Request, uow: Uow, actor: ApiActor, body: FeedbackIn, desk: Desk = Depends(get_desk)
) -> dict[str, Any]:
    """Desk: the feedback package of one organisation; with ``send`` it is posted as a
    shared message on that organisation's case with CSV and STIX attachments."""
    package = workspace.feedback_package(uow, actor, body.tag, body.organisation_id)
    message_id = None
    if body.send:
        message_id = workspace.send_feedback(
            uow,
            desk.store,
            actor,
            body.tag,
            body.organisation_id,
            language=body.language,
            ip=client_ip(request),
        )
        uow.commit()
    return {
        "organisation_id": package.organisation_id,
        "case_id": package.case_id,
        "text": package.text,
        "highest_stage": package.highest_stage.value if package.highest_stage else None,
        "addresses": [
            {
                "address": a.address,
                "count": a.count,
                "max_stage": a.max_stage.value if a.max_stage else None,
                "other_organisations": a.other_organisations,
                "earliest_elsewhere": a.earliest_elsewhere,
            }
            for a in package.feedback.addresses
        ],
        "message_id": message_id,
    }
