"""Outputs a worker process hands back to the main one, packed as plain tuples.

A worker reading part of a large ``.evtx`` file (see :mod:`.partitions`) returns its
outputs pickled in batches. Pickling the frozen, slotted output dataclasses themselves
is slow to load: each object is rebuilt through ``dataclasses``' generic
``__setstate__``, which looks up the fields anew for every object, and the main process
does that for every output of every worker. Packing each output as
``(type number, field values…)``, with its :class:`EvidenceRef` as a plain tuple too,
makes loading one constructor call per object. The round trip gives equal objects.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterable, Iterator
from dataclasses import fields
from operator import attrgetter
from pathlib import Path
from typing import Any

from madoguchi.domain.findings import (
    AnalyzerOutput,
    EvidenceRef,
    Finding,
    Observable,
    Section,
    TimelineEvent,
)

_TYPES: tuple[type[Any], ...] = (Finding, Observable, TimelineEvent, Section)
_NUMBERS = {cls: number for number, cls in enumerate(_TYPES)}
_GETTERS = [attrgetter(*(f.name for f in fields(cls))) for cls in _TYPES]
# Where each type keeps its evidence reference among its fields (-1: none).
_EVIDENCE_AT = [
    next((i for i, f in enumerate(fields(cls)) if f.name == "evidence"), -1) for cls in _TYPES
]
_EVIDENCE = attrgetter("path", "record_id", "line")


def pack(outputs: Iterable[AnalyzerOutput]) -> bytes:
    """Pickled ``outputs``, each as a tuple of its type number and field values."""
    packed: list[tuple[Any, ...]] = []
    for output in outputs:
        number = _NUMBERS[output.__class__]
        values = _GETTERS[number](output)
        at = _EVIDENCE_AT[number]
        if at >= 0 and values[at] is not None:
            values = (*values[:at], _EVIDENCE(values[at]), *values[at + 1 :])
        packed.append((number, *values))
    return pickle.dumps(packed, protocol=pickle.HIGHEST_PROTOCOL)


def unpack(data: bytes) -> list[AnalyzerOutput]:
    """The outputs :func:`pack` was given, in order."""
    rows: list[tuple[Any, ...]] = pickle.loads(data)  # noqa: S301 - our own worker's
    out: list[AnalyzerOutput] = []
    for row in rows:
        number = row[0]
        at = _EVIDENCE_AT[number]
        if at >= 0 and row[at + 1] is not None:
            evidence = EvidenceRef(*row[at + 1])
            out.append(_TYPES[number](*row[1 : at + 1], evidence, *row[at + 2 :]))
        else:
            out.append(_TYPES[number](*row[1:]))
    return out


class Spill:
    """Packed batches written one after another to a file, read back in order.

    A worker writes its batches here instead of sending them through the pool's pipe,
    so the main process never holds a whole part's outputs at once: it reads one batch,
    yields its outputs, and drops it. Each batch is its length (8 bytes, little-endian)
    then the bytes.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.batches = 0

    def write(self, outputs: Iterable[AnalyzerOutput]) -> None:
        data = pack(outputs)
        with self.path.open("ab") as out:
            out.write(len(data).to_bytes(8, "little"))
            out.write(data)
        self.batches += 1

    def read(self) -> Iterator[AnalyzerOutput]:
        """Every output written, in order; the file is removed once read."""
        if not self.batches:
            return
        with self.path.open("rb") as source:
            for _ in range(self.batches):
                size = int.from_bytes(source.read(8), "little")
                yield from unpack(source.read(size))
        self.path.unlink(missing_ok=True)

    def take(self) -> bytes:
        """The batches as written (for :class:`Batches`); the file is removed."""
        if not self.batches:
            return b""
        data = self.path.read_bytes()
        self.path.unlink(missing_ok=True)
        return data


class Batches:
    """Batches in the :class:`Spill` layout held in memory (a part stored elsewhere)."""

    def __init__(self, data: bytes, batches: int) -> None:
        self.data = data
        self.batches = batches

    def read(self) -> Iterator[AnalyzerOutput]:
        """Every output, in order."""
        view = memoryview(self.data)
        offset = 0
        for _ in range(self.batches):
            size = int.from_bytes(view[offset : offset + 8], "little")
            offset += 8
            yield from unpack(bytes(view[offset : offset + size]))
            offset += size
