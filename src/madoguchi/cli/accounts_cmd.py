"""``madoguchi org create``, ``madoguchi user create``, ``madoguchi token create``."""

from __future__ import annotations

import typer
from rich.console import Console

from madoguchi.config import Settings
from madoguchi.domain.errors import MadoguchiError
from madoguchi.domain.organisation import OrgKind, Role
from madoguchi.services import accounts
from madoguchi.storage.sql.db import make_engine, make_session_factory
from madoguchi.storage.sql.uow import SqlUnitOfWork

err = Console(stderr=True)


def _uow() -> SqlUnitOfWork:
    engine = make_engine(Settings().effective_database_url)
    return SqlUnitOfWork(make_session_factory(engine))


def _fail(error: MadoguchiError) -> None:
    err.print(f"[red]error:[/red] {error}")
    raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    org_app = typer.Typer(help="Organisations.", no_args_is_help=True)
    user_app = typer.Typer(help="Users.", no_args_is_help=True)
    token_app = typer.Typer(help="Personal API tokens.", no_args_is_help=True)

    @org_app.command("create")
    def org_create(
        name: str,
        kind: OrgKind = typer.Option(OrgKind.VICTIM, help="desk, victim, security_vendor, ..."),
        name_en: str = typer.Option("", help="English name"),
        sector: str = typer.Option(""),
        require_totp: bool = typer.Option(False, help="Members must use a second factor"),
    ) -> None:
        """Create an organisation."""
        with _uow() as uow:
            try:
                org = accounts.create_organisation(
                    uow,
                    None,
                    name,
                    kind,
                    name_en=name_en,
                    sector=sector,
                    require_totp=require_totp,
                )
            except MadoguchiError as error:
                _fail(error)
            uow.commit()
            typer.echo(f"organisation {org.id}: {org.name} ({org.kind.value})")

    @org_app.command("list")
    def org_list() -> None:
        """List organisations."""
        with _uow() as uow:
            for org in uow.organisations.list():
                typer.echo(f"{org.id}\t{org.kind.value}\t{org.name}")

    @user_app.command("create")
    def user_create(
        email: str,
        organisation: str = typer.Option(..., "--org", help="Organisation name"),
        role: Role = typer.Option(Role.REPORTER),
        name: str = typer.Option("", help="Display name"),
        password: str = typer.Option(
            "", help="Initial password (default: generate one and print it)"
        ),
        language: str = typer.Option("", help="ja or en"),
    ) -> None:
        """Create a user in an organisation."""
        with _uow() as uow:
            org = uow.organisations.by_name(organisation)
            if org is None:
                err.print(f"[red]error:[/red] no organisation named {organisation!r}")
                raise typer.Exit(1)
            secret = password or accounts.generate_password()
            try:
                user = accounts.create_user(
                    uow, None, email, name or email, secret, org, role, language=language
                )
            except MadoguchiError as error:
                _fail(error)
            user.must_change_password = not password
            uow.commit()
            typer.echo(f"user {user.id}: {user.email} ({role.value} of {org.name})")
            if not password:
                typer.echo(f"one-time password: {secret}")

    @token_app.command("create")
    def token_create(email: str, name: str = typer.Option("cli")) -> None:
        """Create a personal API token for a user; it is printed once."""
        with _uow() as uow:
            user = uow.users.by_email(email)
            if user is None:
                err.print(f"[red]error:[/red] no user {email!r}")
                raise typer.Exit(1)
            _, secret = accounts.create_token(uow, accounts.actor_for(uow, user), user, name)
            uow.commit()
            typer.echo(secret)

    app.add_typer(org_app, name="org")
    app.add_typer(user_app, name="user")
    app.add_typer(token_app, name="token")
