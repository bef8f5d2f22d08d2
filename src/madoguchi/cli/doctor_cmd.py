"""``madoguchi doctor``: is this installation healthy? Exit code 1 on any FAIL."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from madoguchi.config import Settings
from madoguchi.domain.errors import MadoguchiError
from madoguchi.services import operations
from madoguchi.storage.evidence_stores import build_evidence_store
from madoguchi.storage.sql.maintenance import SqlDatabase

STYLE = {
    operations.Status.OK: "green",
    operations.Status.WARN: "yellow",
    operations.Status.FAIL: "bold red",
}


def register(app: typer.Typer) -> None:
    @app.command("doctor")
    def doctor() -> None:
        """Check database, migrations, broker, evidence store, SMTP and secret key."""
        settings = Settings()
        try:
            store = build_evidence_store(settings)
        except MadoguchiError as error:
            Console(stderr=True).print(f"[red]error:[/red] {error}")
            raise typer.Exit(1) from error
        checks = operations.diagnose(settings, SqlDatabase(settings.effective_database_url), store)
        table = Table(title="madoguchi doctor")
        table.add_column("check")
        table.add_column("status")
        table.add_column("what to do / what was found", overflow="fold")
        for check in checks:
            style = STYLE[check.status]
            table.add_row(check.name, f"[{style}]{check.status.value}[/{style}]", check.message)
        Console(width=max(120, Console().width)).print(table)
        if any(check.status is operations.Status.FAIL for check in checks):
            raise typer.Exit(1)
