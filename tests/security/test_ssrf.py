"""SSRF: the leak-site feed contacts only the configured host, follows no redirect to
another host, and refuses private, loopback and link-local addresses unless the
configuration allows them. The test feeds run on loopback, allowed explicitly. (The other
server the desk contacts, a configured MISP instance, has the same guards, tested in
``tests/services/test_misp_push.py``.)"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from madoguchi.domain.errors import ConfigurationError
from madoguchi.services import leak_feed, outbound
from madoguchi.services.leak_feed import FeedConfig, LeakFeedError

FEED = json.dumps([]).encode()


@dataclass
class Server:
    url: str
    port: int
    paths: list[str] = field(default_factory=list)


def _serve(redirects: dict[str, str]) -> Iterator[Server]:
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.path)
            target = redirects.get(self.path)
            if target is not None:
                self.send_response(302)
                self.send_header("Location", target.format(port=self.server.server_port))
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(FEED)

        def log_message(self, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield Server(f"http://127.0.0.1:{server.server_port}", server.server_port, seen)
    server.shutdown()
    server.server_close()


@pytest.fixture
def feed() -> Iterator[Server]:
    yield from _serve(
        {
            "/to-localhost": "http://localhost:{port}/feed",
            "/to-metadata": "http://169.254.169.254/latest/meta-data/",
            "/to-other-port": "http://127.0.0.1:1/feed",
            "/same-host": "/feed",
        }
    )


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:{port}/feed",
        "http://localhost:{port}/feed",
        "http://[::ffff:127.0.0.1]:{port}/feed",
        "http://10.0.0.1:{port}/feed",
        "http://169.254.169.254/latest/meta-data/",
    ],
)
def test_private_and_local_addresses_are_refused_by_default(feed: Server, url: str) -> None:
    config = FeedConfig(url.format(port=feed.port))
    assert config.allow_private is False
    with pytest.raises(LeakFeedError, match="private or local"):
        leak_feed.download(config)
    assert feed.paths == []  # refused before any connection


def test_allowing_private_addresses_is_explicit(feed: Server) -> None:
    assert leak_feed.feed_config({"MADOGUCHI_LEAK_FEED_URL": feed.url}).allow_private is False  # type: ignore[union-attr]
    config = leak_feed.feed_config(
        {"MADOGUCHI_LEAK_FEED_URL": feed.url + "/feed", "MADOGUCHI_LEAK_FEED_ALLOW_PRIVATE": "true"}
    )
    assert config is not None and config.allow_private
    assert leak_feed.download(config) == FEED
    assert leak_feed.download(FeedConfig(feed.url + "/same-host", allow_private=True)) == FEED
    assert feed.paths == ["/feed", "/same-host", "/feed"]


@pytest.mark.parametrize("path", ["/to-localhost", "/to-metadata", "/to-other-port"])
def test_no_redirect_leaves_the_configured_host(feed: Server, path: str) -> None:
    # Even with private addresses allowed, a redirect may not change host (or port).
    with pytest.raises(LeakFeedError, match="another host"):
        leak_feed.download(FeedConfig(feed.url + path, allow_private=True))
    assert feed.paths == [path]


def test_an_address_that_changes_after_the_check_is_refused(
    feed: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    # DNS rebinding: the check sees a public address, the connection lands on loopback.
    monkeypatch.setattr(outbound, "resolve", lambda host, port: ["93.184.216.34"])
    with pytest.raises(LeakFeedError, match="connected to a private or local address"):
        leak_feed.download(FeedConfig(feed.url + "/feed"))


def test_the_feed_url_must_be_http() -> None:
    for url in ("file:///etc/passwd", "gopher://127.0.0.1/", "ftp://feed.example/x"):
        with pytest.raises(ConfigurationError, match="http"):
            FeedConfig(url)


def test_an_api_key_is_never_sent_over_plain_http() -> None:
    with pytest.raises(ConfigurationError, match="https"):
        leak_feed.FeedConfig("http://feed.example.org/victims.json", key="secret")
    # Without a key, or over https, the address is acceptable.
    leak_feed.FeedConfig("http://feed.example.org/victims.json")
    leak_feed.FeedConfig("https://feed.example.org/victims.json", key="secret")
