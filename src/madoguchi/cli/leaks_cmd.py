"""``madoguchi leaks import FILE --format ransomwarelive|csv`` and ``madoguchi leaks fetch``.

Both store leak-site posts, match them against open cases and constituent organisations,
and mail the desk about new matches. ``fetch`` reads the feed configured in
``MADOGUCHI_LEAK_FEED_URL`` / ``MADOGUCHI_LEAK_FEED_KEY``; run it from cron to schedule it.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from madoguchi.bootstrap import build_desk
from madoguchi.config import Settings
from madoguchi.domain.errors import MadoguchiError
from madoguchi.intel.leak_posts import FORMATS, RANSOMWARE_LIVE, parse_posts
from madoguchi.services import leak_feed, leak_sites

err = Console(stderr=True)


def register(app: typer.Typer) -> None:
    leaks_app = typer.Typer(
        help="Leak-site posts (ransomware.live, CSV, a feed).", no_args_is_help=True
    )

    @leaks_app.command("import")
    def import_file(
        file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True),
        format: str = typer.Option(
            RANSOMWARE_LIVE, "--format", help=f"One of: {', '.join(FORMATS)}"
        ),
    ) -> None:
        """Import leak-site posts from a file and check them for matches."""
        if format not in FORMATS:
            err.print(f"[red]error:[/red] --format must be one of {', '.join(FORMATS)}")
            raise typer.Exit(2)
        desk = build_desk(Settings())
        try:
            parsed = parse_posts(file.read_bytes(), format)
            with desk.uow_factory() as uow:
                result = leak_sites.import_posts(uow, None, parsed)
                uow.commit()
            if result.new_matches:
                leak_sites.send_match_notice(
                    desk.uow_factory,
                    desk.mailer,
                    desk.settings.base_url,
                    {"match_ids": result.new_matches},
                )
        except MadoguchiError as error:
            err.print(f"[red]error:[/red] {error}")
            raise typer.Exit(1) from error
        finally:
            desk.close()
        for problem in result.problems[:50]:
            err.print(f"[yellow]skipped:[/yellow] {problem}")
        typer.echo(
            f"{result.read} posts read, {result.new} new, {result.groups} groups, "
            f"{len(result.new_matches)} new matches"
        )

    @leaks_app.command("fetch")
    def fetch() -> None:
        """Fetch the configured leak-site feed now (the ``leaks.fetch`` job)."""
        desk = build_desk(Settings())
        try:
            leak_feed.fetch_job(desk.uow_factory, desk.mailer, desk.settings.base_url, {})
        except MadoguchiError as error:
            err.print(f"[red]error:[/red] {error}")
            raise typer.Exit(1) from error
        finally:
            desk.close()
        typer.echo("feed fetched")

    app.add_typer(leaks_app, name="leaks")
