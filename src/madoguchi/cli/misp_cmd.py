"""``madoguchi misp push CASE --as EMAIL``: push a case's indicators to the MISP instance
configured in ``MADOGUCHI_MISP_*`` now, in this process (the same rules and the same audit
entries as the desk's **Push to MISP** button, which runs it as a job)."""

from __future__ import annotations

import typer
from rich.console import Console

from madoguchi.bootstrap import build_desk
from madoguchi.config import Settings
from madoguchi.domain.errors import MadoguchiError, NotFoundError
from madoguchi.domain.misp_push import MispPush, PushState
from madoguchi.services import accounts, misp_push
from madoguchi.services.misp_client import MispPushError

err = Console(stderr=True)


def _push(reference: str, email: str) -> tuple[str, MispPush]:
    desk = build_desk(Settings())
    try:
        with desk.uow_factory() as uow:
            text = reference.strip().upper()
            case = uow.cases.by_reference(text) or (
                uow.cases.get(int(text)) if text.isdigit() else None
            )
            user = uow.users.by_email(email.strip().lower())
            if case is None or case.id is None:
                raise NotFoundError(f"no case {reference!r}")
            if user is None:
                raise NotFoundError(f"no user {email!r}")
            actor = accounts.actor_for(uow, user)
            misp_push.request_push(uow, actor, case.id)
            uow.commit()
            case_id, shown = case.id, case.reference
        misp_push.push_job(desk.uow_factory, misp_push.job_payload(actor, case_id))
        with desk.uow_factory() as uow:
            push = uow.misp_pushes.get(case_id)
    finally:
        desk.close()
    assert push is not None
    return shown, push


def register(app: typer.Typer) -> None:
    misp_app = typer.Typer(help="The configured MISP instance.", no_args_is_help=True)

    @misp_app.command("push")
    def push(
        case: str = typer.Argument(..., help="Case reference (MDG-2026-00001) or id."),
        as_user: str = typer.Option(
            ..., "--as", help="E-mail of the desk member the push is made for (audited)."
        ),
    ) -> None:
        """Push the case's indicators (up to the configured TLP ceiling) to MISP now."""
        try:
            reference, result = _push(case, as_user)
        except MadoguchiError as error:
            err.print(f"[red]error:[/red] {error}")
            raise typer.Exit(1) from error
        if result.state is not PushState.DONE:
            err.print(f"[red]error:[/red] {MispPushError(result.error, result.error_detail)}")
            raise typer.Exit(1)
        typer.echo(
            f"{reference}: {result.sent} attributes in MISP event {result.event_uuid} "
            f"({result.withheld} indicators withheld, ceiling {result.ceiling})"
        )

    app.add_typer(misp_app, name="misp")
