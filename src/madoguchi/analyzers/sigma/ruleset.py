"""A set of compiled rules with the index that keeps matching fast.

Each detection rule is filed under the (channel, EventID) pairs it can match; an event
is only tested against the rules filed under its own pair, its channel with any EventID,
its EventID on any channel, and any event at all. The rules of one pair form a
:class:`_Bucket`, built on first use: besides the rules, it holds an Aho-Corasick
automaton over the literals the rules require (see
:func:`~madoguchi.analyzers.sigma.conditions.anchor_groups`). One pass of the automaton
over the lower-cased values of the fields those rules name (all values when one of them
searches keywords) tells which rules can possibly match; only those run their
predicates. Rules without such literals (a regular expression only, a NOT only)
always run; their regular expressions are still only searched on values holding a
literal every match needs, however short (``values._regex_test``). Candidate lists
are kept per set of hits, as floods of like events (failed logons) hit the same
literals again and again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import ahocorasick

from madoguchi.analyzers.sigma.correlations import CompiledCorrelation
from madoguchi.analyzers.sigma.events import EventView, FieldPicker
from madoguchi.analyzers.sigma.rules import CompiledRule, RuleMatch

Key = tuple[str | None, int | None]


@dataclass(frozen=True, slots=True)
class IndexedRule:
    """A detection rule with where it can match and what text it needs."""

    rule: CompiledRule
    keys: tuple[Key, ...]
    groups: tuple[frozenset[str], ...]  # most selective first; empty: always test
    # the (name, lower-case name) of the fields holding those literals; None: any value
    fields: tuple[tuple[str, str], ...] | None = None


class _Bucket:
    """The rules that can match one (channel, EventID) pair, with their pre-filter."""

    __slots__ = ("always", "automaton", "chosen", "picker", "primary", "rules", "secondary")

    def __init__(self, members: Sequence[IndexedRule]) -> None:
        self.rules = [m.rule for m in members]
        self.always: list[int] = []
        self.primary: dict[int, list[int]] = {}
        self.secondary: dict[int, tuple[frozenset[int], ...]] = {}
        ids: dict[str, int] = {}
        fields: dict[tuple[str, str], None] | None = {}
        for position, member in enumerate(members):
            if not member.groups:
                self.always.append(position)
                continue
            if member.fields is None or fields is None:
                fields = None
            else:
                fields.update(dict.fromkeys(member.fields))
            groups = [frozenset(ids.setdefault(a, len(ids)) for a in g) for g in member.groups]
            for anchor_id in groups[0]:
                self.primary.setdefault(anchor_id, []).append(position)
            if len(groups) > 1:
                self.secondary[position] = tuple(groups[1:])
        # None: a rule searches keywords, so the pre-filter reads every value
        self.picker = FieldPicker(tuple(fields)) if fields is not None else None
        self.automaton: Any = None
        self.chosen: dict[frozenset[int], list[int]] = {}
        if ids:
            automaton = ahocorasick.Automaton()
            for anchor, anchor_id in ids.items():
                automaton.add_word(anchor, anchor_id)
            automaton.make_automaton()
            self.automaton = automaton

    def candidates(self, view: EventView) -> list[int]:
        if self.automaton is None:
            return self.always
        picker = self.picker
        text = view.joined_lowered() if picker is None else picker.lowered(view)
        hits = frozenset([anchor_id for _, anchor_id in self.automaton.iter(text)])
        if not hits:
            return self.always
        chosen = self.chosen.get(hits)
        if chosen is None:
            if len(self.chosen) >= _CHOSEN_KEPT:
                self.chosen.clear()
            chosen = self.chosen[hits] = self._choose(hits)
        return chosen

    def _choose(self, hits: frozenset[int]) -> list[int]:
        chosen = set(self.always)
        primary, secondary = self.primary, self.secondary
        for anchor_id in hits:
            for position in primary.get(anchor_id, ()):
                if position in chosen:
                    continue
                others = secondary.get(position)
                if others is None or all(not g.isdisjoint(hits) for g in others):
                    chosen.add(position)
        return sorted(chosen)


_EMPTY = _Bucket(())
_CHOSEN_KEPT = 4096  # candidate lists kept per bucket


def event_key(event: Mapping[str, Any]) -> Key:
    """The (lower-case channel, EventID) of a flattened event; ``None`` where absent."""
    channel = event.get("Channel")
    eid = event.get("EventID")
    if isinstance(eid, str):
        eid = int(eid) if eid.strip().isdigit() else None
    elif isinstance(eid, bool) or not isinstance(eid, int):
        eid = None
    return (channel.lower() if isinstance(channel, str) and channel else None, eid)


@dataclass
class RuleSet:
    """Compiled detection rules (``rules``) and correlation rules (``correlations``)."""

    indexed: list[IndexedRule] = field(default_factory=list)
    correlations: list[CompiledCorrelation] = field(default_factory=list)
    _buckets: dict[Key, _Bucket] = field(default_factory=dict, repr=False)
    # The same buckets keyed by the event's own (Channel, EventID) values, unlowered.
    _by_raw: dict[tuple[Any, Any], _Bucket] = field(default_factory=dict, repr=False)
    # Rule positions by the (channel, EventID) keys the rules are filed under.
    _by_key: dict[Key, list[int]] | None = field(default=None, repr=False)

    @property
    def rules(self) -> list[CompiledRule]:
        return [m.rule for m in self.indexed]

    def add(self, members: Iterable[IndexedRule]) -> None:
        self.indexed.extend(members)
        self._buckets.clear()
        self._by_raw.clear()
        self._by_key = None

    def get(self, rule_id: str) -> CompiledRule | None:
        for m in self.indexed:
            if m.rule.id == rule_id:
                return m.rule
        for c in self.correlations:
            if c.rule.id == rule_id:
                return c.rule
        return None

    def candidates_for(self, event: Mapping[str, Any]) -> list[CompiledRule]:
        """The rules an event is tested against after the (channel, EventID) index."""
        return list(self._bucket(event_key(event)).rules)

    def match(self, event: Mapping[str, Any]) -> list[RuleMatch]:
        """Every detection rule that matches ``event``, in load order."""
        channel, eid = event.get("Channel"), event.get("EventID")
        if (channel is None or channel.__class__ is str) and (
            eid is None or eid.__class__ is int or eid.__class__ is str
        ):
            raw = (channel, eid)
            bucket = self._by_raw.get(raw)
            if bucket is None:
                bucket = self._by_raw[raw] = self._bucket(event_key(event))
        else:  # odd types (a float EventID …): key them the careful way
            bucket = self._bucket(event_key(event))
        if not bucket.rules:
            return []
        view = EventView(event)
        rules = bucket.rules
        out: list[RuleMatch] = []
        for position in bucket.candidates(view):
            rule = rules[position]
            if rule.predicate is not None and rule.predicate(view):
                out.append(RuleMatch(rule, rule.shown_fields(view) if rule.output else {}))
        return out

    def _bucket(self, key: Key) -> _Bucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            members = [self.indexed[i] for i in self._positions(key)]
            bucket = _Bucket(members) if members else _EMPTY
            self._buckets[key] = bucket
        return bucket

    def _positions(self, key: Key) -> list[int]:
        """Load-order positions of the rules filed under ``key`` (see :func:`_covers`)."""
        channel, eid = key
        if channel is None or eid is None:  # the event leaves one open: test every rule
            return [i for i, m in enumerate(self.indexed) if _covers(m.keys, key)]
        by_key = self._by_key
        if by_key is None:
            by_key = self._by_key = {}
            for i, m in enumerate(self.indexed):
                for rule_key in dict.fromkeys(m.keys):
                    by_key.setdefault(rule_key, []).append(i)
        found: set[int] = set()
        for rule_key in ((channel, eid), (channel, None), (None, eid), (None, None)):
            found.update(by_key.get(rule_key, ()))
        return sorted(found)


def _covers(keys: tuple[Key, ...], key: Key) -> bool:
    channel, eid = key
    for rule_channel, rule_eid in keys:
        if (rule_channel is None or channel is None or rule_channel == channel) and (
            rule_eid is None or eid is None or rule_eid == eid
        ):
            return True
    return False
