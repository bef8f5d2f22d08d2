"""Advisories: the desk's drafting pages, and the public pages, feed, STIX bundles and
investigation guides (no sign-in needed for those)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from madoguchi.bootstrap import Desk
from madoguchi.domain.advisory import (
    TEXT_FIELDS,
    AdvisoryContent,
    AdvisoryStatus,
    AffectedProduct,
    Bilingual,
)
from madoguchi.domain.errors import ConflictError, MadoguchiError, NotFoundError, ValidationError
from madoguchi.domain.tlp import TLP
from madoguchi.i18n.catalogue import LANGUAGES, N_, Translator
from madoguchi.knowledge import guides
from madoguchi.services import access, advisories, workflow
from madoguchi.services.advisory_stix import advisory_bundle
from madoguchi.web.atom import MEDIA_TYPE as ATOM_MEDIA_TYPE
from madoguchi.web.atom import advisory_feed
from madoguchi.web.csrf import verify_csrf
from madoguchi.web.deps import CurrentActor, SignedIn, Uow, client_ip, get_desk, language_of, render
from madoguchi.web.forms import enum_value, split_list
from madoguchi.web.markdown_render import render_markdown

router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])

STIX_MEDIA_TYPE = "application/stix+json;version=2.1"
STATUS_LABELS = {
    AdvisoryStatus.DRAFT: N_("Draft"),
    AdvisoryStatus.IN_REVIEW: N_("In review"),
    AdvisoryStatus.APPROVED: N_("Approved"),
    AdvisoryStatus.PUBLISHED: N_("Published"),
}
_CVE = re.compile(r"^CVE-\d{4}-\d{4,}$")


def _lang(request: Request, actor: CurrentActor, lang: str) -> str:
    return lang if lang in LANGUAGES else language_of(request, actor)


def _public(lang: str) -> dict[str, object]:
    return {"lang": lang, "_": Translator(lang)}


# --- public pages ---------------------------------------------------------------------


@router.get("/advisories", response_class=HTMLResponse)
def public_list(request: Request, uow: Uow, actor: CurrentActor, lang: str = "") -> Response:
    chosen = _lang(request, actor, lang)
    published = advisories.published_advisories(uow)
    context = {**_public(chosen), "published": published}
    return render(request, "advisories.html", context, actor=actor)


@router.get("/advisories.atom")
def atom_feed(
    request: Request,
    uow: Uow,
    actor: CurrentActor,
    lang: str = "",
    desk: Desk = Depends(get_desk),
) -> Response:
    chosen = _lang(request, actor, lang)
    translate = Translator(chosen)
    body = advisory_feed(
        advisories.published_advisories(uow),
        base_url=desk.settings.base_url.rstrip("/"),
        lang=chosen,
        title=translate("Advisories") + " · " + translate("madoguchi"),
        author=translate("madoguchi — incident consultation desk"),
    )
    return Response(body, media_type=ATOM_MEDIA_TYPE)


@router.get("/advisories/{slug}.json")
def stix_bundle(
    uow: Uow, slug: str, revision: int | None = None, desk: Desk = Depends(get_desk)
) -> Response:
    found = advisories.public_advisory(uow, slug, revision)
    url = f"{desk.settings.base_url.rstrip('/')}/advisories/{slug}"
    bundle = advisory_bundle(found.advisory, found.revision, url)
    return Response(
        json.dumps(bundle, ensure_ascii=False, indent=2),
        media_type=STIX_MEDIA_TYPE,
        headers={"Content-Disposition": f'inline; filename="{slug}.stix.json"'},
    )


@router.get("/advisories/{slug}", response_class=HTMLResponse)
def public_page(
    request: Request,
    uow: Uow,
    actor: CurrentActor,
    slug: str,
    lang: str = "",
    revision: int | None = None,
) -> Response:
    chosen = _lang(request, actor, lang)
    found = advisories.public_advisory(uow, slug, revision)
    content = found.revision.content
    context = {
        **_public(chosen),
        "item": found,
        "content": content,
        "guides": guides.guides_for_products(content.products(), chosen),
    }
    return render(request, "advisory.html", context, actor=actor)


@router.get("/guides", response_class=HTMLResponse)
def guide_list(request: Request, actor: CurrentActor, lang: str = "") -> Response:
    chosen = _lang(request, actor, lang)
    found = sorted(
        (g for g in guides.load_guides() if g.lang == chosen), key=lambda g: g.title.lower()
    )
    return render(
        request, "advisory_guides.html", {**_public(chosen), "guides": found}, actor=actor
    )


@router.get("/guides/{guide_id}", response_class=HTMLResponse)
def guide_page(request: Request, actor: CurrentActor, guide_id: str, lang: str = "") -> Response:
    chosen = _lang(request, actor, lang)
    try:
        guide = guides.get_guide(guide_id, chosen)
    except (NotFoundError, ValueError) as error:
        raise NotFoundError(N_("guide not found")) from error
    context = {**_public(chosen), "guide": guide, "body": render_markdown(guide.body)}
    return render(request, "advisory_guide.html", context, actor=actor)


# --- desk pages -----------------------------------------------------------------------


def _flash(request: Request, error: MadoguchiError) -> None:
    request.session["advisory_error"] = error.message
    request.session["advisory_where"] = error.where or ""
    problems = getattr(error, "problems", ())
    request.session["advisory_problems"] = [[p.message, p.where or ""] for p in problems][:30]


@router.get("/desk/advisories", response_class=HTMLResponse)
def desk_list(request: Request, uow: Uow, actor: SignedIn) -> Response:
    found = advisories.list_advisories(uow, actor)
    context = {
        "advisories": found,
        "status_labels": STATUS_LABELS,
        "error": request.session.pop("advisory_error", None),
        "error_where": request.session.pop("advisory_where", ""),
    }
    return render(request, "advisory_desk.html", context, actor=actor)


@router.post("/desk/advisories")
def create_draft(
    request: Request,
    uow: Uow,
    actor: SignedIn,
    case: Annotated[str, Form()] = "",
    tag: Annotated[str, Form()] = "",
) -> Response:
    access.require_desk(actor)
    try:
        if case.strip():
            reference = case.strip().upper()
            found = (
                uow.cases.get(int(reference))
                if reference.isdigit()
                else uow.cases.by_reference(reference)
            )
            if found is None or found.id is None:
                raise ValidationError(N_("case not found"), where="case")
            advisory = advisories.draft_from_case(uow, actor, found.id, ip=client_ip(request))
        else:
            advisory = advisories.draft_from_tag(uow, actor, tag, ip=client_ip(request))
    except ValidationError as error:
        _flash(request, error)
        return RedirectResponse("/desk/advisories", status_code=303)
    uow.commit()
    return RedirectResponse(f"/desk/advisories/{advisory.id}", status_code=303)


@router.get("/desk/advisories/{advisory_id}", response_class=HTMLResponse)
def workbench(request: Request, uow: Uow, actor: SignedIn, advisory_id: int) -> Response:
    bench = advisories.open_advisory(uow, actor, advisory_id, ip=client_ip(request))
    members = dict(workflow.desk_members(uow, actor))
    uow.commit()
    lang = language_of(request, actor)
    context = {
        "bench": bench,
        "advisory": bench.advisory,
        "content": bench.advisory.content,
        "text_fields": TEXT_FIELDS,
        "status_labels": STATUS_LABELS,
        "members": members,
        "levels": list(TLP),
        "guides": guides.guides_for_products(bench.advisory.content.products(), lang),
        "error": request.session.pop("advisory_error", None),
        "error_where": request.session.pop("advisory_where", ""),
        "advisory_problems": request.session.pop("advisory_problems", None) or [],
        "saved": request.session.pop("advisory_notice", None),
    }
    return render(request, "advisory_edit.html", context, actor=actor)


def _parse_affected(text: str) -> tuple[AffectedProduct, ...]:
    found = []
    for line in text.splitlines():
        parts = [part.strip() for part in line.split("|")]
        if parts and parts[0]:
            parts += ["", ""]
            found.append(AffectedProduct(product=parts[0], versions=parts[1], fixed=parts[2]))
    return tuple(found)


def parse_references(text: str) -> tuple[str, ...]:
    found = tuple(line.strip() for line in text.splitlines() if line.strip())
    for reference in found:
        if not reference.startswith(("https://", "http://")):
            raise ValidationError(
                N_("references must be http or https addresses"), where="references"
            )
    return found


def parse_cves(text: str) -> tuple[str, ...]:
    found = tuple(dict.fromkeys(c.upper() for c in split_list(text.replace(" ", ","))))
    for cve in found:
        if not _CVE.match(cve):
            raise ValidationError(N_("write CVE ids as CVE-2024-3400"), where="cves")
    return found


async def _edit_from_form(request: Request) -> advisories.AdvisoryEdit:
    form = await request.form()

    def value(name: str) -> str:
        raw = form.get(name, "")
        return raw if isinstance(raw, str) else ""

    texts = {
        name: Bilingual(ja=value(f"{name}_ja").strip(), en=value(f"{name}_en").strip())
        for name in TEXT_FIELDS
    }
    content = AdvisoryContent(
        **texts,
        affected=_parse_affected(value("affected")),
        cves=parse_cves(value("cves")),
        references=parse_references(value("references")),
        tags=split_list(value("tags")),
    )
    ids = []
    for raw in form.getlist("indicator_ids"):
        if isinstance(raw, str) and raw.isdigit():
            ids.append(int(raw))
    return advisories.AdvisoryEdit(
        content=content,
        tlp=enum_value(TLP, value("tlp") or "clear", "tlp"),
        indicator_ids=tuple(ids),
        slug=value("slug"),
    )


def _back(advisory_id: int) -> Response:
    return RedirectResponse(f"/desk/advisories/{advisory_id}", status_code=303)


@router.post("/desk/advisories/{advisory_id}")
async def save(request: Request, uow: Uow, actor: SignedIn, advisory_id: int) -> Response:
    access.require_desk(actor)
    try:
        edit = await _edit_from_form(request)
        advisories.edit_advisory(uow, actor, advisory_id, edit, ip=client_ip(request))
    except (ValidationError, ConflictError) as error:
        _flash(request, error)
        return _back(advisory_id)
    uow.commit()
    request.session["advisory_notice"] = N_("Saved.")
    return _back(advisory_id)


@router.post("/desk/advisories/{advisory_id}/review")
def review(request: Request, uow: Uow, actor: SignedIn, advisory_id: int) -> Response:
    return _step(request, uow, actor, advisory_id, advisories.request_review)


@router.post("/desk/advisories/{advisory_id}/approve")
def approve(request: Request, uow: Uow, actor: SignedIn, advisory_id: int) -> Response:
    return _step(request, uow, actor, advisory_id, advisories.approve)


@router.post("/desk/advisories/{advisory_id}/publish")
def publish(request: Request, uow: Uow, actor: SignedIn, advisory_id: int) -> Response:
    return _step(request, uow, actor, advisory_id, advisories.publish)


def _step(
    request: Request, uow: Uow, actor: SignedIn, advisory_id: int, action: Callable[..., object]
) -> Response:
    try:
        action(uow, actor, advisory_id, ip=client_ip(request))
    except (ValidationError, ConflictError) as error:
        _flash(request, error)
        if isinstance(error, advisories.AdvisoryRefusedError):
            # The refusal is recorded in the audit log even though nothing else changes.
            uow.commit()
        return _back(advisory_id)
    uow.commit()
    request.session["advisory_notice"] = N_("Done.")
    return _back(advisory_id)
