"""``quick_frozen_init``: the records made per event build exactly as dataclasses built
them, only faster; classes it cannot build the same way are refused at import."""

from __future__ import annotations

import dataclasses
import inspect
from dataclasses import FrozenInstanceError, dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

from madoguchi.analysis.result import (
    EvidenceRecord,
    FindingRecord,
    IndicatorRecord,
    TimelineRecord,
)
from madoguchi.analyzers.sigma.rules import RuleMatch
from madoguchi.domain.findings import EvidenceRef, Finding, Observable, TimelineEvent
from madoguchi.domain.quick_init import quick_frozen_init

HOT = [
    EvidenceRef,
    Finding,
    Observable,
    TimelineEvent,
    EvidenceRecord,
    FindingRecord,
    TimelineRecord,
    IndicatorRecord,
    RuleMatch,
]


def _generated_twin(cls: type[Any]) -> type[Any]:
    """The same fields in a class whose ``__init__`` dataclasses wrote."""
    namespace: dict[str, Any] = {"__annotations__": {}}
    for f in dataclasses.fields(cls):
        namespace["__annotations__"][f.name] = Any
        if f.default is not dataclasses.MISSING:
            namespace[f.name] = f.default
        elif f.default_factory is not dataclasses.MISSING:
            namespace[f.name] = field(default_factory=f.default_factory)
    return dataclass(frozen=True, slots=True)(type(cls.__name__, (), namespace))


@pytest.mark.parametrize("cls", HOT, ids=lambda c: c.__name__)
def test_hot_records_take_the_parameters_dataclasses_gave_them(cls: type[Any]) -> None:
    assert cls.__init__.__globals__.get("_setattr") is object.__setattr__  # ours, not theirs
    ours = inspect.signature(cls.__init__).parameters
    theirs = inspect.signature(_generated_twin(cls).__init__).parameters
    assert list(ours) == list(theirs)
    for name, param in ours.items():
        if name == "self":
            continue
        twin = theirs[name]
        assert param.kind == twin.kind
        assert (param.default is inspect.Parameter.empty) == (
            twin.default is inspect.Parameter.empty
        ), name


@pytest.mark.parametrize("cls", HOT, ids=lambda c: c.__name__)
def test_hot_records_are_still_frozen(cls: type[Any]) -> None:
    required = [
        f
        for f in dataclasses.fields(cls)
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    ]
    made = cls(*[f"v{n}" for n in range(len(required))])
    with pytest.raises(FrozenInstanceError):
        setattr(made, dataclasses.fields(cls)[0].name, "changed")


def test_fields_defaults_and_factories_come_out_as_before() -> None:
    when = datetime(2024, 5, 1, 9, 30, tzinfo=UTC)
    ref = EvidenceRef("logs/Security.evtx", record_id=7)
    ours = TimelineEvent(when, "windows:evtx:security", "Logon", evidence=ref)
    twin = _generated_twin(TimelineEvent)(when, "windows:evtx:security", "Logon", evidence=ref)
    assert dataclasses.astuple(ours) == dataclasses.astuple(twin)
    assert ours.timestamp_desc == "Event Recorded" and ours.host is None
    other = TimelineEvent(when, "windows:evtx:security", "Logon", evidence=ref)
    assert ours == other and hash(ours.evidence) == hash(other.evidence)
    # A default made by a factory is a new object each time, never one shared dict.
    assert ours.attributes == {} and ours.attributes is not other.attributes
    given = {"event_id": 4624}
    assert TimelineEvent(when, "s", "m", attributes=given).attributes is given
    keywords = TimelineRecord(message="m", source="s", timestamp="2024-05-01T09:30:00Z")
    assert keywords == TimelineRecord("2024-05-01T09:30:00Z", "s", "m")


def test_wrong_arguments_fail_as_with_dataclasses() -> None:
    with pytest.raises(TypeError):
        EvidenceRecord()  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        EvidenceRecord("p", rec=1)  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        EvidenceRecord("p", 1, 2, 3)  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        EvidenceRecord("p", path="q")  # type: ignore[misc]


def test_classes_it_would_build_differently_are_refused() -> None:
    @dataclass(slots=True)
    class Mutable:
        a: int

    @dataclass(frozen=True)
    class Checked:
        a: int

        def __post_init__(self) -> None:
            raise ValueError

    @dataclass(frozen=True, kw_only=True)
    class KeywordOnly:
        a: int

    @dataclass(frozen=True)
    class Private:
        _a: int

    for cls in (Mutable, Checked, KeywordOnly, Private, int):
        with pytest.raises(TypeError):
            quick_frozen_init(cls)
