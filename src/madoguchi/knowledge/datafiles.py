"""Shared reading of the desk's knowledge files: bilingual texts and collected load problems.

The hearing questionnaires, the support catalogue and rules, and the playbooks are data
files committed beside this module. Each loader reads every file, collects every problem
it finds (with the file and the entry it came from) and raises one
:class:`KnowledgeDataError` listing them all, so a broken file is reported in full
instead of one mistake at a time.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml

from madoguchi.domain.errors import ConfigurationError
from madoguchi.knowledge import yaml_load

Lang = Literal["ja", "en"]

KNOWLEDGE_DIR = Path(__file__).parent
LANGUAGES: tuple[Lang, ...] = ("ja", "en")


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong in a knowledge file: where (file and entry) and what."""

    file: str
    entry: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file} [{self.entry}]" if self.entry else self.file
        return f"{where}: {self.message}"


class KnowledgeDataError(ConfigurationError):
    """A knowledge file is missing, unreadable or inconsistent; ``problems`` lists all."""

    code = "knowledge_data"

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = tuple(problems)
        first = self.problems[0] if self.problems else Problem("", "", "unknown problem")
        more = f" (and {len(self.problems) - 1} more)" if len(self.problems) > 1 else ""
        summary = "; ".join(str(p) for p in self.problems[:5])
        super().__init__(f"{summary}{more}", where=first.file)


@dataclass(frozen=True, slots=True)
class LocalText:
    """A text the desk shows in Japanese and English."""

    ja: str
    en: str

    def get(self, lang: str) -> str:
        """The text in ``lang``; English for any language the desk does not have."""
        return self.ja if lang == "ja" else self.en


def check_lang(lang: str) -> Lang:
    if lang == "ja":
        return "ja"
    if lang == "en":
        return "en"
    raise ConfigurationError(f"unsupported language {lang!r} (use 'ja' or 'en')", where="lang")


class Reader:
    """Collects problems while a loader walks one or more parsed YAML documents."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def problem(self, file: str, entry: str, message: str) -> None:
        self.problems.append(Problem(file, entry, message))

    def raise_if_any(self) -> None:
        if self.problems:
            raise KnowledgeDataError(self.problems)

    def load_yaml(self, path: Path) -> object:
        """Parse one YAML file; a missing or malformed file is recorded, not raised."""
        name = display_name(path)
        try:
            with path.open(encoding="utf-8") as handle:
                return yaml_load.safe_load(handle)
        except OSError as exc:
            self.problem(name, "", f"cannot read: {exc.strerror or exc}")
        except yaml.YAMLError as exc:
            self.problem(name, "", f"not valid YAML: {exc}")
        return None

    def text(self, file: str, entry: str, value: object, field: str) -> LocalText | None:
        """Read ``{ja: ..., en: ...}``; both languages are required and must not be empty."""
        if not isinstance(value, Mapping):
            self.problem(file, entry, f"{field}: expected a mapping with 'ja' and 'en'")
            return None
        texts: dict[str, str] = {}
        for lang in LANGUAGES:
            item = value.get(lang)
            if not isinstance(item, str) or not item.strip():
                self.problem(file, entry, f"{field}: missing or empty {lang!r} text")
            else:
                texts[lang] = item.strip()
        extra = sorted(str(k) for k in value if k not in LANGUAGES)
        if extra:
            self.problem(file, entry, f"{field}: unknown language keys {extra}")
        if len(texts) != len(LANGUAGES):
            return None
        return LocalText(ja=texts["ja"], en=texts["en"])

    def strings(self, file: str, entry: str, value: object, field: str) -> tuple[str, ...]:
        """Read a list of non-empty strings (a missing value is an empty tuple)."""
        if value is None:
            return ()
        if isinstance(value, str) or not isinstance(value, list):
            self.problem(file, entry, f"{field}: expected a list of strings")
            return ()
        out: list[str] = []
        for item in value:
            if not isinstance(item, str) or not item.strip():
                self.problem(file, entry, f"{field}: {item!r} is not a non-empty string")
            else:
                out.append(item.strip())
        return tuple(out)

    def patterns(
        self, file: str, entry: str, value: object, field: str
    ) -> tuple[re.Pattern[str], ...]:
        """Read a list of regular expressions, compiled case-insensitively."""
        compiled: list[re.Pattern[str]] = []
        for source in self.strings(file, entry, value, field):
            try:
                compiled.append(re.compile(source, re.IGNORECASE))
            except re.error as exc:
                self.problem(file, entry, f"{field}: bad pattern {source!r}: {exc}")
        return tuple(compiled)

    def unknown_keys(
        self, file: str, entry: str, keys: Iterable[object], allowed: frozenset[str]
    ) -> None:
        extra = sorted(str(k) for k in keys if k not in allowed)
        if extra:
            self.problem(file, entry, f"unknown keys {extra} (allowed: {sorted(allowed)})")


def display_name(path: Path) -> str:
    """The file's name relative to the knowledge package, for messages shown to people."""
    try:
        return path.relative_to(KNOWLEDGE_DIR).as_posix()
    except ValueError:
        return path.name


def normalise_text(text: str) -> str:
    """NFKC form, so full-width letters and half-width katakana match the patterns."""
    return unicodedata.normalize("NFKC", text)


def any_pattern_matches(patterns: tuple[re.Pattern[str], ...], values: tuple[str, ...]) -> bool:
    """Whether any pattern matches any value (values are NFKC-normalised first)."""
    return any(p.search(normalise_text(v)) for p in patterns for v in values)
