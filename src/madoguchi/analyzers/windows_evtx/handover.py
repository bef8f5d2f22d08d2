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

import io
import pickle
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import fields
from operator import attrgetter
from pathlib import Path
from typing import IO, Any, NamedTuple

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


class Batch(NamedTuple):
    """One batch of a worker's part, as the main process takes it over."""

    outputs: list[AnalyzerOutput]
    covered: int  # events of the part whose outputs are all in this batch or an earlier one
    feed: list[Any]  # the correlation inputs those events gave, in order


class Spill:
    """Packed batches written one after another to a file, read back in order.

    A worker writes its batches here instead of sending them through the pool's pipe,
    so the main process never holds a whole part's outputs at once and can take them
    over while the worker still reads (:func:`follow`). Each batch is a 24-byte header —
    the length of its packed outputs, its covered count (see :class:`Batch`), the length
    of its pickled correlation inputs, 8 bytes each, little-endian — then those bytes. A
    worker cuts batches only between events, so the covered count tells the main
    process how far it has got should the worker die.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.batches = 0

    def write(
        self, outputs: Iterable[AnalyzerOutput], covered: int = 0, feed: Iterable[Any] = ()
    ) -> None:
        data = pack(outputs)
        inputs = pickle.dumps(list(feed), protocol=pickle.HIGHEST_PROTOCOL)
        header = b"".join(n.to_bytes(8, "little") for n in (len(data), covered, len(inputs)))
        with self.path.open("ab") as out:
            out.write(header + data + inputs)
        self.batches += 1

    def read(self) -> Iterator[Batch]:
        """Every batch written, in order, one in memory at a time; the file is removed
        once read."""
        if not self.batches:
            return
        with self.path.open("rb") as source:
            yield from _read_all(source, self.batches)
        self.path.unlink(missing_ok=True)

    def take(self) -> bytes:
        """The batches as written (for :class:`Batches`); the file is removed."""
        if not self.batches:
            return b""
        data = self.path.read_bytes()
        self.path.unlink(missing_ok=True)
        return data


_HEADER = 24


def _read_all(source: IO[bytes], count: int) -> Iterator[Batch]:
    for _ in range(count):
        batch = _next_batch(source)
        if batch is None:
            raise ValueError(f"a worker's outputs end inside a batch (offset {source.tell()})")
        yield batch


def follow(path: Path, finished: Callable[[], bool], *, poll: float = 0.01) -> Iterator[Batch]:
    """The batches of a spill file while its worker is still writing it.

    Yields every whole batch, in order, waiting for the next one until ``finished()`` is
    true (the worker has returned or died) and no whole batch is left; a batch cut short
    by a dying worker is never yielded. The main process takes over a worker's outputs
    and correlation inputs this way while the worker still reads, instead of after it.
    Removes the file at the end.
    """
    offset = 0
    try:
        while True:
            done = finished()  # read before looking: a batch written before it counts
            parsed = _read_batch(path, offset)
            if parsed is not None:
                batch, offset = parsed
                yield batch
                continue
            if done:
                return
            time.sleep(poll)
    finally:
        path.unlink(missing_ok=True)


def _read_batch(path: Path, offset: int) -> tuple[Batch, int] | None:
    """The whole batch at ``offset`` of a spill file and the offset after it, if any."""
    try:
        with path.open("rb") as source:
            source.seek(offset)
            batch = _next_batch(source)
            return None if batch is None else (batch, source.tell())
    except FileNotFoundError:  # the worker has not written its first batch yet
        return None


def _next_batch(source: IO[bytes]) -> Batch | None:
    """The batch at the file's position, or ``None`` when it is not whole (yet)."""
    header = source.read(_HEADER)
    if len(header) < _HEADER:
        return None
    size, covered, feed_size = (int.from_bytes(header[i : i + 8], "little") for i in (0, 8, 16))
    data = source.read(size)
    inputs = source.read(feed_size)
    if len(data) < size or len(inputs) < feed_size:
        return None
    feed = pickle.loads(inputs)  # noqa: S301 - our own worker's
    return Batch(unpack(data), covered, feed)


class Batches:
    """Batches in the :class:`Spill` layout held in memory (a part stored elsewhere)."""

    def __init__(self, data: bytes, batches: int) -> None:
        self.data = data
        self.batches = batches

    def read(self) -> Iterator[Batch]:
        """Every batch, in order."""
        return _read_all(io.BytesIO(self.data), self.batches)
