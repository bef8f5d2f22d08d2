"""Sigma detection values (after pySigma applied the modifiers) as Python predicates.

pySigma turns ``CommandLine|contains|all: [a, b]`` into values with wildcards,
``base64offset`` into an expansion of three strings, ``cidr`` into a network and so
on. Here each value becomes a :class:`Matcher`; :func:`field_test` then joins the
matchers one field is ORed with into a single closure that fetches the field once,
answers the cheap string tests first (set lookup, ``startswith``/``endswith`` with
tuples, substring) and leaves regular expressions for last.

Strings match without regard to case unless the rule says ``cased``; rule values are
lower-cased once here, event values once per event (see :mod:`.events`).
"""

from __future__ import annotations

import ipaddress
import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from sigma.types import (
    CompareOperators,
    Placeholder,
    SigmaBool,
    SigmaCasedString,
    SigmaCIDRExpression,
    SigmaCompareExpression,
    SigmaExists,
    SigmaExpansion,
    SigmaFieldReference,
    SigmaNull,
    SigmaNumber,
    SigmaRegularExpression,
    SigmaRegularExpressionFlag,
    SigmaString,
    SigmaTimestampPart,
    SigmaType,
    SpecialChars,
    TimestampPart,
)

from madoguchi.analyzers.sigma.errors import SigmaRuleError
from madoguchi.analyzers.sigma.events import MISSING, EventView, as_text
from madoguchi.analyzers.sigma.regexes import regex_anchors

Test = Callable[[EventView], bool]
StrTest = Callable[[str], bool]

# Relative cost of one test, used to order the branches of an AND.
COST_SET = 1
COST_AFFIX = 2
COST_CONTAINS = 3
COST_GLOB = 6
COST_OTHER = 4
COST_REGEX = 10


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """A field a rule names: its name as written and the event names to try, in order."""

    display: str
    names: tuple[tuple[str, str], ...]

    @classmethod
    def of(cls, name: str, fallbacks: Mapping[str, tuple[str, ...]] | None = None) -> FieldSpec:
        chain = (fallbacks or {}).get(name.lower())
        names = (name, *[n for n in chain if n.lower() != name.lower()]) if chain else (name,)
        return cls(name, tuple((n, n.lower()) for n in names))

    @property
    def lname(self) -> str:
        return self.names[0][1]


# --------------------------------------------------------------------------- matchers


@dataclass(frozen=True, slots=True)
class StringMatch:
    """A string with Sigma wildcards; ``mode`` is eq, startswith, endswith, contains or glob."""

    mode: str
    text: str
    cased: bool
    pattern: str  # regular expression for mode "glob"
    anchor: str | None  # a literal every matching value contains (lower-cased)


@dataclass(frozen=True, slots=True)
class RegexMatch:
    regex: re.Pattern[str]
    anchors: frozenset[str] | None = None  # one of these literals is in every match


@dataclass(frozen=True, slots=True)
class NumberMatch:
    number: int | float


@dataclass(frozen=True, slots=True)
class CompareMatch:
    op: CompareOperators
    number: int | float


@dataclass(frozen=True, slots=True)
class BoolMatch:
    value: bool


@dataclass(frozen=True, slots=True)
class NullMatch:
    pass


@dataclass(frozen=True, slots=True)
class ExistsMatch:
    exists: bool


@dataclass(frozen=True, slots=True)
class CidrMatch:
    network: ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True, slots=True)
class FieldRefMatch:
    other: FieldSpec
    starts_with: bool
    ends_with: bool


@dataclass(frozen=True, slots=True)
class TimePartMatch:
    part: TimestampPart
    number: int


Matcher = (
    StringMatch
    | RegexMatch
    | NumberMatch
    | CompareMatch
    | BoolMatch
    | NullMatch
    | ExistsMatch
    | CidrMatch
    | FieldRefMatch
    | TimePartMatch
)


def string_match(value: SigmaString, *, keyword: bool = False) -> StringMatch:
    """Classify a wildcard string; keywords match anywhere inside a value."""
    cased = isinstance(value, SigmaCasedString)
    parts: list[str | SpecialChars] = []
    for part in value.s:
        if isinstance(part, Placeholder):
            raise SigmaRuleError(f"placeholder %{part.name}% was not expanded")
        parts.append(part if isinstance(part, SpecialChars) or cased else part.lower())
    if keyword:
        if not parts or parts[0] is not SpecialChars.WILDCARD_MULTI:
            parts.insert(0, SpecialChars.WILDCARD_MULTI)
        if parts[-1] is not SpecialChars.WILDCARD_MULTI:
            parts.append(SpecialChars.WILDCARD_MULTI)
    literals = [p for p in parts if isinstance(p, str)]
    anchor = max(literals, key=len) if literals else None
    if anchor is not None:
        anchor = anchor.lower()
    star = SpecialChars.WILDCARD_MULTI
    mode = "glob"
    text = ""
    if not parts:
        mode = "eq"
    elif len(literals) == len(parts) == 1:
        mode, text = "eq", literals[0]
    elif len(parts) == 2 and parts[1] is star and isinstance(parts[0], str):
        mode, text = "startswith", parts[0]
    elif len(parts) == 2 and parts[0] is star and isinstance(parts[1], str):
        mode, text = "endswith", parts[1]
    elif len(parts) == 3 and parts[0] is star and parts[2] is star and isinstance(parts[1], str):
        mode, text = "contains", parts[1]
    pattern = ""
    if mode == "glob":
        pieces = []
        for p in parts:
            if p is star:
                pieces.append(".*")
            elif p is SpecialChars.WILDCARD_SINGLE:
                pieces.append(".")
            else:
                pieces.append(re.escape(str(p)))
        pattern = "".join(pieces)
    return StringMatch(mode, text, cased, pattern, anchor)


def _regex(value: SigmaRegularExpression) -> RegexMatch:
    flags = 0
    if SigmaRegularExpressionFlag.IGNORECASE in value.flags:
        flags |= re.IGNORECASE
    if SigmaRegularExpressionFlag.MULTILINE in value.flags:
        flags |= re.MULTILINE
    if SigmaRegularExpressionFlag.DOTALL in value.flags:
        flags |= re.DOTALL
    try:
        compiled = re.compile(str(value.regexp), flags)
    except re.error as error:
        raise SigmaRuleError(f"regular expression {value.regexp!s}: {error}") from error
    return RegexMatch(compiled, regex_anchors(compiled))


def _expand_placeholders(
    value: SigmaType, placeholders: Mapping[str, Sequence[str]]
) -> list[SigmaType]:
    if not isinstance(value, SigmaString | SigmaRegularExpression):
        return [value]
    if not value.contains_placeholder():
        return [value]
    holder = value.regexp if isinstance(value, SigmaRegularExpression) else value
    unknown = sorted(
        {p.name for p in holder.s if isinstance(p, Placeholder) and p.name not in placeholders}
    )
    if unknown:
        raise SigmaRuleError("unknown placeholder " + ", ".join(f"%{n}%" for n in unknown))

    def replace(p: Placeholder) -> Iterator[SigmaString]:
        for item in placeholders[p.name]:
            yield SigmaString(str(item))

    if isinstance(value, SigmaRegularExpression):
        out: list[SigmaType] = []
        for expanded in holder.replace_placeholders(replace):
            regex = SigmaRegularExpression(str(expanded))
            regex.flags = set(value.flags)
            out.append(regex)
        return out
    strings: list[SigmaType] = list(value.replace_placeholders(replace))
    if isinstance(value, SigmaCasedString):
        strings = [SigmaCasedString.from_sigma_string(s) for s in strings]  # type: ignore[arg-type]
    return strings


def matchers_for(
    value: SigmaType,
    *,
    keyword: bool,
    placeholders: Mapping[str, Sequence[str]],
    fallbacks: Mapping[str, tuple[str, ...]],
) -> list[Matcher]:
    """The matchers one detection value stands for (an expansion stands for several)."""
    if isinstance(value, SigmaExpansion):
        out: list[Matcher] = []
        for item in value.values:
            out.extend(
                matchers_for(item, keyword=keyword, placeholders=placeholders, fallbacks=fallbacks)
            )
        return out
    expanded = _expand_placeholders(value, placeholders)
    if len(expanded) != 1 or expanded[0] is not value:
        result: list[Matcher] = []
        for item in expanded:
            result.extend(matchers_for(item, keyword=keyword, placeholders={}, fallbacks=fallbacks))
        return result
    if isinstance(value, SigmaString):
        return [string_match(value, keyword=keyword)]
    if isinstance(value, SigmaRegularExpression):
        return [_regex(value)]
    if isinstance(value, SigmaTimestampPart):
        return [TimePartMatch(value.timestamp_part, int(value.number))]
    if isinstance(value, SigmaNumber):
        if keyword:
            return [string_match(SigmaString(str(value.number)), keyword=True)]
        return [NumberMatch(value.number)]
    if isinstance(value, SigmaBool):
        return [BoolMatch(bool(value.boolean))]
    if isinstance(value, SigmaNull):
        return [NullMatch()]
    if isinstance(value, SigmaExists):
        return [ExistsMatch(bool(value.exists))]
    if isinstance(value, SigmaCompareExpression):
        return [CompareMatch(value.op, value.number.number)]
    if isinstance(value, SigmaCIDRExpression):
        return [CidrMatch(value.network)]
    if isinstance(value, SigmaFieldReference):
        return [
            FieldRefMatch(FieldSpec.of(value.field, fallbacks), value.starts_with, value.ends_with)
        ]
    raise SigmaRuleError(f"unsupported value type {type(value).__name__}")


def matcher_cost(m: Matcher) -> int:
    if isinstance(m, StringMatch):
        return {
            "eq": COST_SET,
            "startswith": COST_AFFIX,
            "endswith": COST_AFFIX,
            "contains": COST_CONTAINS,
        }.get(m.mode, COST_GLOB)
    if isinstance(m, RegexMatch):
        return COST_REGEX
    return COST_OTHER


def matcher_anchors(m: Matcher) -> frozenset[str] | None:
    """Lower-cased literals of which every value this matcher accepts contains one."""
    if isinstance(m, StringMatch):
        return frozenset({m.anchor}) if m.anchor else None
    if isinstance(m, RegexMatch):
        return m.anchors
    return None


# --------------------------------------------------------------------------- numbers


def as_number(value: Any) -> int | float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return value
    if isinstance(value, str):
        s = value.strip()
        if not s:
            return None
        try:
            return int(s, 10)
        except ValueError:
            pass
        if s[:2].lower() == "0x":
            try:
                return int(s, 16)
            except ValueError:
                return None
        try:
            number = float(s)
        except ValueError:
            return None
        return None if math.isnan(number) else number  # NaN never matches
    return None


def _each(value: Any) -> Iterable[Any]:
    return value if isinstance(value, list | tuple) else (value,)


_COMPARE: dict[CompareOperators, Callable[[float, float], bool]] = {
    CompareOperators.LT: lambda a, b: a < b,
    CompareOperators.LTE: lambda a, b: a <= b,
    CompareOperators.GT: lambda a, b: a > b,
    CompareOperators.GTE: lambda a, b: a >= b,
    CompareOperators.NEQ: lambda a, b: a != b,
}


def _time_part(value: Any, part: TimestampPart) -> int | None:
    if isinstance(value, datetime):
        when = value
    else:
        text = as_text(value)
        if not isinstance(text, str):
            return None
        try:
            when = datetime.fromisoformat(text.strip().replace(" ", "T", 1))
        except ValueError:
            return None
    if part is TimestampPart.MINUTE:
        return when.minute
    if part is TimestampPart.HOUR:
        return when.hour
    if part is TimestampPart.DAY:
        return when.day
    if part is TimestampPart.WEEK:
        return when.isocalendar().week
    if part is TimestampPart.MONTH:
        return when.month
    return when.year


# --------------------------------------------------------------------------- closures


def string_test(matches: Sequence[StringMatch]) -> StrTest:
    """One closure testing a string against several wildcard strings (ORed)."""
    eq = frozenset(m.text for m in matches if m.mode == "eq")
    sw = tuple(m.text for m in matches if m.mode == "startswith")
    ew = tuple(m.text for m in matches if m.mode == "endswith")
    cn = tuple(m.text for m in matches if m.mode == "contains")
    globs = [m.pattern for m in matches if m.mode == "glob"]
    glob = re.compile("|".join(f"(?:{g})" for g in globs), re.DOTALL).fullmatch if globs else None
    checks: list[StrTest] = []
    if eq:
        checks.append(eq.__contains__)
    if sw:
        checks.append(lambda s: s.startswith(sw))
    if ew:
        checks.append(lambda s: s.endswith(ew))
    if len(cn) == 1:
        needle = cn[0]
        checks.append(lambda s: needle in s)
    elif cn:

        def contains_any(s: str) -> bool:
            for n in cn:  # noqa: SIM110 - faster than any() here
                if n in s:
                    return True
            return False

        checks.append(contains_any)
    if glob is not None:
        match = glob
        checks.append(lambda s: match(s) is not None)
    if len(checks) == 1:
        return checks[0]
    if len(checks) == 2:
        a, b = checks
        return lambda s: a(s) or b(s)

    def any_check(s: str) -> bool:
        for check in checks:  # noqa: SIM110 - faster than any() here
            if check(s):
                return True
        return False

    return any_check


def _on_strings(fetch: Callable[[EventView], Any], test: StrTest) -> Test:
    def run(view: EventView) -> bool:
        value = fetch(view)
        if value is None:
            return False
        if value.__class__ is str:
            return test(value)
        for item in value:  # noqa: SIM110 - faster than any() here
            if test(item):
                return True
        return False

    return run


def _fetch_lowered(spec: FieldSpec) -> Callable[[EventView], Any]:
    if len(spec.names) == 1:
        name, lname = spec.names[0]
        return lambda view: view.lowered(name, lname)

    def first(view: EventView) -> Any:
        for name, lname in spec.names:
            if view.raw(name, lname) is not MISSING:
                return view.lowered(name, lname)
        return None

    return first


def _fetch_text(spec: FieldSpec) -> Callable[[EventView], Any]:
    if len(spec.names) == 1:
        name, lname = spec.names[0]
        return lambda view: view.text(name, lname)

    def first(view: EventView) -> Any:
        for name, lname in spec.names:
            if view.raw(name, lname) is not MISSING:
                return view.text(name, lname)
        return None

    return first


def _fetch_raw(spec: FieldSpec) -> Callable[[EventView], Any]:
    if len(spec.names) == 1:
        name, lname = spec.names[0]
        return lambda view: view.raw(name, lname)

    def first(view: EventView) -> Any:
        for name, lname in spec.names:
            value = view.raw(name, lname)
            if value is not MISSING:
                return value
        return MISSING

    return first


def _all_text(view: EventView) -> list[str]:
    out: list[str] = []
    for value in view.event.values():
        text = as_text(value)
        if isinstance(text, str):
            out.append(text)
        elif text:
            out.extend(text)
    return out


def _raw_test(m: Matcher, spec: FieldSpec) -> Test:
    """A closure for one non-string matcher on a field."""
    raw = _fetch_raw(spec)
    if isinstance(m, NullMatch):

        def null(view: EventView) -> bool:
            value = raw(view)
            return value is MISSING or value is None or value in ("", [])

        return null
    if isinstance(m, ExistsMatch):
        want = m.exists

        def exists(view: EventView) -> bool:
            value = raw(view)
            return (value is not MISSING and value is not None) == want

        return exists
    if isinstance(m, NumberMatch):
        number = m.number

        def number_eq(view: EventView) -> bool:
            return any(as_number(v) == number for v in _each(raw(view)))

        return number_eq
    if isinstance(m, CompareMatch):
        op, bound = _COMPARE[m.op], m.number

        def compare(view: EventView) -> bool:
            for v in _each(raw(view)):
                n = as_number(v)
                if n is not None and op(n, bound):
                    return True
            return False

        return compare
    if isinstance(m, BoolMatch):
        want_text = "true" if m.value else "false"

        def boolean(view: EventView) -> bool:
            for v in _each(raw(view)):
                if v is m.value or (isinstance(v, str) and v.strip().lower() == want_text):
                    return True
            return False

        return boolean
    if isinstance(m, TimePartMatch):
        part, wanted = m.part, m.number
        return lambda view: any(_time_part(v, part) == wanted for v in _each(raw(view)))
    if isinstance(m, FieldRefMatch):
        mine, other = _fetch_lowered(spec), _fetch_lowered(m.other)
        sw, ew = m.starts_with, m.ends_with

        def fieldref(view: EventView) -> bool:
            a, b = mine(view), other(view)
            if a is None or b is None:
                return False
            for x in [a] if isinstance(a, str) else a:
                for y in [b] if isinstance(b, str) else b:
                    if sw and ew:
                        ok = y in x
                    elif sw:
                        ok = x.startswith(y)
                    elif ew:
                        ok = x.endswith(y)
                    else:
                        ok = x == y
                    if ok:
                        return True
            return False

        return fieldref
    text = _fetch_text(spec)
    if isinstance(m, CidrMatch):
        return _on_strings(text, _cidr_test([m]))
    if isinstance(m, RegexMatch):
        return _regex_test(m, spec, text)
    raise SigmaRuleError(f"unsupported matcher {type(m).__name__}")  # pragma: no cover


@lru_cache(maxsize=65536)
def ip_of(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address an event value holds (IPv4-mapped IPv6 as IPv4), or ``None``.

    Cached: logs repeat the same few addresses, and every ``cidr`` value of every rule
    asks about the same event value.
    """
    try:
        address = ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


#: A regular expression is tried only on text holding one of its required literals
#: (:attr:`RegexMatch.anchors`) when it has at most this many.
_MAX_NEEDLES = 8


def _regex_test(m: RegexMatch, spec: FieldSpec, text: Callable[[EventView], Any]) -> Test:
    """``re.search`` on a field, skipped where the value lacks every literal a match needs.

    The bucket pre-filter (:mod:`.ruleset`) only uses literals of three characters or
    more; a regular expression searched on a long value (a script block) pays for every
    position it tries, so even one required character (the back-tick of obfuscated
    PowerShell) is worth a ``str`` search first. The literals are lower-cased, so they are
    looked for in the lower-cased value, or in the value itself when they have no letters.
    """
    search = m.regex.search
    plain = _on_strings(text, lambda s: search(s) is not None)
    needles = tuple(sorted(m.anchors or ()))
    if not needles or len(needles) > _MAX_NEEDLES:
        return plain
    uncased = all(n == n.upper() for n in needles)
    source = text if uncased else _fetch_lowered(spec)

    def has_literal(view: EventView) -> bool:
        value = source(view)
        if value.__class__ is not str:  # a list (or nothing): search item by item
            return plain(view)
        for needle in needles:
            if needle in value:
                return plain(view)
        return False

    return has_literal


@lru_cache(maxsize=65536)
def _ip_number(text: str) -> tuple[int, int] | None:
    """``(IP version, address as an int)`` of an event value, or ``None`` (see :func:`ip_of`)."""
    address = ip_of(text)
    return None if address is None else (address.version, int(address))


def _cidr_test(matches: Sequence[CidrMatch]) -> StrTest:
    """A value inside any of several networks: one address lookup, then integer ranges.

    The same answer as ``address in network`` for each (a network holds the addresses
    from its network address to its broadcast address, of its own IP version), without
    an ``ipaddress`` comparison per network: rules list private ranges by the dozen.
    """
    ranges = tuple(
        (m.network.version, int(m.network.network_address), int(m.network.broadcast_address))
        for m in matches
    )

    def in_network(s: str) -> bool:
        number = _ip_number(s)
        if number is None:
            return False
        version, value = number
        for wanted, low, high in ranges:  # noqa: SIM110 - faster than any() here
            if wanted == version and low <= value <= high:
                return True
        return False

    return in_network


def _keyword_test(matchers: Sequence[Matcher]) -> Test:
    lowered = [m for m in matchers if isinstance(m, StringMatch) and not m.cased]
    cased = [m for m in matchers if isinstance(m, StringMatch) and m.cased]
    regexes = [m for m in matchers if isinstance(m, RegexMatch)]
    if len(lowered) + len(cased) + len(regexes) != len(matchers):
        raise SigmaRuleError("keyword values must be strings or regular expressions")
    tests: list[Test] = []
    if lowered:
        low = string_test(lowered)
        tests.append(lambda view: any(low(s) for s in view.all_lowered()))
    if cased:
        exact = string_test(cased)
        tests.append(lambda view: any(exact(s) for s in _all_text(view)))
    tests.extend(_keyword_regex(r) for r in regexes)
    return any_of(tests)


def _keyword_regex(m: RegexMatch) -> Test:
    search = m.regex.search
    return lambda view: any(search(s) for s in _all_text(view))


def any_of(tests: Sequence[Test]) -> Test:
    if len(tests) == 1:
        return tests[0]
    if len(tests) == 2:
        a, b = tests
        return lambda view: a(view) or b(view)
    items = tuple(tests)

    def run(view: EventView) -> bool:
        for t in items:  # noqa: SIM110 - faster than any() here
            if t(view):
                return True
        return False

    return run


def field_test(spec: FieldSpec | None, matchers: Sequence[Matcher]) -> Test:
    """One closure for a field compared with several values (ORed); ``None`` = keywords."""
    if spec is None:
        return _keyword_test(matchers)
    tests: list[Test] = []
    lowered = [m for m in matchers if isinstance(m, StringMatch) and not m.cased]
    cased = [m for m in matchers if isinstance(m, StringMatch) and m.cased]
    if lowered:
        tests.append(_on_strings(_fetch_lowered(spec), string_test(lowered)))
    if cased:
        tests.append(_on_strings(_fetch_text(spec), string_test(cased)))
    numbers = frozenset(m.number for m in matchers if isinstance(m, NumberMatch))
    if numbers:
        tests.append(_numbers_test(spec, numbers))
    rest = sorted(
        (m for m in matchers if not isinstance(m, StringMatch | NumberMatch)), key=matcher_cost
    )
    networks = [m for m in rest if isinstance(m, CidrMatch)]
    for m in rest:
        if not isinstance(m, CidrMatch):
            tests.append(_raw_test(m, spec))
        elif m is networks[0]:  # every cidr value of the field in one test, in its place
            tests.append(_on_strings(_fetch_text(spec), _cidr_test(networks)))
    return any_of(tests)


def _numbers_test(spec: FieldSpec, numbers: frozenset[int | float]) -> Test:
    """A field equal to any of several numbers (``EventID: [4624, 4625]``): one set lookup."""
    raw = _fetch_raw(spec)

    def number_in(view: EventView) -> bool:
        value = raw(view)
        if value.__class__ is int:  # the usual case: EventID, LogonType as flattened
            return value in numbers
        for v in _each(value):  # noqa: SIM110 - faster than any() here
            if as_number(v) in numbers:
                return True
        return False

    return number_in
