"""Merge repeated correlation matches of one rule and group into one burst per file.

A sliding-window correlation (``gte`` 20 failed logons in 10 minutes) fires again every
time the condition holds anew, so a brute-force run of 3,000 attempts would become 150
findings. The desk wants one finding that says how long it lasted and how big it was.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from madoguchi.analyzers.sigma import CompiledRule, CorrelationMatch

MAX_VALUES = 20
MAX_EVENTS = 50


@dataclass
class Burst:
    rule: CompiledRule
    group: dict[str, Any]
    first: datetime
    last: datetime
    windows: int = 0
    count: int = 0
    value_count: int | None = None
    values: list[str] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)
    events: list[tuple[str, datetime]] = field(default_factory=list)


class Bursts:
    """Collects correlation matches; iterate to get one :class:`Burst` per rule and group."""

    def __init__(self) -> None:
        self._bursts: dict[tuple[str, str], Burst] = {}

    def add(self, match: CorrelationMatch) -> None:
        key = (match.rule.id, repr(sorted((str(k), str(v)) for k, v in match.group.items())))
        burst = self._bursts.get(key)
        if burst is None:
            burst = self._bursts[key] = Burst(
                match.rule, dict(match.group), match.first, match.last
            )
        burst.first = min(burst.first, match.first)
        burst.last = max(burst.last, match.last)
        burst.windows += 1
        burst.count += match.count
        if match.value_count is not None:
            burst.value_count = max(burst.value_count or 0, match.value_count)
            for value in match.values:
                if value not in burst.values and len(burst.values) < MAX_VALUES:
                    burst.values.append(value)
        for rule_id in match.rules:
            if rule_id not in burst.rules:
                burst.rules.append(rule_id)
        room = MAX_EVENTS - len(burst.events)
        if room > 0:
            burst.events.extend(match.events[:room])

    def __iter__(self) -> Iterator[Burst]:
        return iter(sorted(self._bursts.values(), key=lambda b: (b.first, b.rule.title)))
