"""Indicators the desk knows about, and the sightings of them in cases.

An ``Indicator`` is one value (an address, a domain, a hash …) with how far it may
travel (TLP), where it came from, how sure we are, tags (``family:lockbit``,
``campaign:…``, ``cve:CVE-2024-3400``), when it was seen and when it stops being
worth matching. A ``Sighting`` records that an indicator turned up in a case's
evidence. Values are expected to be normalised already (``madoguchi.intel``
does that); this module only holds the data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from madoguchi.domain.findings import Stage
from madoguchi.domain.tlp import TLP


class IndicatorType(StrEnum):
    IPV4 = "ipv4"
    IPV6 = "ipv6"
    CIDR = "cidr"
    DOMAIN = "domain"
    URL = "url"
    MD5 = "md5"
    SHA1 = "sha1"
    SHA256 = "sha256"
    IMPHASH = "imphash"
    TLSH = "tlsh"
    SSDEEP = "ssdeep"
    FILENAME = "filename"
    EMAIL = "email"
    ONION = "onion"
    TOX = "tox"
    SESSION = "session"
    WALLET = "wallet"
    USER_AGENT = "user-agent"
    CVE = "cve"
    ATTACK_TECHNIQUE = "attack-technique"
    MUTEX = "mutex"
    REGISTRY = "registry"

    @property
    def is_hash(self) -> bool:
        return self in _HASHES

    @property
    def is_address(self) -> bool:
        return self in (IndicatorType.IPV4, IndicatorType.IPV6, IndicatorType.CIDR)

    def observable_type(self, value: str = "") -> str:
        """The ``Observable.type`` string for this type (wallets: by address shape)."""
        if self is IndicatorType.WALLET:
            return "ioc:xmr" if value[:1] in ("4", "8") and len(value) >= 95 else "ioc:btc"
        if self is IndicatorType.ATTACK_TECHNIQUE:
            return "attack:technique"
        return "ioc:" + self.value

    @classmethod
    def from_observable_type(cls, observable_type: str) -> IndicatorType | None:
        """The indicator type for an ``Observable.type`` (``None`` when it has none)."""
        return _FROM_OBSERVABLE.get(observable_type)


_HASHES = frozenset(
    {
        IndicatorType.MD5,
        IndicatorType.SHA1,
        IndicatorType.SHA256,
        IndicatorType.IMPHASH,
        IndicatorType.TLSH,
        IndicatorType.SSDEEP,
    }
)

_FROM_OBSERVABLE: dict[str, IndicatorType] = {
    "ioc:" + member.value: member
    for member in IndicatorType
    if member not in (IndicatorType.WALLET, IndicatorType.ATTACK_TECHNIQUE)
}
_FROM_OBSERVABLE.update(
    {
        "ioc:btc": IndicatorType.WALLET,
        "ioc:xmr": IndicatorType.WALLET,
        "ioc:wallet": IndicatorType.WALLET,
        "attack:technique": IndicatorType.ATTACK_TECHNIQUE,
        "ioc:attack-technique": IndicatorType.ATTACK_TECHNIQUE,
    }
)


class SourceKind(StrEnum):
    CASE = "case"
    ANALYZER = "analyzer"
    FEED = "feed"
    MANUAL = "manual"


@dataclass(frozen=True, slots=True)
class IndicatorSource:
    """Where an indicator came from: a case, an analyzer, a feed, or a person.

    ``name`` is the feed name, the analyzer name or the file it was imported from;
    ``case_id`` is set when the indicator came out of a case.
    """

    kind: SourceKind = SourceKind.MANUAL
    name: str = ""
    case_id: int | None = None


@dataclass(frozen=True, slots=True)
class Indicator:
    type: IndicatorType
    value: str
    tlp: TLP = TLP.AMBER
    source: IndicatorSource = field(default_factory=IndicatorSource)
    confidence: int = 50
    tags: tuple[str, ...] = ()
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    expires_at: datetime | None = None
    false_positive: bool = False
    description: str = ""
    id: int | None = None

    def __post_init__(self) -> None:
        if not 0 <= self.confidence <= 100:
            raise ValueError(f"confidence must be 0..100, not {self.confidence}")

    @property
    def key(self) -> tuple[IndicatorType, str]:
        """What makes two indicators the same indicator."""
        return (self.type, self.value)

    def is_active(self, as_of: datetime) -> bool:
        """Worth matching at ``as_of``: not flagged false positive and not expired."""
        if self.false_positive:
            return False
        return self.expires_at is None or as_of < self.expires_at

    def tag_values(self, kind: str) -> tuple[str, ...]:
        """Values of namespaced tags: ``tag_values("family")`` for ``family:lockbit``."""
        prefix = kind + ":"
        return tuple(tag[len(prefix) :] for tag in self.tags if tag.startswith(prefix))


@dataclass(frozen=True, slots=True)
class Sighting:
    """An indicator seen in a case's evidence.

    ``organisation_id`` (the organisation whose evidence it was) and ``stage`` (how
    far the attack got, when an analyzer said so) feed cross-organisation
    correlation; they never leave the desk.
    """

    indicator: Indicator
    case_id: int | None = None
    evidence_id: int | None = None
    seen_at: datetime | None = None
    context: str = ""
    organisation_id: int | None = None
    stage: Stage | None = None
    count: int = 1
