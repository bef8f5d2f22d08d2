"""The exfiltration picture of a case: what was probably read and sent, when, how much,
to where — each claim with its evidence and a confidence.

Built from the analyzers' result documents of the case:

- process creation (Windows Security 4688, Sysmon 1) on the event-log timeline and the
  event-log findings of the exfiltration rules: transfer tools (rclone, restic, MEGA,
  WinSCP, pscp, FileZilla, curl uploads) and archives made with 7-Zip / WinRAR, with
  their command lines parsed (:mod:`madoguchi.intel.commandlines`);
- large outbound transfers found in firewall / proxy / flow logs (the ``netflow``
  analyzer's findings);
- S3 object download bursts (CloudTrail ``GetObject`` and S3 server access logs);
- bulk reads from file shares: the event-log correlation of detailed share access
  (Security 5145, many different files read by one account on one share within an hour).

The desk confirms or rejects each item (its review survives a re-assembly: items are
keyed). Confirmed items the desk shares make the "possibly leaked" list a reporter sees.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from madoguchi.domain.errors import ValidationError
from madoguchi.domain.leak import EvidencePointer, ExfilItem, ExfilKind, ReviewState
from madoguchi.domain.organisation import Actor
from madoguchi.i18n.catalogue import N_
from madoguchi.intel import commandlines
from madoguchi.intel.commandlines import ARCHIVE_TOOLS, CommandLine
from madoguchi.ports import AnalysisRecord, UnitOfWork
from madoguchi.services import access, audit
from madoguchi.services.cases import load_case

PROCESS_PREFIX = "Process created: "
CLOUD_BURST_RULES = frozenset({"cloudtrail.getobject-burst", "s3log.download-burst"})
TRANSFER_RULES = frozenset({"netflow.large-outbound"})
# The event-log correlation "bulk read from a file share" (rules/exfiltration/share_bulk_read.yml).
SHARE_RULES = frozenset({"a20fbe2a-35ef-41ca-a3bc-d470c0ffd0d5"})
MEGA_DNS_RULE = "b479adc8-98c4-5adb-8580-7773fa0a114f"


@dataclass
class _Draft:
    kind: ExfilKind
    tool: str
    summary: str
    confidence: int
    hosts: set[str] = field(default_factory=set)
    accounts: set[str] = field(default_factory=set)
    sources: list[str] = field(default_factory=list)
    destinations: list[str] = field(default_factory=list)
    filters: list[str] = field(default_factory=list)
    bytes: int | None = None
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    evidence: list[EvidencePointer] = field(default_factory=list)

    def seen(self, when: datetime | None) -> None:
        if when is None:
            return
        self.first_seen = min(self.first_seen, when) if self.first_seen else when
        self.last_seen = max(self.last_seen, when) if self.last_seen else when

    def add(self, values: Iterable[str], into: list[str]) -> None:
        for value in values:
            if value and value not in into:
                into.append(value)


def _time(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _pointer(evidence_id: int | None, entry: Mapping[str, Any], what: str) -> EvidencePointer:
    ref = entry.get("evidence") or {}
    return EvidencePointer(
        evidence_id=evidence_id,
        path=str(ref.get("path") or ""),
        record_id=ref.get("record_id"),
        line=ref.get("line"),
        analyzer=str(entry.get("analyzer") or ""),
        rule_id=str(entry.get("rule_id") or ""),
        what=what[:500],
    )


def process_command(message: str) -> str | None:
    """The command line in an event-log timeline message about a created process."""
    if not message.startswith(PROCESS_PREFIX):
        return None
    text = message[len(PROCESS_PREFIX) :]
    if text.endswith("]") and " [" in text:
        text = text[: text.rindex(" [")]
    if text.endswith(")") and " (parent " in text:
        text = text[: text.rindex(" (parent ")]
    return text


# --- confidence -----------------------------------------------------------------------------


def _tool_confidence(parsed: CommandLine) -> int:
    if parsed.tool in ARCHIVE_TOOLS:
        score = 35
        score += 15 if parsed.password else 0
        score += 15 if any(commandlines.is_share(s) for s in parsed.sources) else 0
        return score
    if parsed.sends:
        if parsed.tool == "curl" and not any(
            commandlines.sharing_host(d) for d in parsed.destinations
        ):
            return 60
        return 80
    return 40 if parsed.tool in ("rclone", "megasync", "megacmd", "restic") else 30


def _transfer_confidence(size: int | None) -> int:
    if size is None:
        return 45
    if size >= 1024**3:
        return 70
    if size >= 100 * 1024**2:
        return 55
    return 40


# --- assembly -------------------------------------------------------------------------------


def _command_entries(
    evidence_id: int | None, document: Mapping[str, Any]
) -> Iterator[tuple[str, str, Mapping[str, Any], str]]:
    """(command line, image, entry, what) from findings and process timeline events."""
    seen: set[tuple[str, object]] = set()
    for finding in document.get("findings") or ():
        matched = (finding.get("details") or {}).get("matched") or {}
        command = matched.get("CommandLine")
        if isinstance(command, str) and command:
            ref = finding.get("evidence") or {}
            seen.add((str(ref.get("path")), ref.get("record_id")))
            image = str(matched.get("Image") or matched.get("NewProcessName") or "")
            yield command, image, finding, str(finding.get("title") or "")
    for event in document.get("timeline") or ():
        command = process_command(str(event.get("message") or ""))
        ref = event.get("evidence") or {}
        if command is None or (str(ref.get("path")), ref.get("record_id")) in seen:
            continue
        yield command, "", event, "process created"


def _tool_draft(parsed: CommandLine) -> _Draft:
    kind = ExfilKind.ARCHIVE if parsed.tool in ARCHIVE_TOOLS else ExfilKind.TOOL
    if kind is ExfilKind.ARCHIVE:
        summary = f"{parsed.tool} archive {parsed.archive or '?'}"
        if parsed.password:
            summary += " (password set)"
    elif parsed.sends:
        summary = f"{parsed.tool} {parsed.action} to {', '.join(parsed.destinations) or '?'}"
    else:
        summary = f"{parsed.tool} {parsed.action or 'run'}".strip()
    return _Draft(kind, parsed.tool, summary, _tool_confidence(parsed))


def _collect_tools(
    drafts: dict[str, _Draft], evidence_id: int | None, document: Mapping[str, Any]
) -> None:
    for command, image, entry, what in _command_entries(evidence_id, document):
        parsed = commandlines.parse(command, image)
        if parsed is None or (parsed.tool in ARCHIVE_TOOLS and parsed.action not in ("a", "u")):
            continue
        if parsed.tool in ("curl", "wget") and not parsed.sends:
            continue  # downloads and plain requests are not exfiltration
        host = str(entry.get("host") or "")
        target = parsed.archive or ",".join(parsed.destinations) or parsed.action
        key = f"{parsed.tool}|{host.lower()}|{target.lower()}"
        draft = drafts.get(key)
        if draft is None:
            draft = drafts[key] = _tool_draft(parsed)
        draft.confidence = max(draft.confidence, _tool_confidence(parsed))
        draft.hosts.update([host] if host else [])
        draft.accounts.update([str(entry["account"])] if entry.get("account") else [])
        draft.add(parsed.sources, draft.sources)
        draft.add(parsed.destinations, draft.destinations)
        draft.add(parsed.filters, draft.filters)
        draft.seen(_time(entry.get("timestamp")))
        shown = command if not parsed.password else _redact(command)
        draft.evidence.append(_pointer(evidence_id, entry, f"{what}: {shown}"))


def _redact(command: str) -> str:
    return " ".join(
        "-p***" if p.lower().startswith(("-p", "-hp")) and len(p) > 2 else p
        for p in command.split(" ")
    )


def _values(details: Mapping[str, Any], name: str) -> list[str]:
    value = details.get(name)
    if isinstance(value, list):
        return [str(v) for v in value if v not in (None, "")]
    return [str(value)] if value not in (None, "") else []


def _int(values: Sequence[str]) -> int | None:
    total = 0
    found = False
    for value in values:
        try:
            total += int(float(value))
            found = True
        except ValueError:
            continue
    return total if found else None


def _collect_findings(
    drafts: dict[str, _Draft], evidence_id: int | None, document: Mapping[str, Any]
) -> None:
    for finding in document.get("findings") or ():
        rule = str(finding.get("rule_id") or "")
        details = finding.get("details") or {}
        source_ip = str(finding.get("source_ip") or "")
        account = str(finding.get("account") or "")
        if rule in CLOUD_BURST_RULES:
            buckets = _values(details, "bucket")
            size = _int(_values(details, "bytes_out"))
            key = f"cloud|{source_ip}|{','.join(buckets)}"
            count = details.get("count")
            summary = f"{count or 'many'} objects downloaded from {', '.join(buckets) or 'S3'}"
            draft = drafts.setdefault(
                key, _Draft(ExfilKind.CLOUD, "s3", summary, 60 if not size else 70)
            )
            draft.add(buckets, draft.sources)
            draft.add([source_ip], draft.destinations)
            draft.add(_values(details, "userAgent") + _values(details, "ua"), draft.filters)
        elif rule in TRANSFER_RULES:
            size = _int(_values(details, "bytes_out"))
            destination = str(details.get("destination") or "")
            key = f"transfer|{source_ip}|{destination}"
            summary = f"large outbound transfer from {source_ip or '?'} to {destination or '?'}"
            draft = drafts.setdefault(
                key, _Draft(ExfilKind.TRANSFER, "", summary, _transfer_confidence(size))
            )
            draft.add([source_ip], draft.sources)
            draft.add([destination], draft.destinations)
            draft.add(_values(details, "application"), draft.filters)
        elif rule in SHARE_RULES:
            size = None
            group = details.get("group") or {}
            share = str(group.get("ShareName") or "")
            files = details.get("value_count")  # distinct files in the busiest window
            key = f"share|{account.lower()}|{share.lower()}"
            summary = f"at least {files or 'many'} files on {share or '?'} read by {account or '?'}"
            draft = drafts.setdefault(key, _Draft(ExfilKind.SHARE, "", summary, 50))
            samples = [f"{share}\\{v}" for v in _values(details, "values")[:20]]
            draft.add([share, *samples], draft.sources)
            draft.add([source_ip], draft.destinations)
        elif rule == MEGA_DNS_RULE:
            size = None
            host = str(finding.get("host") or "")
            key = f"mega-dns|{host.lower()}"
            draft = drafts.setdefault(
                key, _Draft(ExfilKind.TOOL, "mega", "MEGA storage contacted", 45)
            )
            draft.add(["mega.nz"], draft.destinations)
        else:
            continue
        if size is not None:
            draft.bytes = (draft.bytes or 0) + size
            draft.confidence = max(draft.confidence, _transfer_confidence(draft.bytes))
        if finding.get("host"):
            draft.hosts.add(str(finding["host"]))
        if account:
            draft.accounts.add(account)
        draft.seen(_time(finding.get("first_seen") or finding.get("timestamp")))
        draft.seen(_time(finding.get("last_seen")))
        draft.evidence.append(_pointer(evidence_id, finding, str(finding.get("title") or "")))


def assemble(case_id: int, records: Iterable[AnalysisRecord]) -> list[ExfilItem]:
    """The picture from result documents (pure: no storage, no review state)."""
    drafts: dict[str, _Draft] = {}
    for record in records:
        if not record.document:
            continue
        _collect_tools(drafts, record.evidence_id, record.document)
        _collect_findings(drafts, record.evidence_id, record.document)
    items = []
    for key, draft in drafts.items():
        items.append(
            ExfilItem(
                case_id=case_id,
                key=hashlib.sha256(key.encode("utf-8")).hexdigest(),
                kind=draft.kind,
                summary=draft.summary[:2000],
                confidence=min(draft.confidence, 100),
                tool=draft.tool,
                hosts=sorted(draft.hosts),
                accounts=sorted(draft.accounts),
                sources=draft.sources[:50],
                destinations=draft.destinations[:50],
                filters=draft.filters[:50],
                bytes=draft.bytes,
                first_seen=draft.first_seen,
                last_seen=draft.last_seen,
                evidence=draft.evidence[:200],
            )
        )
    items.sort(key=lambda i: (-i.confidence, i.first_seen or datetime.max.replace(tzinfo=UTC)))
    return items


# --- the desk's use cases -------------------------------------------------------------------


def assemble_case(
    uow: UnitOfWork, actor: Actor, case_id: int, *, ip: str | None = None
) -> list[ExfilItem]:
    """Rebuild the case's picture from its analysis results, keeping the desk's reviews."""
    access.require_desk(actor)
    case = load_case(uow, actor, case_id)
    assert case.id is not None
    fresh = {item.key: item for item in assemble(case.id, uow.analysis.for_case(case.id))}
    for stored in uow.leaks.exfil_items(case.id):
        if stored.key not in fresh:
            if stored.state is ReviewState.NEW and stored.id is not None:
                uow.leaks.remove_exfil(stored.id)
            continue
        item = fresh[stored.key]
        item.id = stored.id
        item.state, item.shared_with = stored.state, stored.shared_with
        item.personal_data, item.note = stored.personal_data, stored.note
        item.reviewed_by, item.reviewed_at = stored.reviewed_by, stored.reviewed_at
    saved = [uow.leaks.save_exfil(item) for item in fresh.values()]
    audit.record(
        uow, actor, "exfil:assemble", "case", case.id, case_id=case.id, ip=ip, items=len(saved)
    )
    return saved


def review_item(
    uow: UnitOfWork,
    actor: Actor,
    case_id: int,
    item_id: int,
    state: ReviewState,
    *,
    shared_with: Iterable[int] = (),
    personal_data: bool = False,
    note: str = "",
    ip: str | None = None,
) -> ExfilItem:
    access.require_desk(actor)
    case = load_case(uow, actor, case_id)
    item = uow.leaks.get_exfil(item_id)
    if item is None or item.case_id != case.id:
        raise ValidationError(N_("exfiltration item not found"), where="item_id")
    targets = sorted(set(shared_with))
    if any(t not in case.party_org_ids() for t in targets):
        raise ValidationError(
            N_("items can only be shared with parties of the case"), where="shared_with"
        )
    item.state = state
    item.shared_with = targets if state is ReviewState.CONFIRMED else []
    item.personal_data = personal_data
    item.note = note.strip()[:2000]
    item.reviewed_by = actor.user_id
    item.reviewed_at = datetime.now(UTC)
    uow.leaks.save_exfil(item)
    audit.record(
        uow,
        actor,
        "exfil:review",
        "exfil_item",
        item.id,
        case_id=case.id,
        ip=ip,
        state=state.value,
        shared_with=item.shared_with,
        personal_data=personal_data,
    )
    return item


@dataclass(frozen=True)
class Picture:
    items: list[ExfilItem]
    """Every item for the desk; the confirmed, shared ones for a party."""
    possibly_leaked: list[ExfilItem]
    total_bytes: int | None
    personal_data: bool


def case_picture(uow: UnitOfWork, actor: Actor, case_id: int) -> Picture:
    case = load_case(uow, actor, case_id)
    assert case.id is not None
    items = list(uow.leaks.exfil_items(case.id))
    if not actor.is_desk:
        visible_evidence = {
            e.id
            for e in uow.evidence.for_case(case.id)
            if any(e.visible_to_org(o) for o in actor.organisation_ids)
        }
        items = [i for i in items if any(i.visible_to_org(o) for o in actor.organisation_ids)]
        for item in items:
            item.evidence = [e for e in item.evidence if e.evidence_id in visible_evidence]
            item.note = ""
        if items:
            audit.record(uow, actor, "exfil:read", "case", case.id, case_id=case.id)
    confirmed = [i for i in items if i.state is ReviewState.CONFIRMED]
    sizes = [i.bytes for i in confirmed if i.bytes]
    return Picture(
        items=items,
        possibly_leaked=confirmed,
        total_bytes=sum(sizes) if sizes else None,
        personal_data=any(i.personal_data for i in confirmed),
    )
