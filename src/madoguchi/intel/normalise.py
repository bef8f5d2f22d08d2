"""Normalising indicator values so the same indicator always compares equal.

Analysts paste indicators defanged (``hxxp://evil[.]com``), with trailing
punctuation from prose, in upper case or with non-canonical IPv6 spellings. The
functions here turn each into one canonical spelling; ``refang`` undoes the usual
defanging conventions before extraction.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable

# Defanging conventions seen in reports, advisories and ransom-note write-ups.
_REFANG: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\bhxxp(s?)(?=\[?:)", re.IGNORECASE), r"http\1"),
    (re.compile(r"\bhxxp(s?)://", re.IGNORECASE), r"http\1://"),
    (re.compile(r"\bfxp://", re.IGNORECASE), "ftp://"),
    (re.compile(r"\[:\]//|\[://\]|\[:/\]/"), "://"),
    (re.compile(r"\s?(?:\[\.\]|\(\.\)|\{\.\}|\[dot\]|\(dot\)|\{dot\})\s?", re.IGNORECASE), "."),
    (re.compile(r"\s?(?:\[@\]|\(@\)|\{@\}|\[at\]|\(at\)|\{at\})\s?", re.IGNORECASE), "@"),
    (re.compile(r"\[/\]"), "/"),
)

_TRAILING = ".,;:!?'\"`>*"
_PAIRS = {")": "(", "]": "[", "}": "{"}


def refang(text: str) -> str:
    """Undo common defanging: ``hxxp``, ``[.]``, ``(.)``, ``[dot]``, ``[@]``, ``[:]//``."""
    for pattern, replacement in _REFANG:
        text = pattern.sub(replacement, text)
    return text


def strip_trailing(value: str) -> str:
    """Drop punctuation that prose glues to an indicator, keeping balanced brackets."""
    while value:
        last = value[-1]
        if last in _TRAILING:
            value = value[:-1]
            continue
        opener = _PAIRS.get(last)
        if opener is not None and value.count(opener) < value.count(last):
            value = value[:-1]
            continue
        break
    return value


def normalise_domain(value: str) -> str:
    return strip_trailing(value.strip()).rstrip(".").lower()


def normalise_ip(value: str) -> str:
    """The canonical spelling of an IPv4/IPv6 address (raises ValueError when invalid)."""
    return str(ipaddress.ip_address(value.strip().strip("[]")))


def normalise_cidr(value: str) -> str:
    return str(ipaddress.ip_network(value.strip(), strict=False))


def normalise_url(value: str) -> str:
    """Lower-case the scheme and host; keep path and query as written."""
    value = strip_trailing(value.strip())
    match = re.match(r"(?i)([a-z][a-z0-9+.-]*)://([^/?#]*)(.*)", value)
    if match is None:
        return value
    scheme, authority, rest = match.groups()
    userinfo, at, host = authority.rpartition("@")
    return f"{scheme.lower()}://{userinfo}{at}{host.lower()}{rest}"


def normalise_email(value: str) -> str:
    return strip_trailing(value.strip()).lower()


def normalise_hex(value: str) -> str:
    """Hashes, Session ids: lower-case hexadecimal."""
    return value.strip().lower()


def normalise_tox(value: str) -> str:
    """Tox ids are conventionally shown in upper case."""
    return value.strip().upper()


def normalise_cve(value: str) -> str:
    return value.strip().upper()


_NORMALISERS: dict[str, Callable[[str], str]] = {
    "ioc:ipv4": normalise_ip,
    "ioc:ipv6": normalise_ip,
    "ioc:cidr": normalise_cidr,
    "ioc:domain": normalise_domain,
    "ioc:onion": normalise_domain,
    "ioc:url": normalise_url,
    "ioc:email": normalise_email,
    "ioc:md5": normalise_hex,
    "ioc:sha1": normalise_hex,
    "ioc:sha256": normalise_hex,
    "ioc:imphash": normalise_hex,
    "ioc:session": normalise_hex,
    "ioc:tox": normalise_tox,
    "ioc:cve": normalise_cve,
}


def normalise(kind: str, value: str) -> str:
    """Normalise ``value`` for the observable type ``kind`` (unknown types: stripped)."""
    function = _NORMALISERS.get(kind)
    return function(value) if function is not None else value.strip()
