"""Event Viewer's CSV and tab-separated text exports, English and Japanese locales.

Event Viewer ("Save All Events As…" → CSV or "Text (Tab delimited)") writes a header
``Level,Date and Time,Source,Event ID,Task Category`` (Japanese: ``レベル,日付と時刻,
ソース,イベント ID,タスクのカテゴリ``) and one row per event whose last, unnamed column
is the rendered message. ``Get-WinEvent | Export-Csv`` writes named columns
(``Id``, ``ProviderName``, ``MachineName``, ``RecordId``, ``LogName``, ``Message`` …);
both are read here. Files come as UTF-8, UTF-16 (the text export) or cp932.

What these exports lose, and so what the analyzer cannot see in them: the EventData
fields themselves (recovered from the message where the message prints them, see
:mod:`message_fields`), the computer name and channel (unless the export has those
columns; the channel is inferred from the provider), the record id (so no record-gap
check), and the time zone: the time is the exporting machine's local time. A Japanese
export is read as JST (UTC+09:00), any other as UTC, unless the run setting
``evtx_export_utc_offset`` (e.g. ``"+09:00"``) says otherwise; the assumption is
reported as a warning on every such file.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta, timezone

from madoguchi.analyzers.base import AnalysisContext, EvidenceFile
from madoguchi.analyzers.textio import detect_encoding, open_maybe_gzip
from madoguchi.analyzers.windows_evtx.events import FlatEvent, ReadEvent, as_int, iso_utc
from madoguchi.analyzers.windows_evtx.message_fields import message_fields

_SPACE = re.compile(r"\s+")
_MAX_ERRORS = 1000
_FIELD_LIMIT = 16 * 1024 * 1024  # a PowerShell script-block message can be long

#: Normalised column header → the role the column plays.
COLUMNS: Mapping[str, str] = {
    "level": "level",
    "レベル": "level",
    "leveldisplayname": "level",
    "dateandtime": "time",
    "日付と時刻": "time",
    "timecreated": "time",
    "date": "time",
    "日付": "time",
    "source": "provider",
    "ソース": "provider",
    "providername": "provider",
    "eventid": "event_id",
    "イベントid": "event_id",
    "id": "event_id",
    "taskcategory": "task",
    "タスクのカテゴリ": "task",
    "taskdisplayname": "task",
    "computer": "computer",
    "コンピューター": "computer",
    "コンピュータ": "computer",
    "machinename": "computer",
    "logname": "channel",
    "log": "channel",
    "ログの名前": "channel",
    "ログ": "channel",
    "recordid": "record",
    "eventrecordid": "record",
    "message": "message",
    "メッセージ": "message",
    "説明": "message",
    "description": "message",
    "userid": "user",
    "user": "user",
    "ユーザー": "user",
    "keywords": "keywords",
    "キーワード": "keywords",
}

#: Providers whose channel is fixed, for exports that do not name the channel.
PROVIDER_CHANNELS: Mapping[str, str] = {
    "microsoft-windows-security-auditing": "Security",
    "service control manager": "System",
    "microsoft-windows-sysmon": "Microsoft-Windows-Sysmon/Operational",
    "microsoft-windows-powershell": "Microsoft-Windows-PowerShell/Operational",
    "powershell": "Windows PowerShell",
    "microsoft-windows-taskscheduler": "Microsoft-Windows-TaskScheduler/Operational",
    "microsoft-windows-windows defender": "Microsoft-Windows-Windows Defender/Operational",
    "microsoft-windows-terminalservices-localsessionmanager": (
        "Microsoft-Windows-TerminalServices-LocalSessionManager/Operational"
    ),
    "microsoft-windows-terminalservices-remoteconnectionmanager": (
        "Microsoft-Windows-TerminalServices-RemoteConnectionManager/Operational"
    ),
}

#: Event Viewer shows a few providers by display name; the rules use the real name.
PROVIDER_NAMES: Mapping[str, str] = {
    "microsoft windows security auditing.": "Microsoft-Windows-Security-Auditing",
    "sysmon": "Microsoft-Windows-Sysmon",
    "eventlog": "Microsoft-Windows-Eventlog",
}

_TIME_FORMATS = (
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M:%S",
    "%d.%m.%Y %H:%M:%S",
    "%Y年%m月%d日 %H:%M:%S",
)
_JA_AMPM = {"午前": "AM", "午後": "PM"}
_OFFSET = re.compile(r"^([+-])(\d{1,2}):?(\d{2})$")


def _norm(header: str) -> str:
    return _SPACE.sub("", header.strip().lstrip("\ufeff")).lower()


def header_roles(header: list[str]) -> list[str | None]:
    return [COLUMNS.get(_norm(name)) for name in header]


def looks_like_export(header: list[str]) -> bool:
    roles = set(header_roles(header))
    return "event_id" in roles and ("time" in roles or "provider" in roles)


def is_japanese(header: list[str]) -> bool:
    return any(any("\u3040" <= ch <= "\u9fff" for ch in name) for name in header)


def parse_offset(text: str) -> timezone | None:
    match = _OFFSET.match(text.strip())
    if match is None:
        return None
    sign, hours, minutes = match.groups()
    delta = timedelta(hours=int(hours), minutes=int(minutes))
    return timezone(-delta if sign == "-" else delta)


def parse_local_time(text: str, zone: timezone) -> datetime | None:
    """A date as the exporting locale wrote it, read in ``zone``, returned in UTC."""
    value = text.strip().replace("\u200e", "").replace("\u200f", "")
    if not value:
        return None
    for ja, en in _JA_AMPM.items():
        if ja in value:
            value = value.replace(ja, "").strip() + " " + en
    if "T" in value and value[:4].isdigit():
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            parsed = None
        if parsed is not None:
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=zone)
            return parsed.astimezone(UTC)
    for fmt in _TIME_FORMATS:
        try:
            parsed = datetime.strptime(value, fmt)  # noqa: DTZ007 - zone attached below
        except ValueError:
            continue
        return parsed.replace(tzinfo=zone).astimezone(UTC)
    return None


def build_event(row: Mapping[str, str], *, message: str, channel: str | None = None) -> FlatEvent:
    """A flattened event from one export row (roles → values) and its message."""
    provider = (row.get("provider") or "").strip()
    provider = PROVIDER_NAMES.get(provider.lower(), provider)
    event_id = as_int(row.get("event_id"))
    flat: FlatEvent = {
        "EventID": event_id,
        "Channel": channel or row.get("channel") or PROVIDER_CHANNELS.get(provider.lower()),
        "Provider_Name": provider or None,
        "Computer": row.get("computer") or None,
        "EventRecordID": as_int(row.get("record")),
        "TimeCreated": None,
        "Level": row.get("level"),
        "Task": row.get("task"),
        "Keywords": row.get("keywords"),
    }
    if provider.lower() == "microsoft-windows-eventlog" and flat["Channel"] is None:
        flat["Channel"] = "Security" if event_id == 1102 else "System"
    if row.get("user"):
        flat["SecurityUserID"] = row["user"]
    if message:
        flat["Message"] = message
        for name, value in message_fields(message, provider=provider, event_id=event_id).items():
            flat.setdefault(name, value)
    return flat


def _zone_for(header: list[str], ctx: AnalysisContext, evidence: EvidenceFile) -> timezone:
    configured = ctx.options.settings.get("evtx_export_utc_offset")
    if isinstance(configured, str) and parse_offset(configured) is not None:
        zone = parse_offset(configured)
        assert zone is not None
        return zone
    if is_japanese(header):
        ctx.warn(
            "export times carry no time zone; read as JST (UTC+09:00) because the headers are "
            "Japanese (set evtx_export_utc_offset to change)",
            path=evidence.path,
        )
        return timezone(timedelta(hours=9))
    ctx.warn(
        "export times carry no time zone; read as UTC (set evtx_export_utc_offset to change)",
        path=evidence.path,
    )
    return UTC


def read_export(evidence: EvidenceFile, ctx: AnalysisContext) -> Iterator[ReadEvent]:
    """Yield the events of a CSV or tab-separated Event Viewer / PowerShell export."""
    if csv.field_size_limit() < _FIELD_LIMIT:
        csv.field_size_limit(_FIELD_LIMIT)
    with open_maybe_gzip(evidence.local_path) as raw:
        encoding = detect_encoding(raw.read(256 * 1024))
        raw.seek(0)
        text = io.TextIOWrapper(raw, encoding=encoding, errors="replace", newline="")
        first = text.readline()
        delimiter = "\t" if first.count("\t") > first.count(",") else ","
        header = next(csv.reader([first], delimiter=delimiter), [])
        if not looks_like_export(header):
            ctx.warn("not a Windows event log export (no Event ID column)", path=evidence.path)
            return
        roles = header_roles(header)
        zone = _zone_for(header, ctx, evidence)
        reader = csv.reader(text, delimiter=delimiter)
        errors = 0
        while True:
            line = reader.line_num + 2
            try:
                values = next(reader)
            except StopIteration:
                return
            except csv.Error as error:
                errors += 1
                ctx.skipped(f"unreadable export row: {error}", path=evidence.path, line=line)
                if errors >= _MAX_ERRORS:
                    ctx.warn("too many unreadable rows; stopped reading", path=evidence.path)
                    return
                continue
            if not values or not any(values):
                continue
            row: dict[str, str] = {}
            extra: list[str] = []
            for index, value in enumerate(values):
                role = roles[index] if index < len(roles) else None
                if role is None:
                    extra.append(value)
                else:
                    row.setdefault(role, value)
            message = row.pop("message", "") or "\n".join(v for v in extra if v)
            event = build_event(row, message=message)
            if event["EventID"] is None:
                ctx.skipped("export row without a numeric Event ID", path=evidence.path, line=line)
                continue
            when = parse_local_time(row.get("time", ""), zone)
            if when is not None:
                event["TimeCreated"] = iso_utc(when)
            yield ReadEvent(event, event["EventRecordID"], when, line)
