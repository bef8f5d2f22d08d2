"""``madoguchi audit verify`` and ``madoguchi audit export --org NAME --out FILE``."""

from __future__ import annotations

from pathlib import Path

import orjson
import typer
from rich.console import Console

from madoguchi.config import Settings
from madoguchi.domain.errors import MadoguchiError
from madoguchi.services import audit
from madoguchi.storage.sql.db import make_engine, make_session_factory
from madoguchi.storage.sql.uow import SqlUnitOfWork

err = Console(stderr=True)


def _uow() -> SqlUnitOfWork:
    engine = make_engine(Settings().effective_database_url)
    return SqlUnitOfWork(make_session_factory(engine))


def register(app: typer.Typer) -> None:
    audit_app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)

    @audit_app.command("verify")
    def verify() -> None:
        """Recompute the hash chain; name every entry that breaks it (exit code 1)."""
        with _uow() as uow:
            report = audit.verify_chain(uow)
        for item in report.breaks:
            err.print(
                f"[red]BROKEN[/red] audit entry {item.event_id}: {item.reason}", soft_wrap=True
            )
        typer.echo(
            f"checked {report.checked} entries ({report.unchained} from before the chain); "
            f"head {report.head or '-'}"
        )
        if not report.ok:
            err.print(f"[red]the audit chain is broken at {len(report.breaks)} entries[/red]")
            raise typer.Exit(1)
        typer.echo("the audit chain is intact")

    @audit_app.command("export")
    def export(
        org: str = typer.Option(..., "--org", help="Organisation name"),
        out: Path = typer.Option(..., "--out", help="JSON lines file to write"),
    ) -> None:
        """Write an organisation's own audit trail as JSON lines."""
        count = 0
        with _uow() as uow:
            try:
                organisation = uow.organisations.by_name(org)
                with out.open("wb") as handle:
                    for record in audit.organisation_trail(uow, org):
                        handle.write(orjson.dumps(record) + b"\n")
                        count += 1
            except MadoguchiError as error:
                out.unlink(missing_ok=True)
                err.print(f"[red]error:[/red] {error}")
                raise typer.Exit(1) from error
            audit.record(
                uow,
                None,
                "audit:export",
                "organisation",
                organisation.id if organisation else "",
                organisation_id=organisation.id if organisation else None,
                entries=count,
            )
            uow.commit()
        typer.echo(f"wrote {count} audit entries of {org} to {out}")

    app.add_typer(audit_app, name="audit")
