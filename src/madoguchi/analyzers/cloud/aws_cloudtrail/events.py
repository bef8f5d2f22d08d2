"""Reading CloudTrail events in the shapes they arrive in, and flattening them for rules.

Shapes: the S3 delivery file ``{"Records": [...]}`` (often gzipped), a JSON array of
events, a single event, ``aws cloudtrail lookup-events`` output
(``{"Events": [{"CloudTrailEvent": "<json text>"}]}``), and JSON lines of any of these.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from madoguchi.analyzers.textio import iter_lines, open_maybe_gzip

MAX_DOCUMENT = 512 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class RawEvent:
    """One CloudTrail event, with where it was found (record index or line number)."""

    event: Mapping[str, Any]
    record: int
    line: int | None


@dataclass(frozen=True, slots=True)
class Problem:
    message: str
    record: int | None = None
    line: int | None = None


def looks_like_event(value: Any) -> bool:
    return (
        isinstance(value, Mapping)
        and "eventName" in value
        and ("eventSource" in value or "eventTime" in value)
    )


def _unwrap(value: Any) -> Iterator[Mapping[str, Any] | Problem]:
    if looks_like_event(value):
        yield value
    elif isinstance(value, Mapping) and isinstance(value.get("Records"), list):
        for item in value["Records"]:
            yield from _unwrap(item)
    elif isinstance(value, Mapping) and isinstance(value.get("Events"), list):
        for item in value["Events"]:
            yield from _unwrap(item)
    elif isinstance(value, Mapping) and isinstance(value.get("CloudTrailEvent"), str):
        try:
            yield from _unwrap(orjson.loads(value["CloudTrailEvent"]))
        except orjson.JSONDecodeError:
            yield Problem("CloudTrailEvent text is not valid JSON")
    elif isinstance(value, list):
        for item in value:
            yield from _unwrap(item)
    else:
        yield Problem("JSON value is not a CloudTrail event")


def read_events(path: Path) -> Iterator[RawEvent | Problem]:
    """Every event in the file, or a ``Problem`` for each part that cannot be read."""
    with open_maybe_gzip(path) as handle:
        data = handle.read(MAX_DOCUMENT + 1)
    if len(data) > MAX_DOCUMENT:
        yield from _read_lines(path)
        return
    try:
        document = orjson.loads(data)
    except orjson.JSONDecodeError:
        yield from _read_lines(path)
        return
    for index, item in enumerate(_unwrap(document), start=1):
        yield item if isinstance(item, Problem) else RawEvent(item, index, None)


def _read_lines(path: Path) -> Iterator[RawEvent | Problem]:
    index = 0
    for number, text in iter_lines(path):
        if not text.strip():
            continue
        try:
            value = orjson.loads(text)
        except orjson.JSONDecodeError:
            yield Problem("line is not valid JSON", line=number)
            continue
        for item in _unwrap(value):
            if isinstance(item, Problem):
                yield Problem(item.message, line=number)
            else:
                index += 1
                yield RawEvent(item, index, number)


def flatten(event: Mapping[str, Any]) -> dict[str, str]:
    """Dotted keys with text values; list items share their parent's key (joined)."""
    out: dict[str, str] = {}

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, Mapping):
            for key, inner in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), inner)
        elif isinstance(value, list):
            for inner in value:
                walk(prefix, inner)
        elif value is not None:
            text = str(value).lower() if isinstance(value, bool) else str(value)
            out[prefix] = f"{out[prefix]}\n{text}" if prefix in out else text

    walk("", event)
    for part in ("requestParameters", "responseElements", "additionalEventData"):
        if isinstance(event.get(part), Mapping | list):
            out[f"{part}_json"] = orjson.dumps(event[part]).decode()
    identity = event.get("userIdentity") if isinstance(event.get("userIdentity"), Mapping) else {}
    assert isinstance(identity, Mapping)
    out["src_ip"] = str(event.get("sourceIPAddress") or "")
    out["user"] = str(
        identity.get("arn") or identity.get("userName") or identity.get("principalId") or ""
    )
    out["access_key"] = str(identity.get("accessKeyId") or "")
    request = event.get("requestParameters")
    if isinstance(request, Mapping):
        out["bucket"] = str(request.get("bucketName") or "")
        out["object_key"] = str(request.get("key") or "")
    out["succeeded"] = "no" if event.get("errorCode") else "yes"
    out["message"] = (
        f"{event.get('eventSource', '')} {event.get('eventName', '')} by "
        f"{out['user'] or '?'} from {out['src_ip'] or '?'}"
        + (f" ({event.get('errorCode')})" if event.get("errorCode") else "")
    )
    return {k: v for k, v in out.items() if v != ""}
