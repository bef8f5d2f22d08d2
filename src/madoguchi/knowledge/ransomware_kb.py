"""The ransomware family knowledge base: one YAML file per family, validated on load.

``load_kb()`` reads every ``*.yaml`` file under ``knowledge/ransomware/`` (or the
folders given), checks each against the schema described in that folder's README
and returns a ``RansomwareKB``. Every schema problem of every file is collected and
raised together as one ``KnowledgeBaseError`` naming the file and the field.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from madoguchi.domain.errors import MadoguchiError
from madoguchi.knowledge import yaml_load

KB_DIR = Path(__file__).parent / "ransomware"

CONFIDENCE = frozenset({"low", "medium", "high"})
PLATFORMS = frozenset({"windows", "linux", "esxi", "macos", "nas", "android", "freebsd"})
STRENGTHS = {"strong": 4.0, "medium": 2.5, "weak": 1.0}
#: A note that names its family with a distinctive word is a strong signal on its own.
SELF_NAME_WEIGHT = 4.0
RELATIONS = frozenset(
    {
        "predecessor",
        "successor",
        "rebrand",
        "fork",
        "shares-code",
        "built-with",
        "variant",
        "affiliate",
        "parent",
        "uses",
    }
)
DECRYPTOR_STATES = frozenset({"yes", "partial", "no", "unknown"})
_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{1,40}$")
_TOP_KEYS = frozenset(
    {
        "id",
        "name",
        "aliases",
        "confidence",
        "active",
        "platforms",
        "extensions",
        "note_names",
        "self_names",
        "note_markers",
        "contacts",
        "file_markers",
        "initial_access",
        "decryptor",
        "related",
        "builder_leak",
        "built_with",
        "references",
        "last_checked",
        "summary",
    }
)


class KnowledgeBaseError(MadoguchiError):
    """One or more family files break the schema; ``problems`` lists them all."""

    code = "knowledge_base"

    def __init__(self, problems: list[str]) -> None:
        super().__init__(
            f"{len(problems)} problem(s) in the ransomware knowledge base:\n" + "\n".join(problems)
        )
        self.problems = problems


@dataclass(frozen=True)
class ExtensionRule:
    """How encrypted files are renamed. ``kind``: literal, random, regex, phobos or none."""

    kind: str
    value: str
    strength: str
    description: str
    pattern: re.Pattern[str] | None


@dataclass(frozen=True)
class NoteName:
    kind: str  # exact, glob or regex
    value: str
    strength: str
    pattern: re.Pattern[str]

    def matches(self, name: str) -> bool:
        return self.pattern.search(name) is not None


@dataclass(frozen=True)
class NoteMarker:
    label: str
    weight: float
    pattern: re.Pattern[str] | None = None
    keywords: tuple[str, ...] = ()

    def matches(self, text_lower: str, text: str) -> bool:
        if self.pattern is not None:
            return self.pattern.search(text) is not None
        return all(keyword in text_lower for keyword in self.keywords)


@dataclass(frozen=True)
class FileMarker:
    where: str  # head or tail
    data: bytes
    label: str


@dataclass(frozen=True)
class Contacts:
    tor: bool = False
    tox: bool = False
    session: bool = False
    email: bool = False
    email_domains: tuple[str, ...] = ()
    onion_prefixes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Family:
    id: str
    name: str
    source: str
    confidence: str
    aliases: tuple[str, ...] = ()
    active: Mapping[str, str | None] = field(default_factory=dict)
    platforms: tuple[str, ...] = ()
    extensions: tuple[ExtensionRule, ...] = ()
    note_names: tuple[NoteName, ...] = ()
    note_markers: tuple[NoteMarker, ...] = ()
    contacts: Contacts = Contacts()
    file_markers: tuple[FileMarker, ...] = ()
    initial_access: tuple[str, ...] = ()
    decryptor: Mapping[str, Any] = field(default_factory=dict)
    related: tuple[Mapping[str, str], ...] = ()
    builder_leak: Mapping[str, str] | None = None
    built_with: str | None = None
    references: tuple[str, ...] = ()
    last_checked: str = ""
    summary: str = ""

    def names(self) -> tuple[str, ...]:
        return (self.id, self.name, *self.aliases)


@dataclass(frozen=True)
class RansomwareKB:
    families: Mapping[str, Family]

    def __iter__(self) -> Iterator[Family]:
        return iter(self.families.values())

    def __len__(self) -> int:
        return len(self.families)

    def get(self, family_id: str) -> Family | None:
        return self.families.get(family_id)

    def resolve(self, name: str) -> Family | None:
        """A family by id, display name or alias (case- and punctuation-insensitive)."""
        wanted = _fold(name)
        for family in self.families.values():
            if any(_fold(candidate) == wanted for candidate in family.names()):
                return family
        return None


def _fold(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


class _Checker:
    """Collects the problems of one file; each names the file and the field."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.problems: list[str] = []

    def fail(self, where: str, message: str) -> None:
        self.problems.append(f"{self.source}: {where}: {message}")

    def text(self, data: Mapping[str, Any], key: str, *, required: bool = False) -> str:
        value = data.get(key)
        if value is None:
            if required:
                self.fail(key, "is required")
            return ""
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            self.fail(key, f"must be text, not {type(value).__name__}")
            return ""
        return str(value)

    def strings(self, data: Mapping[str, Any], key: str) -> tuple[str, ...]:
        value = data.get(key, [])
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.fail(key, "must be a list of text")
            return ()
        return tuple(value)

    def regex(self, where: str, source: str, flags: int = re.IGNORECASE) -> re.Pattern[str] | None:
        try:
            return re.compile(source, flags)
        except re.error as error:
            self.fail(where, f"bad regular expression {source!r}: {error}")
            return None

    def strength(self, where: str, item: Mapping[str, Any], default: str) -> str:
        value = str(item.get("strength", default))
        if value not in STRENGTHS:
            self.fail(f"{where}.strength", f"must be one of {sorted(STRENGTHS)}")
            return default
        return value

    def items(self, data: Mapping[str, Any], key: str) -> list[tuple[str, Mapping[str, Any]]]:
        value = data.get(key, [])
        if value is None:
            return []
        if not isinstance(value, list):
            self.fail(key, "must be a list")
            return []
        result: list[tuple[str, Mapping[str, Any]]] = []
        for index, item in enumerate(value):
            if isinstance(item, dict):
                result.append((f"{key}[{index}]", item))
            else:
                self.fail(f"{key}[{index}]", "must be a mapping")
        return result


def _phobos_pattern(variant: str) -> str:
    return r"\.id[\[\-]?[0-9a-f]{8}-\d{4}[\]]?\.\[[^\]]+\]\." + re.escape(variant) + r"$"


def _extensions(check: _Checker, data: Mapping[str, Any]) -> tuple[ExtensionRule, ...]:
    rules: list[ExtensionRule] = []
    for where, item in check.items(data, "extensions"):
        kinds = [k for k in ("literal", "random", "regex", "phobos", "none") if k in item]
        if len(kinds) != 1:
            check.fail(where, "needs exactly one of literal, random, regex, phobos, none")
            continue
        kind = kinds[0]
        value = str(item[kind])
        description = str(item.get("description", ""))
        pattern: re.Pattern[str] | None = None
        if kind == "literal":
            if not value.startswith(".") or len(value) < 2:
                check.fail(f"{where}.literal", "must start with a dot, like .akira")
                continue
            pattern = re.compile(re.escape(value) + "$", re.IGNORECASE)
            strength = check.strength(where, item, "strong")
        elif kind == "random":
            pattern = check.regex(f"{where}.random", r"\.(?:" + value + r")$", 0)
            strength = check.strength(where, item, "weak")
        elif kind == "regex":
            pattern = check.regex(f"{where}.regex", value)
            strength = check.strength(where, item, "strong")
        elif kind == "phobos":
            pattern = check.regex(f"{where}.phobos", _phobos_pattern(value))
            strength = check.strength(where, item, "strong")
        else:
            strength = "weak"
            value = ""
        if kind != "none" and pattern is None:
            continue
        rules.append(ExtensionRule(kind, value, strength, description, pattern))
    return tuple(rules)


def _note_names(check: _Checker, data: Mapping[str, Any]) -> tuple[NoteName, ...]:
    names: list[NoteName] = []
    for where, item in check.items(data, "note_names"):
        kinds = [k for k in ("exact", "glob", "regex") if k in item]
        if len(kinds) != 1:
            check.fail(where, "needs exactly one of exact, glob, regex")
            continue
        kind = kinds[0]
        value = str(item[kind])
        if kind == "exact":
            source = "^" + re.escape(value) + "$"
        elif kind == "glob":
            source = fnmatch.translate(value)
        else:
            source = value
        pattern = check.regex(f"{where}.{kind}", source)
        if pattern is None:
            continue
        default = "strong" if kind in ("exact", "regex") else "medium"
        names.append(NoteName(kind, value, check.strength(where, item, default), pattern))
    return tuple(names)


def _markers(check: _Checker, data: Mapping[str, Any]) -> tuple[NoteMarker, ...]:
    markers: list[NoteMarker] = []
    for name in check.strings(data, "self_names"):
        pattern = check.regex("self_names", r"(?<![a-z0-9])" + re.escape(name) + r"(?![a-z0-9])")
        if pattern is not None:
            markers.append(
                NoteMarker(f"note names itself {name!r}", SELF_NAME_WEIGHT, pattern=pattern)
            )
    for where, item in check.items(data, "note_markers"):
        label = str(item.get("label", ""))
        if not label:
            check.fail(f"{where}.label", "is required")
        weight = item.get("weight", 2)
        if not isinstance(weight, int | float) or not 0 < weight <= 6:
            check.fail(f"{where}.weight", "must be a number in (0, 6]")
            continue
        if "regex" in item:
            pattern = check.regex(f"{where}.regex", str(item["regex"]))
            if pattern is not None:
                markers.append(NoteMarker(label, float(weight), pattern=pattern))
        elif "keywords" in item:
            keywords = item["keywords"]
            if not isinstance(keywords, list) or not keywords:
                check.fail(f"{where}.keywords", "must be a non-empty list")
                continue
            markers.append(
                NoteMarker(label, float(weight), keywords=tuple(str(k).lower() for k in keywords))
            )
        else:
            check.fail(where, "needs regex or keywords")
    return tuple(markers)


def _contacts(check: _Checker, data: Mapping[str, Any]) -> Contacts:
    value = data.get("contacts") or {}
    if not isinstance(value, dict):
        check.fail("contacts", "must be a mapping")
        return Contacts()
    unknown = set(value) - {"tor", "tox", "session", "email", "email_domains", "onion_prefixes"}
    if unknown:
        check.fail("contacts", f"unknown keys {sorted(unknown)}")
    for key in ("tor", "tox", "session", "email"):
        if key in value and not isinstance(value[key], bool):
            check.fail(f"contacts.{key}", "must be true or false")
    return Contacts(
        tor=bool(value.get("tor", False)),
        tox=bool(value.get("tox", False)),
        session=bool(value.get("session", False)),
        email=bool(value.get("email", False)),
        email_domains=tuple(d.lower() for d in check.strings(value, "email_domains")),
        onion_prefixes=tuple(p.lower() for p in check.strings(value, "onion_prefixes")),
    )


def _file_markers(check: _Checker, data: Mapping[str, Any]) -> tuple[FileMarker, ...]:
    markers: list[FileMarker] = []
    for where, item in check.items(data, "file_markers"):
        position = str(item.get("where", ""))
        if position not in ("head", "tail"):
            check.fail(f"{where}.where", "must be head or tail")
            continue
        try:
            raw = (
                bytes.fromhex(str(item["hex"]))
                if "hex" in item
                else str(item["ascii"]).encode("latin-1")
            )
        except (KeyError, ValueError) as error:
            check.fail(where, f"needs hex or ascii bytes ({error})")
            continue
        if len(raw) < 4:
            check.fail(where, "a marker shorter than 4 bytes would match by chance")
            continue
        markers.append(FileMarker(position, raw, str(item.get("label", ""))))
    return tuple(markers)


def _decryptor(check: _Checker, data: Mapping[str, Any]) -> Mapping[str, Any]:
    value = data.get("decryptor") or {"available": "unknown"}
    if not isinstance(value, dict):
        check.fail("decryptor", "must be a mapping")
        return {}
    value = dict(value)
    available = value.get("available")
    if isinstance(available, bool):  # YAML 1.1 reads yes/no as booleans
        value["available"] = "yes" if available else "no"
    if str(value.get("available")) not in DECRYPTOR_STATES:
        check.fail("decryptor.available", f"must be one of {sorted(DECRYPTOR_STATES)}")
    for index, tool in enumerate(value.get("tools") or []):
        if not isinstance(tool, dict) or not str(tool.get("url", "")).startswith("https://"):
            check.fail(f"decryptor.tools[{index}]", "needs a name and an https url")
    return value


def parse_family(data: Any, source: str) -> tuple[Family | None, list[str]]:
    """Validate one parsed YAML document; returns the family or the problems."""
    check = _Checker(source)
    if not isinstance(data, dict):
        check.fail("(file)", "must be a YAML mapping")
        return None, check.problems
    for key in sorted(set(data) - _TOP_KEYS):
        check.fail(key, "unknown field")
    family_id = check.text(data, "id", required=True)
    if family_id and not _ID.match(family_id):
        check.fail("id", "must be lower-case letters, digits, - or _")
    if family_id and Path(source).stem != family_id:
        check.fail("id", f"must equal the file name ({Path(source).stem})")
    name = check.text(data, "name", required=True)
    confidence = check.text(data, "confidence", required=True)
    if confidence and confidence not in CONFIDENCE:
        check.fail("confidence", f"must be one of {sorted(CONFIDENCE)}")
    platforms = check.strings(data, "platforms")
    for platform in platforms:
        if platform not in PLATFORMS:
            check.fail("platforms", f"unknown platform {platform!r}")
    active = data.get("active") or {}
    if not isinstance(active, dict) or "from" not in active:
        check.fail("active", "must be a mapping with from (and optionally to)")
        active = {}
    references = check.strings(data, "references")
    if not references:
        check.fail("references", "at least one public reference is required")
    for reference in references:
        if not reference.startswith("https://"):
            check.fail("references", f"not an https URL: {reference!r}")
    related = []
    for where, item in check.items(data, "related"):
        if "id" not in item or str(item.get("relation")) not in RELATIONS:
            check.fail(where, f"needs id and relation (one of {sorted(RELATIONS)})")
        else:
            related.append({"id": str(item["id"]), "relation": str(item["relation"])})
    builder_leak = data.get("builder_leak")
    if builder_leak is not None and (
        not isinstance(builder_leak, dict) or "what" not in builder_leak
    ):
        check.fail("builder_leak", "must be a mapping with what (and when)")
        builder_leak = None
    family = Family(
        id=family_id,
        name=name,
        source=source,
        confidence=confidence,
        aliases=check.strings(data, "aliases"),
        active={str(k): (None if v is None else str(v)) for k, v in active.items()},
        platforms=platforms,
        extensions=_extensions(check, data),
        note_names=_note_names(check, data),
        note_markers=_markers(check, data),
        contacts=_contacts(check, data),
        file_markers=_file_markers(check, data),
        initial_access=check.strings(data, "initial_access"),
        decryptor=_decryptor(check, data),
        related=tuple(related),
        builder_leak={str(k): str(v) for k, v in builder_leak.items()} if builder_leak else None,
        built_with=check.text(data, "built_with") or None,
        references=references,
        last_checked=check.text(data, "last_checked"),
        summary=check.text(data, "summary"),
    )
    return (None if check.problems else family), check.problems


def _cross_check(families: Mapping[str, Family]) -> list[str]:
    problems = []
    for family in families.values():
        for link in family.related:
            if link["id"] not in families:
                problems.append(f"{family.source}: related: unknown family {link['id']!r}")
        if family.built_with and family.built_with not in families:
            problems.append(f"{family.source}: built_with: unknown family {family.built_with!r}")
    return problems


def load_kb(folders: Iterable[Path] = (KB_DIR,)) -> RansomwareKB:
    """Load and validate every family file; raises ``KnowledgeBaseError`` listing all problems."""
    families: dict[str, Family] = {}
    problems: list[str] = []
    for folder in folders:
        for path in sorted(Path(folder).glob("*.yaml")):
            source = path.name
            try:
                data = yaml_load.safe_load(path.read_text(encoding="utf-8"))
            except yaml.YAMLError as error:
                problems.append(f"{source}: (file): not valid YAML: {error}")
                continue
            family, found = parse_family(data, source)
            problems.extend(found)
            if family is None:
                continue
            if family.id in families:
                problems.append(f"{source}: id: duplicate family id {family.id!r}")
                continue
            families[family.id] = family
    problems.extend(_cross_check(families))
    if problems:
        raise KnowledgeBaseError(problems)
    return RansomwareKB(families)


@cache
def default_kb() -> RansomwareKB:
    """The built-in knowledge base, loaded once per process."""
    return load_kb()
