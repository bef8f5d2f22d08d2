"""Guards shared by every request the desk sends to a configured server (the leak-site
feed, a MISP instance): only public addresses unless private ones are allowed, and a key
only where it cannot be read on the way.

A host is checked when it is resolved and the address actually connected to is checked
again (a DNS answer may change between the two). Both raise :class:`OutboundRefusedError`
before anything is read from the peer.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from madoguchi.domain.errors import MadoguchiError

_DEFAULT_PORTS = {"http": 80, "https": 443}
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


class OutboundRefusedError(MadoguchiError):
    """A request the desk will not send: an address that is not public, a host that does
    not resolve, a redirect elsewhere."""

    code = "outbound_refused"


def flag(value: str | None, default: bool = False) -> bool:
    """An environment switch: ``1``/``true``/``yes``/``on`` (any case); empty is the default."""
    text = (value or "").strip().lower()
    if not text:
        return default
    return text in _TRUE


def is_switch(value: str | None) -> bool:
    """True when the text reads as an on/off switch (or is empty)."""
    text = (value or "").strip().lower()
    return not text or text in _TRUE | _FALSE


def default_port(url: str) -> int:
    parts = urlsplit(url)
    return parts.port or _DEFAULT_PORTS.get(parts.scheme, 80)


def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (an address literal is itself)."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as error:
        raise OutboundRefusedError(f"cannot resolve {host}: {error}", where=host) from None
    return sorted({str(info[4][0]) for info in found})


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    ip = ipaddress.ip_address(text.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def is_public(address: str) -> bool:
    """A global unicast address (an IPv4-mapped IPv6 address counts as its IPv4 one)."""
    ip = _address(address)
    return ip.is_global and not ip.is_multicast


def is_loopback_host(host: str) -> bool:
    """``localhost`` or a loopback address literal (no lookup: a name could change)."""
    if host.lower() == "localhost":
        return True
    try:
        return _address(host).is_loopback
    except ValueError:
        return False


def check_host(url: str, *, allow_private: bool, setting: str) -> None:
    """Refuse a host that resolves to a non-public address unless ``allow_private``;
    ``setting`` names the switch that allows it, for the message."""
    if allow_private:
        return
    host = urlsplit(url).hostname or ""
    addresses = resolve(host, default_port(url))
    refused = [a for a in addresses if not is_public(a)]
    if refused or not addresses:
        raise OutboundRefusedError(
            f"{host} resolves to a private or local address ({', '.join(refused)}); set "
            f"{setting}=true to allow it",
            where=url,
        )


def check_peer(address: str | None, *, allow_private: bool, where: str) -> None:
    """The address actually connected to must be public too (DNS may have changed)."""
    if allow_private or not address:
        return
    if not is_public(address):
        raise OutboundRefusedError(
            f"connected to a private or local address ({address})", where=where
        )
