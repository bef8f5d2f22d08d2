"""Uploads cut off: by the client dropping the connection, or by the web process being
killed mid-upload. Nothing partial becomes evidence, temporary files are removed (at
once, or when the next web process starts), and uploading again succeeds."""

from __future__ import annotations

import hashlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from tests.conftest import LiveServer, free_port
from tests.faults.conftest import REPO
from tests.world import World, build_world

from madoguchi.bootstrap import Desk, build_desk
from madoguchi.config import Settings
from madoguchi.storage.sql import migrate

MiB = 1024 * 1024
TIMEOUT = 60


def _auth(world: World) -> dict[str, str]:
    return {"Authorization": f"Bearer {world.people['party_reporter'].token}"}


def _start_cut_upload(base_url: str, world: World, name: str, sent: int) -> socket.socket:
    """A PUT announcing 64 MiB of which only ``sent`` bytes are sent (socket left open)."""
    host, port = base_url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)))
    sock.sendall(
        (
            f"PUT /api/v1/cases/{world.case_a}/evidence/{name} HTTP/1.1\r\n"
            f"Host: {host}\r\nAuthorization: Bearer {world.people['party_reporter'].token}\r\n"
            f"Content-Length: {64 * MiB}\r\nContent-Type: application/octet-stream\r\n\r\n"
        ).encode()
    )
    for _ in range(sent // MiB):
        sock.sendall(b"x" * MiB)
    return sock


def _wait(condition: object, what: str) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def _parts(desk: Desk) -> list[Path]:
    return sorted((desk.settings.effective_evidence_dir / "tmp").glob("*.part"))


def _objects(desk: Desk) -> list[str]:
    root = desk.settings.effective_evidence_dir / "objects"
    return sorted(p.name for p in root.rglob("*") if p.is_file())


def _names_in_db(desk: Desk, case_id: int) -> list[str]:
    with desk.uow_factory() as uow:
        return [e.filename for e in uow.evidence.for_case(case_id)]


def _names_listed(base_url: str, world: World) -> list[str]:
    response = httpx.get(
        f"{base_url}/api/v1/cases/{world.case_a}/evidence", headers=_auth(world), timeout=30
    )
    assert response.status_code == 200, response.text
    return [e["filename"] for e in response.json()]


def _retry(base_url: str, world: World, name: str) -> dict[str, object]:
    body = os.urandom(3 * MiB)
    response = httpx.put(
        f"{base_url}/api/v1/cases/{world.case_a}/evidence/{name}",
        content=body,
        headers=_auth(world),
        timeout=TIMEOUT,
    )
    assert response.status_code == 201, response.text
    stored: dict[str, object] = response.json()["evidence"]
    assert stored["sha256"] == hashlib.sha256(body).hexdigest()
    return stored


def test_a_dropped_upload_leaves_nothing_and_can_be_sent_again(live_server: LiveServer) -> None:
    desk = live_server.desk
    world = build_world(desk)
    with _start_cut_upload(live_server.url, world, "dropped.bin", 8 * MiB):
        _wait(lambda: any(p.stat().st_size > 0 for p in _parts(desk)), "the upload to start")
    # The connection is closed: the server notices and deletes what it had written.
    _wait(lambda: not _parts(desk), "the temporary file to be removed")
    assert _names_in_db(desk, world.case_a) == ["a.log"]
    assert _names_listed(live_server.url, world) == ["a.log"]

    _retry(live_server.url, world, "dropped.bin")
    assert _names_listed(live_server.url, world) == ["a.log", "dropped.bin"]


class WebProcess:
    """``madoguchi serve`` in a subprocess that the test can kill."""

    def __init__(self, settings: Settings, logs: Path) -> None:
        self.settings = settings
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.logs = logs
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("MADOGUCHI_")}
        env.update(
            {
                "MADOGUCHI_DATABASE_URL": self.settings.database_url,
                "MADOGUCHI_DATA_DIR": str(self.settings.data_dir),
                "MADOGUCHI_SECRET_KEY": self.settings.secret_key.get_secret_value(),
                "MADOGUCHI_INLINE_WORKER": "false",
                "MADOGUCHI_BASE_URL": self.url,
                "PYTHONPATH": str(REPO),
            }
        )
        with (self.logs / f"web-{self.port}-{time.monotonic_ns()}.log").open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "madoguchi", "serve", "--port", str(self.port)],
                cwd=self.logs,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

        def ready() -> bool:
            assert self.process is not None and self.process.poll() is None, self.log_text()
            try:
                return httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        _wait(ready, "the web process to start")

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(20)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)

    def log_text(self) -> str:
        return "\n".join(p.read_text(errors="replace")[-3000:] for p in self.logs.glob("web-*"))


@pytest.fixture
def web(postgres_url: str, tmp_path: Path) -> Iterator[tuple[WebProcess, Desk]]:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=tmp_path / "data",
        database_url=postgres_url,
        secret_key="fault-test-key-0123456789abcdef",
        inline_worker=False,
    )
    desk = build_desk(settings)
    migrate.upgrade(desk.engine)
    logs = tmp_path / "logs"
    logs.mkdir()
    process = WebProcess(settings, logs)
    yield process, desk
    process.stop()
    desk.close()


@pytest.mark.postgres
def test_a_web_process_killed_mid_upload_leaves_nothing_visible(
    web: tuple[WebProcess, Desk],
) -> None:
    server, desk = web
    world = build_world(desk)
    objects_before = _objects(desk)
    server.start()
    with _start_cut_upload(server.url, world, "cut.bin", 8 * MiB):
        _wait(lambda: any(p.stat().st_size > 0 for p in _parts(desk)), "the upload to start")
        server.kill()
    # The killed process could not clean up: its temporary file is left, but it is not
    # evidence — no row, no stored object.
    assert _parts(desk)
    assert _names_in_db(desk, world.case_a) == ["a.log"]
    assert _objects(desk) == objects_before

    server.start()  # the next web process removes what the dead one left
    assert not _parts(desk)
    assert _names_listed(server.url, world) == ["a.log"]
    _retry(server.url, world, "cut.bin")
    assert _names_listed(server.url, world) == ["a.log", "cut.bin"]
