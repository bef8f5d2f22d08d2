"""The report form: signed-in reporters and, where the desk allows it, newcomers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from madoguchi.bootstrap import Desk
from madoguchi.domain.case import CaseKind, Category, Purpose, ReporterKind
from madoguchi.domain.errors import ConflictError, ValidationError
from madoguchi.domain.evidence import Evidence
from madoguchi.domain.organisation import Actor
from madoguchi.domain.tlp import TLP
from madoguchi.ports import UnitOfWork
from madoguchi.services import accounts, analysis_runs, evidence, intake, notifications
from madoguchi.web.csrf import verify_csrf
from madoguchi.web.deps import SESSION_USER, CurrentActor, Uow, client_ip, get_desk, render
from madoguchi.web.forms import TIMEZONES, enum_value, local_datetime, split_list
from madoguchi.web.uploads import store_upload

router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])


def _allowed(uow: UnitOfWork, actor: Actor) -> bool:
    return actor.is_authenticated or bool(uow.desk_settings.get(intake.ALLOW_ANONYMOUS, False))


def _form_context(actor: Actor, values: dict[str, object], error: str | None) -> dict[str, object]:
    return {
        "values": values,
        "error": error,
        "reporter_kinds": list(ReporterKind),
        "purposes": list(Purpose),
        "kinds": list(CaseKind),
        "categories": list(Category),
        "tlps": list(TLP),
        "timezones": TIMEZONES,
        "newcomer": not actor.is_authenticated,
    }


@router.get("/report", response_class=HTMLResponse)
def report_form(request: Request, uow: Uow, actor: CurrentActor) -> Response:
    if not _allowed(uow, actor):
        return RedirectResponse("/login?next=/report", status_code=303)
    values: dict[str, object] = {"timezone": "Asia/Tokyo", "tlp": "amber", "purpose": "support"}
    return render(request, "report.html", _form_context(actor, values, None), actor=actor)


@router.post("/report")
def submit_report(
    request: Request,
    uow: Uow,
    actor: CurrentActor,
    title: Annotated[str, Form()],
    desk: Desk = Depends(get_desk),
    reporter_kind: Annotated[str, Form()] = "victim",
    on_behalf: Annotated[bool, Form()] = False,
    victim_name: Annotated[str, Form()] = "",
    hide_victim: Annotated[bool, Form()] = False,
    kind: Annotated[str, Form()] = "consultation",
    purpose: Annotated[str, Form()] = "support",
    categories: Annotated[list[str] | None, Form()] = None,
    products: Annotated[str, Form()] = "",
    cves: Annotated[str, Form()] = "",
    started_at: Annotated[str, Form()] = "",
    noticed_at: Annotated[str, Form()] = "",
    timezone: Annotated[str, Form()] = "Asia/Tokyo",
    actions_taken: Annotated[str, Form()] = "",
    description: Annotated[str, Form()] = "",
    tlp: Annotated[str, Form()] = "amber",
    archive_password: Annotated[str, Form()] = "",
    organisation: Annotated[str, Form()] = "",
    contact_name: Annotated[str, Form()] = "",
    email: Annotated[str, Form()] = "",
    files: Annotated[list[UploadFile] | None, File()] = None,
) -> Response:
    if not _allowed(uow, actor):
        return RedirectResponse("/login?next=/report", status_code=303)
    values = dict(await_form_values(request))
    try:
        report = intake.Report(
            title=title,
            reporter_kind=enum_value(ReporterKind, reporter_kind, "reporter_kind"),
            on_behalf=on_behalf,
            victim_name=victim_name,
            hide_victim=hide_victim,
            kind=enum_value(CaseKind, kind, "kind"),
            purpose=enum_value(Purpose, purpose, "purpose"),
            categories=tuple(categories or ()),
            products=split_list(products),
            cves=split_list(cves),
            started_at=local_datetime(started_at, timezone, "started_at"),
            noticed_at=local_datetime(noticed_at, timezone, "noticed_at"),
            timezone=timezone,
            actions_taken=actions_taken,
            description=description,
            tlp=TLP.parse(tlp) if tlp else TLP.AMBER,
        )
        if actor.is_authenticated:
            submission = intake.submit(uow, actor, report, ip=client_ip(request))
            acting = actor
        else:
            language = request.session.get("lang") or desk.settings.default_language
            newcomer = intake.Newcomer(organisation, contact_name, email, str(language))
            submission = intake.submit_as_newcomer(uow, newcomer, report, ip=client_ip(request))
            assert submission.user is not None
            acting = accounts.actor_for(uow, submission.user)
        case = submission.case
        assert case.id is not None
        problems: list[str] = []
        stored: list[Evidence] = []
        for upload in files or []:
            if not upload.filename:
                continue
            blob = store_upload(desk.store, upload, desk.settings.max_upload_bytes)
            result = evidence.attach_evidence(
                uow,
                desk.store,
                acting,
                case.id,
                blob,
                upload.filename,
                passwords=[archive_password] if archive_password else [],
                ip=client_ip(request),
            )
            problems += result.problems
            stored += [result.evidence, *result.children]
        uow.commit()
    except (ValidationError, ConflictError) as error:
        uow.rollback()
        return render(
            request,
            "report.html",
            _form_context(actor, values, error.message),
            actor=actor,
            status_code=400,
        )
    desk.queue.enqueue(notifications.DESK_NEW_CASE, {"case_id": case.id})
    analysis_runs.queue_analysis(desk.queue, stored)
    if submission.login_token is not None and submission.user is not None:
        desk.queue.enqueue(
            notifications.WELCOME,
            {"user_id": submission.user.id, "case_id": case.id, "token": submission.login_token},
        )
        return render(
            request,
            "report_done.html",
            {"case": case, "problems": problems, "newcomer": True},
            actor=actor,
        )
    desk.queue.enqueue(notifications.CASE_CONFIRMATION, {"case_id": case.id})
    return RedirectResponse(f"/cases/{case.id}?submitted=1", status_code=303)


def await_form_values(request: Request) -> dict[str, object]:
    """What the person typed, to fill the form again after an error (no files)."""
    form = request._form  # parsed already by the CSRF check and the Form() parameters
    if form is None:
        return {}
    values: dict[str, object] = {}
    for key in form:
        items = [v for v in form.getlist(key) if isinstance(v, str)]
        if items:
            values[key] = items if key == "categories" else items[-1]
    values.pop("csrf_token", None)
    return values


@router.get("/welcome/{token}")
def welcome(request: Request, uow: Uow, token: str) -> Response:
    """A first-time reporter's one-time link: sign in and choose a password."""
    user = intake.redeem_login_link(uow, token, ip=client_ip(request))
    actor = accounts.complete_login(uow, user, ip=client_ip(request))
    lang = request.session.get("lang")
    request.session.clear()
    request.session[SESSION_USER] = actor.user_id
    request.session["welcome"] = True
    if lang:
        request.session["lang"] = lang
    return RedirectResponse("/account", status_code=303)
