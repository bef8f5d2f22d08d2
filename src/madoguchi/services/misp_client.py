"""The MISP instance the desk pushes to: its configuration and the guarded HTTP client.

Settings come from the environment (or are passed in):

- ``MADOGUCHI_MISP_URL`` the instance (``https://misp.example.org``);
- ``MADOGUCHI_MISP_KEY`` the API key of the MISP user the desk writes as;
- ``MADOGUCHI_MISP_VERIFY_TLS`` ``true`` (default), ``false``, or the path of a CA bundle;
- ``MADOGUCHI_MISP_ALLOW_PRIVATE`` ``true`` to allow an instance on a private, loopback or
  link-local address (an internal instance); off by default;
- ``MADOGUCHI_MISP_DISTRIBUTION`` the event's MISP distribution, ``0`` (your organisation
  only, the default) to ``3`` (all communities);
- ``MADOGUCHI_MISP_TLP_CEILING`` ``clear``, ``green`` or ``amber`` (default): nothing above
  it, nor above the case's own TLP, is sent. AMBER+STRICT and RED never leave the desk.

The key is sent only over https, or over plain http to a loopback address when private
addresses are allowed (a tunnel to the instance). Every request goes to the configured
origin only and no redirect is followed; unless private addresses are allowed the host
must resolve to public addresses, and the address connected to is checked again before
the TLS handshake (the guards of :mod:`madoguchi.services.outbound`).

:func:`send_event` adds the event, or edits it when the instance has its uuid already
(attributes it no longer carries are deleted there), and turns every failure into a
:class:`MispPushError` whose message says what to do.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
from pymisp import MISPAttribute, MISPEvent, PyMISP, PyMISPError
from requests.adapters import HTTPAdapter
from requests.auth import AuthBase
from urllib3.connection import HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from madoguchi.domain.errors import ConfigurationError, MadoguchiError
from madoguchi.domain.tlp import TLP
from madoguchi.i18n.catalogue import N_
from madoguchi.services import outbound

ALLOW_PRIVATE = "MADOGUCHI_MISP_ALLOW_PRIVATE"
#: the levels a push may carry; AMBER+STRICT and RED never leave the desk
RELEASABLE = (TLP.CLEAR, TLP.GREEN, TLP.AMBER)
#: MISP distributions a push may use: 0 your organisation, 1 this community,
#: 2 connected communities, 3 all communities (4, a sharing group, needs its id)
DISTRIBUTIONS = (0, 1, 2, 3)


class MispPushError(MadoguchiError):
    """The instance could not be written; ``message`` is a catalogue message with a
    ``{detail}`` placeholder and ``detail`` the technical reason."""

    code = "misp_push"

    def __init__(self, message: str, detail: str = "", *, where: str | None = None) -> None:
        super().__init__(message, where=where)
        self.detail = detail

    def __str__(self) -> str:
        return self.message.format(detail=self.detail)


# --- configuration ----------------------------------------------------------------------------


@dataclass(frozen=True)
class MispConfig:
    url: str
    key: str = field(repr=False)
    verify: bool | str = True
    allow_private: bool = False
    distribution: int = 0
    ceiling: TLP = TLP.AMBER
    timeout: float = 60.0

    def __post_init__(self) -> None:
        parts = urlsplit(self.url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigurationError(
                N_("MADOGUCHI_MISP_URL must be https://host/..."), where="MADOGUCHI_MISP_URL"
            )
        if not self.key.strip():
            raise ConfigurationError(
                N_("MADOGUCHI_MISP_KEY is not set"), where="MADOGUCHI_MISP_KEY"
            )
        if parts.scheme != "https" and not (
            self.allow_private and outbound.is_loopback_host(parts.hostname)
        ):
            raise ConfigurationError(
                N_(
                    "the MISP API key is only sent over https (plain http only to a loopback "
                    "address with MADOGUCHI_MISP_ALLOW_PRIVATE=true)"
                ),
                where="MADOGUCHI_MISP_URL",
            )
        if self.distribution not in DISTRIBUTIONS:
            raise ConfigurationError(
                N_("MADOGUCHI_MISP_DISTRIBUTION must be 0, 1, 2 or 3"),
                where="MADOGUCHI_MISP_DISTRIBUTION",
            )
        if self.ceiling not in RELEASABLE:
            raise ConfigurationError(
                N_(
                    "MADOGUCHI_MISP_TLP_CEILING must be clear, green or amber: AMBER+STRICT "
                    "and RED never leave the desk"
                ),
                where="MADOGUCHI_MISP_TLP_CEILING",
            )


def _verify(value: str | None) -> bool | str:
    text = (value or "").strip()
    if outbound.is_switch(text):
        return outbound.flag(text, default=True)
    if not Path(text).is_file():
        raise ConfigurationError(
            N_("MADOGUCHI_MISP_VERIFY_TLS must be true, false or the path of a CA bundle"),
            where="MADOGUCHI_MISP_VERIFY_TLS",
        )
    return text


def misp_config(env: Mapping[str, str] | None = None) -> MispConfig | None:
    """The instance configured in the environment, or ``None`` when no URL is set.
    Settings that are set but wrong raise ``ConfigurationError``."""
    values = os.environ if env is None else env
    url = values.get("MADOGUCHI_MISP_URL", "").strip()
    if not url:
        return None
    distribution = values.get("MADOGUCHI_MISP_DISTRIBUTION", "").strip() or "0"
    ceiling = values.get("MADOGUCHI_MISP_TLP_CEILING", "").strip() or "amber"
    try:
        level = TLP.parse(ceiling)
    except ValueError:
        level = TLP.RED  # refused below with the message that says what is allowed
    return MispConfig(
        url=url,
        key=values.get("MADOGUCHI_MISP_KEY", "").strip(),
        verify=_verify(values.get("MADOGUCHI_MISP_VERIFY_TLS")),
        allow_private=outbound.flag(values.get(ALLOW_PRIVATE)),
        distribution=int(distribution) if distribution.isdigit() else -1,
        ceiling=level,
    )


def configured(env: Mapping[str, str] | None = None) -> bool:
    """Whether a MISP URL is set (valid or not: pushing says what is wrong)."""
    values = os.environ if env is None else env
    return bool(values.get("MADOGUCHI_MISP_URL", "").strip())


# --- talking to the instance ------------------------------------------------------------------


class _PublicOnlyConnection(HTTPSConnection):
    """Checks the connected address before anything (TLS included) is sent."""

    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        try:
            outbound.check_peer(sock.getpeername()[0], allow_private=False, where=self.host)
        except outbound.OutboundRefusedError:
            sock.close()
            raise
        return sock


class _PublicOnlyPool(HTTPSConnectionPool):
    ConnectionCls = _PublicOnlyConnection


class _PublicOnlyAdapter(HTTPAdapter):
    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": HTTPConnectionPool,
            "https": _PublicOnlyPool,
        }


class _RedirectRefusedError(MadoguchiError):
    code = "redirect"


class _SameOrigin(AuthBase):
    """Attached to every request PyMISP prepares: the request must go to the configured
    origin, and a redirect (anywhere) is refused before it is followed."""

    def __init__(self, url: str) -> None:
        self.origin = self._origin(url)
        self.last_status = 0

    @staticmethod
    def _origin(url: str) -> tuple[str, str, int]:
        parts = urlsplit(url)
        return parts.scheme, (parts.hostname or "").lower(), outbound.default_port(url)

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        if self._origin(request.url or "") != self.origin:
            raise _RedirectRefusedError(f"request to another host refused: {request.url}")
        request.register_hook("response", self._answer)
        return request

    def _answer(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        self.last_status = response.status_code
        if response.is_redirect:
            location = response.headers.get("location", "")
            response.close()
            raise _RedirectRefusedError(f"HTTP {response.status_code} to {location}")


def _chain(error: BaseException) -> list[BaseException]:
    found: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in found:
        found.append(current)
        current = current.__cause__ or current.__context__
    return found


def _explain(error: BaseException, guard: _SameOrigin) -> MispPushError:
    """A message a person can act on for what went wrong talking to the instance."""
    chain = _chain(error)
    detail = str(error)
    for cause in chain:
        if isinstance(cause, outbound.OutboundRefusedError):
            return MispPushError(
                N_("the MISP instance's address was refused: {detail}"), str(cause)
            )
        if isinstance(cause, _RedirectRefusedError):
            return MispPushError(
                N_(
                    "the MISP instance answered with a redirect, which is not followed; set "
                    "MADOGUCHI_MISP_URL to the final address ({detail})"
                ),
                cause.message,
            )
        if isinstance(cause, requests.exceptions.SSLError):
            return MispPushError(
                N_(
                    "the TLS certificate of the MISP instance could not be verified; give "
                    "its CA bundle in MADOGUCHI_MISP_VERIFY_TLS ({detail})"
                ),
                str(cause),
            )
        if isinstance(cause, requests.exceptions.Timeout | requests.exceptions.ConnectionError):
            return MispPushError(
                N_(
                    "the MISP instance cannot be reached; check MADOGUCHI_MISP_URL and the "
                    "network ({detail})"
                ),
                str(cause),
            )
    if guard.last_status in (401, 403):
        return MispPushError(
            N_(
                "the MISP instance refused the API key (HTTP {detail}); check "
                "MADOGUCHI_MISP_KEY and that the MISP user may use the API"
            ),
            str(guard.last_status),
        )
    return MispPushError(N_("the MISP instance gave an unexpected answer: {detail}"), detail)


def _refused(answer: Mapping[str, Any]) -> MispPushError:
    errors = answer.get("errors")
    status = errors[0] if isinstance(errors, list | tuple) and errors else ""
    body = errors[1] if isinstance(errors, list | tuple) and len(errors) > 1 else errors
    message = body.get("message") or body.get("name") if isinstance(body, Mapping) else body
    if status in (401, 403):
        return MispPushError(
            N_(
                "the MISP user may not write this event (HTTP {detail}); check its role and "
                "that the event belongs to its organisation"
            ),
            f"{status}: {message}",
        )
    return MispPushError(N_("the MISP instance refused the event: {detail}"), f"{status} {message}")


def _connect(config: MispConfig, guard: _SameOrigin) -> PyMISP:
    outbound.check_host(config.url, allow_private=config.allow_private, setting=ALLOW_PRIVATE)
    return PyMISP(
        config.url,
        config.key,
        ssl=config.verify,
        timeout=config.timeout,
        auth=guard,
        tool="madoguchi",
        https_adapter=None if config.allow_private else _PublicOnlyAdapter(),
    )


def _deleted(client: PyMISP, event: MISPEvent) -> int:
    """Mark the attributes on the instance that this push no longer carries as deleted."""
    current = client.get_event(event.uuid)
    if not isinstance(current, Mapping) or "errors" in current:
        raise _refused(current if isinstance(current, Mapping) else {"errors": current})
    keep = {a.uuid for a in event.attributes}
    gone = 0
    for old in (current.get("Event") or {}).get("Attribute") or []:
        if old.get("uuid") in keep or old.get("deleted") in (True, 1, "1"):
            continue
        withdrawn = event.add_attribute(
            old["type"], old["value"], uuid=old["uuid"], category=old.get("category")
        )
        if isinstance(withdrawn, MISPAttribute):
            withdrawn.delete()
        gone += 1
    return gone


def send_event(config: MispConfig, event: MISPEvent) -> str:
    """Add the event, or edit it when the instance has it already; its MISP id."""
    guard = _SameOrigin(config.url)
    try:
        client = _connect(config, guard)
        if client.event_exists(event.uuid):
            _deleted(client, event)
            answer = client.update_event(event)
        else:
            answer = client.add_event(event)
    except MispPushError:
        raise
    except (MadoguchiError, PyMISPError, requests.exceptions.RequestException, OSError) as error:
        raise _explain(error, guard) from None
    if not isinstance(answer, Mapping) or "errors" in answer:
        raise _refused(answer if isinstance(answer, Mapping) else {"errors": answer})
    return str((answer.get("Event") or {}).get("id") or "")
