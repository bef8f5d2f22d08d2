"""``madoguchi config show``."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from madoguchi.config import Settings


def register(app: typer.Typer) -> None:
    config_app = typer.Typer(help="Show the effective configuration.", no_args_is_help=True)

    @config_app.command("show")
    def show() -> None:
        """Print the effective settings (from MADOGUCHI_* variables and .env), secrets masked."""
        table = Table("setting", "value", "environment variable", title="madoguchi settings")
        for name, value in Settings().masked().items():
            table.add_row(name, str(value), f"MADOGUCHI_{name.upper()}")
        Console().print(table)

    app.add_typer(config_app, name="config")
