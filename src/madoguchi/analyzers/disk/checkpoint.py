"""Stopping and resuming a long image run.

A checkpoint is a small JSON file in ``checkpoint_dir`` named for the analyzer, its
version and the image's SHA-256; it lists the artefact families already done. Beside
it each finished family's outputs are spooled as JSON lines, so a resumed run replays
them (streamed, never held in memory) instead of reading the image again.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import fields
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from madoguchi.domain.findings import (
    AnalyzerOutput,
    EvidenceRef,
    Finding,
    Observable,
    Section,
    Severity,
    Stage,
    TimelineEvent,
)

_TYPES: dict[str, type[Any]] = {
    "finding": Finding,
    "observable": Observable,
    "timeline": TimelineEvent,
    "section": Section,
}
_DATETIMES = {"timestamp", "first_seen", "last_seen"}
_TUPLES = {"attack", "cve"}


def encode(output: AnalyzerOutput) -> dict[str, Any]:
    tag = next(name for name, cls in _TYPES.items() if isinstance(output, cls))
    record: dict[str, Any] = {"type": tag}
    for item in fields(output):
        value = getattr(output, item.name)
        if isinstance(value, datetime):
            value = value.isoformat()
        elif isinstance(value, EvidenceRef):
            value = {"path": value.path, "record_id": value.record_id, "line": value.line}
        elif isinstance(value, tuple):
            value = list(value)
        elif isinstance(value, (Severity, Stage)):
            value = value.value
        record[item.name] = value
    return record


def decode(record: dict[str, Any]) -> AnalyzerOutput:
    cls = _TYPES[record["type"]]
    values: dict[str, Any] = {}
    for item in fields(cls):
        if item.name not in record:
            continue
        value = record[item.name]
        if value is not None:
            if item.name in _DATETIMES:
                value = datetime.fromisoformat(value)
            elif item.name == "evidence":
                value = EvidenceRef(**value)
            elif item.name in _TUPLES:
                value = tuple(value)
            elif item.name == "severity":
                value = Severity(value)
            elif item.name == "stage":
                value = Stage(value)
        values[item.name] = value
    output: AnalyzerOutput = cls(**values)
    return output


class Checkpoint:
    """Families done for one (analyzer, version, image) and their spooled outputs."""

    def __init__(self, folder: Path, *, analyzer: str, version: str, image_sha256: str) -> None:
        self.folder = folder
        self.stem = f"{analyzer}-v{version}-{image_sha256}"
        self.path = folder / f"{self.stem}.json"
        self.done: list[str] = []
        if self.path.is_file():
            try:
                state = json.loads(self.path.read_text(encoding="utf-8"))
                done = state.get("families_done", [])
                self.done = [str(d) for d in done if self._spool(str(d)).is_file()]
            except (OSError, ValueError, AttributeError):
                self.done = []

    def _spool(self, family: str) -> Path:
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in family)
        return self.folder / f"{self.stem}.{safe}.jsonl"

    def is_done(self, family: str) -> bool:
        return family in self.done

    def replay(self, family: str) -> Iterator[AnalyzerOutput]:
        with self._spool(family).open(encoding="utf-8") as handle:
            for line in handle:
                if line.strip():
                    yield decode(json.loads(line))

    def recorder(self, family: str) -> SpoolWriter:
        self.folder.mkdir(parents=True, exist_ok=True)
        return SpoolWriter(self, family, self._spool(family))

    def mark_done(self, family: str) -> None:
        if family not in self.done:
            self.done.append(family)
        state = {"families_done": self.done, "stem": self.stem}
        partial = self.path.with_suffix(".json.part")
        partial.write_text(json.dumps(state, indent=1), encoding="utf-8")
        partial.replace(self.path)


class SpoolWriter:
    """Writes one family's outputs; the family counts as done only after ``commit``."""

    def __init__(self, owner: Checkpoint, family: str, path: Path) -> None:
        self.owner = owner
        self.family = family
        self.path = path
        self.partial = path.with_suffix(".part")
        self._handle: IO[str] | None = self.partial.open("w", encoding="utf-8")

    def write(self, output: AnalyzerOutput) -> None:
        if self._handle is not None:
            self._handle.write(json.dumps(encode(output), default=str, ensure_ascii=False) + "\n")

    def commit(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None
            self.partial.replace(self.path)
            self.owner.mark_done(self.family)

    def abandon(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None
            self.partial.unlink(missing_ok=True)
