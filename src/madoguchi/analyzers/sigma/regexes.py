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


def _required(items: Any, prefix: str = "") -> list[frozenset[str]]:
    """Sets of literals; a match contains at least one literal of every set.

    ``prefix`` is literal text that comes right before ``items`` (a group's body).
    """
    groups: list[frozenset[str]] = []
    run: list[str] = list(prefix)

    def end_run() -> None:
        text = "".join(run)
        if text and _caseless(text):
            groups.append(frozenset({text.lower()}))
        run.clear()

    for op, arg in items:
        if op is _LITERAL:
            run.append(chr(arg))
            continue
        if op in _ZERO_WIDTH:
            continue
        run_text = "".join(run)
        end_run()
        if op in _GROUPS:
            body = arg[-1]
            groups.extend(_required(body, run_text))
        elif op in _REPEATS:
            low, _high, body = arg
            if low >= 1:
                groups.extend(_required(body))
        elif op is sre_parse.BRANCH:
            prefixed = _prefixed(run_text, arg[1])
            if prefixed is not None:
                groups.append(prefixed)
            alternatives = [_best(_required(alt)) for alt in arg[1]]
            if alternatives and all(a is not None for a in alternatives):
                union: set[str] = set()
                for a in alternatives:
                    union |= a or frozenset()
                groups.append(frozenset(union))
    end_run()
    return groups


def _caseless(text: str) -> bool:
    # A cased non-ASCII letter may match other letters under IGNORECASE ("ſ" and "s");
    # such text cannot promise its lower-cased form, so it is not used.
    return all(c.isascii() or c.lower() == c.upper() for c in text)


def _prefixed(prefix: str, alternatives: list[Any]) -> frozenset[str] | None:
    """``fc(e8|4883)`` needs ``fce8`` or ``fc4883``: the literal before a branch joined to
    each alternative's leading literal (the parser factors a shared prefix out of
    ``fce8|fc4883`` that way, leaving two letters that filter nothing on their own)."""
    if not prefix:
        return None
    out: set[str] = set()
    for alternative in alternatives:
        lead: list[str] = []
        for op, arg in alternative:
            if op is not _LITERAL:
                break
            lead.append(chr(arg))
        text = prefix + "".join(lead)
        if not _caseless(text):
            return None
        out.add(text.lower())
    return frozenset(out)


def regex_anchors(pattern: re.Pattern[str]) -> frozenset[str] | None:
    """The best set of required literals (lower-cased), or ``None`` when there is none."""
    try:
        parsed = sre_parse.parse(pattern.pattern, pattern.flags)
    except (re.error, RecursionError, TypeError, ValueError):
        return None
    return _best(_required(parsed))
