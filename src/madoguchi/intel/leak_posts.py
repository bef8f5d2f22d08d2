"""Reading leak-site posts: the ransomware.live JSON format and a generic CSV.

Pure functions: bytes in, :class:`~madoguchi.domain.leak.LeakPost` values and the problems
found out. A broken record never stops the batch; each problem names the record.

ransomware.live victim records carry ``post_title``, ``group_name``, ``discovered``,
``published``, ``post_url``, ``website``, ``country``, ``description`` and ``activity``
(its newer API spells some of them ``victim``, ``group``, ``attackdate``, ``domain``,
``url``; both are read). A group file (records with ``name`` and ``locations``) is read
as group profiles. The CSV uses the same column names in its header.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from madoguchi.domain.leak import LeakPost
from madoguchi.intel.names import normalise_name

RANSOMWARE_LIVE = "ransomwarelive"
CSV_FORMAT = "csv"
FORMATS = (RANSOMWARE_LIVE, CSV_FORMAT)

_ALIASES: Mapping[str, tuple[str, ...]] = {
    "post_title": ("post_title", "victim", "title", "name", "victim_name"),
    "group_name": ("group_name", "group", "gang"),
    "discovered": ("discovered", "discovery_date", "first_seen"),
    "published": ("published", "attackdate", "attack_date", "date", "published_date"),
    "post_url": ("post_url", "url", "claim_url", "link"),
    "website": ("website", "domain", "victim_domain"),
    "country": ("country", "country_code"),
    "description": ("description", "summary"),
    "activity": ("activity", "sector", "industry"),
}


@dataclass(frozen=True)
class GroupProfile:
    name: str
    description: str = ""
    locations: tuple[str, ...] = ()


@dataclass
class ParsedPosts:
    posts: list[LeakPost] = field(default_factory=list)
    groups: list[GroupProfile] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def post_key(group: str, post_url: str, title: str) -> str:
    """The same post from two imports gets the same key (group + URL, else group + name)."""
    basis = post_url.strip() or normalise_name(title) or title.strip()
    text = f"{group.strip().lower()}\x00{basis}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def parse_time(value: object) -> datetime | None:
    """ISO 8601 or ``YYYY-MM-DD HH:MM:SS[.ffffff]``; naive times are UTC."""
    if value is None or value == "":
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(float(value), tz=UTC)
        except (OverflowError, OSError, ValueError):
            return None
    text = str(value).strip().replace("Z", "+00:00")
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        try:
            parsed = datetime.strptime(text[:10], "%Y/%m/%d").replace(tzinfo=UTC)
        except ValueError:
            return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _field(record: Mapping[str, Any], name: str) -> Any:
    for alias in _ALIASES[name]:
        value = record.get(alias)
        if value not in (None, ""):
            return value
    return None


def _text(value: Any, limit: int = 20_000) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        value = ", ".join(str(v) for v in value)
    return str(value).strip()[:limit]


def post_from_record(record: Mapping[str, Any], source: str) -> LeakPost | str:
    """A post, or the reason the record is not one."""
    title = _text(_field(record, "post_title"), 1000)
    group = _text(_field(record, "group_name"), 200)
    if not title:
        return "no victim name (post_title)"
    if not group:
        return "no group name (group_name)"
    post_url = _text(_field(record, "post_url"), 2000)
    return LeakPost(
        source=source,
        post_title=title,
        group_name=group,
        key=post_key(group, post_url, title),
        discovered=parse_time(_field(record, "discovered")),
        published=parse_time(_field(record, "published")),
        post_url=post_url,
        website=_text(_field(record, "website"), 500),
        country=_text(_field(record, "country"), 8).upper(),
        description=_text(_field(record, "description")),
        activity=_text(_field(record, "activity"), 200),
    )


def _records(data: Any) -> list[Any] | None:
    if isinstance(data, list):
        return data
    if isinstance(data, dict):
        for key in ("victims", "data", "results", "items", "groups"):
            if isinstance(data.get(key), list):
                records: list[Any] = data[key]
                return records
    return None


def _is_group(record: Mapping[str, Any]) -> bool:
    return "locations" in record and not any(
        record.get(a) for a in ("post_title", "victim", "group_name", "group")
    )


def _group(record: Mapping[str, Any]) -> GroupProfile | None:
    name = _text(record.get("name"), 200)
    if not name:
        return None
    locations: list[str] = []
    for location in record.get("locations") or ():
        if isinstance(location, Mapping):
            value = location.get("fqdn") or location.get("slug") or ""
        else:
            value = location
        if value:
            locations.append(str(value)[:300])
    return GroupProfile(name, _text(record.get("description"), 4000), tuple(locations))


def parse_ransomwarelive(data: bytes, source: str = RANSOMWARE_LIVE) -> ParsedPosts:
    """Victim records (a JSON array, an object holding one, or JSON lines) or groups."""
    result = ParsedPosts()
    text = _decode(data)
    try:
        loaded: Any = json.loads(text)
    except json.JSONDecodeError:
        loaded = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                loaded.append(json.loads(line))
            except json.JSONDecodeError as error:
                result.problems.append(f"line {number}: not JSON ({error.msg})")
    records = _records(loaded)
    if records is None:
        result.problems.append("expected a JSON list of victim or group records")
        return result
    for number, record in enumerate(records, start=1):
        if not isinstance(record, Mapping):
            result.problems.append(f"record {number}: not an object")
            continue
        if _is_group(record):
            group = _group(record)
            if group is None:
                result.problems.append(f"record {number}: group without a name")
            else:
                result.groups.append(group)
            continue
        post = post_from_record(record, source)
        if isinstance(post, str):
            result.problems.append(f"record {number}: {post}")
        else:
            result.posts.append(post)
    return result


def parse_csv(data: bytes, source: str = CSV_FORMAT) -> ParsedPosts:
    """A CSV with a header using the ransomware.live field names (UTF-8 or Shift_JIS)."""
    result = ParsedPosts()
    reader = csv.DictReader(io.StringIO(_decode(data), newline=""))
    header = [h.strip().lower() for h in reader.fieldnames or ()]
    if not set(header) & set(_ALIASES["post_title"]):
        result.problems.append("the CSV header names no victim column (post_title or victim)")
        return result
    for number, row in enumerate(reader, start=2):
        record = {(k or "").strip().lower(): v for k, v in row.items() if k}
        post = post_from_record(record, source)
        if isinstance(post, str):
            result.problems.append(f"line {number}: {post}")
        else:
            result.posts.append(post)
    return result


def parse_posts(data: bytes, fmt: str, source: str | None = None) -> ParsedPosts:
    if fmt == RANSOMWARE_LIVE:
        return parse_ransomwarelive(data, source or RANSOMWARE_LIVE)
    if fmt == CSV_FORMAT:
        return parse_csv(data, source or CSV_FORMAT)
    result = ParsedPosts()
    result.problems.append(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    return result


def _decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp932", errors="replace")


def dedupe(posts: Iterable[LeakPost]) -> list[LeakPost]:
    """One post per key, the last one read winning."""
    return list({post.key: post for post in posts}.values())
