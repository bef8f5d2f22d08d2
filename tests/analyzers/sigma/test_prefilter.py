"""The literal pre-filter never hides a match: indexed matching equals testing every candidate."""

from __future__ import annotations

import random
from typing import Any

from tests.analyzers.sigma.sigma_helpers import Loader, rule_doc

WORDS = [
    "\\cmd.exe",
    "-enc",
    "/c",
    "whoami",
    "Invoke-",
    "http://",
    "temp\\",
    "abc",
    "xyz",
    "ネット",
    "lsass",
]
FIELDS = ["CommandLine", "Image", "ParentImage"]
MODIFIERS = [
    "",
    "|contains",
    "|startswith",
    "|endswith",
    "|contains|all",
    "|cased|contains",
    "|windash|contains",
    "|re",
    "|re|i",
]


def _value(rng: random.Random, modifier: str) -> Any:
    words = rng.sample(WORDS, rng.randint(1, 3))
    if "re" in modifier.split("|"):
        return [
            w.replace("\\", "\\\\").replace(".", "\\.") + ".*" + rng.choice("abcx") for w in words
        ]
    return words


def _rule(rng: random.Random, n: int) -> dict[str, Any]:
    selections: dict[str, Any] = {}
    for name in ("sel_a", "sel_b", "filter"):
        items = {}
        for field in rng.sample(FIELDS, rng.randint(1, 2)):
            modifier = rng.choice(MODIFIERS)
            # Sigma field names are not case-sensitive: the pre-filter must find the value
            name_as_written = field if rng.random() < 0.8 else field.lower()
            items[name_as_written + modifier] = _value(rng, modifier)
        selections[name] = items
    keywords = rng.random() < 0.15  # keywords search every value of the event
    if keywords:
        selections["keywords"] = rng.sample(WORDS, 2)
    condition = rng.choice(
        [
            "sel_a",
            "sel_a and sel_b",
            "sel_a or sel_b",
            "1 of sel_*",
            "all of sel_* and not filter",
            "sel_a and not filter",
            "not filter",
            "(sel_a or sel_b) and not filter",
        ]
    )
    if keywords:
        condition = f"keywords or ({condition})"
    return rule_doc(
        {**selections, "condition": condition},
        title=f"r{n}",
        logsource={"product": "windows", "category": "process_creation"},
    )


def _event(rng: random.Random) -> dict[str, Any]:
    event: dict[str, Any] = {"Channel": "Microsoft-Windows-Sysmon/Operational", "EventID": 1}
    for field in [*FIELDS, "User"]:  # User: named by no rule, found by keywords only
        if rng.random() < 0.9:
            parts = rng.choices([*WORDS, " ", "q", "CMD.EXE", "/C"], k=rng.randint(0, 6))
            event[field] = "".join(parts) + rng.choice(["", "a", "b", "c", "x"])
    return event


def test_indexed_matching_equals_testing_every_candidate(load: Loader) -> None:
    rng = random.Random(20240501)
    ruleset, errors = load(*[_rule(rng, n) for n in range(300)])
    assert errors == []
    total = 0
    for _ in range(2000):
        event = _event(rng)
        expected = [r.id for r in ruleset.candidates_for(event) if r.matches(event)]
        got = [m.rule.id for m in ruleset.match(event)]
        assert got == expected, event
        total += len(got)
    assert total > 300  # the generated rules do match, so the comparison means something


def test_the_pre_filter_finds_a_field_named_in_another_case(load: Loader) -> None:
    ruleset, errors = load(
        rule_doc(
            {"sel": {"commandline|contains": "whoami"}, "condition": "sel"},
            logsource={"product": "windows", "category": "process_creation"},
        )
    )
    assert errors == []
    event = {"Channel": "Microsoft-Windows-Sysmon/Operational", "EventID": 1}
    assert ruleset.match({**event, "CommandLine": r"C:\x\WHOAMI.exe /all"})
    assert not ruleset.match({**event, "CommandLine": "hostname", "User": "whoami"})
