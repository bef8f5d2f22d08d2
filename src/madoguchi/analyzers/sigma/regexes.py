"""Literals a regular expression cannot match without, for the pre-filter.

``CommandLine|re: '\\\\cmd\\.exe.*/c'`` can only match text containing ``\\cmd.exe``;
knowing that lets the rule skip events whose text lacks it, like a plain string rule.
The pattern is read with the standard library's own regular-expression parser.
"""

from __future__ import annotations

import re
import re._parser as sre_parse  # the stdlib parser behind re.compile
from typing import Any

_LITERAL = sre_parse.LITERAL
_ZERO_WIDTH = frozenset({sre_parse.AT})
_GROUPS = frozenset({sre_parse.SUBPATTERN, sre_parse.ATOMIC_GROUP})
_REPEATS = frozenset({sre_parse.MAX_REPEAT, sre_parse.MIN_REPEAT, sre_parse.POSSESSIVE_REPEAT})


def _best(groups: list[frozenset[str]]) -> frozenset[str] | None:
    if not groups:
        return None
    return max(groups, key=lambda g: (min(len(a) for a in g), -len(g)))


def _required(items: Any) -> list[frozenset[str]]:
    """Sets of literals; a match contains at least one literal of every set."""
    groups: list[frozenset[str]] = []
    run: list[str] = []

    def end_run() -> None:
        text = "".join(run)
        # A cased non-ASCII letter may match other letters under IGNORECASE ("ſ" and "s");
        # such a run cannot promise its lower-cased form, so it is not used.
        if text and all(c.isascii() or c.lower() == c.upper() for c in text):
            groups.append(frozenset({text.lower()}))
        run.clear()

    for op, arg in items:
        if op is _LITERAL:
            run.append(chr(arg))
            continue
        if op in _ZERO_WIDTH:
            continue
        end_run()
        if op in _GROUPS:
            body = arg[-1]
            groups.extend(_required(body))
        elif op in _REPEATS:
            low, _high, body = arg
            if low >= 1:
                groups.extend(_required(body))
        elif op is sre_parse.BRANCH:
            alternatives = [_best(_required(alt)) for alt in arg[1]]
            if alternatives and all(a is not None for a in alternatives):
                union: set[str] = set()
                for a in alternatives:
                    union |= a or frozenset()
                groups.append(frozenset(union))
    end_run()
    return groups


def regex_anchors(pattern: re.Pattern[str]) -> frozenset[str] | None:
    """The best set of required literals (lower-cased), or ``None`` when there is none."""
    try:
        parsed = sre_parse.parse(pattern.pattern, pattern.flags)
    except (re.error, RecursionError, TypeError, ValueError):
        return None
    return _best(_required(parsed))
