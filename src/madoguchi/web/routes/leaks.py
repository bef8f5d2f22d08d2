"""Leak-site posts (import, fetch, check, review) and the exfiltration picture of a case.

Everything here is the desk's: other people get 404. What a reporter may see of it is on
the case page (``panels/leaks``), once the desk confirmed and shared it.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from madoguchi.bootstrap import Desk
from madoguchi.domain.errors import ValidationError
from madoguchi.domain.leak import ReviewState
from madoguchi.i18n.catalogue import N_
from madoguchi.intel.leak_posts import FORMATS, parse_posts
from madoguchi.services import access, cases, exfiltration, leak_feed, leak_sites
from madoguchi.web.csrf import verify_csrf
from madoguchi.web.deps import SignedIn, Uow, client_ip, get_desk, render
from madoguchi.web.forms import enum_value

router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])

MAX_IMPORT_BYTES = 512 * 1024 * 1024
FLASH = "flash_leaks"


def _back(request: Request, case_id: int, anchor: str, error: str | None = None) -> Response:
    if error:
        request.session["flash_error"] = error
    return RedirectResponse(f"/cases/{case_id}#{anchor}", status_code=303)


def _desk_page(request: Request, notice: dict[str, object] | None = None) -> Response:
    if notice is not None:
        request.session[FLASH] = notice
    return RedirectResponse("/desk/leaks", status_code=303)


def _id(value: str, field: str) -> int:
    if not value.strip().isdigit():
        raise ValidationError(N_("choose an item"), where=field)
    return int(value)


def _notify(desk: Desk, match_ids: list[int]) -> None:
    if match_ids:
        desk.queue.enqueue(leak_sites.MATCH_NOTICE, {"match_ids": match_ids})


# --- the desk's leak-site page --------------------------------------------------------------


@router.get("/desk/leaks", response_class=HTMLResponse)
def leak_page(request: Request, uow: Uow, actor: SignedIn) -> Response:
    access.require_desk(actor)
    context = {
        "claims": leak_sites.constituency_claims(uow, actor),
        "posts": uow.leaks.posts(limit=200),
        "post_count": uow.leaks.count_posts(),
        "formats": FORMATS,
        "feed": leak_feed.feed_config() is not None,
        "states": list(ReviewState),
        "notice": request.session.pop(FLASH, None),
        "error": request.session.pop("flash_error", None),
    }
    return render(request, "desk_leaks.html", context, actor=actor)


@router.post("/desk/leaks/import")
def import_posts(
    request: Request,
    uow: Uow,
    actor: SignedIn,
    desk: Desk = Depends(get_desk),
    format: Annotated[str, Form()] = "ransomwarelive",
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    access.require_desk(actor)
    if file is None or not file.filename:
        request.session["flash_error"] = N_("choose a file to import")
        return _desk_page(request)
    data = file.file.read(MAX_IMPORT_BYTES + 1)
    if len(data) > MAX_IMPORT_BYTES:
        request.session["flash_error"] = N_("the file is too large")
        return _desk_page(request)
    result = leak_sites.import_posts(uow, actor, parse_posts(data, format), ip=client_ip(request))
    uow.commit()
    _notify(desk, result.new_matches)
    return _desk_page(
        request,
        {
            "read": result.read,
            "new": result.new,
            "groups": result.groups,
            "matches": len(result.new_matches),
            "problems": result.problems[:50],
        },
    )


@router.post("/desk/leaks/check")
def check_everything(
    request: Request, uow: Uow, actor: SignedIn, desk: Desk = Depends(get_desk)
) -> Response:
    access.require_desk(actor)
    created = leak_sites.check_all(uow, actor, ip=client_ip(request))
    uow.commit()
    _notify(desk, created)
    return _desk_page(request, {"matches": len(created)})


@router.post("/desk/leaks/fetch")
def fetch_feed(request: Request, actor: SignedIn, desk: Desk = Depends(get_desk)) -> Response:
    access.require_desk(actor)
    if leak_feed.feed_config() is None:
        request.session["flash_error"] = N_("no leak-site feed is configured")
        return _desk_page(request)
    desk.queue.enqueue(leak_feed.FETCH_JOB, {})
    return _desk_page(request, {"fetching": True})


@router.post("/desk/leaks/review")
def review_constituent(
    request: Request,
    uow: Uow,
    actor: SignedIn,
    match_id: Annotated[str, Form()] = "",
    state: Annotated[str, Form()] = "",
) -> Response:
    access.require_desk(actor)
    try:
        leak_sites.review_match(
            uow,
            actor,
            _id(match_id, "match_id"),
            enum_value(ReviewState, state, "state"),
            ip=client_ip(request),
        )
    except ValidationError as error:
        request.session["flash_error"] = error.message
        return _desk_page(request)
    uow.commit()
    return _desk_page(request)


# --- on a case ------------------------------------------------------------------------------


@router.post("/cases/{case_id}/leaks/check")
def check_case(
    request: Request, uow: Uow, actor: SignedIn, case_id: int, desk: Desk = Depends(get_desk)
) -> Response:
    created = leak_sites.check_case(uow, actor, case_id, ip=client_ip(request))
    uow.commit()
    _notify(desk, created)
    return _back(request, case_id, "leaks")


@router.post("/cases/{case_id}/leaks/review")
def review_case_match(
    request: Request,
    uow: Uow,
    actor: SignedIn,
    case_id: int,
    match_id: Annotated[str, Form()] = "",
    state: Annotated[str, Form()] = "",
    shared_with: Annotated[list[int] | None, Form()] = None,
) -> Response:
    access.require_desk(actor)
    cases.load_case(uow, actor, case_id)
    try:
        leak_sites.review_match(
            uow,
            actor,
            _id(match_id, "match_id"),
            enum_value(ReviewState, state, "state"),
            shared_with=shared_with or [],
            case_id=case_id,
            ip=client_ip(request),
        )
    except ValidationError as error:
        uow.rollback()
        return _back(request, case_id, "leaks", error.message)
    uow.commit()
    return _back(request, case_id, "leaks")


@router.post("/cases/{case_id}/exfiltration/assemble")
def assemble(request: Request, uow: Uow, actor: SignedIn, case_id: int) -> Response:
    exfiltration.assemble_case(uow, actor, case_id, ip=client_ip(request))
    uow.commit()
    return _back(request, case_id, "exfiltration")


@router.post("/cases/{case_id}/exfiltration/review")
def review_item(
    request: Request,
    uow: Uow,
    actor: SignedIn,
    case_id: int,
    item_id: Annotated[str, Form()] = "",
    state: Annotated[str, Form()] = "",
    shared_with: Annotated[list[int] | None, Form()] = None,
    personal_data: Annotated[bool, Form()] = False,
    note: Annotated[str, Form()] = "",
) -> Response:
    access.require_desk(actor)
    cases.load_case(uow, actor, case_id)
    try:
        exfiltration.review_item(
            uow,
            actor,
            case_id,
            _id(item_id, "item_id"),
            enum_value(ReviewState, state, "state"),
            shared_with=shared_with or [],
            personal_data=personal_data,
            note=note,
            ip=client_ip(request),
        )
    except ValidationError as error:
        uow.rollback()
        return _back(request, case_id, "exfiltration", error.message)
    uow.commit()
    return _back(request, case_id, "exfiltration")
