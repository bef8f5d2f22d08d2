"""TAXII 2.1 read endpoints for member organisations (``/taxii2/``).

Authenticate with a personal API token (``Authorization: Bearer mdg_...``). Every answer,
errors included, is ``application/taxii+json;version=2.1``; what a token may read is
decided in ``services.taxii``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from fastapi.routing import APIRoute

from madoguchi.bootstrap import Desk
from madoguchi.domain.errors import (
    AuthenticationError,
    MadoguchiError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from madoguchi.services import taxii
from madoguchi.web.deps import ApiActor, Uow, client_ip, get_desk

ROOT = "/taxii2/api1/"
_STATUS = {
    AuthenticationError: (401, "Unauthorized"),
    PermissionDeniedError: (404, "Not Found"),
    NotFoundError: (404, "Not Found"),
    ValidationError: (400, "Bad Request"),
}


def taxii_response(
    body: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    merged = {"Cache-Control": "no-store", **(headers or {})}
    return Response(
        json.dumps(body, ensure_ascii=False),
        status_code=status,
        media_type=taxii.MEDIA_TAXII,
        headers=merged,
    )


def _error(status: int, title: str, description: str = "") -> Response:
    body: dict[str, Any] = {"title": title, "http_status": str(status)}
    if description:
        body["description"] = description
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else {}
    return taxii_response(body, status, headers)


def _acceptable(accept: str) -> bool:
    """TAXII 2.1 clients send ``application/taxii+json;version=2.1``; browsers and tools
    sending ``*/*`` or JSON are answered too; anything else is 406."""
    if not accept.strip():
        return True
    for part in accept.split(","):
        media, *params = (p.strip().lower() for p in part.split(";"))
        if media in ("*/*", "application/*", "application/json"):
            return True
        if media == "application/taxii+json":
            versions = [p.split("=", 1)[1] for p in params if p.startswith("version=")]
            if not versions or "2.1" in versions:
                return True
    return False


class TaxiiRoute(APIRoute):
    """Turns the desk's errors into TAXII error messages instead of HTML pages."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def run(request: Request) -> Response:
            if not _acceptable(request.headers.get("accept", "")):
                return _error(406, "Not Acceptable", f"send Accept: {taxii.MEDIA_TAXII}")
            try:
                return await handler(request)
            except MadoguchiError as error:
                for kind, (status, title) in _STATUS.items():
                    if isinstance(error, kind):
                        detail = error.message if status != 404 else ""
                        return _error(status, title, detail)
                raise

        return run


router = APIRouter(prefix="/taxii2", include_in_schema=False, route_class=TaxiiRoute)


def _base(desk: Desk) -> str:
    return desk.settings.base_url.rstrip("/")


@router.get("/")
def discovery(actor: ApiActor, desk: Desk = Depends(get_desk)) -> Response:
    taxii.collections_for(actor)
    return taxii_response(
        {
            "title": "madoguchi TAXII",
            "description": "Indicators and published advisories of the desk.",
            "default": f"{_base(desk)}{ROOT}",
            "api_roots": [f"{_base(desk)}{ROOT}"],
        }
    )


@router.get("/api1/")
def api_root(actor: ApiActor) -> Response:
    taxii.collections_for(actor)
    return taxii_response(
        {
            "title": "madoguchi",
            "description": "The desk's indicators and advisories (read only).",
            "versions": [taxii.MEDIA_TAXII],
            "max_content_length": 0,
        }
    )


@router.get("/api1/collections/")
def collections(actor: ApiActor) -> Response:
    found = taxii.collections_for(actor)
    return taxii_response({"collections": [c.resource() for c in found]})


@router.get("/api1/collections/{collection_id}/")
def collection(actor: ApiActor, collection_id: str) -> Response:
    taxii.collections_for(actor)
    return taxii_response(taxii.find_collection(collection_id).resource())


def _query(request: Request) -> taxii.ObjectQuery:
    params = request.query_params

    def match(name: str) -> frozenset[str]:
        raw = params.get(f"match[{name}]", "")
        return frozenset(v.strip() for v in raw.split(",") if v.strip())

    limit = params.get("limit", "")
    if limit and not limit.isdigit():
        raise ValidationError("limit must be a positive number", where="limit")
    added_after = params.get("added_after", "")
    return taxii.ObjectQuery(
        added_after=taxii.parse_time(added_after, "added_after") if added_after else None,
        limit=int(limit) if limit and int(limit) > 0 else taxii.DEFAULT_LIMIT,
        next=params.get("next", ""),
        ids=match("id"),
        types=match("type"),
        versions=match("version"),
        spec_versions=match("spec_version"),
    )


def _page_headers(page: taxii.Page) -> dict[str, str]:
    headers = {}
    if page.first_added is not None and page.last_added is not None:
        headers["X-TAXII-Date-Added-First"] = taxii.taxii_time(page.first_added)
        headers["X-TAXII-Date-Added-Last"] = taxii.taxii_time(page.last_added)
    return headers


def _read(
    request: Request, uow: Uow, actor: ApiActor, desk: Desk, collection_id: str
) -> taxii.Page:
    found = taxii.find_collection(collection_id)
    page = taxii.read_objects(
        uow, actor, found, _query(request), base_url=_base(desk), ip=client_ip(request)
    )
    uow.commit()
    return page


@router.get("/api1/collections/{collection_id}/objects/")
def objects(
    request: Request,
    uow: Uow,
    actor: ApiActor,
    collection_id: str,
    desk: Desk = Depends(get_desk),
) -> Response:
    page = _read(request, uow, actor, desk, collection_id)
    body: dict[str, Any] = {"more": page.more, "objects": [e.obj for e in page.entries]}
    if page.more:
        body["next"] = page.next
    return taxii_response(body, headers=_page_headers(page))


@router.get("/api1/collections/{collection_id}/manifest/")
def manifest(
    request: Request,
    uow: Uow,
    actor: ApiActor,
    collection_id: str,
    desk: Desk = Depends(get_desk),
) -> Response:
    page = _read(request, uow, actor, desk, collection_id)
    records = [
        {
            "id": entry.obj["id"],
            "date_added": taxii.taxii_time(entry.added),
            "version": entry.version,
            "media_type": taxii.MEDIA_STIX,
        }
        for entry in page.entries
    ]
    body: dict[str, Any] = {"more": page.more, "objects": records}
    if page.more:
        body["next"] = page.next
    return taxii_response(body, headers=_page_headers(page))
