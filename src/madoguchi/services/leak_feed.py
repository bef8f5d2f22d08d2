"""The scheduled leak-site feed: fetch posts from one configured HTTP source.

Settings come from the environment (or are passed in):

- ``MADOGUCHI_LEAK_FEED_URL`` the feed (JSON in the ransomware.live format, or CSV);
- ``MADOGUCHI_LEAK_FEED_KEY`` the API key, sent as ``X-API-KEY`` (header name from
  ``MADOGUCHI_LEAK_FEED_KEY_HEADER``);
- ``MADOGUCHI_LEAK_FEED_FORMAT`` ``ransomwarelive`` (default) or ``csv``;
- ``MADOGUCHI_LEAK_FEED_ALLOW_PRIVATE`` ``true`` to allow a feed on a private, loopback
  or link-local address (an internal mirror); off by default.

Only the configured host is contacted: a redirect to any other host (or from https to
http) is refused. Unless private addresses are allowed, the host must resolve to public
addresses only, and the address actually connected to is checked again before the body
is read (so a DNS answer that changes between the check and the connection is caught).

The job ``leaks.fetch`` runs :func:`fetch_job`; schedule it from cron
with ``madoguchi leaks fetch`` or enqueue it from the desk's leak page.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import SplitResult, urljoin, urlsplit

import httpx

from madoguchi.domain.errors import ConfigurationError, MadoguchiError
from madoguchi.i18n.catalogue import N_
from madoguchi.intel.leak_posts import FORMATS, RANSOMWARE_LIVE, parse_posts
from madoguchi.ports import Mailer, UnitOfWorkFactory
from madoguchi.services import leak_sites, outbound

FETCH_JOB = "leaks.fetch"
FEED_SOURCE = "feed"
MAX_FEED_BYTES = 256 * 1024 * 1024
MAX_REDIRECTS = 5


class LeakFeedError(MadoguchiError):
    """The feed could not be fetched (refused redirect, HTTP error, too large)."""

    code = "leak_feed"


@dataclass(frozen=True)
class FeedConfig:
    url: str
    key: str = ""
    key_header: str = "X-API-KEY"
    format: str = RANSOMWARE_LIVE
    timeout: float = 60.0
    allow_private: bool = False

    def __post_init__(self) -> None:
        parts = urlsplit(self.url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigurationError(
                N_("the leak feed URL must be http(s)://host/..."), where="url"
            )
        if self.key and parts.scheme != "https" and not self.allow_private:
            # Over https the certificate proves the peer is the configured host even if
            # its name re-resolves between the address check and the connection.
            raise ConfigurationError(
                N_("the leak feed API key is only sent over https"), where="url"
            )
        if self.format not in FORMATS:
            raise ConfigurationError(
                f"the leak feed format must be one of {', '.join(FORMATS)}", where="format"
            )


def feed_config(env: Mapping[str, str] | None = None) -> FeedConfig | None:
    """The feed configured in the environment, or ``None`` when no URL is set."""
    values = os.environ if env is None else env
    url = values.get("MADOGUCHI_LEAK_FEED_URL", "").strip()
    if not url:
        return None
    return FeedConfig(
        url=url,
        key=values.get("MADOGUCHI_LEAK_FEED_KEY", ""),
        key_header=values.get("MADOGUCHI_LEAK_FEED_KEY_HEADER", "") or "X-API-KEY",
        format=values.get("MADOGUCHI_LEAK_FEED_FORMAT", "") or RANSOMWARE_LIVE,
        allow_private=outbound.flag(values.get("MADOGUCHI_LEAK_FEED_ALLOW_PRIVATE")),
    )


def _check_host(config: FeedConfig, url: str) -> None:
    """Refuse a host that resolves to a non-public address (unless allowed)."""
    try:
        outbound.check_host(
            url, allow_private=config.allow_private, setting="MADOGUCHI_LEAK_FEED_ALLOW_PRIVATE"
        )
    except outbound.OutboundRefusedError as error:
        raise LeakFeedError(error.message, where=error.where) from None


def _check_peer(config: FeedConfig, response: httpx.Response) -> None:
    """The address actually connected to must be public too (DNS may have changed)."""
    stream = response.extensions.get("network_stream")
    peer = stream.get_extra_info("server_addr") if stream is not None else None
    try:
        outbound.check_peer(
            str(peer[0]) if peer else None,
            allow_private=config.allow_private,
            where=str(response.url),
        )
    except outbound.OutboundRefusedError as error:
        raise LeakFeedError(error.message, where=error.where) from None


_DEFAULT_PORTS = {"http": 80, "https": 443}


def _same_origin(origin: SplitResult, target: SplitResult) -> bool:
    """Same host and port (an upgrade from http to https on the default ports is fine);
    never from https down to http, never another scheme."""
    if target.scheme not in _DEFAULT_PORTS or target.hostname != origin.hostname:
        return False
    if origin.scheme == "https" and target.scheme != "https":
        return False
    origin_port = origin.port or _DEFAULT_PORTS[origin.scheme]
    target_port = target.port or _DEFAULT_PORTS[target.scheme]
    both_default = origin.port is None and target.port is None
    return target_port == origin_port or both_default


def download(config: FeedConfig, *, transport: httpx.BaseTransport | None = None) -> bytes:
    """The feed's bytes; redirects are followed only on the configured host."""
    origin = urlsplit(config.url)
    headers = {"Accept": "application/json, text/csv;q=0.9"}
    if config.key:
        headers[config.key_header] = config.key
    url = config.url
    with httpx.Client(
        follow_redirects=False, timeout=config.timeout, transport=transport
    ) as client:
        for _ in range(MAX_REDIRECTS + 1):
            _check_host(config, url)
            with client.stream("GET", url, headers=headers) as response:
                _check_peer(config, response)
                if response.is_redirect:
                    target = urljoin(url, response.headers.get("location", ""))
                    parts = urlsplit(target)
                    if not _same_origin(origin, parts):
                        raise LeakFeedError(
                            f"redirect to another host refused: {parts.netloc or target}",
                            where=config.url,
                        )
                    url = target
                    continue
                if response.status_code != 200:
                    raise LeakFeedError(f"HTTP {response.status_code}", where=url)
                body = bytearray()
                for chunk in response.iter_bytes():
                    body += chunk
                    if len(body) > MAX_FEED_BYTES:
                        raise LeakFeedError("the feed is larger than allowed", where=url)
                return bytes(body)
    raise LeakFeedError("too many redirects", where=config.url)


def fetch(
    uow_factory: UnitOfWorkFactory,
    config: FeedConfig,
    *,
    transport: httpx.BaseTransport | None = None,
) -> leak_sites.ImportResult:
    """Download, import and check; the returned result lists the new match ids."""
    parsed = parse_posts(download(config, transport=transport), config.format, FEED_SOURCE)
    with uow_factory() as uow:
        result = leak_sites.import_posts(uow, None, parsed)
        uow.commit()
    return result


def fetch_job(
    uow_factory: UnitOfWorkFactory, mailer: Mailer, base_url: str, payload: Mapping[str, Any]
) -> None:
    """The ``leaks.fetch`` job: fetch the configured feed and tell the desk about new
    matches. Without a configured URL the job fails with a clear error."""
    config = feed_config()
    if config is None:
        raise ConfigurationError(
            "MADOGUCHI_LEAK_FEED_URL is not set", where="MADOGUCHI_LEAK_FEED_URL"
        )
    result = fetch(uow_factory, config)
    if result.new_matches:
        leak_sites.send_match_notice(
            uow_factory, mailer, base_url, {"match_ids": result.new_matches}
        )
