"""``madoguchi backup OUT.tar`` and ``madoguchi restore IN.tar [--force]``."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from madoguchi.config import Settings
from madoguchi.domain.errors import MadoguchiError
from madoguchi.services import operations
from madoguchi.storage.evidence_stores import build_evidence_store
from madoguchi.storage.sql.maintenance import SqlDatabase

err = Console(stderr=True)


def register(app: typer.Typer) -> None:
    @app.command("backup")
    def backup(out: Path = typer.Argument(..., help="The tar file to write")) -> None:
        """Back up the database and every evidence object, with a hash manifest."""
        settings = Settings()
        try:
            manifest = operations.backup(
                settings,
                SqlDatabase(settings.effective_database_url),
                out,
                build_evidence_store(settings),
            )
        except MadoguchiError as error:
            err.print(f"[red]error:[/red] {error}")
            raise typer.Exit(1) from error
        typer.echo(
            f"wrote {out}: database at revision {manifest['schema_revision']}, "
            f"{len(manifest['evidence'])} evidence objects"
        )
        for name in manifest["damaged"]:
            err.print(f"[yellow]warning:[/yellow] {name} does not match its name (damaged)")

    @app.command("restore")
    def restore(
        archive: Path = typer.Argument(..., help="A tar file written by `madoguchi backup`"),
        force: bool = typer.Option(False, "--force", help="Replace a non-empty target"),
    ) -> None:
        """Restore database and evidence; every object is re-hashed against the manifest."""
        settings = Settings()
        try:
            report = operations.restore(
                settings,
                SqlDatabase(settings.effective_database_url),
                archive,
                build_evidence_store(settings),
                force=force,
            )
        except MadoguchiError as error:
            err.print(f"[red]error:[/red] {error}")
            raise typer.Exit(1) from error
        for name in report.mismatched:
            err.print(
                f"[red]MISMATCH[/red] {name}: bytes differ from the manifest, not restored",
                soft_wrap=True,
            )
        for name in report.missing:
            err.print(
                f"[red]MISSING[/red] {name}: listed in the manifest, not in the archive",
                soft_wrap=True,
            )
        typer.echo(
            f"restored the database (revision {report.schema_revision}) and "
            f"{report.restored} evidence objects"
        )
        if not report.ok:
            raise typer.Exit(1)
