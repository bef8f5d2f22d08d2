"""The scheduled leak-site feed: fetch posts from one configured HTTP source.

Settings come from the environment (or are passed in):

- ``MADOGUCHI_LEAK_FEED_URL`` the feed (JSON in the ransomware.live format, or CSV);
- ``MADOGUCHI_LEAK_FEED_KEY`` the API key, sent as ``X-API-KEY`` (header name from
  ``MADOGUCHI_LEAK_FEED_KEY_HEADER``);
- ``MADOGUCHI_LEAK_FEED_FORMAT`` ``ransomwarelive`` (default) or ``csv``.

Only the configured host is contacted: a redirect to any other host (or from https to
http) is refused. The job ``leaks.fetch`` runs :func:`fetch_job`; schedule it from cron
with ``madoguchi leaks fetch`` or enqueue it from the desk's leak page.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from madoguchi.domain.errors import ConfigurationError, MadoguchiError
from madoguchi.intel.leak_posts import FORMATS, RANSOMWARE_LIVE, parse_posts
from madoguchi.ports import Mailer, UnitOfWorkFactory
from madoguchi.services import leak_sites

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

    def __post_init__(self) -> None:
        parts = urlsplit(self.url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigurationError("the leak feed URL must be http(s)://host/...", where="url")
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
    )


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
            with client.stream("GET", url, headers=headers) as response:
                if response.is_redirect:
                    target = urljoin(url, response.headers.get("location", ""))
                    parts = urlsplit(target)
                    if parts.hostname != origin.hostname or (
                        origin.scheme == "https" and parts.scheme != "https"
                    ):
                        raise LeakFeedError(
                            f"redirect to another host refused: {parts.hostname or target}",
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
