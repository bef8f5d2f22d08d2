"""A compiled Sigma rule (its metadata and its predicate) and one match of it."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from madoguchi.analyzers.sigma.events import EventView
from madoguchi.analyzers.sigma.values import FieldSpec
from madoguchi.domain.quick_init import quick_frozen_init

_TECHNIQUE = re.compile(r"^t\d{4}(?:\.\d{3})?$", re.IGNORECASE)


def attack_ids(tags: tuple[str, ...]) -> tuple[str, ...]:
    """ATT&CK technique ids from ``attack.t1059.001``-style tags, upper-cased, in order."""
    out: list[str] = []
    for tag in tags:
        namespace, _, name = tag.partition(".")
        if namespace.lower() == "attack" and _TECHNIQUE.match(name) and name.upper() not in out:
            out.append(name.upper())
    return tuple(out)


def fallback_id(rel_path: str, title: str) -> str:
    """A stable id for a rule without one: a hash of its file's relative path and its title."""
    digest = hashlib.sha256(f"{rel_path}\0{title}".encode()).hexdigest()
    return f"sigma-{digest[:16]}"


@dataclass(eq=False, slots=True)
class CompiledRule:
    """A rule ready to match, with the metadata a finding shows.

    ``kind`` is ``"detection"`` or ``"correlation"``. ``output`` is ``False`` for a
    detection rule that a correlation rule refers to without ``generate: true``: its
    matches feed the :class:`~madoguchi.analyzers.sigma.correlations.Correlator` but
    should not be reported on their own.
    """

    id: str
    title: str
    level: str
    description: str
    attack: tuple[str, ...]
    tags: tuple[str, ...]
    references: tuple[str, ...]
    path: str
    status: str
    falsepositives: tuple[str, ...]
    custom: Mapping[str, Any]
    name: str | None = None
    kind: str = "detection"
    output: bool = True
    logsource: Mapping[str, str] = field(default_factory=dict)
    fields: tuple[FieldSpec, ...] = field(default=(), repr=False)
    predicate: Callable[[EventView], bool] | None = field(default=None, repr=False)

    def matches(self, event: Mapping[str, Any]) -> bool:
        """Test this one rule on an event, without the index (for tests and tools)."""
        return self.predicate is not None and self.predicate(EventView(event))

    def shown_fields(self, view: EventView) -> dict[str, Any]:
        """The event fields this rule reads, under the event's own names, for display."""
        shown: dict[str, Any] = {}
        for spec in self.fields:
            for name, lname in spec.names:
                key = view.key(name, lname)
                if key is not None:
                    shown[key] = view.event[key]
                    break
        return shown


@quick_frozen_init
@dataclass(frozen=True, slots=True)
class RuleMatch:
    """A rule that matched an event, with the event fields it read (for display).

    ``fields`` is empty for a rule with ``output`` off: only its correlation sees the
    match, by rule id and group-by values, and a flood of failed logons would otherwise
    copy the fields of every one of them for nothing.
    """

    rule: CompiledRule
    fields: dict[str, Any]
