"""Evidence uploads through the API: streamed to disk with bounded memory, archives
expanded, and an upload cut halfway leaves nothing behind."""

from __future__ import annotations

import hashlib
import io
import socket
import time
import zipfile
from collections.abc import Iterator

import httpx
import pytest
from tests.conftest import LiveServer
from tests.memory import PeakMemory
from tests.world import World, build_world

MiB = 1024 * 1024


def _headers(world: World, role: str = "party_reporter") -> dict[str, str]:
    return {"Authorization": f"Bearer {world.people[role].token}"}


@pytest.mark.slow
def test_a_multi_gigabyte_upload_is_streamed_with_bounded_memory(
    live_server: LiveServer,
) -> None:
    world = build_world(live_server.desk)
    total = 2 * 1024 * MiB
    block = hashlib.sha256(b"seed").digest() * (MiB // 32)
    digest = hashlib.sha256()

    def body() -> Iterator[bytes]:
        sent = 0
        counter = 0
        while sent < total:
            chunk = counter.to_bytes(8, "big") + block[8:]
            counter += 1
            digest.update(chunk)
            sent += len(chunk)
            yield chunk

    url = f"{live_server.url}/api/v1/cases/{world.case_a}/evidence/disk.raw"
    with PeakMemory() as memory, httpx.Client(timeout=600) as client:
        response = client.put(url, content=body(), headers=_headers(world))
    assert response.status_code == 201, response.text
    stored = response.json()["evidence"]
    assert stored["size"] == total and stored["sha256"] == digest.hexdigest()
    assert memory.growth_mib < 256, f"memory grew by {memory.growth_mib:.0f} MiB"
    assert live_server.desk.store.path(stored["sha256"]).stat().st_size == total


def test_an_upload_cut_halfway_stores_nothing(live_server: LiveServer) -> None:
    world = build_world(live_server.desk)
    host, port = live_server.url.removeprefix("http://").split(":")
    request = (
        f"PUT /api/v1/cases/{world.case_a}/evidence/half.bin HTTP/1.1\r\n"
        f"Host: {host}\r\nAuthorization: Bearer {world.people['party_reporter'].token}\r\n"
        f"Content-Length: {64 * MiB}\r\nContent-Type: application/octet-stream\r\n\r\n"
    ).encode()
    with socket.create_connection((host, int(port))) as sock:
        sock.sendall(request)
        for _ in range(8):
            sock.sendall(b"x" * MiB)
    tmp = live_server.desk.store.root / "tmp"
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and list(tmp.glob("*.part")):
        time.sleep(0.1)
    assert not list(tmp.glob("*.part"))
    listed = httpx.get(
        f"{live_server.url}/api/v1/cases/{world.case_a}/evidence", headers=_headers(world)
    ).json()
    assert [e["filename"] for e in listed] == ["a.log"]


def test_a_zip_uploaded_through_the_api_is_expanded(live_server: LiveServer) -> None:
    world = build_world(live_server.desk)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("logs/gpsvc.log", "line\n")
        archive.writestr("../escape.txt", "nope")
    response = httpx.put(
        f"{live_server.url}/api/v1/cases/{world.case_a}/evidence/logs.zip",
        content=buffer.getvalue(),
        headers=_headers(world),
    )
    assert response.status_code == 201
    result = response.json()
    assert [c["path"] for c in result["children"] if c["status"] == "stored"] == [
        "logs.zip!logs/gpsvc.log"
    ]
    assert len(result["problems"]) == 1


def test_another_organisation_cannot_upload_to_a_case(live_server: LiveServer) -> None:
    world = build_world(live_server.desk)
    response = httpx.put(
        f"{live_server.url}/api/v1/cases/{world.case_a}/evidence/x.txt",
        content=b"data",
        headers=_headers(world, "other_reporter"),
    )
    assert response.status_code == 404
    assert not list((live_server.desk.store.root / "tmp").glob("*.part"))
