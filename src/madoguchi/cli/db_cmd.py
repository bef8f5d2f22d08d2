"""``madoguchi db upgrade|current``."""

from __future__ import annotations

import typer
from rich.console import Console

from madoguchi.config import Settings, mask_url
from madoguchi.storage.sql import migrate
from madoguchi.storage.sql.db import make_engine


def register(app: typer.Typer) -> None:
    db_app = typer.Typer(help="Database schema migrations.", no_args_is_help=True)

    @db_app.command("upgrade")
    def upgrade(revision: str = typer.Argument("head")) -> None:
        """Apply migrations up to REVISION (default: the newest)."""
        settings = Settings()
        engine = make_engine(settings.effective_database_url)
        migrate.upgrade(engine, revision)
        Console(stderr=True).print(
            f"database {mask_url(settings.effective_database_url)} is at "
            f"revision {migrate.current_revision(engine)}"
        )
        engine.dispose()

    @db_app.command("current")
    def current() -> None:
        """Show the schema revision of the database and the newest one."""
        engine = make_engine(Settings().effective_database_url)
        typer.echo(f"current: {migrate.current_revision(engine)}")
        typer.echo(f"head:    {migrate.head_revision(engine)}")
        engine.dispose()

    app.add_typer(db_app, name="db")
