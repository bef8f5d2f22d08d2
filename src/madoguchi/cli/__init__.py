"""The ``madoguchi`` command line (Typer + Rich).

Each sub-module adds its commands through ``register(app)``; nothing is built at
import time beyond the Typer objects themselves.
"""

from __future__ import annotations

import importlib

import typer

COMMAND_MODULES = (
    "madoguchi.cli.config_cmd",
    "madoguchi.cli.db_cmd",
    "madoguchi.cli.accounts_cmd",
    "madoguchi.cli.serve_cmd",
    "madoguchi.cli.analyze_cmd",
    "madoguchi.cli.hunt_cmd",
    "madoguchi.cli.leaks_cmd",
    "madoguchi.cli.audit_cmd",
    "madoguchi.cli.doctor_cmd",
    "madoguchi.cli.backup_cmd",
)


def build_app() -> typer.Typer:
    app = typer.Typer(
        name="madoguchi",
        help="madoguchi (窓口): incident consultation desk and offline log analyzer.",
        no_args_is_help=True,
        pretty_exceptions_show_locals=False,
    )
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(app)
    return app


def main() -> None:
    build_app()()
