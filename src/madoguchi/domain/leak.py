"""What may have left the victim: leak-site claims and the exfiltration picture.

A *leak-site post* is a claim a ransomware group published (imported from a tracker such
as ransomware.live, a CSV, or a configured feed). A *leak match* ties a post to a case or
an organisation; the desk reviews it. A claim is never a confirmed breach: it is shown as
"claimed on <date> by <group>".

An *exfiltration item* is one thing the analysis suggests was read and sent (a tool run
with its command line, a large outbound transfer, a burst of object downloads, access to a
file share), with the evidence for it and a confidence. The desk confirms or rejects each
item; confirmed items that the desk shares form the "possibly leaked" list a reporter sees.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class ReviewState(StrEnum):
    NEW = "new"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"


class ExfilKind(StrEnum):
    TOOL = "tool"  # a transfer tool ran (rclone, MEGA, WinSCP, restic, curl …)
    ARCHIVE = "archive"  # data packed for sending (7-Zip, WinRAR)
    TRANSFER = "transfer"  # large outbound traffic in firewall / proxy / flow logs
    CLOUD = "cloud"  # object downloads from cloud storage (GetObject bursts, S3 logs)
    SHARE = "share"  # file-share access


@dataclass(eq=False)
class LeakPost:
    """One victim post on a leak site, as a tracker recorded it."""

    source: str
    post_title: str
    group_name: str
    key: str
    """Stable identity across imports (source, group and post URL or title)."""
    discovered: datetime | None = None
    published: datetime | None = None
    post_url: str = ""
    website: str = ""
    country: str = ""
    description: str = ""
    activity: str = ""
    id: int | None = None
    imported_at: datetime | None = None

    @property
    def claimed_on(self) -> datetime | None:
        """The date the group published the claim (or when a tracker first saw it)."""
        return self.published or self.discovered


@dataclass(eq=False)
class LeakMatch:
    """A post that names a case's victim or a constituent organisation."""

    post_id: int
    matched_name: str
    matched_on: str  # "name" | "domain"
    score: int
    case_id: int | None = None
    organisation_id: int | None = None
    state: ReviewState = ReviewState.NEW
    shared_with: list[int] = field(default_factory=list)
    reviewed_by: int | None = None
    reviewed_at: datetime | None = None
    note: str = ""
    created_at: datetime | None = None
    id: int | None = None

    def visible_to_org(self, organisation_id: int) -> bool:
        return self.state is ReviewState.CONFIRMED and organisation_id in self.shared_with


@dataclass(frozen=True)
class EvidencePointer:
    """Where one claim of an exfiltration item comes from."""

    evidence_id: int | None
    path: str
    record_id: int | None = None
    line: int | None = None
    analyzer: str = ""
    rule_id: str = ""
    what: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "evidence_id": self.evidence_id,
            "path": self.path,
            "record_id": self.record_id,
            "line": self.line,
            "analyzer": self.analyzer,
            "rule_id": self.rule_id,
            "what": self.what,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EvidencePointer:
        return cls(
            evidence_id=data.get("evidence_id"),
            path=str(data.get("path") or ""),
            record_id=data.get("record_id"),
            line=data.get("line"),
            analyzer=str(data.get("analyzer") or ""),
            rule_id=str(data.get("rule_id") or ""),
            what=str(data.get("what") or ""),
        )


@dataclass(eq=False)
class ExfilItem:
    """One probable read-and-send, with its evidence; ``key`` keeps the desk's review
    when the picture is assembled again."""

    case_id: int
    key: str
    kind: ExfilKind
    summary: str
    confidence: int
    """0–100: how sure the evidence makes it that data left (not just that a tool ran)."""
    tool: str = ""
    hosts: list[str] = field(default_factory=list)
    accounts: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    """Paths, shares or buckets probably read."""
    destinations: list[str] = field(default_factory=list)
    """Remotes, addresses or services the data probably went to."""
    filters: list[str] = field(default_factory=list)
    """Include/exclude filters and options that narrow what was taken."""
    bytes: int | None = None
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    evidence: list[EvidencePointer] = field(default_factory=list)
    state: ReviewState = ReviewState.NEW
    shared_with: list[int] = field(default_factory=list)
    personal_data: bool = False
    reviewed_by: int | None = None
    reviewed_at: datetime | None = None
    note: str = ""
    id: int | None = None

    def visible_to_org(self, organisation_id: int) -> bool:
        return self.state is ReviewState.CONFIRMED and organisation_id in self.shared_with
