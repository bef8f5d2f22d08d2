"""Shared fixtures: a database on SQLite and on PostgreSQL, a desk, a live HTTP server.

PostgreSQL comes from ``MADOGUCHI_TEST_POSTGRES_URL`` (default: the local server with
trust auth). Without CI a missing server skips those tests with the reason; with
``CI=true`` an unreachable server fails them.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from madoguchi.bootstrap import Desk, build_desk
from madoguchi.config import Settings
from madoguchi.storage.sql import migrate

# Shared fixtures that live in their own modules.
pytest_plugins = ["tests.smtp"]

POSTGRES_URL = os.environ.get(
    "MADOGUCHI_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("MADOGUCHI_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def _unavailable(what: str, error: Exception) -> None:
    message = f"{what} is not reachable ({type(error).__name__}: {error})"
    if IN_CI:
        pytest.fail(message + " — CI=true requires it")
    pytest.skip(message + " — set it up or run with CI=true to make this a failure")


@pytest.fixture(scope="session")
def postgres_admin_url() -> str:
    try:
        engine = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as error:
        _unavailable("PostgreSQL at " + make_url(POSTGRES_URL).render_as_string(), error)
    return POSTGRES_URL


def _fresh_postgres(admin_url: str) -> Iterator[str]:
    name = f"mdg_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database, once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{(tmp_path / 'madoguchi.sqlite3').as_posix()}"
        return
    admin_url = request.getfixturevalue("postgres_admin_url")
    yield from _fresh_postgres(admin_url)


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=tmp_path / "data",
        database_url=database_url,
        secret_key="test-secret-key-" + uuid.uuid4().hex,
        base_url="http://127.0.0.1",
        inline_worker=False,
    )


@pytest.fixture
def desk(settings: Settings) -> Iterator[Desk]:
    """A desk on a migrated, empty database."""
    built = build_desk(settings)
    migrate.upgrade(built.engine)
    yield built
    built.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class LiveServer:
    url: str
    desk: Desk


@pytest.fixture
def live_server(desk: Desk) -> Iterator[LiveServer]:
    """The real app served by uvicorn on a loopback port, in a thread."""
    from madoguchi.web.app import create_app

    port = free_port()
    desk.settings.base_url = f"http://127.0.0.1:{port}"
    app = create_app(desk.settings, desk=desk)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    yield LiveServer(f"http://127.0.0.1:{port}", desk)
    server.should_exit = True
    thread.join(10)
