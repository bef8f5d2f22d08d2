"""``/api/v1`` indicators: case exports (CSV, STIX 2.1, MISP), the correlation workspace
and feedback to organisations."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel

from madoguchi.bootstrap import Desk
from madoguchi.services import workspace
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
