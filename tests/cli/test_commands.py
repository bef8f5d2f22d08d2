from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from madoguchi.cli import build_app
from madoguchi.config import Settings
from madoguchi.services import accounts
from madoguchi.storage.sql.db import make_engine, make_session_factory
from madoguchi.storage.sql.uow import SqlUnitOfWork


@pytest.fixture
def env(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("MADOGUCHI_DATABASE_URL", database_url)
    monkeypatch.setenv("MADOGUCHI_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("MADOGUCHI_SECRET_KEY", "a-very-secret-value")
    monkeypatch.setenv("MADOGUCHI_SMTP_PASSWORD", "smtp-secret-value")
    monkeypatch.chdir(tmp_path)
    return database_url


def test_config_show_masks_secrets(env: str) -> None:
    result = CliRunner().invoke(build_app(), ["config", "show"], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "a-very-secret-value" not in result.output
    assert "smtp-secret-value" not in result.output
    assert "********" in result.output and "MADOGUCHI_SECRET_KEY" in result.output


def test_db_upgrade_then_accounts_from_the_command_line(env: str) -> None:
    runner = CliRunner()
    app = build_app()
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    current = runner.invoke(app, ["db", "current"]).output.splitlines()
    assert current[0].split()[-1] == current[1].split()[-1] != "None"
    created = runner.invoke(app, ["org", "create", "Example Vendor", "--kind", "security_vendor"])
    assert created.exit_code == 0, created.output
    duplicate = runner.invoke(app, ["org", "create", "Example Vendor"])
    assert duplicate.exit_code == 1 and "exists already" in duplicate.output
    user = runner.invoke(app, ["user", "create", "v@example.org", "--org", "Example Vendor"])
    assert user.exit_code == 0, user.output
    password = user.output.split("one-time password: ")[1].strip()
    token = runner.invoke(app, ["token", "create", "v@example.org"])
    assert token.exit_code == 0 and token.output.strip().startswith("mdg_")
    engine = make_engine(Settings().effective_database_url)
    with SqlUnitOfWork(make_session_factory(engine)) as uow:
        result = accounts.authenticate(uow, "v@example.org", password)
        assert result.user.must_change_password
        assert accounts.authenticate_token(uow, token.output.strip()).user_id == result.user.id
    engine.dispose()


def test_unknown_organisation_is_a_clear_error(env: str) -> None:
    runner = CliRunner()
    app = build_app()
    runner.invoke(app, ["db", "upgrade"])
    result = runner.invoke(app, ["user", "create", "x@example.org", "--org", "Nope"])
    assert result.exit_code == 1 and "no organisation named 'Nope'" in result.output


def test_every_command_is_found_by_the_module_that_registers_it() -> None:
    """``main`` imports only the command's own module; a command missing from
    ``COMMANDS`` would still work but pay for every import, a wrong entry would break."""
    import typer.main

    from madoguchi.cli import COMMANDS

    def names(app: typer.Typer) -> set[str]:
        group = typer.main.get_group(app)
        return set(group.commands)

    assert names(build_app()) == set(COMMANDS)
    for command, module in COMMANDS.items():
        assert command in names(build_app((module,)))


def test_a_single_command_module_still_takes_the_command_name(tmp_path: Path) -> None:
    from madoguchi.cli import COMMANDS

    app = build_app((COMMANDS["analyzers"],))
    result = CliRunner().invoke(app, ["analyzers"], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "windows-evtx" in result.output
