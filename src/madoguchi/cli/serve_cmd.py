"""``madoguchi serve [--demo]`` and ``madoguchi worker``."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from madoguchi.bootstrap import Desk, build_desk
from madoguchi.config import Settings
from madoguchi.services import accounts, demo
from madoguchi.storage.sql import migrate

err = Console(stderr=True)


def prepare_database(desk: Desk, *, seed_demo: bool) -> None:
    """Bring the schema up to date; seed the demo or create the first desk admin."""
    if not migrate.is_up_to_date(desk.engine):
        migrate.upgrade(desk.engine)
    with desk.uow_factory() as uow:
        if seed_demo:
            demo.seed_demo(uow)
            table = Table("e-mail", "password", "role", "organisation", title="Demo accounts")
            for account in demo.ACCOUNTS:
                table.add_row(
                    account.email, account.password, account.role.value, account.organisation
                )
            Console(stderr=True, width=110).print(table)
            return
        first = accounts.ensure_first_admin(uow)
    if first is not None:
        err.print(
            f"[bold]First start:[/bold] desk admin [cyan]{first.email}[/cyan] with the one-time "
            f"password [cyan]{first.password}[/cyan] (change it after signing in)."
        )


def register(app: typer.Typer) -> None:
    @app.command()
    def serve(
        host: str = typer.Option("127.0.0.1"),
        port: int = typer.Option(8000),
        demo_data: bool = typer.Option(False, "--demo", help="Seed demo organisations and cases"),
        workers: int = typer.Option(1, help="uvicorn worker processes (PostgreSQL only)"),
    ) -> None:
        """Start the desk web server (migrates the database first)."""
        import uvicorn

        from madoguchi.web.app import create_app

        settings = Settings()
        desk = build_desk(settings)
        prepare_database(desk, seed_demo=demo_data)
        err.print(f"madoguchi is serving on [bold]http://{host}:{port}/[/bold] — sign in there.")
        uvicorn.run(
            create_app(settings, desk=desk),
            host=host,
            port=port,
            workers=workers if workers > 1 else None,
            log_level="info",
            proxy_headers=True,
        )

    @app.command()
    def worker(
        concurrency: int = typer.Option(2, help="Parallel jobs"),
        queues: str = typer.Option("", help="Comma-separated Celery queues (default: celery)"),
    ) -> None:
        """Run jobs: a Celery worker when MADOGUCHI_BROKER_URL is set, else the inline queue."""
        settings = Settings()
        desk = build_desk(settings)
        queue = desk.queue
        from madoguchi.tasks.celery_app import CeleryTaskQueue

        if isinstance(queue, CeleryTaskQueue):
            argv = ["worker", "--loglevel=INFO", f"--concurrency={concurrency}", "--pool=threads"]
            if queues:
                argv.append(f"--queues={queues}")
                # Jobs a job queues (the parts of a large file) stay on this worker's queue.
                queue.app.conf.task_default_queue = queues.split(",", maxsplit=1)[0].strip()
            queue.app.worker_main(argv)
            return
        inline = desk.inline_queue
        assert inline is not None
        err.print("no broker configured: running the inline job queue in the foreground")
        inline.start()
        try:
            import time

            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            inline.stop()
