"""The database connection lost and back: the web app recovers without a restart, and
while the database is away it answers a clean 503 (no traceback) that says to retry.

Runs on PostgreSQL only (SQLite has no server to lose). The outage is made with a TCP
proxy between the app and PostgreSQL that the test closes and opens again.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy.engine import make_url
from tests.conftest import LiveServer, free_port
from tests.faults.conftest import terminate_connections
from tests.world import build_world

pytestmark = pytest.mark.postgres


class TcpProxy:
    """Forwards a loopback port to PostgreSQL; ``stop`` drops every connection."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = free_port()
        self._server: socket.socket | None = None
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._stopped = threading.Event()

    def start(self) -> None:
        self._stopped.clear()
        self._server = socket.create_server(("127.0.0.1", self.port))
        self._server.settimeout(0.1)
        threading.Thread(target=self._accept, args=(self._server,), daemon=True).start()

    def stop(self) -> None:
        self._stopped.set()
        if self._server is not None:
            self._server.close()
            self._server = None
        with self._lock:
            for sock in self._sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            self._sockets.clear()

    def _accept(self, server: socket.socket) -> None:
        while not self._stopped.is_set():
            try:
                client, _ = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            client.settimeout(None)
            with self._lock:
                self._sockets += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)


@pytest.fixture
def proxy(postgres_url: str) -> Iterator[TcpProxy]:
    url = make_url(postgres_url)
    running = TcpProxy((url.host or "127.0.0.1", url.port or 5432))
    running.start()
    yield running
    running.stop()


@pytest.fixture
def database_url(postgres_url: str, proxy: TcpProxy) -> str:
    """The app reaches PostgreSQL through the proxy (overrides the tests/ fixture)."""
    url = make_url(postgres_url).set(host="127.0.0.1", port=proxy.port)
    return url.render_as_string(hide_password=False)


def _evidence_list(server: LiveServer, token: str, case_id: int) -> httpx.Response:
    return httpx.get(
        f"{server.url}/api/v1/cases/{case_id}/evidence",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )


def test_the_app_survives_the_database_closing_its_connections(
    live_server: LiveServer, postgres_url: str
) -> None:
    world = build_world(live_server.desk)
    token = world.people["party_reporter"].token
    assert _evidence_list(live_server, token, world.case_a).status_code == 200
    assert terminate_connections(postgres_url) >= 1
    # The very next request works: pooled connections are checked before use.
    response = _evidence_list(live_server, token, world.case_a)
    assert response.status_code == 200, response.text
    assert [e["filename"] for e in response.json()] == ["a.log"]
    assert httpx.get(f"{live_server.url}/advisories", timeout=30).status_code == 200


def test_a_request_during_an_outage_gets_a_clean_503_and_then_recovery(
    live_server: LiveServer, proxy: TcpProxy
) -> None:
    world = build_world(live_server.desk)
    token = world.people["party_reporter"].token
    assert _evidence_list(live_server, token, world.case_a).status_code == 200

    proxy.stop()
    api = _evidence_list(live_server, token, world.case_a)
    assert api.status_code == 503
    assert api.headers["Retry-After"] == "5"
    assert api.json()["code"] == "unavailable"
    page = httpx.get(f"{live_server.url}/advisories", timeout=30)
    assert page.status_code == 503
    assert "Traceback" not in page.text and "psycopg" not in page.text
    health = httpx.get(f"{live_server.url}/healthz", timeout=30)
    assert health.status_code == 503

    proxy.start()
    response = _evidence_list(live_server, token, world.case_a)
    assert response.status_code == 200, response.text
    assert httpx.get(f"{live_server.url}/healthz", timeout=30).status_code == 200
