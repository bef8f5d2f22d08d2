"""Shared fixtures of the command-line tests."""

from __future__ import annotations

import pytest
import typer

from madoguchi.cli import analyze_cmd


@pytest.fixture
def analyze_app() -> typer.Typer:
    """A Typer app with ``analyze`` and ``analyzers`` registered, for ``CliRunner``."""
    app = typer.Typer()
    analyze_cmd.register(app)
    return app
