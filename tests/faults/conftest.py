"""Fault-test fixtures: a fresh PostgreSQL database, a Redis broker of their own, and
``madoguchi worker`` subprocesses that a test can kill.

The fault tests use their own Redis database (``MADOGUCHI_TEST_FAULT_REDIS_URL``,
default db 14): their workers use a visibility timeout of seconds, and would otherwise
hand the unacknowledged jobs of other tests' workers to the queue again.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from sqlalchemy import create_engine, text
from tests.conftest import _fresh_postgres, _unavailable
from tests.faults.probe_analyzer import PROBE_DIR, install

from madoguchi.config import Settings

REPO = Path(__file__).resolve().parents[2]
FAULT_REDIS_URL = os.environ.get("MADOGUCHI_TEST_FAULT_REDIS_URL", "redis://127.0.0.1:6379/14")
VISIBILITY_TIMEOUT = 3


@pytest.fixture
def postgres_url(postgres_admin_url: str) -> Iterator[str]:
    yield from _fresh_postgres(postgres_admin_url)


@pytest.fixture
def fault_redis_url() -> Iterator[str]:
    try:
        client = redis.Redis.from_url(FAULT_REDIS_URL, socket_connect_timeout=3)
        client.ping()
    except Exception as error:
        _unavailable(f"Redis at {FAULT_REDIS_URL}", error)
    yield FAULT_REDIS_URL
    client.close()


def terminate_connections(url: str) -> int:
    """Close every server connection to the database of ``url`` but this one."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            ).all()
    finally:
        engine.dispose()
    return len(rows)


class Workers:
    """``madoguchi worker`` subprocesses on one queue, with the probe analyzer installed."""

    def __init__(self, settings: Settings, tmp: Path) -> None:
        self.settings = settings
        self.queue = f"madoguchi-fault-{uuid.uuid4().hex[:10]}"
        self.probe_dir = tmp / "probe"
        self.probe_dir.mkdir()
        self.site = install(tmp / "site")
        self.logs = tmp / "worker-logs"
        self.logs.mkdir()
        self.running: list[subprocess.Popen[bytes]] = []
        self.extra_env: dict[str, str] = {}

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("MADOGUCHI_")}
        env.update(
            {
                "MADOGUCHI_DATABASE_URL": self.settings.database_url,
                "MADOGUCHI_BROKER_URL": self.settings.broker_url,
                "MADOGUCHI_DATA_DIR": str(self.settings.data_dir),
                "MADOGUCHI_SECRET_KEY": self.settings.secret_key.get_secret_value(),
                "MADOGUCHI_JOB_VISIBILITY_TIMEOUT": str(self.settings.job_visibility_timeout),
                PROBE_DIR: str(self.probe_dir),
                "PYTHONPATH": os.pathsep.join(
                    [str(REPO), str(self.site), *filter(None, [os.environ.get("PYTHONPATH")])]
                ),
            }
        )
        env.update(self.extra_env)
        return env

    def start(self, name: str) -> subprocess.Popen[bytes]:
        log = (self.logs / f"{name}.log").open("wb")
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "madoguchi",
                "worker",
                "--concurrency=1",
                f"--queues={self.queue}",
            ],
            cwd=self.logs,
            env=self.env(),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        self.running.append(process)
        return process

    def log_of(self, name: str) -> str:
        path = self.logs / f"{name}.log"
        return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""

    def started_by(self, process: subprocess.Popen[bytes]) -> list[Path]:
        return sorted(self.probe_dir.glob(f"started-{process.pid}-*"))

    def release(self) -> None:
        (self.probe_dir / "release").touch()

    def stop_all(self) -> None:
        for process in self.running:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.running:
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)


@pytest.fixture
def fault_settings(postgres_url: str, fault_redis_url: str, tmp_path: Path) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=tmp_path / "data",
        database_url=postgres_url,
        broker_url=fault_redis_url,
        job_visibility_timeout=VISIBILITY_TIMEOUT,
        secret_key="fault-test-key-" + uuid.uuid4().hex,
        base_url="http://127.0.0.1",
        inline_worker=False,
    )


@pytest.fixture
def workers(fault_settings: Settings, tmp_path: Path) -> Iterator[Workers]:
    group = Workers(fault_settings, tmp_path)
    yield group
    group.release()
    group.stop_all()
    client = redis.Redis.from_url(fault_settings.broker_url)
    client.delete(group.queue)
    client.close()
