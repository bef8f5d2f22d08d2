"""A rule's condition as a small tree, then as one closure.

pySigma parses ``detection`` and ``condition`` into a tree of AND/OR/NOT over
"field equals value" leaves. Here that tree becomes :class:`Node` objects: values
ORed on one field are merged into one leaf (one field fetch, one set lookup), AND
branches are ordered cheapest first, and each node can tell

- :func:`event_ids` / :func:`channels`: the EventID / Channel values the condition
  requires (for the (channel, EventID) index), and
- :func:`anchor_groups`: sets of literals of which the event text must contain at least
  one per set for the rule to be able to match (for the Aho-Corasick pre-filter).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from sigma.conditions import (
    ConditionAND,
    ConditionFieldEqualsValueExpression,
    ConditionItem,
    ConditionNOT,
    ConditionOR,
    ConditionValueExpression,
)

from madoguchi.analyzers.sigma.errors import SigmaRuleError
from madoguchi.analyzers.sigma.events import EventView
from madoguchi.analyzers.sigma.values import (
    FieldSpec,
    Matcher,
    NumberMatch,
    StringMatch,
    Test,
    any_of,
    field_test,
    matcher_anchors,
    matcher_cost,
    matchers_for,
)

MIN_ANCHOR = 3  # literals shorter than this hit too many events to filter anything


@dataclass
class Node:
    op: str  # "and", "or", "not", "leaf"
    children: list[Node] = field(default_factory=list)
    spec: FieldSpec | None = None  # leaf: the field (None for keywords)
    matchers: list[Matcher] = field(default_factory=list)

    @property
    def cost(self) -> int:
        if self.op == "leaf":
            return sum(matcher_cost(m) for m in self.matchers) + (8 if self.spec is None else 0)
        return sum(c.cost for c in self.children)


ConditionTree = (
    ConditionItem | ConditionFieldEqualsValueExpression | ConditionValueExpression | None
)


def build(
    tree: ConditionTree,
    *,
    placeholders: Mapping[str, Sequence[str]],
    fallbacks: Mapping[str, tuple[str, ...]],
) -> Node:
    """Turn pySigma's condition tree into :class:`Node` objects."""
    if isinstance(tree, ConditionFieldEqualsValueExpression):
        spec = FieldSpec.of(tree.field, fallbacks)
        ms = matchers_for(tree.value, keyword=False, placeholders=placeholders, fallbacks=fallbacks)
        return Node("leaf", spec=spec, matchers=ms)
    if isinstance(tree, ConditionValueExpression):
        ms = matchers_for(tree.value, keyword=True, placeholders=placeholders, fallbacks=fallbacks)
        return Node("leaf", spec=None, matchers=ms)
    if isinstance(tree, ConditionNOT):
        return Node("not", [build(tree.args[0], placeholders=placeholders, fallbacks=fallbacks)])
    if isinstance(tree, ConditionAND | ConditionOR):
        op = "and" if isinstance(tree, ConditionAND) else "or"
        children: list[Node] = []
        for arg in tree.args:
            child = build(arg, placeholders=placeholders, fallbacks=fallbacks)
            if child.op == op:  # flatten a and (b and c)
                children.extend(child.children)
            else:
                children.append(child)
        if op == "or":
            children = _merge_leaves(children)
        if len(children) == 1:
            return children[0]
        return Node(op, children)
    raise SigmaRuleError(f"unsupported condition element {type(tree).__name__}")


def _merge_leaves(children: list[Node]) -> list[Node]:
    """Leaves ORed on the same field become one leaf (one fetch, one set lookup)."""
    merged: list[Node] = []
    by_field: dict[tuple[tuple[str, str], ...] | None, Node] = {}
    for child in children:
        if child.op != "leaf":
            merged.append(child)
            continue
        key = child.spec.names if child.spec is not None else None
        existing = by_field.get(key)
        if existing is None:
            leaf = Node("leaf", spec=child.spec, matchers=list(child.matchers))
            by_field[key] = leaf
            merged.append(leaf)
        else:
            existing.matchers.extend(child.matchers)
    return merged


def compile_node(node: Node) -> Test:
    """One closure for the whole tree."""
    if node.op == "leaf":
        return field_test(node.spec, node.matchers)
    if node.op == "not":
        inner = compile_node(node.children[0])
        return lambda view: not inner(view)
    ordered = sorted(node.children, key=lambda n: n.cost)
    tests = [compile_node(c) for c in ordered]
    if node.op == "or":
        return any_of(tests)
    if len(tests) == 2:
        a, b = tests
        return lambda view: a(view) and b(view)
    items = tuple(tests)

    def all_of(view: EventView) -> bool:
        for t in items:  # noqa: SIM110 - faster than all() on the hot path
            if not t(view):
                return False
        return True

    return all_of


def _constraint(node: Node, lname: str, convert: type) -> frozenset[object] | None:
    if node.op == "leaf":
        if node.spec is None or node.spec.lname != lname or not node.matchers:
            return None
        values: set[object] = set()
        for m in node.matchers:
            if isinstance(m, NumberMatch) and convert is int and isinstance(m.number, int):
                values.add(m.number)
            elif isinstance(m, StringMatch) and m.mode == "eq":
                if convert is int:
                    if not m.text.strip().isdigit():
                        return None
                    values.add(int(m.text))
                else:
                    values.add(m.text.lower())
            else:
                return None
        return frozenset(values)
    if node.op == "and":
        result: frozenset[object] | None = None
        for c in node.children:
            sub = _constraint(c, lname, convert)
            if sub is not None:
                result = sub if result is None else result & sub
        return result
    if node.op == "or":
        union: set[object] = set()
        for c in node.children:
            sub = _constraint(c, lname, convert)
            if sub is None:
                return None
            union |= sub
        return frozenset(union)
    return None


def event_ids(node: Node) -> frozenset[int] | None:
    """The EventID values the condition requires, or ``None`` when it does not constrain it."""
    found = _constraint(node, "eventid", int)
    return None if found is None else frozenset(int(str(v)) for v in found)


def channels(node: Node) -> frozenset[str] | None:
    """The Channel values (lower-case) the condition requires, or ``None``."""
    found = _constraint(node, "channel", str)
    return None if found is None else frozenset(str(v) for v in found)


def _best(groups: list[frozenset[str]]) -> frozenset[str]:
    return max(groups, key=lambda g: (min(len(a) for a in g), -len(g)))


def anchor_groups(node: Node) -> list[frozenset[str]]:
    """Sets of literals; a matching event's text contains one of each set. ``[]``: no filter."""
    if node.op == "leaf":
        anchors: set[str] = set()
        for m in node.matchers:
            found = matcher_anchors(m)
            if not found or min(len(a) for a in found) < MIN_ANCHOR:
                return []
            anchors |= found
        return [frozenset(anchors)] if anchors else []
    if node.op == "and":
        out: list[frozenset[str]] = []
        for c in node.children:
            out.extend(anchor_groups(c))
        return out
    if node.op == "or":
        union: set[str] = set()
        for c in node.children:
            sub = anchor_groups(c)
            if not sub:
                return []
            union |= _best(sub)
        return [frozenset(union)]
    return []


def anchor_fields(node: Node) -> tuple[tuple[str, str], ...] | None:
    """The event fields (name, lower-case name) whose values hold the literals of
    :func:`anchor_groups`: every field a leaf names, with its fallbacks; ``None`` when a
    keyword leaf searches all values."""
    found: dict[tuple[str, str], None] = {}

    def walk(n: Node) -> bool:
        if n.op == "leaf":
            if n.spec is None:
                return False
            found.update(dict.fromkeys(n.spec.names))
            return True
        return all(walk(c) for c in n.children)

    return tuple(found) if walk(node) else None


def best_groups(groups: list[frozenset[str]], limit: int = 3) -> list[frozenset[str]]:
    """The most selective groups first (longest shortest literal, then fewest literals)."""
    unique = list(dict.fromkeys(groups))
    unique.sort(key=lambda g: (min(len(a) for a in g), -len(g)), reverse=True)
    return unique[:limit]


def referenced_fields(node: Node) -> list[FieldSpec]:
    """Every field the condition reads, in order of first mention (for display)."""
    seen: dict[str, FieldSpec] = {}

    def walk(n: Node) -> None:
        if n.op == "leaf":
            if n.spec is not None:
                seen.setdefault(n.spec.lname, n.spec)
            for m in n.matchers:
                other = getattr(m, "other", None)
                if isinstance(other, FieldSpec):
                    seen.setdefault(other.lname, other)
        for c in n.children:
            walk(c)

    walk(node)
    return list(seen.values())
