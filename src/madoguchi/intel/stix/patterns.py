"""STIX patterns for single indicator values, and reading simple patterns back.

Exported patterns are one equality comparison (``[ipv4-addr:value = '203.0.113.5']``).
On import, a pattern made only of equality comparisons joined by ``OR`` becomes one
indicator per comparison; anything else (``AND``, ``MATCHES``, ``LIKE``, temporal
qualifiers, object paths we do not know) is refused with a reason, never dropped.
Types STIX has no cyber-observable for use custom ``x-madoguchi-…`` objects.
"""

from __future__ import annotations

import ipaddress
import re

from madoguchi.domain.indicator import IndicatorType

_PATHS: dict[IndicatorType, str] = {
    IndicatorType.IPV4: "ipv4-addr:value",
    IndicatorType.IPV6: "ipv6-addr:value",
    IndicatorType.DOMAIN: "domain-name:value",
    IndicatorType.ONION: "domain-name:value",
    IndicatorType.URL: "url:value",
    IndicatorType.EMAIL: "email-addr:value",
    IndicatorType.MD5: "file:hashes.MD5",
    IndicatorType.SHA1: "file:hashes.'SHA-1'",
    IndicatorType.SHA256: "file:hashes.'SHA-256'",
    IndicatorType.TLSH: "file:hashes.TLSH",
    IndicatorType.SSDEEP: "file:hashes.SSDEEP",
    IndicatorType.IMPHASH: "file:extensions.'windows-pebinary-ext'.imphash",
    IndicatorType.FILENAME: "file:name",
    IndicatorType.USER_AGENT: (
        "network-traffic:extensions.'http-request-ext'.request_header.'User-Agent'"
    ),
    IndicatorType.MUTEX: "mutex:name",
    IndicatorType.REGISTRY: "windows-registry-key:key",
    IndicatorType.TOX: "x-madoguchi-tox:value",
    IndicatorType.SESSION: "x-madoguchi-session:value",
    IndicatorType.WALLET: "x-madoguchi-wallet:value",
}

#: Object paths read on import, with the spellings other producers use.
_READ: dict[str, IndicatorType] = {
    path.replace("'", "").lower(): kind
    for kind, path in _PATHS.items()
    if kind is not IndicatorType.ONION
}
_READ.update(
    {
        "file:hashes.sha1": IndicatorType.SHA1,
        "file:hashes.sha256": IndicatorType.SHA256,
        "file:hashes.sha-1": IndicatorType.SHA1,
        "file:hashes.sha-256": IndicatorType.SHA256,
        "email-message:from_ref.value": IndicatorType.EMAIL,
        "email-message:sender_ref.value": IndicatorType.EMAIL,
        "network-traffic:dst_ref.value": IndicatorType.IPV4,
        "network-traffic:src_ref.value": IndicatorType.IPV4,
        "x-madoguchi-tox:value": IndicatorType.TOX,
    }
)

_COMPARISON = re.compile(
    r"([a-z0-9-]+:[A-Za-z0-9_.'\-]+)\s*(=|!=|MATCHES|LIKE|IN|>|<|>=|<=)\s*"
    r"'((?:[^'\\]|\\.)*)'"
)
_GLUE = re.compile(r"^[\s\[\]()]*(?:OR[\s\[\]()]*)*$")


class PatternError(ValueError):
    """A pattern that is not a list of simple equality comparisons."""


def pattern_for(kind: IndicatorType, value: str) -> str:
    """The STIX pattern for one value (CVE and ATT&CK ids have no pattern: use SDOs)."""
    path = _PATHS.get(kind)
    if kind is IndicatorType.CIDR:
        network = ipaddress.ip_network(value, strict=False)
        path = "ipv4-addr:value" if network.version == 4 else "ipv6-addr:value"
    if path is None:
        raise PatternError(f"{kind.value} has no STIX pattern")
    escaped = value.replace("\\", "\\\\").replace("'", "\\'")
    return f"[{path} = '{escaped}']"


def parse_pattern(pattern: str) -> list[tuple[IndicatorType, str]]:
    """``(type, value)`` for each comparison of a simple pattern; ``PatternError`` otherwise."""
    comparisons = list(_COMPARISON.finditer(pattern))
    if not comparisons:
        raise PatternError("no comparison found")
    glue = _COMPARISON.sub(" ", pattern)
    if _GLUE.fullmatch(glue) is None:
        raise PatternError(f"only comparisons joined by OR are read, not {glue.split()!r}")
    found: list[tuple[IndicatorType, str]] = []
    for comparison in comparisons:
        path, operator, literal = comparison.groups()
        if operator != "=":
            raise PatternError(f"operator {operator} is not read")
        kind = _READ.get(path.replace("'", "").lower())
        if kind is None:
            raise PatternError(f"object path {path} is not read")
        value = re.sub(r"\\(.)", r"\1", literal)
        if kind in (IndicatorType.IPV4, IndicatorType.IPV6) and "/" in value:
            kind = IndicatorType.CIDR
        elif kind is IndicatorType.IPV4 and ":" in value:
            kind = IndicatorType.IPV6
        elif kind is IndicatorType.DOMAIN and value.lower().endswith(".onion"):
            kind = IndicatorType.ONION
        found.append((kind, value))
    return found
