"""A small MISP-compatible HTTP server for the push tests (a real MISP needs PHP and
its composer packages, which this machine cannot reach).

It answers the calls PyMISP makes for ``PyMISP(url, key)`` (``servers/getVersion``,
``users/view/me``, ``attributes/describeTypes.json``), ``event_exists`` (``HEAD
events/view/{id}``), ``get_event``, ``add_event`` and ``update_event``
(``events/edit/{id}``) the way MISP does: the key in the ``Authorization`` header, a
403 with MISP's message for a wrong one, events addressed by id or uuid, attributes
merged by uuid on edit (``deleted`` soft-deletes), a second event with the same uuid
refused. Every request is recorded (method, path, whether the key came, the body);
``redirect`` makes every answer a 302 elsewhere.

``https=True`` serves TLS with a self-signed certificate made by ``openssl`` for
127.0.0.1 (``ca_file`` is the certificate, usable as a CA bundle).
"""

from __future__ import annotations

import json
import ssl
import subprocess
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from pymisp import __version__ as pymisp_version
from pymisp.abstract import describe_types

AUTH_FAILED = "Authentication failed: no valid API key in the Authorization header."


@dataclass
class Seen:
    method: str
    path: str
    keyed: bool
    body: str


@dataclass
class MispState:
    key: str
    events: dict[str, dict[str, Any]] = field(default_factory=dict)  # by uuid
    requests: list[Seen] = field(default_factory=list)
    next_id: int = 1
    #: when set, every request is answered with a 302 to this address
    redirect: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def event(self, ref: str) -> dict[str, Any] | None:
        if ref in self.events:
            return self.events[ref]
        return next((e for e in self.events.values() if e["id"] == ref), None)

    def live_values(self, ref: str) -> set[str]:
        """The values of the attributes not deleted in an event."""
        event = self.event(ref)
        assert event is not None
        return {a["value"] for a in event["Attribute"] if not a.get("deleted")}

    def bodies(self) -> str:
        return "\n".join(seen.body for seen in self.requests)


def _attribute(data: dict[str, Any], event_id: str) -> dict[str, Any]:
    stored = dict(data)
    stored.setdefault("uuid", str(uuid.uuid4()))
    stored["event_id"] = event_id
    stored["deleted"] = bool(stored.get("deleted", False))
    stored.setdefault("Tag", [])
    return stored


class _Handler(BaseHTTPRequestHandler):
    state: MispState

    def log_message(self, *args: object) -> None:
        return

    def _reply(self, status: int, body: object | None = None) -> None:
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _body(self) -> str:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length).decode("utf-8") if length else ""

    def _authorised(self, body: str) -> bool:
        key = self.headers.get("Authorization")
        self.state.requests.append(Seen(self.command, self.path, key == self.state.key, body))
        if self.state.redirect is not None:
            self.send_response(302)
            self.send_header("Location", self.state.redirect + self.path)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return False
        if key != self.state.key:
            self._reply(403, {"name": AUTH_FAILED, "message": AUTH_FAILED, "url": self.path})
            return False
        return True

    def do_HEAD(self) -> None:
        if not self._authorised(""):
            return
        ref = self.path.rstrip("/").rsplit("/", 1)[-1]
        found = self.path.startswith("/events/view/") and self.state.event(ref) is not None
        self._reply(200 if found else 404)

    def do_GET(self) -> None:
        if not self._authorised(""):
            return
        path = self.path.split("?", 1)[0].rstrip("/")
        if path == "/servers/getVersion":
            self._reply(
                200,
                {
                    "version": "2.5.2",
                    "pymisp_recommended_version": pymisp_version,
                    "perm_sync": False,
                    "perm_sighting": False,
                },
            )
        elif path == "/users/view/me":
            self._reply(
                200,
                {
                    "User": {"id": "2", "email": "madoguchi@misp.example", "org_id": "1"},
                    "Role": {"id": "3", "name": "User", "perm_add": True, "perm_modify": True},
                    "UserSetting": {},
                },
            )
        elif path == "/attributes/describeTypes.json":
            self._reply(200, {"result": describe_types})
        elif path.startswith("/events/view/"):
            with self.state.lock:
                event = self.state.event(path.rsplit("/", 1)[-1])
                if event is None:
                    self._reply(404, {"name": "Invalid event.", "message": "Invalid event."})
                else:
                    self._reply(200, {"Event": json.loads(json.dumps(event))})
        else:
            self._reply(404, {"name": "Not Found", "message": "Not Found", "url": path})

    def do_POST(self) -> None:
        body = self._body()
        if not self._authorised(body):
            return
        path = self.path.rstrip("/")
        data = json.loads(body or "{}")
        data = data.get("Event", data)
        with self.state.lock:
            if path == "/events/add":
                self._add(data)
            elif path.startswith("/events/edit/"):
                self._edit(path.rsplit("/", 1)[-1], data)
            else:
                self._reply(404, {"name": "Not Found", "message": "Not Found", "url": path})

    def _add(self, data: dict[str, Any]) -> None:
        event_uuid = str(data.get("uuid") or uuid.uuid4())
        if event_uuid in self.state.events:
            message = (
                "Event already exists, if you would like to edit it, use the url in the "
                "location header."
            )
            self._reply(403, {"name": message, "message": message, "url": "/events/add"})
            return
        event_id = str(self.state.next_id)
        self.state.next_id += 1
        event = {k: v for k, v in data.items() if k not in ("Attribute", "Tag")}
        event.update(
            id=event_id,
            uuid=event_uuid,
            Tag=list(data.get("Tag") or []),
            Attribute=[_attribute(a, event_id) for a in data.get("Attribute") or []],
        )
        self.state.events[event_uuid] = event
        self._reply(200, {"Event": event})

    def _edit(self, ref: str, data: dict[str, Any]) -> None:
        event = self.state.event(ref)
        if event is None:
            self._reply(404, {"name": "Invalid event.", "message": "Invalid event."})
            return
        for key, value in data.items():
            if key not in ("Attribute", "Tag", "id", "uuid"):
                event[key] = value
        names = {t["name"] for t in event["Tag"]}
        event["Tag"].extend(t for t in data.get("Tag") or [] if t["name"] not in names)
        by_uuid = {a["uuid"]: a for a in event["Attribute"]}
        for attribute in data.get("Attribute") or []:
            existing = by_uuid.get(attribute.get("uuid", ""))
            if existing is None:
                event["Attribute"].append(_attribute(attribute, event["id"]))
            else:
                existing.update(attribute)
                existing["deleted"] = bool(attribute.get("deleted", False))
        self._reply(200, {"Event": event})


@dataclass
class MispServer:
    url: str
    state: MispState
    ca_file: Path | None = None


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate and key for 127.0.0.1, made by openssl."""
    cert, key = directory / "misp-cert.pem", directory / "misp-key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@contextmanager
def serve_misp(key: str, *, tls_dir: Path | None = None) -> Iterator[MispServer]:
    """Run the server on a free loopback port (https when ``tls_dir`` is given)."""
    state = MispState(key)
    handler = type("Handler", (_Handler,), {"state": state})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    scheme, ca_file = "http", None
    if tls_dir is not None:
        cert, private = self_signed(tls_dir)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, private)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        scheme, ca_file = "https", cert
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield MispServer(f"{scheme}://127.0.0.1:{server.server_port}", state, ca_file)
    finally:
        server.shutdown()
        server.server_close()
