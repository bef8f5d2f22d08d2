"""The ransomware identification form on the case page (handlers and reporters)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response

from madoguchi.services import identification
from madoguchi.services.cases import load_case
from madoguchi.web.csrf import verify_csrf
from madoguchi.web.deps import SignedIn, Uow, render

router = APIRouter(include_in_schema=False, dependencies=[Depends(verify_csrf)])


@router.get("/cases/{case_id}/ransomware", response_class=HTMLResponse)
def form(request: Request, uow: Uow, actor: SignedIn, case_id: int) -> Response:
    case = load_case(uow, actor, case_id)
    return render(
        request,
        "ransomware_identify.html",
        {"case": case, "result": None, "values": {}},
        actor=actor,
    )


@router.post("/cases/{case_id}/ransomware", response_class=HTMLResponse)
def submit(
    request: Request,
    uow: Uow,
    actor: SignedIn,
    case_id: int,
    note_text: Annotated[str, Form()] = "",
    note_name: Annotated[str, Form()] = "",
    file_names: Annotated[str, Form()] = "",
    free_text: Annotated[str, Form()] = "",
) -> Response:
    case = load_case(uow, actor, case_id)
    result = identification.identify_for_case(
        uow,
        actor,
        case_id,
        note_text=note_text,
        note_name=note_name,
        file_names=file_names,
        free_text=free_text,
    )
    uow.commit()
    values = {
        "note_text": note_text,
        "note_name": note_name,
        "file_names": file_names,
        "free_text": free_text,
    }
    return render(
        request,
        "ransomware_identify.html",
        {"case": case, "result": result, "values": values},
        actor=actor,
    )
