"""``/api/v1`` advisories: the desk drafts, edits, reviews, approves and publishes an
advisory with a token, with the same checks as the pages; and releases an indicator
to a lower TLP so it may appear in one. The published advisory itself is read at the
public ``/advisories/{slug}`` and ``/advisories/{slug}.json`` addresses."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict

from madoguchi.domain.advisory import TEXT_FIELDS, Advisory, AdvisoryContent
from madoguchi.domain.errors import ValidationError
from madoguchi.domain.indicator import Indicator
from madoguchi.domain.tlp import TLP
from madoguchi.i18n.catalogue import N_
from madoguchi.services import access, advisories, indicators
from madoguchi.web.api.v1.schemas import ErrorOut, RowId
from madoguchi.web.deps import ApiActor, Uow, client_ip
from madoguchi.web.routes.advisories import parse_cves, parse_references

router = APIRouter(
    prefix="/api/v1",
    tags=["v1"],
    responses={
        401: {"model": ErrorOut},
        404: {"model": ErrorOut},
        409: {"model": ErrorOut},
        422: {"model": ErrorOut},
    },
)


class DraftIn(BaseModel):
    """Draft from one case (its id) or from a workspace tag such as ``cve:CVE-2024-3400``."""

    model_config = ConfigDict(extra="forbid")
    case_id: RowId | None = None
    tag: str = ""


class AdvisoryIn(BaseModel):
    """A partial edit: ``content`` keys replace the draft's (same shape as the
    ``content`` this API returns); omitted fields stay as they are."""

    model_config = ConfigDict(extra="forbid")
    content: dict[str, Any] | None = None
    tlp: TLP | None = None
    indicator_ids: list[RowId] | None = None
    slug: str | None = None


class IndicatorPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    tlp: TLP | None = None
    false_positive: bool | None = None


def _indicator(indicator: Indicator) -> dict[str, Any]:
    return {
        "id": indicator.id,
        "type": indicator.type.value,
        "value": indicator.value,
        "tlp": indicator.tlp.value,
        "false_positive": indicator.false_positive,
        "tags": list(indicator.tags),
    }


def _advisory(uow: Uow, actor: ApiActor, advisory_id: int, ip: str | None) -> dict[str, Any]:
    bench = advisories.open_advisory(uow, actor, advisory_id, ip=ip)
    advisory = bench.advisory
    return {
        "id": advisory.id,
        "slug": advisory.slug,
        "status": advisory.status.value,
        "tlp": advisory.tlp.value,
        "revision": advisory.revision,
        "source": advisory.source,
        "case_references": list(bench.case_references),
        "content": advisory.content.to_dict(),
        "indicator_ids": list(advisory.indicator_ids),
        "candidates": [
            {
                **_indicator(choice.dated.indicator),
                "included": choice.included,
                "releasable": choice.releasable,
            }
            for choice in bench.choices
        ],
        "problems": [{"detail": p.message, "where": p.where or ""} for p in bench.problems],
        "public_url": f"/advisories/{advisory.slug}" if advisory.revision else None,
    }


@router.post("/advisories", status_code=201)
def create_advisory(request: Request, uow: Uow, actor: ApiActor, body: DraftIn) -> dict[str, Any]:
    """Desk: a new draft, pre-filled from the case or from every case with the tag."""
    access.require_desk(actor)
    ip = client_ip(request)
    draft: Advisory
    if body.case_id is not None:
        draft = advisories.draft_from_case(uow, actor, body.case_id, ip=ip)
    else:
        draft = advisories.draft_from_tag(uow, actor, body.tag, ip=ip)
    assert draft.id is not None
    found = _advisory(uow, actor, draft.id, ip)
    uow.commit()
    return found


@router.get("/advisories/{advisory_id}")
def get_advisory(request: Request, uow: Uow, actor: ApiActor, advisory_id: int) -> dict[str, Any]:
    """Desk: the draft, its candidate indicators (with whether each may be released) and
    everything that would stop publication now."""
    found = _advisory(uow, actor, advisory_id, client_ip(request))
    uow.commit()
    return found


@router.put("/advisories/{advisory_id}")
def edit_advisory(
    request: Request, uow: Uow, actor: ApiActor, advisory_id: int, body: AdvisoryIn
) -> dict[str, Any]:
    """Desk: change the draft (an approved or published advisory goes back to draft)."""
    ip = client_ip(request)
    current = advisories.open_advisory(uow, actor, advisory_id, ip=ip).advisory
    merged = current.content.to_dict()
    if body.content:
        unknown = set(body.content) - set(merged)
        if unknown:
            raise ValidationError(N_("unknown advisory field"), where=sorted(unknown)[0])
        merged.update(body.content)
    try:
        content = AdvisoryContent.from_dict(merged)
    except (TypeError, ValueError, AttributeError) as error:
        raise ValidationError(N_("the advisory content is malformed"), where="content") from error
    content = AdvisoryContent(
        **{name: content.text(name) for name in TEXT_FIELDS},
        affected=content.affected,
        cves=parse_cves("\n".join(content.cves)),
        references=parse_references("\n".join(content.references)),
        tags=content.tags,
    )
    edit = advisories.AdvisoryEdit(
        content=content,
        tlp=body.tlp if body.tlp is not None else current.tlp,
        indicator_ids=(
            tuple(body.indicator_ids) if body.indicator_ids is not None else current.indicator_ids
        ),
        slug=body.slug if body.slug is not None else current.slug,
    )
    advisories.edit_advisory(uow, actor, advisory_id, edit, ip=ip)
    found = _advisory(uow, actor, advisory_id, ip)
    uow.commit()
    return found


def _step(
    request: Request,
    uow: Uow,
    actor: ApiActor,
    advisory_id: int,
    action: Callable[..., object],
) -> Response:
    ip = client_ip(request)
    try:
        action(uow, actor, advisory_id, ip=ip)
    except advisories.AdvisoryRefusedError as refused:
        uow.commit()  # keep the audit record of the refusal
        return JSONResponse(
            {
                "detail": refused.message,
                "code": refused.code,
                "problems": [
                    {"detail": p.message, "where": p.where or ""} for p in refused.problems
                ],
            },
            status_code=422,
        )
    found = _advisory(uow, actor, advisory_id, ip)
    uow.commit()
    return JSONResponse(found)


@router.post("/advisories/{advisory_id}/review")
def review(request: Request, uow: Uow, actor: ApiActor, advisory_id: int) -> Response:
    """Desk: ask another handler to review the draft."""
    return _step(request, uow, actor, advisory_id, advisories.request_review)


@router.post("/advisories/{advisory_id}/approve")
def approve(request: Request, uow: Uow, actor: ApiActor, advisory_id: int) -> Response:
    """Desk: approve a draft in review; its author cannot."""
    return _step(request, uow, actor, advisory_id, advisories.approve)


@router.post("/advisories/{advisory_id}/publish")
def publish(request: Request, uow: Uow, actor: ApiActor, advisory_id: int) -> Response:
    """Desk: publish the approved advisory as its next public revision. Refused (422,
    with every problem) while it or an indicator is above TLP:CLEAR or names an
    organisation of its cases."""
    return _step(request, uow, actor, advisory_id, advisories.publish)


@router.patch("/indicators/{indicator_id}")
def patch_indicator(
    request: Request, uow: Uow, actor: ApiActor, indicator_id: int, body: IndicatorPatch
) -> dict[str, Any]:
    """Desk: release an indicator to another TLP or mark it a false positive."""
    found = indicators.flag(
        uow, actor, indicator_id, false_positive=body.false_positive, tlp=body.tlp
    )
    uow.commit()
    return _indicator(found)
