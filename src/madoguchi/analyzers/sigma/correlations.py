"""Sigma correlation rules over a stream of rule matches.

Supported types (Sigma specification, "Sigma Correlation Rules"):

- ``event_count``: how many matches of the referenced rules fall in ``timespan``;
- ``value_count``: how many distinct values of ``condition.field`` they carry;
- ``temporal``: how many of the referenced rules matched within ``timespan`` (by
  default all of them; a string condition such as ``a and (b or c)`` is also read);
- ``temporal_ordered``: the referenced rules matched in the order listed.

All of them group by the ``group-by`` fields (through ``aliases`` where the rules name
the same thing differently). A condition that can only become true as matches arrive
(``gt``/``gte``) is checked on a sliding window and fires as soon as it holds, then
starts over; a condition with an upper bound (``lt``/``lte``/``eq``, or a range such as
``{gte: 3, lte: 10}``) is checked when a window of ``timespan`` from its first match
closes, which :meth:`Correlator.flush` does for the windows still open at the end.

Matches are expected in roughly ascending time per group (as events in a log are).
Each window counts its matches, distinct values and distinct rules as they arrive and
leave, so checking a condition does not grow with the window: a brute-force run of
tens of thousands of failed logons costs the same per match as a short one.
"""

from __future__ import annotations

import math
import operator
from collections import Counter, deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any

from madoguchi.analyzers.sigma.events import MISSING, EventView
from madoguchi.analyzers.sigma.rules import CompiledRule, RuleMatch

if TYPE_CHECKING:
    from madoguchi.analyzers.sigma.ruleset import RuleSet

MAX_EVENTS = 100  # contributing (rule id, time) pairs kept per correlation match
MAX_VALUES = 20  # distinct values shown per value_count match
UPPER_BOUND_OPS = frozenset({"lt", "lte", "eq", "neq"})
TYPES = ("event_count", "value_count", "temporal", "temporal_ordered")


@dataclass(frozen=True, slots=True)
class Expression:
    """A temporal correlation's boolean condition over rule references."""

    op: str  # "and", "or", "not", "ref"
    args: tuple[Expression, ...] = ()
    ref: str = ""

    def holds(self, present: frozenset[str]) -> bool:
        if self.op == "ref":
            return self.ref in present
        if self.op == "not":
            return not self.args[0].holds(present)
        if self.op == "and":
            return all(a.holds(present) for a in self.args)
        return any(a.holds(present) for a in self.args)


@dataclass(eq=False)
class CompiledCorrelation:
    rule: CompiledRule
    type: str
    references: tuple[str, ...]  # as the rule writes them (ids or names)
    timespan: float  # seconds
    group_by: tuple[str, ...] = ()
    aliases: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # alias -> ref -> field
    ops: Mapping[str, float] = field(default_factory=dict)
    value_field: str | None = None
    expression: Expression | None = None
    generate: bool = False
    rule_ids: tuple[str, ...] = ()  # references resolved to rule ids, same order
    ref_of: Mapping[str, str] = field(default_factory=dict)  # rule id -> reference

    @cached_property
    def sliding(self) -> bool:
        """Only lower bounds (``gt``/``gte``): decided as matches arrive, on a sliding window."""
        return not (set(self.ops) & UPPER_BOUND_OPS)

    @cached_property
    def _checks(self) -> tuple[tuple[Callable[[float, float], bool], float], ...]:
        return tuple((_COMPARE[op], bound) for op, bound in self.ops.items() if op in _COMPARE)

    @cached_property
    def least(self) -> int | None:
        """For a sliding correlation, the smallest whole count that meets every bound
        (``gt 9`` and ``gte 10`` both give 10); ``None`` where that does not apply.

        Counts are whole numbers, so ``count >= least`` is :meth:`holds` in one comparison:
        a sliding window is checked on every match, and floods have tens of thousands.
        """
        if not self.sliding:
            return None
        least = 0
        for compare, bound in self._checks:
            if not math.isfinite(bound):
                return None
            if compare is operator.gt:
                least = max(least, math.floor(bound) + 1)
            elif compare is operator.ge:
                least = max(least, math.ceil(bound))
            else:
                return None
        return least

    def holds(self, measure: float) -> bool:
        for compare, bound in self._checks:  # noqa: SIM110 - faster than all() here
            if not compare(measure, bound):
                return False
        return True


_COMPARE: Mapping[str, Callable[[float, float], bool]] = {
    "gt": operator.gt,
    "gte": operator.ge,
    "lt": operator.lt,
    "lte": operator.le,
    "eq": operator.eq,
    "neq": operator.ne,
}


@dataclass(frozen=True, slots=True)
class CorrelationMatch:
    rule: CompiledRule
    first: datetime
    last: datetime
    group: dict[str, Any]
    count: int  # matches in the window
    value_count: int | None = None  # distinct values (value_count)
    values: tuple[str, ...] = ()  # some of those values
    rules: tuple[str, ...] = ()  # distinct rule ids seen in the window, first seen first
    events: list[tuple[str, datetime]] = field(default_factory=list)


@dataclass(slots=True)
class _Entry:
    when: datetime
    rule_id: str
    value: str | None


@dataclass
class _Window:
    """The matches of one correlation and group still inside its timespan.

    Besides the entries it keeps what the condition measures, updated as entries come
    and go, so that checking the condition costs the same for a window of three
    matches as for one of thirty thousand: ``values`` counts each distinct value
    (``value_count``), ``rules`` each distinct rule id (``temporal``,
    ``temporal_ordered``).
    """

    corr: CompiledCorrelation
    group: dict[str, Any]
    span: timedelta
    entries: deque[_Entry] = field(default_factory=deque)
    newest: datetime | None = None
    values: Counter[str | None] = field(default_factory=Counter)
    rules: Counter[str] = field(default_factory=Counter)
    by_value: bool = field(init=False)
    by_rule: bool = field(init=False)

    def __post_init__(self) -> None:
        self.by_value = self.corr.type == "value_count"
        self.by_rule = self.corr.type in ("temporal", "temporal_ordered")

    def append(self, entry: _Entry) -> None:
        self.entries.append(entry)
        if self.by_value:
            self.values[entry.value] += 1
        if self.by_rule:
            self.rules[entry.rule_id] += 1

    def evict_old(self) -> None:
        """Drop entries from the oldest end while they lie more than ``span`` before newest."""
        entries, newest, span = self.entries, self.newest, self.span
        if newest is None:
            return
        by_value, by_rule = self.by_value, self.by_rule
        while entries and newest - entries[0].when > span:
            gone = entries.popleft()
            if by_value:
                _decrement(self.values, gone.value)
            if by_rule:
                _decrement(self.rules, gone.rule_id)

    def clear(self) -> None:
        self.entries.clear()
        self.values.clear()
        self.rules.clear()


def _decrement(counter: Counter[Any], key: Any) -> None:
    left = counter[key] - 1
    if left > 0:
        counter[key] = left
    else:
        del counter[key]


def _lookup(event: Mapping[str, Any], name: str) -> Any:
    if name in event:
        return event[name]
    value = EventView(event).raw(name, name.lower())
    return None if value is MISSING else value


_UNHASHABLE = (list, dict, set)


def _hashable(value: Any) -> Any:
    if isinstance(value, _UNHASHABLE):
        return repr(value)
    return value


class Correlator:
    """Streams rule matches through the correlation rules of a rule set."""

    def __init__(self, ruleset: RuleSet, *, max_events: int = MAX_EVENTS) -> None:
        self.correlations: list[CompiledCorrelation] = list(ruleset.correlations)
        self.max_events = max_events
        self._by_rule: dict[str, list[CompiledCorrelation]] = {}
        for corr in self.correlations:
            for rule_id in dict.fromkeys(corr.rule_ids):
                self._by_rule.setdefault(rule_id, []).append(corr)
        self._windows: dict[tuple[int, tuple[Any, ...]], _Window] = {}
        names: dict[str, None] = {}
        for corr in self.correlations:
            names.update(dict.fromkeys(corr.group_by))
            for mapping in corr.aliases.values():
                names.update(dict.fromkeys(mapping.values()))
            if corr.value_field:
                names[corr.value_field] = None
        self.fields: tuple[str, ...] = tuple(names)
        """Every event field a correlation reads (``group-by``, alias targets, value field)."""
        self._names = tuple((name, name.lower()) for name in self.fields)

    def observe(
        self, match: RuleMatch, event: Mapping[str, Any], timestamp: datetime
    ) -> list[CorrelationMatch]:
        """Feed one rule match; returns the correlation matches it completes."""
        return self._feed(match.rule.id, event, timestamp)

    def observe_rule(
        self, rule_id: str, event: Mapping[str, Any], timestamp: datetime
    ) -> list[CorrelationMatch]:
        """:meth:`observe` for a match known by its rule id (recorded elsewhere, see below)."""
        return self._feed(rule_id, event, timestamp)

    def wants(self, rule_id: str) -> bool:
        """Whether a correlation refers to this detection rule."""
        return rule_id in self._by_rule

    def project(self, event: Mapping[str, Any]) -> dict[str, Any]:
        """The part of ``event`` the correlations read, under the names they use.

        Feeding the projection to :meth:`observe_rule` gives the same result as feeding
        the whole event, so a match can be recorded in one process (a worker reading
        part of a file) and correlated in another, in order.
        """
        out: dict[str, Any] = {}
        view: EventView | None = None  # one for all the names the event lacks as written
        for name, lname in self._names:
            if name in event:
                out[name] = event[name]
                continue
            if view is None:
                view = EventView(event)
            value = view.raw(name, lname)
            out[name] = None if value is MISSING else value
        return out

    def flush(self) -> list[CorrelationMatch]:
        """Close every open window (end of input) and return what they satisfy."""
        out: list[CorrelationMatch] = []
        while self._windows:  # closing a window may feed a correlation of correlations
            _, window = self._windows.popitem()
            if window.corr.sliding or not window.entries:
                continue
            done = self._close(window.corr, window)
            if done is not None:
                out.append(done)
                out.extend(self._feed(window.corr.rule.id, done.group, done.last))
        return out

    # ------------------------------------------------------------------ internals

    def _feed(
        self, rule_id: str, event: Mapping[str, Any], when: datetime
    ) -> list[CorrelationMatch]:
        out: list[CorrelationMatch] = []
        for corr in self._by_rule.get(rule_id, ()):
            done = self._add(corr, rule_id, event, when)
            for match in done:
                out.append(match)
                out.extend(self._feed(corr.rule.id, match.group, match.last))
        return out

    def _group(
        self, corr: CompiledCorrelation, rule_id: str, event: Mapping[str, Any]
    ) -> tuple[Any, ...]:
        """The event's values of the correlation's ``group-by`` fields, in their order."""
        names = corr.group_by
        if not names:
            return ()
        aliases = corr.aliases
        values: list[Any] = []
        for name in names:
            mapping = aliases.get(name) if aliases else None
            if mapping is None:
                values.append(event[name] if name in event else _lookup(event, name))
                continue
            ref = corr.ref_of.get(rule_id, rule_id)
            field_name = mapping.get(ref, mapping.get(rule_id, name))
            value = _lookup(event, field_name)
            if value is None and field_name != name:
                value = _lookup(event, name)  # a chained correlation passes the group itself
            values.append(value)
        return tuple(values)

    def _add(
        self, corr: CompiledCorrelation, rule_id: str, event: Mapping[str, Any], when: datetime
    ) -> Sequence[CorrelationMatch]:
        value: str | None = None
        if corr.type == "value_count":
            raw = _lookup(event, corr.value_field or "")
            if raw is None:
                return ()  # nothing to count
            value = raw if raw.__class__ is str else str(raw)
        values = self._group(corr, rule_id, event)
        hashable = values
        for v in values:
            if isinstance(v, _UNHASHABLE):
                hashable = tuple(_hashable(x) for x in values)
                break
        key = (id(corr), hashable)
        window = self._windows.get(key)
        if window is None:
            group = dict(zip(corr.group_by, values, strict=True))
            window = self._windows[key] = _Window(corr, group, timedelta(seconds=corr.timespan))
        if corr.sliding:
            # Most matches of a flood (failed logons) come here and report nothing: the
            # window's own steps are written out, and no list is made for no result.
            window.append(_Entry(when, rule_id, value))
            newest = window.newest
            if newest is None or when > newest:
                window.newest = newest = when
            entries = window.entries
            if newest - entries[0].when > window.span:
                window.evict_old()
            if not self._satisfied(corr, window):
                return ()
            done = self._report(corr, window)
            window.clear()
            return (done,)
        out: list[CorrelationMatch] = []
        if window.entries and when - window.entries[0].when > window.span:
            done_window = self._close(corr, window)
            if done_window is not None:
                out.append(done_window)
            window.clear()
        window.append(_Entry(when, rule_id, value))
        return out

    def _close(self, corr: CompiledCorrelation, window: _Window) -> CorrelationMatch | None:
        return self._report(corr, window) if self._satisfied(corr, window) else None

    def _satisfied(self, corr: CompiledCorrelation, window: _Window) -> bool:
        """Whether the window meets the condition, from the counts kept up to date."""
        least = corr.least
        if corr.type == "event_count":
            count = len(window.entries)
            return count >= least if least is not None else corr.holds(count)
        if corr.type == "value_count":
            count = len(window.values)
            return count >= least if least is not None else corr.holds(count)
        present = window.rules
        if corr.type == "temporal":
            if corr.expression is not None:
                refs = frozenset(corr.ref_of.get(r, r) for r in present)
                return corr.expression.holds(refs)
            return corr.holds(len(present))
        # temporal_ordered: how far along the listed order the window's matches get.
        order = corr.rule_ids
        if corr.sliding and not corr.holds(sum(1 for r in order if r in present)):
            return False  # even in the best order the rules present cannot get that far
        step = 0
        for entry in sorted(window.entries, key=lambda e: e.when):
            if step < len(order) and entry.rule_id == order[step]:
                step += 1
        return corr.holds(step)

    def _report(self, corr: CompiledCorrelation, window: _Window) -> CorrelationMatch:
        entries = sorted(window.entries, key=lambda e: e.when)
        distinct = list(dict.fromkeys(e.value for e in entries if e.value is not None))
        return CorrelationMatch(
            rule=corr.rule,
            first=entries[0].when,
            last=entries[-1].when,
            group=dict(window.group),
            count=len(entries),
            value_count=len(distinct) if corr.type == "value_count" else None,
            values=tuple(distinct[:MAX_VALUES]),
            rules=tuple(dict.fromkeys(e.rule_id for e in entries)),
            events=[(e.rule_id, e.when) for e in entries[: self.max_events]],
        )
