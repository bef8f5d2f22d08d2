"""Deciding what kind of indicator a single value is, and spelling it canonically.

This works on one value at a time (a line of an IoC list, a CSV cell, a STIX
pattern literal), unlike ``madoguchi.intel.extract`` which searches free text. A
bare ``evil.com`` in an IoC list is a domain even though ``.com`` is also a file
extension.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable
from datetime import datetime

from madoguchi.domain.errors import ValidationError
from madoguchi.domain.indicator import Indicator, IndicatorSource, IndicatorType
from madoguchi.domain.tlp import TLP
from madoguchi.intel.extract import (
    FILE_EXTENSIONS,
    TLDS,
    valid_base58check,
    valid_bech32,
    valid_onion_v3,
    valid_tox_id,
)
from madoguchi.intel.normalise import normalise, refang, strip_trailing

_HEX = re.compile(r"[0-9a-fA-F]+")
_TLSH = re.compile(r"(?:T1)?[0-9A-Fa-f]{70}")
_SSDEEP = re.compile(r"\d{1,10}:[0-9A-Za-z/+]{1,128}:[0-9A-Za-z/+]{1,128}(?:,\".*\")?")
_CVE = re.compile(r"CVE-(?:19|20)\d{2}-\d{4,7}", re.IGNORECASE)
_ATTACK = re.compile(r"T\d{4}(?:\.\d{3})?", re.IGNORECASE)
_URL = re.compile(r"[a-z][a-z0-9+.-]{1,15}://\S+", re.IGNORECASE)
_EMAIL = re.compile(r"[^@\s]{1,64}@[a-z0-9.-]+\.[a-z0-9-]{2,24}", re.IGNORECASE)
_LABEL = re.compile(r"(?!-)[a-z0-9_-]{1,63}(?<!-)|xn--[a-z0-9-]{1,59}", re.IGNORECASE)
_ONION = re.compile(r"(?:[a-z0-9-]+\.)*(?:[a-z2-7]{56}|[a-z2-7]{16})\.onion", re.IGNORECASE)
_XMR = re.compile(r"[48][0-9AB][1-9A-HJ-NP-Za-km-z]{93}(?:[1-9A-HJ-NP-Za-km-z]{11})?")
_REGISTRY = re.compile(r"(?:HKEY_[A-Z_]+|HKLM|HKCU|HKCR|HKU)\\.+", re.IGNORECASE)
_FILENAME = re.compile(r"[^\\/:*?\"<>|\s][^\\/:*?\"<>|]{0,250}\.[A-Za-z0-9]{1,8}")

_HEX_BY_LENGTH = {32: IndicatorType.MD5, 40: IndicatorType.SHA1, 64: IndicatorType.SHA256}

#: Types whose value is kept as written (everything else is lower- or upper-cased).
PRESERVED_CASE = frozenset(
    {
        IndicatorType.USER_AGENT,
        IndicatorType.SSDEEP,
        IndicatorType.MUTEX,
        IndicatorType.FILENAME,
        IndicatorType.WALLET,
    }
)


def _is_domain(value: str) -> bool:
    labels = value.lower().split(".")
    if len(labels) < 2 or labels[-1] not in TLDS:
        return False
    if all(label.isdigit() for label in labels[:-1]):
        return False
    return all(_LABEL.fullmatch(label) for label in labels)


def detect_type(raw: str) -> IndicatorType | None:
    """The indicator type of one value (defanged values accepted), or ``None``."""
    value = strip_trailing(refang(raw.strip()))
    if not value:
        return None
    if "/" in value and not _URL.match(value) and _cidr(value):
        return IndicatorType.CIDR
    for kind, test in _CHECKS:
        if test(value):
            return kind
    return None


def _cidr(value: str) -> bool:
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError:
        return False
    return True


def _ip(version: int) -> Callable[[str], bool]:
    def test(value: str) -> bool:
        try:
            return ipaddress.ip_address(value.strip("[]")).version == version
        except ValueError:
            return False

    return test


def _hex_of(length: int) -> Callable[[str], bool]:
    return lambda value: len(value) == length and _HEX.fullmatch(value) is not None


def _wallet(value: str) -> bool:
    if value.lower().startswith("bc1"):
        return valid_bech32(value)
    if value[:1] in ("1", "3") and 26 <= len(value) <= 35:
        return valid_base58check(value)
    return _XMR.fullmatch(value) is not None


def _bare_url(value: str) -> bool:
    """``evil.example/path``: a URL written without its scheme, as many feeds list them."""
    host, slash, _ = value.partition("/")
    return bool(slash) and " " not in value and _is_domain(host.rsplit(":", 1)[0])


def _filename(value: str) -> bool:
    if _FILENAME.fullmatch(value) is None:
        return False
    return value.rsplit(".", 1)[-1].lower() in FILE_EXTENSIONS


_CHECKS: tuple[tuple[IndicatorType, Callable[[str], bool]], ...] = (
    (IndicatorType.IPV4, _ip(4)),
    (IndicatorType.IPV6, _ip(6)),
    (IndicatorType.URL, lambda v: _URL.fullmatch(v) is not None or _bare_url(v)),
    (IndicatorType.EMAIL, lambda v: _EMAIL.fullmatch(v) is not None),
    (IndicatorType.CVE, lambda v: _CVE.fullmatch(v) is not None),
    (IndicatorType.ATTACK_TECHNIQUE, lambda v: _ATTACK.fullmatch(v) is not None),
    (IndicatorType.TOX, lambda v: len(v) == 76 and valid_tox_id(v)),
    (
        IndicatorType.SESSION,
        lambda v: len(v) == 66 and v.startswith("05") and bool(_HEX.fullmatch(v)),
    ),
    (IndicatorType.MD5, _hex_of(32)),
    (IndicatorType.SHA1, _hex_of(40)),
    (IndicatorType.SHA256, _hex_of(64)),
    (IndicatorType.TLSH, lambda v: _TLSH.fullmatch(v) is not None),
    (IndicatorType.SSDEEP, lambda v: _SSDEEP.fullmatch(v) is not None),
    (IndicatorType.ONION, lambda v: _ONION.fullmatch(v) is not None),
    (IndicatorType.REGISTRY, lambda v: _REGISTRY.fullmatch(v) is not None),
    (IndicatorType.WALLET, _wallet),
    (IndicatorType.DOMAIN, lambda v: _is_domain(v) and not _extension_first(v)),
    (IndicatorType.FILENAME, _filename),
)


def _extension_first(value: str) -> bool:
    """``readme.md``, ``run.sh``: a country code that is far more often a file extension."""
    last = value.rsplit(".", 1)[-1].lower()
    return last in FILE_EXTENSIONS and last != "com" and value.count(".") == 1


_STRICT = frozenset(
    {
        IndicatorType.MD5,
        IndicatorType.SHA1,
        IndicatorType.SHA256,
        IndicatorType.IMPHASH,
        IndicatorType.TLSH,
        IndicatorType.SSDEEP,
        IndicatorType.CVE,
        IndicatorType.ATTACK_TECHNIQUE,
        IndicatorType.TOX,
        IndicatorType.SESSION,
        IndicatorType.WALLET,
        IndicatorType.EMAIL,
    }
)


def normalise_value(kind: IndicatorType, raw: str) -> str:
    """The canonical spelling of ``raw`` as an indicator of type ``kind``.

    Raises ``ValidationError`` when the value is not a valid ``kind`` (types with a
    fixed shape are checked; names, domains and URLs are taken as given).
    """
    value = _normalised(kind, raw)
    if kind in _STRICT:
        checks = dict(_CHECKS)
        check = _hex_of(32) if kind is IndicatorType.IMPHASH else checks[kind]
        if not check(value):
            raise ValidationError(f"not a valid {kind.value}: {raw!r}", where="value")
    return value


def _normalised(kind: IndicatorType, raw: str) -> str:
    value = raw.strip()
    if kind not in (IndicatorType.USER_AGENT, IndicatorType.MUTEX, IndicatorType.REGISTRY):
        value = strip_trailing(refang(value))
    if not value:
        raise ValidationError(f"empty {kind.value} indicator", where="value")
    try:
        if kind is IndicatorType.ONION:
            value = value.lower()
            if _ONION.fullmatch(value) is None:
                raise ValueError("not an onion address")
            label = value.rsplit(".", 2)[-2]
            if len(label) == 56 and not valid_onion_v3(label + ".onion"):
                raise ValueError("onion v3 checksum does not match")
            return value
        if kind is IndicatorType.TLSH:
            return value.upper()
        if kind in (IndicatorType.CVE, IndicatorType.ATTACK_TECHNIQUE):
            return value.upper()
        if kind is IndicatorType.WALLET:
            return value.lower() if value.lower().startswith("bc1") else value
        if kind is IndicatorType.IMPHASH:
            return value.lower()
        if kind is IndicatorType.IPV6:
            return normalise("ioc:ipv6", value)
        if kind in PRESERVED_CASE or kind is IndicatorType.REGISTRY:
            return value
        return normalise(kind.observable_type(value), value)
    except ValueError as error:
        raise ValidationError(
            f"not a valid {kind.value}: {raw!r} ({error})", where="value"
        ) from error


def make_indicator(
    kind: IndicatorType | str | None,
    raw: str,
    *,
    tlp: TLP = TLP.AMBER,
    source: IndicatorSource | None = None,
    confidence: int = 50,
    tags: Iterable[str] = (),
    first_seen: datetime | None = None,
    last_seen: datetime | None = None,
    expires_at: datetime | None = None,
    description: str = "",
) -> Indicator:
    """A normalised ``Indicator``; ``kind`` may be a type name, ``ioc:…`` or ``None`` (detect)."""
    resolved = resolve_type(kind, raw)
    return Indicator(
        type=resolved,
        value=normalise_value(resolved, raw),
        tlp=tlp,
        source=source or IndicatorSource(),
        confidence=confidence,
        tags=tuple(dict.fromkeys(tag.strip() for tag in tags if tag.strip())),
        first_seen=first_seen,
        last_seen=last_seen,
        expires_at=expires_at,
        description=description,
    )


_ALIASES = {
    "ip": None,
    "ip-dst": None,
    "ip-src": None,
    "ipv4-addr": IndicatorType.IPV4,
    "ipv6-addr": IndicatorType.IPV6,
    "hostname": IndicatorType.DOMAIN,
    "domain-name": IndicatorType.DOMAIN,
    "sha-1": IndicatorType.SHA1,
    "sha-256": IndicatorType.SHA256,
    "email-addr": IndicatorType.EMAIL,
    "e-mail": IndicatorType.EMAIL,
    "file": IndicatorType.FILENAME,
    "file-name": IndicatorType.FILENAME,
    "useragent": IndicatorType.USER_AGENT,
    "user_agent": IndicatorType.USER_AGENT,
    "btc": IndicatorType.WALLET,
    "xmr": IndicatorType.WALLET,
    "technique": IndicatorType.ATTACK_TECHNIQUE,
    "attack": IndicatorType.ATTACK_TECHNIQUE,
}


def resolve_type(kind: IndicatorType | str | None, raw: str) -> IndicatorType:
    """Turn a type name from a file (``ipv4``, ``ioc:sha256``, ``ip-dst``, empty) into a type."""
    if isinstance(kind, IndicatorType):
        return kind
    name = (kind or "").strip().lower()
    found: IndicatorType | None = None
    if name:
        found = IndicatorType.from_observable_type(name if ":" in name else "ioc:" + name)
        if found is None and name in _ALIASES:
            found = _ALIASES[name]
        elif found is None:
            raise ValidationError(f"unknown indicator type {kind!r}", where="type")
    if found is None:
        found = detect_type(raw)
    if found is None:
        raise ValidationError(f"cannot tell what kind of indicator {raw!r} is", where="value")
    if found is IndicatorType.IPV4 and "/" in raw:
        return IndicatorType.CIDR
    return found
